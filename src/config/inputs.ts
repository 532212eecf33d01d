/**
 * Every input of action.yml, parsed and validated once, into one typed, read-only Config. Pure: a host hands in
 * the raw settings by input name (the GitHub host from INPUT_* variables, the CLI from flags and PUBLISH_IMAGE_*
 * variables), and every problem is reported together (ConfigError) before any tool runs. Names follow
 * docker/metadata-action, login-action and build-push-action.
 */
import {ConfigError, InputError} from '../errors';
import {getList} from './input-list';
import {isLoopbackHost, parseRepository, Repository} from '../reference';
import {parseFlavor} from '../meta/flavor';
import {parseImages} from '../meta/images';
import {parseTags} from '../meta/tags';
import {parseRegistryAuth, parseInsecureRegistries, RegistryAuth} from './registry-auth';
import {parseRunners} from '../plan/matrix';
import {releaseFor} from '../tools/cosign/install';
import {INPUTS} from './spec';
import {editDistance, platformProblem} from './platforms';
import {compileMatch, parseDuration, parseKeep} from './retention';
import {SEVERITIES} from '../tools/trivy/trivy';

export type Env = Record<string, string | undefined>;

/** Raw settings by input name (e.g. raw['cache-from']), as strings; a missing name reads as ''. */
export type RawInputs = Readonly<Record<string, string | undefined>>;

/** The raw inputs the GitHub runner passes: INPUT_<NAME> (spaces as _, upper-cased, hyphens kept). */
export function fromActionsEnv(env: Env): Record<string, string> {
  const raw: Record<string, string> = {};
  for (const i of INPUTS) {
    const v = env[`INPUT_${i.name.replace(/ /g, '_').toUpperCase()}`];
    if (v !== undefined) raw[i.name] = v;
  }
  return raw;
}

/** INPUT_* variables that name no input of action.yml (a typo such as `platform` for `platforms`). */
export function unknownActionsInputs(env: Env): string[] {
  const known = new Set(INPUTS.map(i => `INPUT_${i.name.toUpperCase()}`));
  return Object.keys(env)
    .filter(k => k.startsWith('INPUT_') && !known.has(k))
    .map(k => k.slice('INPUT_'.length).toLowerCase());
}

/** The closest input name to a mistyped one (edit distance at most 3), for "did you mean". */
export function closestInput(name: string): string | undefined {
  let best: [string, number] | undefined;
  for (const i of INPUTS) {
    const d = editDistance(name, i.name);
    if (d <= 3 && (!best || d < best[1])) best = [i.name, d];
  }
  return best?.[0];
}

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
  /** SHA-256 of a cosign release the step's table does not list ('' = the table's) */
  cosignSha256: string;

  dryRun: boolean;
  /**
   * publish (one job), build (a matrix leg), merge (after the legs), plan (the matrix), promote (copy by digest),
   * prune (retention)
   */
  mode: Mode;
  /** promote: registry/repository@sha256:... */
  source: string;
  /** plan: platform=runner-label overrides */
  runners: string[];

  /** `sh -c` command run per repository after the push and signing, before any tag moves ('' = none) */
  gate: string;
  /** '' or trivy: a gate of its own, run before `gate` */
  scan: '' | 'trivy';
  scanSeverity: string[];
  /** mode prune: a regular expression over tag names, as written */
  pruneMatch: string;
  pruneKeep: number;
  /** mode prune: as written, e.g. 30d ('' = no age limit) */
  pruneOlderThan: string;
  /** push and sign on pull_request_target and fork pull requests */
  allowUntrustedEvents: boolean;
}

export const MODES = ['publish', 'build', 'merge', 'plan', 'promote', 'prune'] as const;
export type Mode = (typeof MODES)[number];

/** The validated configuration: the inputs, plus what they parse into (each parsed once, here). */
export interface Config extends Inputs {
  /** registry-auth entries (passwords included: never printed) */
  registryAuthEntries: RegistryAuth[];
  /** insecure-registries as canonical hosts */
  insecureHosts: string[];
  /** runners as platform -> label */
  runnerLabels: Record<string, string>;
  /** cosign-version's release to download ('' = cosign on PATH) */
  cosignRelease: string;
  /** mode prune: prune-match compiled (undefined in other modes) */
  pruneMatchRe?: RegExp;
  /** mode prune: prune-older-than in ms (undefined: no age limit) */
  pruneOlderThanMs?: number;
}

/** The raw value of an input, as core.getInput reads it (trimmed unless asked not to). */
export function readInput(raw: RawInputs, name: string, trim = true): string {
  const v = raw[name] ?? '';
  return trim ? v.trim() : v;
}

