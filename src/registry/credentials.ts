/**
 * Credentials for a registry, in the order the step promises: the step's inputs (registry/username/password),
 * then registry-auth (both already merged by registry-auth.ts), then the job's existing Docker config: its
 * `credHelpers` entry for the host, `credsStore`, or `auths` (docker/login-action, amazon-ecr-login, gcloud ...).
 * Helpers run through the real `docker-credential-<name> get` protocol: the server URL on stdin, JSON on stdout.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {jobConfigDir} from '../tools/docker/config';
import {Runner} from '../tools/exec';
import {canonicalRegistry, DOCKER_HUB} from '../reference';

export interface Credential {
  username: string;
  password: string;
  /** an OAuth2 refresh token (docker's identitytoken), used at the token service instead of a password */
  identityToken?: string;
  /** where it came from, for the log: "inputs", "docker config auths", "credential helper ecr-login" */
  source: string;
}

export interface DockerConfigFile {
  auths?: Record<string, {auth?: string; username?: string; password?: string; identitytoken?: string}>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** The job's Docker config file: $DOCKER_CONFIG/config.json, else ~/.docker/config.json. */
export function jobDockerConfigPath(env: Record<string, string | undefined>): string {
  return path.join(jobConfigDir(env), 'config.json');
}

export function readDockerConfig(file: string): DockerConfigFile {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as DockerConfigFile;
  } catch {
    return {};
  }
}

/** What the job's Docker config says about logins, read once at the edge for the plan (which stays pure). */
export interface DockerLogins {
  /** the file read ('' when there is none) */
  file: string;
  /** canonical registry -> where its credentials are kept ("auths", "credHelpers: ecr-login") */
  registries: Record<string, string>;
  /** a credsStore every other registry is asked about ('' = none) */
  credsStore: string;
}

/** The canonical registry of a config key ("https://index.docker.io/v1/" -> docker.io). */
export function registryOfKey(key: string): string {
  return canonicalRegistry(key.replace(/^https?:\/\//i, '').replace(/\/.*$/, ''));
}

/** Reads the job's Docker config (logins made by earlier steps: login-action, amazon-ecr-login, gcloud). */
export function dockerLogins(env: Record<string, string | undefined>): DockerLogins {
  const file = jobDockerConfigPath(env);
  if (!fs.existsSync(file)) return {file: '', registries: {}, credsStore: ''};
  const cfg = readDockerConfig(file);
  const registries: Record<string, string> = {};
  for (const [k, e] of Object.entries(cfg.auths ?? {})) if (fromAuthsEntry(e)) registries[registryOfKey(k)] = 'auths';
  for (const [k, helper] of Object.entries(cfg.credHelpers ?? {}))
    if (helper) registries[registryOfKey(k)] = `credHelpers: ${helper}`;
  return {file, registries, credsStore: cfg.credsStore ?? ''};
}

/** The keys docker would look a registry up under (Docker Hub keeps its legacy https://index.docker.io/v1/). */
export function configKeys(registry: string): string[] {
  if (registry === DOCKER_HUB)
    return ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io'];
  return [registry, `https://${registry}`, `http://${registry}`, `https://${registry}/v1/`, `https://${registry}/v2/`];
}

/** The server URL a credential helper is asked about (what `docker login` stored). */
export function helperServerUrl(registry: string): string {
  return registry === DOCKER_HUB ? 'https://index.docker.io/v1/' : registry;
}

/** Decodes an `auths` entry: base64 user:password, or username/password, or an identity token. */
export function fromAuthsEntry(e: NonNullable<DockerConfigFile['auths']>[string]): Credential | undefined {
  let username = e.username ?? '';
  let password = e.password ?? '';
  if (e.auth) {
    const decoded = Buffer.from(e.auth, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i > 0) {
      username = decoded.slice(0, i);
      password = decoded.slice(i + 1);
    }
  }
  if (e.identitytoken)
    return {username: username || '<token>', password: '', identityToken: e.identitytoken, source: ''};
  return username ? {username, password, source: ''} : undefined;
}

/** Parses a credential helper's `get` answer ({ServerURL, Username, Secret}); "<token>" means an identity token. */
export function parseHelperOutput(stdout: string): {username: string; secret: string} | undefined {
  try {
    const raw = JSON.parse(stdout) as Record<string, unknown>;
    // keys as Go's JSON decoder reads them: case-insensitively
    const o = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k.toLowerCase(), v]));
    const secret = typeof o['secret'] === 'string' ? o['secret'] : '';
    if (!secret) return undefined;
    return {username: typeof o['username'] === 'string' ? o['username'] : '', secret};
  } catch {
    return undefined;
  }
}

