/**
 * Every input of action.yml, read and validated once, into one typed, read-only object.
 * Reading is a pure function of the environment (INPUT_* variables, as @actions/core reads them) so that tests
 * can give a plain map. Names follow docker/metadata-action, login-action and build-push-action.
 */
import {InputError} from '../errors';
import {getList} from './input-list';
import {parseRepository, Repository} from '../reference';

export type Env = Record<string, string | undefined>;

export interface Inputs {
  /** metadata-action's list inputs, split into entries */
  images: string[];
  tags: string[];
  flavor: string[];
  labels: string[];
  annotations: string[];
  sepTags: string;
  sepLabels: string;
  sepAnnotations: string;
  githubToken: string;

  /** login-action: one registry ('' = the registry of the images) */
  registry: string;
  username: string;
  password: string;
  logout: boolean;
  /** several registries: YAML list of registry/username/password[/ca-cert] */
  registryAuth: string;
  /** PEM of the CA of `registry` */
  caCert: string;
  /** hosts allowed plain HTTP besides loopback */
  insecureRegistries: string[];

  /** build-push-action, same names and meaning */
  context: string;
  file: string;
  platforms: string[];
  buildArgs: string[];
  buildContexts: string[];
  /** id=value: written to files, never argv */
  secrets: string[];
  /** id=ENV_NAME */
  secretEnvs: string[];
  /** id=path */
  secretFiles: string[];
  ssh: string[];
  target: string;
  cacheFrom: string[];
  cacheTo: string[];
  noCache: boolean;
  noCacheFilters: string[];
  pull: boolean;
  provenance: string;
  sbom: string;
  attests: string[];
  outputs: string[];
  network: string;
  addHosts: string[];
  shmSize: string;
  ulimit: string[];
  push: boolean;
  load: boolean;
  builder: string;
  /** attempts after the first for transient registry failures */
  retries: number;
  /** when the release tag (the version) already exists */
  ifExists: 'overwrite' | 'skip' | 'fail';

  /** cosign */
  sign: 'false' | 'key' | 'keyless' | 'auto';
  signPlatforms: boolean;
  signAnnotations: string[];
  cosignKey: string;
  cosignPassword: string;
  tlogUpload: boolean;
  fulcioUrl: string;
  rekorUrl: string;
  /** '' = cosign on PATH; a version or range */
  cosignVersion: string;
  cosignReleaseUrl: string;

  dryRun: boolean;
  /** publish (one job), build (a matrix leg), merge (after the legs), plan (the matrix), promote (copy by digest) */
  mode: 'publish' | 'build' | 'merge' | 'plan' | 'promote';
  /** promote: registry/repository@sha256:... */
  source: string;
  /** plan: platform=runner-label overrides */
  runners: string[];
}

/** The raw value of an input, as core.getInput reads it (trimmed unless asked not to). */
export function readInput(env: Env, name: string, trim = true): string {
  const v = env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '';
  return trim ? v.trim() : v;
}

const TRUE = ['true', 'True', 'TRUE'];
const FALSE = ['false', 'False', 'FALSE'];

export function readBoolean(env: Env, name: string, fallback: boolean): boolean {
  const v = readInput(env, name);
  if (v === '') return fallback;
  if (TRUE.includes(v)) return true;
  if (FALSE.includes(v)) return false;
  throw new InputError(name, `${name}: "${v}" is not a boolean; write true or false`);
}

function readCount(env: Env, name: string, fallback: number): number {
  const v = readInput(env, name);
  if (v === '') return fallback;
  if (!/^\d+$/.test(v) || Number(v) > 10)
    throw new InputError(name, `${name}: "${v}" is not a whole number from 0 to 10`);
  return Number(v);
}

function readChoice<T extends string>(env: Env, name: string, choices: readonly T[], fallback: T): T {
  const v = readInput(env, name);
  if (v === '') return fallback;
  if (!(choices as readonly string[]).includes(v))
    throw new InputError(name, `${name}: "${v}" is not one of ${choices.join(', ')}`);
  return v as T;
}

function separator(env: Env, name: string): string {
  const v = readInput(env, name, false);
  return v === '' ? '\n' : v;
}

