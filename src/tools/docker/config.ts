/**
 * Registry logins, kept in a Docker config directory of the step's own (DOCKER_CONFIG under RUNNER_TEMP, mode
 * 0700), so credentials never touch ~/.docker and are removed by the post step. Passwords reach `docker login`
 * on stdin only.
 */
import {createHash} from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {Runner} from '../exec';

export interface Credential {
  registry: string;
  username: string;
  password: string;
}

/** The job's Docker config directory, as docker finds it: DOCKER_CONFIG, else ~/.docker. */
export function jobConfigDir(env: Record<string, string | undefined>): string {
  return env['DOCKER_CONFIG'] || path.join(env['HOME'] || os.homedir(), '.docker');
}

/** buildx keeps its builders under the config directory, or in BUILDX_CONFIG: the job's (setup-buildx-action's). */
export function buildxConfigDir(env: Record<string, string | undefined>): string {
  return env['BUILDX_CONFIG'] || path.join(jobConfigDir(env), 'buildx');
}

/** The step's own buildx state: a copy of the job's builders, in the step's config directory (BUILDX_CONFIG for tools). */
export function privateBuildxDir(configDir: string): string {
  return path.join(configDir, 'buildx');
}

/** buildx state that is history, not configuration: per-build records and activity times, never needed to use a builder. */
const BUILDX_HISTORY = new Set(['refs', 'activity']);

export interface CarryStep {
  /** copy: the tree is copied (the step may write into its copy); link: a symlink to the job's (read only) */
  op: 'copy' | 'link';
  from: string;
  to: string;
}

/**
 * What of the job's Docker config the step's private one carries besides config.json, as docker and buildx read it:
 * `contexts/` (docker contexts: meta and TLS files; `currentContext` is in config.json) copied; `cli-plugins/` (a buildx
 * installed by setup-buildx-action) linked, as docker only reads it; buildx's state (builders, the current one,
 * defaults, certificates) copied from BUILDX_CONFIG or the config's `buildx/`, without its history. Pure: `present`
 * lists the job config directory's entries, `buildxEntries` those of the buildx directory.
 */
export function carryPlan(
  dir: string,
  env: Record<string, string | undefined>,
  present: readonly string[],
  buildxEntries: readonly string[]
): CarryStep[] {
  const job = jobConfigDir(env);
  const steps: CarryStep[] = [];
  if (present.includes('contexts'))
    steps.push({op: 'copy', from: path.join(job, 'contexts'), to: path.join(dir, 'contexts')});
  if (present.includes('cli-plugins'))
    steps.push({op: 'link', from: path.join(job, 'cli-plugins'), to: path.join(dir, 'cli-plugins')});
  const bx = buildxConfigDir(env);
  for (const e of buildxEntries)
    if (!BUILDX_HISTORY.has(e))
      steps.push({op: 'copy', from: path.join(bx, e), to: path.join(privateBuildxDir(dir), e)});
  return steps;
}

/** Where docker keeps a context's metadata: contexts/meta/<sha256 of the name>/meta.json. */
export function contextMetaFile(configDir: string, name: string): string {
  return path.join(configDir, 'contexts', 'meta', createHash('sha256').update(name).digest('hex'), 'meta.json');
}

/**
 * The environment that makes a builder which names a docker context work: buildx's docker driver takes a context as
 * `--builder` only when it is the current one ("use `docker --context=NAME buildx`"), so the tools run with
 * DOCKER_CONTEXT=NAME. Nothing when a buildx builder of that name exists (buildx prefers it) or no such context does.
 */
export function builderContextEnv(configDir: string, builder: string | undefined): Record<string, string> {
  if (!builder || builder === 'default') return {};
  if (fs.existsSync(path.join(privateBuildxDir(configDir), 'instances', builder))) return {};
  return fs.existsSync(contextMetaFile(configDir, builder)) ? {DOCKER_CONTEXT: builder} : {};
}

