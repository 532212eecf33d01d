import {spawn} from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {StringDecoder} from 'node:string_decoder';
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

/** Where a command is on PATH (as @actions/io's which does it: the step's own PATH), or an error naming it. */
export function which(command: string, pathVar = process.env['PATH'] ?? ''): string {
  const candidates = command.includes('/')
    ? [command]
    : pathVar
        .split(path.delimiter)
        .filter(Boolean)
        .map(d => path.join(d, command));
  for (const c of candidates) {
    try {
      if (fs.statSync(c).isFile()) {
        fs.accessSync(c, fs.constants.X_OK);
        return c;
      }
    } catch {
      // not there, or not executable: the next one
    }
  }
  throw new Error(
    `Unable to locate executable file: ${command}. Please verify either the file path exists or the file can be found within a directory specified by the PATH environment variable. Also check the file mode to verify the file is executable.`
  );
}

/** A child the runner started: the leader of a process group of its own (its children are in that group too). */
interface Child {
  pid: number;
  /** the executable's base name, as /proc/<pid>/comm shows it (at most 15 characters) */
  comm: string;
  exited: Promise<void>;
}

/**
 * Runs tools as the step's children, each in a process group of its own, and knows which are running: on a cancel
 * `stopChildren()` stops every group (a `docker buildx build` and the buildx plugin under it), and no tool starts
 * afterwards. With `pidFile`, the running groups are also kept in that file (`<pid> <comm>` lines), so that another
 * process (the GitHub post step after a killed main step) can stop them with `stopRecordedChildren()`.
 */
export class ExecRunner implements Runner {
  readonly #debug?: (line: string) => void;
  readonly #pidFile?: string;
  readonly #children = new Map<number, Child>();
  #stopped = '';

  /** debug: where command lines, exit codes and output tails go (RUNNER_DEBUG / --debug); none by default */
  constructor(opts: {debug?: (line: string) => void; pidFile?: string} = {}) {
    this.#debug = opts.debug;
    this.#pidFile = opts.pidFile;
  }

  /** The children running now: pid and executable name. */
  running(): {pid: number; comm: string}[] {
    return [...this.#children.values()].map(c => ({pid: c.pid, comm: c.comm}));
  }

  async run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    if (this.#stopped) throw new Error(`cancelled (${this.#stopped}): ${command} is not started`);
    const env: Record<string, string> = {};
    // tools get the process environment without the step's inputs (INPUT_*, PUBLISH_IMAGE_*: secrets among them)
    for (const [k, v] of Object.entries(process.env))
      if (v !== undefined && !k.startsWith('INPUT_') && !k.startsWith('PUBLISH_IMAGE_')) env[k] = v;
    Object.assign(env, options.env ?? {});
    // argv never holds a secret (values go through stdin, env or files), so it may be shown in debug logs
    const debug = this.#debug;
    if (!options.stream && debug) debug(`run: ${command} ${args.join(' ')}`);
    const t0 = Date.now();
    const res = await this.#spawn(which(command), args, env, options);
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

  /** One child in a new process group; streamed output goes to stdout (stderr too), as @actions/exec shows it. */
  #spawn(file: string, args: readonly string[], env: Record<string, string>, options: RunOptions): Promise<RunResult> {
    if (options.stream) process.stdout.write(`[command]${[file, ...args].join(' ')}${os.EOL}`);
    const child = spawn(file, [...args], {
      env,
      cwd: options.cwd,
      detached: true,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe']
    });
    let settle: () => void = () => undefined;
    const exited = new Promise<void>(resolve => (settle = resolve));
    if (child.pid !== undefined) {
      this.#children.set(child.pid, {pid: child.pid, comm: path.basename(file).slice(0, 15), exited});
      this.#record();
    }
    const out = new StringDecoder('utf8');
    const err = new StringDecoder('utf8');
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => {
      stdout += out.write(d);
      if (options.stream) process.stdout.write(d);
    });
    child.stderr?.on('data', (d: Buffer) => {
      stderr += err.write(d);
      if (options.stream) process.stdout.write(d);
    });
    if (options.input !== undefined) child.stdin?.end(Buffer.from(options.input));
    return new Promise<RunResult>((resolve, reject) => {
      const done = (): void => {
        if (child.pid !== undefined) this.#children.delete(child.pid);
        this.#record();
        settle();
      };
      child.on('error', e => {
        done();
        reject(e);
      });
      child.on('close', (code, signal) => {
        done();
        stdout += out.end();
        stderr += err.end();
        resolve({exitCode: code ?? 128 + (signal ? (os.constants.signals[signal] ?? 0) : 0), stdout, stderr});
      });
    });
  }