const TRUE = ['true', 'True', 'TRUE'];
const FALSE = ['false', 'False', 'FALSE'];

export function readBoolean(env: RawInputs, name: string, fallback: boolean): boolean {
  const v = readInput(env, name);
  if (v === '') return fallback;
  if (TRUE.includes(v)) return true;
  if (FALSE.includes(v)) return false;
  throw new InputError(name, `${name}: "${v}" is not a boolean; write true or false`);
}

function readCount(env: RawInputs, name: string, fallback: number): number {
  const v = readInput(env, name);
  if (v === '') return fallback;
  if (!/^\d+$/.test(v) || Number(v) > 10)
    throw new InputError(name, `${name}: "${v}" is not a whole number from 0 to 10`);
  return Number(v);
}

function readChoice<T extends string>(env: RawInputs, name: string, choices: readonly T[], fallback: T): T {
  const v = readInput(env, name);
  if (v === '') return fallback;
  if (!(choices as readonly string[]).includes(v))
    throw new InputError(name, `${name}: "${v}" is not one of ${choices.join(', ')}`);
  return v as T;
}

function separator(env: RawInputs, name: string): string {
  const v = readInput(env, name, false);
  return v === '' ? '\n' : v;
}

/**
 * Parses and validates every input. Every problem is collected, and all of them are thrown together as one
 * ConfigError, so a user fixes the configuration in one round.
 */