function entries(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * Creates the private config directory, seeded with the existing config (earlier logins keep working), the job's
 * docker contexts, its CLI plugins and its buildx builders (carryPlan). Nothing is ever written into the job's config:
 * what the step may change is a copy.
 */
export function createDockerConfig(dir: string, env: Record<string, string | undefined>): string {
  fs.mkdirSync(dir, {recursive: true, mode: 0o700});
  fs.chmodSync(dir, 0o700);
  const job = jobConfigDir(env);
  const existing = path.join(job, 'config.json');
  let seed = '{}';
  try {
    JSON.parse(fs.readFileSync(existing, 'utf8'));
    seed = fs.readFileSync(existing, 'utf8');
  } catch {
    // no usable config: start empty
  }
  fs.writeFileSync(path.join(dir, 'config.json'), seed, {mode: 0o600});
  // the job's config may be the step's own (DOCKER_CONFIG of an earlier run with logout: false): nothing to carry then
  if (path.resolve(job) === path.resolve(dir)) return dir;
  for (const step of carryPlan(dir, env, entries(job), entries(buildxConfigDir(env)))) {
    try {
      fs.mkdirSync(path.dirname(step.to), {recursive: true, mode: 0o700});
      if (step.op === 'link') fs.symlinkSync(step.from, step.to);
      else fs.cpSync(step.from, step.to, {recursive: true, dereference: true, preserveTimestamps: true});
    } catch {
      // an unreadable part of the job's config (a dangling link, a lock held elsewhere) only costs what it held
    }
  }
  return dir;
}

export function loginHint(registry: string, output: string): string {
  const o = output.toLowerCase();
  if (/unauthorized|incorrect username or password|401|authentication required/.test(o)) {
    const ghcr =
      registry === 'ghcr.io'
        ? ' For GHCR use a token with packages: write (the workflow token needs `permissions: packages: write`).'
        : '';
    return `Check username and password for ${registry}: the registry refused them.${ghcr}`;
  }
  if (/x509|certificate/.test(o)) return `The TLS certificate of ${registry} is not trusted: pass its CA in ca-cert.`;
  if (/connection refused|no such host|timeout|i\/o timeout/.test(o))
    return `Could not reach ${registry}: check the host name and port, and that the registry is up.`;
  if (/server gave http response to https client/.test(o))
    return `${registry} speaks plain HTTP: name it in insecure-registries.`;
  return `Check the registry address ${registry} and the credentials for it.`;
}

/** The key docker keeps a registry's login under in config.json (Docker Hub's is its v1 index URL). */
export function authKey(registry: string): string {
  return registry === 'docker.io' ? 'https://index.docker.io/v1/' : registry;
}

/**
 * Logs in the way `docker login` does with the file store: the credential goes into the step's own config.json
 * (`auths`, mode 0600), after preflight has tried it against the registry. No process, no password on any argv or
 * stdin, and never into a credential helper or desktop keyring of the machine (docker would pick one on PATH, such
 * as secretservice or pass, when the config holds no auths yet, and fail without a desktop session).
 */
export function storeLogin(configDir: string, cred: Credential): void {
  const file = path.join(configDir, 'config.json');
  let doc: {
    auths?: Record<string, {auth?: string}>;
    credsStore?: string;
    credHelpers?: Record<string, string>;
  } & Record<string, unknown> = {};
  try {
    doc = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof doc;
  } catch {
    // a missing or broken file: start from an empty one
  }
  const key = authKey(cred.registry);
  doc.auths = {
    ...(doc.auths ?? {}),
    [key]: {auth: Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}
  };
  // the config may name a store or helper (copied from the job's): docker, buildx and cosign would ask it and ignore
  // this entry. An empty credHelpers entry is docker's way to say "the file" for one registry: the step's login is
  // used, and the runner's shared store is neither read nor written for it.
  if (doc.credsStore || doc.credHelpers?.[key] !== undefined) doc.credHelpers = {...(doc.credHelpers ?? {}), [key]: ''};
  fs.writeFileSync(file, JSON.stringify(doc, null, 2), {mode: 0o600});
  fs.chmodSync(file, 0o600);
}

/** Removes the step's config directory, and with it every login the step made; never throws. */
export function removeDockerConfig(configDir: string): string[] {
  try {
    fs.rmSync(configDir, {recursive: true, force: true});
    return [];
  } catch (e) {
    return [`could not remove ${configDir}: ${(e as Error).message}`];
  }
}

/**
 * Makes the daemon trust a registry's CA, for that host only: certs.d/<host>/publish-image-<hash>.crt. Uses sudo -n where the
 * directory is not writable (GitHub-hosted runners). Returns the file written, for the post step to remove.
 */
export async function installDaemonCA(
  runner: Runner,
  host: string,
  pem: string,
  certsDir = '/etc/docker/certs.d'
): Promise<string> {
  // The daemon loads every *.crt of the directory: a file of our own never replaces one that was there.
  const file = path.join(
    certsDir,
    host,
    `publish-image-${createHash('sha256').update(pem).digest('hex').slice(0, 12)}.crt`
  );
  if (fs.existsSync(file)) return '';
  try {
    fs.mkdirSync(path.dirname(file), {recursive: true});
    fs.writeFileSync(file, pem.endsWith('\n') ? pem : `${pem}\n`, {mode: 0o644});
  } catch (e) {
    if ((e as {code?: string}).code !== 'EACCES' && (e as {code?: string}).code !== 'EPERM') throw e;
    await runner.run('sudo', ['-n', 'install', '-D', '-m', '0644', '/dev/stdin', file], {
      input: pem,
      hint: () =>
        `Could not write ${file}: the daemon trusts a registry CA only from there; run the step where sudo works without a password, or install the CA beforehand.`
    });
  }
  return file;
}

export async function removeDaemonCA(runner: Runner, file: string): Promise<void> {
  try {
    fs.rmSync(file, {force: true});
    if (fs.readdirSync(path.dirname(file)).length === 0) fs.rmdirSync(path.dirname(file));
  } catch {
    await runner.run('sudo', ['-n', 'rm', '-f', file], {allowFailure: true}).catch(() => undefined);
  }
}