  #record(): void {
    if (!this.#pidFile) return;
    try {
      const lines = [...this.#children.values()].map(c => `${c.pid} ${c.comm}\n`).join('');
      // RUNNER_TEMP may not exist yet when the first tool starts
      fs.mkdirSync(path.dirname(this.#pidFile), {recursive: true});
      fs.writeFileSync(this.#pidFile, lines, {mode: 0o600});
    } catch {
      // the record is a safety net for the post step; the run itself does not depend on it
    }
  }

  /**
   * Stops every running child's process group: `signal`, then SIGKILL for groups still there after `graceMs`.
   * Resolves when every child has exited; no tool starts afterwards. Returns the names of the children stopped.
   */
  async stopChildren(signal: NodeJS.Signals = 'SIGTERM', graceMs = 3000): Promise<string[]> {
    this.#stopped ||= signal;
    const children = [...this.#children.values()];
    for (const c of children) killGroup(c.pid, signal);
    const all = Promise.all(children.map(c => c.exited));
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<'late'>(resolve => (timer = setTimeout(() => resolve('late'), graceMs)));
    if ((await Promise.race([all, grace])) === 'late') {
      for (const c of children) if (this.#children.has(c.pid)) killGroup(c.pid, 'SIGKILL');
      await all;
    }
    clearTimeout(timer);
    // a group whose leader exited may still hold members (a plugin that ignored the signal)
    for (const c of children) if (groupAlive(c.pid)) killGroup(c.pid, 'SIGKILL');
    if (this.#pidFile) fs.rmSync(this.#pidFile, {force: true});
    return children.map(c => c.comm);
  }

  /** Removes the pid file at the end of a run (every child has exited). */
  close(): void {
    if (this.#pidFile && this.#children.size === 0) fs.rmSync(this.#pidFile, {force: true});
  }
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // gone already
  }
}

/** Process groups on Linux: `pgrp` of every process (/proc/<pid>/stat, field 5). */
function groupMembers(pgid: number): {pid: number; comm: string}[] {
  const out: {pid: number; comm: string}[] = [];
  let entries: string[] = [];
  try {
    entries = fs.readdirSync('/proc').filter(n => /^\d+$/.test(n));
  } catch {
    return out;
  }
  for (const n of entries) {
    try {
      const stat = fs.readFileSync(`/proc/${n}/stat`, 'utf8');
      // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so split after its last ')'
      const close = stat.lastIndexOf(')');
      const fields = stat.slice(close + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z')
        out.push({pid: Number(n), comm: stat.slice(stat.indexOf('(') + 1, close)});
    } catch {
      // exited while we looked
    }
  }
  return out;
}

function groupAlive(pgid: number): boolean {
  return groupMembers(pgid).length > 0;
}

/** Parses a pid file of ExecRunner: `<pid> <comm>` lines; anything else is skipped. */
export function parsePidFile(text: string): {pid: number; comm: string}[] {
  return text
    .split('\n')
    .map(l => /^(\d+) (\S.*)$/.exec(l.trim()))
    .filter((m): m is RegExpExecArray => !!m && Number(m[1]) > 1)
    .map(m => ({pid: Number(m[1]), comm: m[2] ?? ''}));
}

/**
 * The post step's half: stops the process groups a killed main step left (its pid file), waits for them to go, and
 * removes the file. A group counts as the step's only while it exists with the recorded leader (same pid and name),
 * or without its leader (Linux gives no new process a pid still in use as a process group id): a pid reused by
 * another program since is left alone. Returns what it stopped, as `<comm> (pid <pid>)`.
 */
export async function stopRecordedChildren(pidFile: string, graceMs = 3000): Promise<string[]> {
  let text = '';
  try {
    text = fs.readFileSync(pidFile, 'utf8');
  } catch {
    return [];
  }
  const ours = parsePidFile(text).filter(({pid, comm}) => {
    const members = groupMembers(pid);
    const leader = members.find(m => m.pid === pid);
    return members.length > 0 && (!leader || leader.comm === comm);
  });
  for (const c of ours) killGroup(c.pid, 'SIGTERM');
  const t0 = Date.now();
  while (ours.some(c => groupAlive(c.pid)) && Date.now() - t0 < graceMs) await new Promise(r => setTimeout(r, 50));
  for (const c of ours) if (groupAlive(c.pid)) killGroup(c.pid, 'SIGKILL');
  while (ours.some(c => groupAlive(c.pid)) && Date.now() - t0 < graceMs + 2000)
    await new Promise(r => setTimeout(r, 50));
  fs.rmSync(pidFile, {force: true});
  return ours.map(c => `${c.comm} (pid ${c.pid})`);
}
