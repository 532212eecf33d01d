/** The CLI host: a plain log on stdout (warnings and errors on stderr), secrets redacted, outputs collected. */
import {PostState} from '../../run/cleanup';
import {Host} from '../host';

export class CliHost implements Host {
  readonly outputs: Record<string, string> = {};
  readonly #secrets: string[] = [];
  state: PostState | undefined;
  summaryText = '';
  #depth = 0;

  constructor(
    private readonly debugOn: boolean,
    private readonly out: (s: string) => void = s => void process.stdout.write(s),
    private readonly err: (s: string) => void = s => void process.stderr.write(s)
  ) {}

  /** replaces every registered secret by *** */
  redact(text: string): string {
    let t = text;
    for (const s of this.#secrets) t = t.split(s).join('***');
    return t;
  }
  #line(to: (s: string) => void, prefix: string, line: string): void {
    const indent = '  '.repeat(this.#depth);
    for (const l of this.redact(line).split('\n')) to(`${indent}${prefix}${l}\n`);
  }
  info(line: string): void {
    this.#line(this.out, '', line);
  }
  warning(line: string): void {
    this.#line(this.err, 'warning: ', line);
  }
  notice(line: string): void {
    this.#line(this.out, 'notice: ', line);
  }
  debug(line: string): void {
    if (this.debugOn) this.#line(this.err, 'debug: ', line);
  }
  isDebug(): boolean {
    return this.debugOn;
  }
  async group<T>(name: string, fn: () => Promise<T>): Promise<T> {
    this.#line(this.out, '', `▸ ${name}`);
    this.#depth++;
    const t0 = Date.now();
    try {
      return await fn();
    } finally {
      this.#depth--;
      if (this.debugOn) this.#line(this.err, 'debug: ', `${name}: ${Date.now() - t0} ms`);
    }
  }
  mask(secret: string): void {
    if (!secret) return;
    for (const s of [
      secret,
      ...secret
        .split(/\r?\n/)
        .map(l => l.trim())
        .filter(l => l.length > 3)
    ])
      if (!this.#secrets.includes(s)) this.#secrets.push(s);
    // longest first, so a secret that contains another is replaced whole
    this.#secrets.sort((a, b) => b.length - a.length);
  }
  setOutput(name: string, value: string): void {
    this.outputs[name] = value;
  }
  exportVariable(name: string, value: string): void {
    if (name === 'DOCKER_CONFIG') this.info(`logout: false: DOCKER_CONFIG=${value} keeps the logins`);
  }
  saveState(state: PostState): void {
    this.state = {...state, daemonCAs: [...state.daemonCAs]};
  }
  summary(markdown: string): Promise<void> {
    this.summaryText = markdown;
    return Promise.resolve();
  }
}
