/**
 * The CLI's settings: every action input is a flag `--<input> VALUE` or `--<input>=VALUE` (a repeated flag adds a
 * line, as list inputs take one entry per line; a boolean alone means true), with the environment fallback
 * PUBLISH_IMAGE_<INPUT upper-cased, '-' as '_'>. Flags win over the environment, the environment over action.yml's
 * defaults. Pure.
 */
import {closestInput} from '../../config/inputs';
import {INPUTS, InputSpec, OUTPUTS} from '../../config/spec';

type Env = Record<string, string | undefined>;

export interface CliOptions {
  /** settings by input name */
  raw: Record<string, string>;
  /** dotenv lines PUBLISH_IMAGE_<OUTPUT>=value (GitLab's artifacts:reports:dotenv) */
  outputFile: string;
  /** every output under its action output name */
  jsonFile: string;
  help: boolean;
  version: boolean;
  debug: boolean;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function envName(input: string): string {
  return `PUBLISH_IMAGE_${input.toUpperCase().replace(/-/g, '_')}`;
}

const SPEC = new Map(INPUTS.map(i => [i.name, i]));
const OWN = ['output-file', 'json', 'help', 'version', 'debug'];

export function parseArgs(argv: readonly string[], env: Env): CliOptions {
  const fromFlags = new Map<string, string[]>();
  const own: Record<string, string> = {};
  const problems: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '-h') {
      own['help'] = 'true';
      continue;
    }
    if (!arg.startsWith('--')) {
      problems.push(`unexpected argument "${arg}": every setting is a flag, e.g. --images ghcr.io/owner/app`);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const spec: InputSpec | undefined = SPEC.get(name);
    const boolish = spec?.kind === 'boolean' || name === 'help' || name === 'version' || name === 'debug';
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else if (boolish && (i + 1 >= argv.length || !/^(true|false|True|False|TRUE|FALSE)$/.test(argv[i + 1] ?? '')))
      value = 'true';
    else if (i + 1 < argv.length) value = argv[++i] ?? '';
    else {
      problems.push(`--${name} needs a value`);
      continue;
    }
    if (OWN.includes(name)) {
      own[name] = value;
      continue;
    }
    if (!spec) {
      const near = closestInput(name);
      problems.push(
        `unknown flag --${name}${near ? `: did you mean --${near}?` : ''} (publish-image --help lists them)`
      );
      continue;
    }
    fromFlags.set(name, [...(fromFlags.get(name) ?? []), value]);
  }
  if (problems.length) throw new UsageError(problems.join('\n'));

  const raw: Record<string, string> = {};
  for (const i of INPUTS) {
    const flag = fromFlags.get(i.name);
    const fromEnv = env[envName(i.name)];
    if (flag) raw[i.name] = flag.join('\n');
    else if (fromEnv !== undefined) raw[i.name] = fromEnv;
    else if (i.default !== '') raw[i.name] = i.default;
  }
  const truthy = (v: string | undefined): boolean => v !== undefined && !/^(false|0|)$/i.test(v);
  return {
    raw,
    outputFile: own['output-file'] ?? env['PUBLISH_IMAGE_OUTPUT_FILE'] ?? '',
    jsonFile: own['json'] ?? env['PUBLISH_IMAGE_JSON'] ?? '',
    help: truthy(own['help']),
    version: truthy(own['version']),
    debug: truthy(own['debug']) || truthy(env['PUBLISH_IMAGE_DEBUG'])
  };
}

/** `PUBLISH_IMAGE_<OUTPUT>=value` lines: multi-line values joined with commas, so each output is one line. */
export function dotenv(outputs: Record<string, string>): string {
  return Object.entries(outputs)
    .map(
      ([k, v]) =>
        `PUBLISH_IMAGE_${k.toUpperCase().replace(/[^A-Z0-9]/g, '_')}=${v.split(/\r?\n/).filter(Boolean).join(',')}`
    )
    .join('\n')
    .concat('\n');
}

export function helpText(): string {
  const width = Math.max(...INPUTS.map(i => i.name.length)) + 4;
  const lines = [
    'publish-image: compute tags, log in, build with docker buildx, push without half-publishing, sign with cosign.',
    '',
    'Usage: publish-image [--<input> VALUE | --<input>=VALUE]... [--output-file FILE] [--json FILE]',
    '',
    'Every input of the GitHub Action is a flag; a repeated flag adds a line (list inputs take one entry per line);',
    'a boolean flag alone means true (--push, --push=false). Each falls back to PUBLISH_IMAGE_<INPUT> in the',
    'environment (e.g. PUBLISH_IMAGE_COSIGN_PASSWORD). In GitLab CI the context comes from CI_* variables, and',
    'images/registry/username/password default to CI_REGISTRY_IMAGE/CI_REGISTRY/CI_REGISTRY_USER/CI_REGISTRY_PASSWORD;',
    'elsewhere from the local git repository.',
    '',
    'Options:',
    `  ${'--output-file FILE'.padEnd(width)}write outputs as dotenv lines PUBLISH_IMAGE_<OUTPUT>=value (artifacts:reports:dotenv)`,
    `  ${'--json FILE'.padEnd(width)}write every output as one JSON object`,
    `  ${'--debug'.padEnd(width)}log every command and registry exchange (never a secret)`,
    `  ${'--help, --version'.padEnd(width)}`,
    '',
    'Inputs:'
  ];
  for (const i of INPUTS) {
    const def = i.default ? ` (default: ${i.default.trim().split('\n').join(', ')})` : '';
    lines.push(`  --${i.name.padEnd(width - 2)}${i.description}${def}`);
  }
  lines.push('', `Outputs: ${OUTPUTS.map(o => o.name).join(', ')}`, '');
  return lines.join('\n');
}
