import * as exec from '@actions/exec';
import {CommandError} from '../errors';

export interface RunOptions {
  /** written to the tool's stdin (how secrets reach docker login) */
  input?: string;
  /** extra environment, merged over process.env */
  env?: Record<string, string>;
  cwd?: string;
  /** stream the tool's output to the log (default: captured only) */
  stream?: boolean;
  /** do not throw on a non-zero exit code */
  allowFailure?: boolean;
  /** turns stderr into a hint for the error message */
  hint?: (stderr: string) => string;
  /** the tool prints secrets on stdout (credential helpers): its output never reaches a log or an error, debug included */
  secretOutput?: boolean;
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** The one seam through which external tools run: argument arrays, never a shell string. */
export interface Runner {
  run(command: string, args: readonly string[], options?: RunOptions): Promise<RunResult>;
}

const TAIL_LINES = 20;

export function tail(text: string, lines = TAIL_LINES): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

export class ExecRunner implements Runner {
  readonly #debug?: (line: string) => void;

  /** debug: where command lines, exit codes and output tails go (RUNNER_DEBUG / --debug); none by default */
  constructor(opts: {debug?: (line: string) => void} = {}) {
    this.#debug = opts.debug;
  }

  async run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const env: Record<string, string> = {};
    // tools get the process environment without the step's inputs (INPUT_*, PUBLISH_IMAGE_*: secrets among them)
    for (const [k, v] of Object.entries(process.env))
      if (v !== undefined && !k.startsWith('INPUT_') && !k.startsWith('PUBLISH_IMAGE_')) env[k] = v;
    Object.assign(env, options.env ?? {});
    // argv never holds a secret (values go through stdin, env or files), so it may be shown in debug logs
    const debug = this.#debug;
    if (!options.stream && debug) debug(`run: ${command} ${args.join(' ')}`);
    const t0 = Date.now();
    const res = await exec.getExecOutput(command, [...args], {
      input: options.input === undefined ? undefined : Buffer.from(options.input),
      env,
      cwd: options.cwd,
      silent: !options.stream,
      ignoreReturnCode: true
    });
    if (!options.stream && debug) {
      debug(`exit ${res.exitCode} after ${Date.now() - t0} ms: ${command} ${args[0] ?? ''}`);
      const shown = options.secretOutput ? '' : `${res.stdout}\n${res.stderr}`;
      for (const line of tail(shown, 40).split('\n')) if (line.trim()) debug(`  ${line}`);
    }
    if (res.exitCode !== 0 && !options.allowFailure) {
      const stderr = options.secretOutput ? tail(res.stderr) : tail(res.stderr || res.stdout);
      throw new CommandError(command, args, res.exitCode, stderr, options.hint?.(res.stderr + res.stdout) ?? '');
    }
    return res;
  }
}
