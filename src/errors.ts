/** Bad configuration: names the input and says what is accepted. Nothing has been done when it is thrown. */
export class InputError extends Error {
  constructor(
    public readonly input: string,
    message: string
  ) {
    super(message.startsWith(input) ? message : `${input}: ${message}`);
    this.name = 'InputError';
  }
}

/** Every problem found in the configuration, reported together. Nothing has been done when it is thrown. */
export class ConfigError extends Error {
  constructor(public readonly errors: readonly InputError[]) {
    super(
      errors.length === 1
        ? (errors[0]?.message ?? '')
        : `${errors.length} problems in the configuration:\n${errors.map(e => `- ${e.message}`).join('\n')}`
    );
    this.name = 'ConfigError';
  }

  /** the inputs named, in order, once each */
  get inputs(): string[] {
    return [...new Set(this.errors.map(e => e.input))];
  }
}

/**
 * An external tool failed. The message leads with what failed and the tool's last lines, then the hint; the full
 * command line comes last (it can be long). `args` are already free of secrets (secrets never reach argv).
 */
export class CommandError extends Error {
  constructor(
    public readonly command: string,
    public readonly args: readonly string[],
    public readonly exitCode: number,
    public readonly stderrTail: string,
    public readonly hint = '',
    /** what failed, in words (default: the command and its subcommand) */
    public readonly what = ''
  ) {
    // the subcommand: the words before the first flag (docker buildx build, cosign public-key)
    const firstFlag = args.findIndex(a => a.startsWith('-'));
    const sub = args.slice(0, Math.min(2, firstFlag < 0 ? args.length : firstFlag)).join(' ');
    super(
      `${what || `${command} ${sub}`.trim()} failed with exit code ${exitCode}` +
        (stderrTail ? `:\n${stderrTail}` : '') +
        (hint ? `\n${hint}` : '') +
        `\ncommand: ${command} ${args.join(' ')}`
    );
    this.name = 'CommandError';
  }
}

/** A failure of a whole phase, with the phase's own explanation of what to check. */
export class PhaseError extends Error {
  constructor(
    public readonly phase: string,
    message: string
  ) {
    super(message);
    this.name = 'PhaseError';
  }
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
