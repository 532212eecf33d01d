/** The GitHub Actions host: workflow commands, GITHUB_OUTPUT / GITHUB_ENV / GITHUB_STATE, the job summary. */
import {errorMessage} from '../../errors';
import {PostState} from '../../run/cleanup';
import {Host} from '../host';
import {commands} from './commands';
import {saveState} from './state';

/**
 * The runner reads a log line that starts (after blanks) with "::" or "##[" as a workflow command. Text the step does
 * not control (registry error bodies, record fields, tool output) must not form one: such a line gets a zero-width
 * space in front, which the runner does not trim and a reader does not see.
 */
export function neutralizeCommands(text: string): string {
  return text
    .split('\n')
    .map(l => (/^\s*(::|##\[)/.test(l) ? `\u200b${l}` : l))
    .join('\n');
}

export class GitHubHost implements Host {
  readonly #masked = new Set<string>();
  /** the last state saved: what a cancelled run cleans up */
  state: PostState | undefined;

  info(line: string): void {
    commands.info(neutralizeCommands(line));
  }
  warning(line: string): void {
    commands.warning(line);
  }
  notice(line: string): void {
    commands.notice(line);
  }
  debug(line: string): void {
    commands.debug(line);
  }
  isDebug(): boolean {
    return commands.isDebug();
  }
  group<T>(name: string, fn: () => Promise<T>): Promise<T> {
    return commands.group(name, fn);
  }
  /** Registers a secret and each of its lines (multi-line secrets such as PEM keys are masked line by line), once. */
  mask(secret: string): void {
    if (!secret) return;
    for (const s of [
      secret,
      ...secret
        .split(/\r?\n/)
        .map(l => l.trim())
        .filter(l => l.length > 3)
    ]) {
      if (this.#masked.has(s)) continue;
      this.#masked.add(s);
      commands.mask(s);
    }
  }
  setOutput(name: string, value: string): void {
    commands.setOutput(name, value);
  }
  exportVariable(name: string, value: string): void {
    commands.exportVariable(name, value);
  }
  saveState(state: PostState): void {
    this.state = {...state, daemonCAs: [...state.daemonCAs]};
    saveState(state);
  }
  summary(markdown: string): Promise<void> {
    try {
      commands.summary(markdown);
    } catch (e) {
      commands.warning(`could not write the job summary: ${errorMessage(e)}`);
    }
    return Promise.resolve();
  }
}
