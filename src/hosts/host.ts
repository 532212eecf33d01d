/**
 * What the engine asks of whoever runs it. The GitHub Actions host (hosts/github) maps it onto workflow commands,
 * GITHUB_OUTPUT, GITHUB_STATE and the job summary; the CLI host (hosts/cli) onto a terminal log, dotenv and JSON
 * output files and an exit code. Nothing in the engine knows which one runs it.
 */
import {PostState} from '../run/cleanup';

export interface Host {
  info(line: string): void;
  warning(line: string): void;
  notice(line: string): void;
  debug(line: string): void;
  isDebug(): boolean;
  /** one phase of the log; returns fn's result */
  group<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** a secret (and each of its lines) is never shown from now on */
  mask(secret: string): void;
  setOutput(name: string, value: string): void;
  /** an environment variable for the job's later steps (GitHub: GITHUB_ENV); the CLI has no later steps */
  exportVariable(name: string, value: string): void;
  /** what the clean-up needs if the step dies (GitHub: the post step's state) */
  saveState(state: PostState): void;
  /** the run's summary, in markdown */
  summary(markdown: string): Promise<void>;
}