export function parseConfig(raw: RawInputs): Config {
  const errors: InputError[] = [];
  /** runs a check or a parse; an InputError is recorded and `fallback` stands in for the value */
  function check<T>(fn: () => T, fallback: T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof InputError) {
        errors.push(e);
        return fallback;
      }
      throw e;
    }
  }
  const fail = (input: string, message: string): void => void errors.push(new InputError(input, message));
  const list = (name: string): string[] => getList(readInput(raw, name, false), {ignoreComma: true});
  const lines = (name: string): string[] =>
    readInput(raw, name, false)
      .split(/\r?\n/)
      .map(s => s.trim())
      .filter(s => s !== '');
  const bool = (name: string, fallback: boolean): boolean => check(() => readBoolean(raw, name, fallback), fallback);

  const platforms = getList(readInput(raw, 'platforms'));
  for (const p of platforms) {
    const problem = platformProblem(p);
    if (problem) fail('platforms', problem);
  }
  const buildArgs = lines('build-args');
  for (const a of buildArgs) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(a))
      fail('build-args', `build-args: "${a}" is not NAME=value; write one NAME=value per line`);
  }

  const inputs: Inputs = {
    images: list('images'),
    tags: list('tags'),
    flavor: list('flavor'),
    labels: list('labels'),
    annotations: list('annotations'),
    sepTags: separator(raw, 'sep-tags'),
    sepLabels: separator(raw, 'sep-labels'),
    sepAnnotations: separator(raw, 'sep-annotations'),
    githubToken: readInput(raw, 'github-token'),

    registry: readInput(raw, 'registry'),
    username: readInput(raw, 'username'),
    password: readInput(raw, 'password', false),
    logout: bool('logout', true),
    registryAuth: readInput(raw, 'registry-auth', false),
    caCert: readInput(raw, 'ca-cert'),
    insecureRegistries: getList(readInput(raw, 'insecure-registries')),

    context: readInput(raw, 'context') || '.',
    file: readInput(raw, 'file'),
    platforms,
    buildArgs,
    buildContexts: lines('build-contexts'),
    secrets: getList(readInput(raw, 'secrets', false), {ignoreComma: true, trimWhitespace: false}).map(s =>
      s.replace(/^\s+/, '')
    ),
    secretEnvs: lines('secret-envs'),
    secretFiles: lines('secret-files'),
    ssh: lines('ssh'),
    target: readInput(raw, 'target'),
    cacheFrom: lines('cache-from'),
    cacheTo: lines('cache-to'),
    noCache: bool('no-cache', false),
    noCacheFilters: getList(readInput(raw, 'no-cache-filters')),
    pull: bool('pull', false),
    provenance: readInput(raw, 'provenance'),
    sbom: readInput(raw, 'sbom'),
    attests: lines('attests'),
    outputs: lines('outputs'),
    network: readInput(raw, 'network'),
    addHosts: getList(readInput(raw, 'add-hosts')),
    shmSize: readInput(raw, 'shm-size'),
    ulimit: lines('ulimit'),
    push: bool('push', false),
    load: bool('load', false),
    builder: readInput(raw, 'builder'),
    retries: check(() => readCount(raw, 'retries', 3), 3),
    ifExists: check(
      () => readChoice(raw, 'if-exists', ['overwrite', 'skip', 'fail'] as const, 'overwrite'),
      'overwrite'
    ),

    cosignKey: readInput(raw, 'cosign-key', false).trim(),
    cosignPassword: readInput(raw, 'cosign-password', false),
    tlogUpload: bool('tlog-upload', true),
    sign: check(() => readChoice(raw, 'sign', ['false', 'key', 'keyless', 'auto'] as const, 'auto'), 'auto'),
    signPlatforms: bool('sign-platforms', false),
    signAnnotations: lines('sign-annotations'),
    fulcioUrl: readInput(raw, 'fulcio-url'),
    rekorUrl: readInput(raw, 'rekor-url'),
    cosignVersion: readInput(raw, 'cosign-version'),
    cosignReleaseUrl: readInput(raw, 'cosign-release-url'),
    cosignSha256: readInput(raw, 'cosign-sha256').toLowerCase(),

    dryRun: bool('dry-run', false),
    mode: check(() => readChoice(raw, 'mode', MODES, 'publish'), 'publish'),
    source: readInput(raw, 'source'),
    runners: lines('runners'),

    gate: readInput(raw, 'gate'),
    scan: check(() => {
      const v = readInput(raw, 'scan');
      if (v !== '' && v !== 'trivy')
        throw new InputError(
          'scan',
          `scan: "${v}" is not a scanner this action runs; write trivy (or leave scan empty and run yours in gate)`
        );
      return v;
    }, ''),
    scanSeverity: getList(readInput(raw, 'scan-severity') || 'CRITICAL,HIGH').map(s => s.toUpperCase()),
    pruneMatch: readInput(raw, 'prune-match'),
    pruneKeep: check(() => {
      const keep = parseKeep(readInput(raw, 'prune-keep') || '10');
      if (typeof keep === 'string') throw new InputError('prune-keep', `prune-keep: ${keep}`);
      return keep;
    }, 10),
    pruneOlderThan: readInput(raw, 'prune-older-than'),
    allowUntrustedEvents: bool('allow-untrusted-events', false)
  };
  if (inputs.password !== '' && inputs.username === '')
    fail('username', 'username: a password was given without a username; set username (for GHCR: ${{ github.actor }})');
  const pairs: [string, string[], RegExp, string][] = [
    ['build-contexts', inputs.buildContexts, /^[^=\s]+=.+/, 'name=path-or-url'],
    ['secrets', inputs.secrets, /^[A-Za-z0-9_.-]+=/s, 'id=value'],
    ['secret-envs', inputs.secretEnvs, /^[A-Za-z0-9_.-]+=[A-Za-z_][A-Za-z0-9_]*$/, 'id=ENV_NAME'],
    ['secret-files', inputs.secretFiles, /^[A-Za-z0-9_.-]+=.+/, 'id=path']
  ];
  for (const [name, items, re, form] of pairs) {
    for (const item of items) {
      if (!re.test(item)) {
        const shown = name === 'secrets' ? `${item.split('=')[0]}…` : item;
        fail(name, `${name}: "${shown}" is not ${form}; write one ${form} per line`);
      }
    }
  }
  if (inputs.mode === 'promote' && inputs.source === '')
    fail('source', 'source: mode promote needs the image to copy, as registry/repository@sha256:<digest>');
  if (inputs.mode !== 'promote' && inputs.source !== '')
    fail('source', `source: only mode promote takes a source (mode is ${inputs.mode})`);
  if (inputs.mode === 'promote' && inputs.source !== '') check(() => parseSource(inputs.source), undefined);
  if (inputs.mode === 'build' && inputs.platforms.length !== 1)
    fail(
      'platforms',
      `platforms: mode build builds one leg: give exactly one platform (from the matrix, e.g. \${{ matrix.platform }}); got ${inputs.platforms.length}`
    );
  for (const a of inputs.signAnnotations) {
    if (!/^[^=\s]+=/.test(a))
      fail('sign-annotations', `sign-annotations: "${a}" is not key=value; write one key=value per line`);
  }
  if (inputs.sign === 'key' && inputs.cosignKey === '')
    fail(
      'cosign-key',
      'cosign-key: sign is key but no cosign-key was given; pass the private key (PEM, from a secret) or a KMS URI'
    );
  if (inputs.outputs.length && inputs.push)
    fail(
      'outputs',
      'outputs: cannot be combined with push: true (publish-image pushes the image itself, by digest); drop outputs, or set push: false'
    );
  if (inputs.caCert !== '' && !inputs.caCert.includes('-----BEGIN CERTIFICATE-----'))
    fail(
      'ca-cert',
      'ca-cert: expected a PEM certificate (-----BEGIN CERTIFICATE----- ...); pass the file content, not its path'
    );
  if (inputs.cosignPassword !== '' && inputs.cosignKey === '')
    fail(
      'cosign-key',
      'cosign-key: cosign-password was given but no cosign-key; pass the private key (PEM) from a secret'
    );

  if (inputs.cosignReleaseUrl) {
    let u: URL | undefined;
    try {
      u = new URL(inputs.cosignReleaseUrl);
    } catch {
      u = undefined;
    }
    if (!u || !(u.protocol === 'https:' || (u.protocol === 'http:' && isLoopbackHost(u.host))))
      fail(
        'cosign-release-url',
        `cosign-release-url: "${inputs.cosignReleaseUrl}" is not an https URL; the binary that gets the signing key is downloaded over https only (plain http only from a loopback mirror)`
      );
  }
  if (inputs.cosignSha256 && !/^[0-9a-f]{64}$/.test(inputs.cosignSha256))
    fail(
      'cosign-sha256',
      `cosign-sha256: "${inputs.cosignSha256}" is not a SHA-256 (64 hex digits); copy the line for cosign-linux-<arch> from the release's cosign_checksums.txt`
    );
  if (inputs.cosignSha256 && !inputs.cosignVersion)
    fail(
      'cosign-sha256',
      'cosign-sha256: given without cosign-version; name the release it is the checksum of (cosign-version: 2.6.1)'
    );
  for (const sev of inputs.scanSeverity)
    if (!(SEVERITIES as readonly string[]).includes(sev))
      fail(
        'scan-severity',
        `scan-severity: "${sev}" is not a severity; write a comma-separated list of ${SEVERITIES.join(', ')}`
      );
  for (const [name, given] of [
    ['gate', inputs.gate !== ''],
    ['scan', inputs.scan !== '']
  ] as const)
    if (given && !['publish', 'merge', 'promote'].includes(inputs.mode))
      fail(
        name,
        `${name}: mode ${inputs.mode} moves no tag, so there is nothing to gate; put it on the step that tags (mode publish, merge or promote)`
      );
  let pruneMatchRe: RegExp | undefined;
  let pruneOlderThanMs: number | undefined;
  if (inputs.mode === 'prune') {
    const match = compileMatch(inputs.pruneMatch);
    if (typeof match === 'string') fail('prune-match', `prune-match: ${match}`);
    else pruneMatchRe = match;
    const ms = inputs.pruneOlderThan ? parseDuration(inputs.pruneOlderThan) : undefined;
    if (typeof ms === 'string') fail('prune-older-than', `prune-older-than: ${ms}`);
    else pruneOlderThanMs = ms;
  } else {
    for (const [name, v] of [
      ['prune-match', inputs.pruneMatch],
      ['prune-older-than', inputs.pruneOlderThan]
    ] as const)
      if (v)
        fail(
          name,
          `${name}: only mode prune takes ${name} (mode is ${inputs.mode}); set mode: prune in a step of its own`
        );
  }

  // what the inputs parse into, each parsed once, here: the metadata rules, the registry list, the cosign release
  check(() => parseTags(inputs.tags), []);
  check(() => parseFlavor(inputs.flavor), undefined);
  check(() => parseImages(inputs.images), []);
  const config: Config = {
    ...inputs,
    registryAuthEntries: check(() => parseRegistryAuth(inputs.registryAuth), []),
    insecureHosts: check(() => parseInsecureRegistries(inputs.insecureRegistries), []),
    runnerLabels: check(() => parseRunners(inputs.runners), {}),
    cosignRelease: inputs.cosignVersion ? check(() => releaseFor(inputs.cosignVersion), '') : '',
    pruneMatchRe,
    pruneOlderThanMs
  };
  if (errors.length) throw new ConfigError(errors);
  return Object.freeze(config);
}

/** promote's source: registry/repository@sha256:<64 hex>. */
export interface Source {
  repo: Repository;
  digest: string;
  ref: string;
}

export function parseSource(source: string): Source {
  const m = /^(.+)@(sha256:[a-f0-9]{64})$/.exec(source.trim());
  const repo = m ? parseRepository(m[1] ?? '') : 'no digest';
  if (!m || typeof repo === 'string') {
    throw new InputError(
      'source',
      `source: "${source}" is not registry/repository@sha256:<64 hex>; promote copies an image by its digest`
    );
  }
  return {repo, digest: m[2] ?? '', ref: source.trim()};
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
