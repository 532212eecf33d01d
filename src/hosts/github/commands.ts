/**
 * The runner's workflow commands and environment files, as the runner reads them (the protocol @actions/core
 * speaks, written here so that the post step loads nothing else: no HTTP client, no undici):
 * - `::name key=value,...::message` on stdout, with `%`, CR and LF escaped in the message (and `:` and `,` in values);
 * - `GITHUB_OUTPUT`, `GITHUB_ENV`, `GITHUB_STATE`: `name<<delimiter` heredocs with a random delimiter;
 * - `GITHUB_STEP_SUMMARY`: markdown appended.
 */
import {randomUUID} from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';

type Env = Record<string, string | undefined>;

const escapeData = (s: string): string => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (s: string): string => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

/** One workflow command line. */
export function command(name: string, message: string, properties: Record<string, string> = {}): string {
  const props = Object.entries(properties)
    .map(([k, v]) => `${k}=${escapeProperty(v)}`)
    .join(',');
  return `::${name}${props ? ` ${props}` : ''}::${escapeData(message)}`;
}

/** `name<<delimiter` value `delimiter`: the form of the environment files; refuses a value that holds the delimiter. */
export function fileCommand(name: string, value: string, delimiter = `ghadelimiter_${randomUUID()}`): string {
  if (name.includes(delimiter) || value.includes(delimiter))
    throw new Error(`unexpected input: name or value contains the delimiter ${delimiter}`);
  return `${name}<<${delimiter}${os.EOL}${value}${os.EOL}${delimiter}${os.EOL}`;
}

export class Commands {
  constructor(
    private readonly env: Env = process.env,
    private readonly write: (s: string) => void = s => void process.stdout.write(s)
  ) {}

  line(text: string): void {
    this.write(text + os.EOL);
  }
  issue(name: string, message: string, properties?: Record<string, string>): void {
    this.line(command(name, message, properties));
  }
  info(message: string): void {
    this.line(message);
  }
  debug(message: string): void {
    this.issue('debug', message);
  }
  warning(message: string): void {
    this.issue('warning', message);
  }
  notice(message: string): void {
    this.issue('notice', message);
  }
  error(message: string): void {
    this.issue('error', message);
  }
  /** The step fails (exit code 1) with the message as an error annotation. */
  setFailed(message: string): void {
    process.exitCode = 1;
    this.error(message);
  }
  isDebug(): boolean {
    return this.env['RUNNER_DEBUG'] === '1';
  }
  async group<T>(name: string, fn: () => Promise<T>): Promise<T> {
    this.issue('group', name);
    try {
      return await fn();
    } finally {
      this.issue('endgroup', '');
    }
  }
  mask(secret: string): void {
    this.issue('add-mask', secret);
  }
  /** To GITHUB_OUTPUT, GITHUB_ENV or GITHUB_STATE; without the file (an old runner), the command on stdout. */
  private file(kind: 'OUTPUT' | 'ENV' | 'STATE', fallback: string, name: string, value: string): void {
    const path = this.env[`GITHUB_${kind}`];
    if (path) {
      fs.appendFileSync(path, fileCommand(name, value), {encoding: 'utf8'});
      return;
    }
    this.write(os.EOL);
    this.issue(fallback, value, {name});
  }
  setOutput(name: string, value: string): void {
    this.file('OUTPUT', 'set-output', name, value);
  }
  exportVariable(name: string, value: string): void {
    process.env[name] = value;
    this.file('ENV', 'set-env', name, value);
  }
  saveState(name: string, value: string): void {
    this.file('STATE', 'save-state', name, value);
  }
  /** Appends markdown to the job summary; false when the runner gives no summary file. */
  summary(markdown: string): boolean {
    const path = this.env['GITHUB_STEP_SUMMARY'];
    if (!path) return false;
    fs.appendFileSync(path, markdown, {encoding: 'utf8'});
    return true;
  }
}

/** The step's own commands (the process environment, stdout). */
export const commands = new Commands();