export class CredentialResolver {
  private readonly cache = new Map<string, Promise<Credential | undefined>>();

  constructor(
    private readonly o: {
      /** registry -> credentials from inputs and registry-auth (already merged) */
      inputs?: ReadonlyMap<string, {username: string; password: string}>;
      /** the job's Docker config file ('' = none) */
      dockerConfig?: string;
      runner?: Runner;
      log?: (line: string) => void;
      /** called with each secret found, before anything could print it */
      mask?: (secret: string) => void;
    }
  ) {}

  get(registry: string): Promise<Credential | undefined> {
    let p = this.cache.get(registry);
    if (!p) {
      p = this.resolve(registry);
      this.cache.set(registry, p);
    }
    return p;
  }

  private async resolve(registry: string): Promise<Credential | undefined> {
    const given = this.o.inputs?.get(registry);
    if (given) return given.username ? {...given, source: 'inputs'} : undefined;
    if (!this.o.dockerConfig) return undefined;
    const cfg = readDockerConfig(this.o.dockerConfig);
    const keys = configKeys(registry);
    const helper = keys.map(k => cfg.credHelpers?.[k]).find(Boolean);
    if (helper) return this.fromHelper(helper, registry, `credHelpers of ${this.o.dockerConfig}`);
    if (cfg.credsStore) {
      const c = await this.fromHelper(cfg.credsStore, registry, `credsStore of ${this.o.dockerConfig}`);
      if (c) return c;
    }
    for (const k of keys) {
      const e = cfg.auths?.[k];
      const c = e ? fromAuthsEntry(e) : undefined;
      if (c) {
        this.o.mask?.(c.password);
        if (c.identityToken) this.o.mask?.(c.identityToken);
        this.o.log?.(
          `${registry}: credentials of "${c.username}" from the job's Docker config (${this.o.dockerConfig})`
        );
        return {...c, source: 'docker config'};
      }
    }
    return undefined;
  }

  private async fromHelper(name: string, registry: string, where: string): Promise<Credential | undefined> {
    if (!this.o.runner) return undefined;
    const bin = `docker-credential-${name}`;
    const r = await this.o.runner
      .run(bin, ['get'], {input: helperServerUrl(registry), allowFailure: true, secretOutput: true})
      .catch((e: unknown) => ({exitCode: 127, stdout: '', stderr: e instanceof Error ? e.message : String(e)}));
    const parsed = r.exitCode === 0 ? parseHelperOutput(r.stdout) : undefined;
    if (!parsed) {
      // "credentials not found in native keychain" is an answer, not a failure: the registry is then anonymous.
      // An answer on a success that cannot be read may hold the secret: it is never shown.
      const why =
        r.exitCode === 0
          ? 'its answer could not be read as {ServerURL, Username, Secret}'
          : ((r.stderr || r.stdout).trim().split('\n').pop() ?? '');
      this.o.log?.(`${registry}: ${bin} (${where}) gave no credentials${why ? `: ${why.slice(0, 200)}` : ''}`);
      return undefined;
    }
    this.o.mask?.(parsed.secret);
    const token = parsed.username === '<token>';
    this.o.log?.(
      `${registry}: credentials${token ? ' (identity token)' : ` of "${parsed.username}"`} from ${bin} (${where})`
    );
    return token
      ? {username: '<token>', password: '', identityToken: parsed.secret, source: `credential helper ${name}`}
      : {username: parsed.username, password: parsed.secret, source: `credential helper ${name}`};
  }
}