export function getInputs(env: Env): Inputs {
  const list = (name: string): string[] => getList(readInput(env, name, false), {ignoreComma: true});
  const lines = (name: string): string[] =>
    readInput(env, name, false)
      .split(/\r?\n/)
      .map(s => s.trim())
      .filter(s => s !== '');

  const platforms = getList(readInput(env, 'platforms'));
  for (const p of platforms) {
    if (!/^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/.test(p)) {
      throw new InputError(
        'platforms',
        `platforms: "${p}" is not a platform; write os/arch[/variant], e.g. linux/amd64,linux/arm64`
      );
    }
  }
  const buildArgs = lines('build-args');
  for (const a of buildArgs) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(a)) {
      throw new InputError('build-args', `build-args: "${a}" is not NAME=value; write one NAME=value per line`);
    }
  }

  const inputs: Inputs = {
    images: list('images'),
    tags: list('tags'),
    flavor: list('flavor'),
    labels: list('labels'),
    annotations: list('annotations'),
    sepTags: separator(env, 'sep-tags'),
    sepLabels: separator(env, 'sep-labels'),
    sepAnnotations: separator(env, 'sep-annotations'),
    githubToken: readInput(env, 'github-token'),

    registry: readInput(env, 'registry'),
    username: readInput(env, 'username'),
    password: readInput(env, 'password', false),
    logout: readBoolean(env, 'logout', true),
    registryAuth: readInput(env, 'registry-auth', false),
    caCert: readInput(env, 'ca-cert'),
    insecureRegistries: getList(readInput(env, 'insecure-registries')),

    context: readInput(env, 'context') || '.',
    file: readInput(env, 'file'),
    platforms,
    buildArgs,
    buildContexts: lines('build-contexts'),
    secrets: getList(readInput(env, 'secrets', false), {ignoreComma: true, trimWhitespace: false}).map(s =>
      s.replace(/^\s+/, '')
    ),
    secretEnvs: lines('secret-envs'),
    secretFiles: lines('secret-files'),
    ssh: lines('ssh'),
    target: readInput(env, 'target'),
    cacheFrom: lines('cache-from'),
    cacheTo: lines('cache-to'),
    noCache: readBoolean(env, 'no-cache', false),
    noCacheFilters: getList(readInput(env, 'no-cache-filters')),
    pull: readBoolean(env, 'pull', false),
    provenance: readInput(env, 'provenance'),
    sbom: readInput(env, 'sbom'),
    attests: lines('attests'),
    outputs: lines('outputs'),
    network: readInput(env, 'network'),
    addHosts: getList(readInput(env, 'add-hosts')),
    shmSize: readInput(env, 'shm-size'),
    ulimit: lines('ulimit'),
    push: readBoolean(env, 'push', false),
    load: readBoolean(env, 'load', false),
    builder: readInput(env, 'builder'),
    retries: readCount(env, 'retries', 3),
    ifExists: readChoice(env, 'if-exists', ['overwrite', 'skip', 'fail'] as const, 'overwrite'),

    cosignKey: readInput(env, 'cosign-key', false).trim(),
    cosignPassword: readInput(env, 'cosign-password', false),
    tlogUpload: readBoolean(env, 'tlog-upload', true),
    sign: readChoice(env, 'sign', ['false', 'key', 'keyless', 'auto'] as const, 'auto'),
    signPlatforms: readBoolean(env, 'sign-platforms', false),
    signAnnotations: lines('sign-annotations'),
    fulcioUrl: readInput(env, 'fulcio-url'),
    rekorUrl: readInput(env, 'rekor-url'),
    cosignVersion: readInput(env, 'cosign-version'),
    cosignReleaseUrl: readInput(env, 'cosign-release-url'),

    dryRun: readBoolean(env, 'dry-run', false),
    mode: readChoice(env, 'mode', ['publish', 'build', 'merge', 'plan', 'promote'] as const, 'publish'),
    source: readInput(env, 'source'),
    runners: lines('runners')
  };
  if (inputs.password !== '' && inputs.username === '') {
    throw new InputError(
      'username',
      'username: a password was given without a username; set username (for GHCR: ${{ github.actor }})'
    );
  }
  const pairs: [string, string[], RegExp, string][] = [
    ['build-contexts', inputs.buildContexts, /^[^=\s]+=.+/, 'name=path-or-url'],
    ['secrets', inputs.secrets, /^[A-Za-z0-9_.-]+=/s, 'id=value'],
    ['secret-envs', inputs.secretEnvs, /^[A-Za-z0-9_.-]+=[A-Za-z_][A-Za-z0-9_]*$/, 'id=ENV_NAME'],
    ['secret-files', inputs.secretFiles, /^[A-Za-z0-9_.-]+=.+/, 'id=path']
  ];
  for (const [name, list, re, form] of pairs) {
    for (const item of list) {
      if (!re.test(item)) {
        const shown = name === 'secrets' ? `${item.split('=')[0]}…` : item;
        throw new InputError(name, `${name}: "${shown}" is not ${form}; write one ${form} per line`);
      }
    }
  }
  if (inputs.mode === 'promote' && inputs.source === '')
    throw new InputError(
      'source',
      'source: mode promote needs the image to copy, as registry/repository@sha256:<digest>'
    );
  if (inputs.mode !== 'promote' && inputs.source !== '')
    throw new InputError('source', `source: only mode promote takes a source (mode is ${inputs.mode})`);
  if (inputs.mode === 'build' && inputs.platforms.length !== 1) {
    throw new InputError(
      'platforms',
      `platforms: mode build builds one leg: give exactly one platform (from the matrix, e.g. \${{ matrix.platform }}); got ${inputs.platforms.length}`
    );
  }
  for (const a of inputs.signAnnotations) {
    if (!/^[^=\s]+=/.test(a))
      throw new InputError(
        'sign-annotations',
        `sign-annotations: "${a}" is not key=value; write one key=value per line`
      );
  }
  if (inputs.sign === 'key' && inputs.cosignKey === '') {
    throw new InputError(
      'cosign-key',
      'cosign-key: sign is key but no cosign-key was given; pass the private key (PEM, from a secret) or a KMS URI'
    );
  }
  if (inputs.outputs.length && inputs.push) {
    throw new InputError(
      'outputs',
      'outputs: cannot be combined with push: true (publish-image pushes the image itself, by digest); drop outputs, or set push: false'
    );
  }
  if (inputs.caCert !== '' && !inputs.caCert.includes('-----BEGIN CERTIFICATE-----')) {
    throw new InputError(
      'ca-cert',
      'ca-cert: expected a PEM certificate (-----BEGIN CERTIFICATE----- ...); pass the file content, not its path'
    );
  }
  if (inputs.cosignPassword !== '' && inputs.cosignKey === '') {
    throw new InputError(
      'cosign-key',
      'cosign-key: cosign-password was given but no cosign-key; pass the private key (PEM) from a secret'
    );
  }
  return Object.freeze(inputs);
}

/** The enabled target repositories, from the metadata engine's lower-cased image names. */
export function targetRepositories(images: readonly string[]): Repository[] {
  const seen = new Map<string, Repository>();
  for (const image of images) {
    const r = parseRepository(image);
    if (typeof r === 'string') throw new InputError('images', `images: ${r}`);
    seen.set(`${r.registry}/${r.path}`, r);
  }
  return [...seen.values()];
}
