/**
 * Which credentials serve which registry: `registry`/`username`/`password` (login-action) or `registry-auth`
 * (a YAML list), the GHCR fallback to `github-token`, private CAs and plain-HTTP registries. Pure: the preflight
 * that tries them against the registries lives in preflight.ts.
 */
import {parse as parseYaml} from 'yaml';
import {InputError} from '../errors';
import {canonicalRegistry, isLoopbackHost, Repository} from '../reference';

export interface RegistryAuth {
  registry: string;
  /** '' = deliberately anonymous */
  username: string;
  password: string;
  /** PEM of the registry's CA ('' = the system's trust) */
  caCert: string;
}

export interface AuthInputs {
  registry: string;
  username: string;
  password: string;
  caCert: string;
  registryAuth: string;
  githubToken: string;
}

const ENTRY_KEYS = new Set(['registry', 'username', 'password', 'ca-cert']);

/** Parses `registry-auth`: a YAML list of {registry, username, password, ca-cert}. */
export function parseRegistryAuth(yaml: string): RegistryAuth[] {
  if (yaml.trim() === '') return [];
  let doc: unknown;
  try {
    doc = parseYaml(yaml);
  } catch (e) {
    // the YAML error quotes the text, which may hold a password: report the position only
    const pos = (e as {linePos?: {line: number; col: number}[]}).linePos?.[0];
    throw new InputError(
      'registry-auth',
      `registry-auth: not valid YAML${pos ? ` (line ${pos.line}, column ${pos.col})` : ''}; write a list of entries with registry, username and password`
    );
  }
  if (!Array.isArray(doc))
    throw new InputError(
      'registry-auth',
      'registry-auth: expected a YAML list (lines starting with "- registry: ...")'
    );
  return doc.map((raw: unknown, i: number) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new InputError(
        'registry-auth',
        `registry-auth: entry ${i + 1} is not a mapping; write "- registry: ghcr.io" followed by "username:" and "password:"`
      );
    }
    const e = raw as Record<string, unknown>;
    for (const k of Object.keys(e)) {
      if (!ENTRY_KEYS.has(k))
        throw new InputError(
          'registry-auth',
          `registry-auth: entry ${i + 1} has an unknown key "${k}"; accepted: registry, username, password, ca-cert`
        );
    }
    const str = (k: string): string => {
      const x = e[k];
      return typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean' ? String(x) : '';
    };
    const registry = str('registry').trim();
    if (registry === '')
      throw new InputError(
        'registry-auth',
        `registry-auth: entry ${i + 1} has no registry; add "registry: <host>" (docker.io for Docker Hub)`
      );
    return {
      registry: canonicalRegistry(registry),
      username: str('username').trim(),
      password: str('password'),
      caCert: str('ca-cert').trim()
    };
  });
}

/** All credentials, one per registry; GHCR with an empty password falls back to github-token. */
export function resolveAuths(a: AuthInputs, repos: readonly Repository[]): RegistryAuth[] {
  const list = parseRegistryAuth(a.registryAuth);
  if (a.username || a.password || a.caCert) {
    if (list.length && !a.registry) {
      throw new InputError(
        'registry',
        'registry: username/password were given beside registry-auth; set registry to the one they are for, or move them into registry-auth'
      );
    }
    let registry = canonicalRegistry(a.registry);
    if (!a.registry) {
      const regs = [...new Set(repos.map(r => r.registry))];
      if (regs.length > 1) {
        throw new InputError(
          'registry',
          `registry: the images are in ${regs.length} registries (${regs.join(', ')}); set registry to the one username/password are for, or use registry-auth for several`
        );
      }
      registry = regs[0] ?? registry;
    }
    list.unshift({registry, username: a.username, password: a.password, caCert: a.caCert});
  }
  const seen = new Set<string>();
  for (const e of list) {
    if (seen.has(e.registry))
      throw new InputError('registry-auth', `registry-auth: ${e.registry} is given twice; keep one entry per registry`);
    seen.add(e.registry);
    if (e.registry === 'ghcr.io' && e.username && !e.password) e.password = a.githubToken;
    if (e.password && !e.username)
      throw new InputError(
        list.length > 1 ? 'registry-auth' : 'username',
        `${list.length > 1 ? 'registry-auth' : 'username'}: a password for ${e.registry} was given without a username`
      );
  }
  return list;
}

/** Registries of the images that no entry covers: each is an error before the build. */
export function uncoveredImages(
  images: readonly {image: string; repo: Repository}[],
  auths: readonly RegistryAuth[]
): {image: string; registry: string}[] {
  const have = new Set(auths.map(a => a.registry));
  return images.filter(t => !have.has(t.repo.registry)).map(t => ({image: t.image, registry: t.repo.registry}));
}

/** Hosts allowed plain HTTP: loopback ones, and any listed explicitly in insecure-registries. */
export function parseInsecureRegistries(list: readonly string[]): string[] {
  return list.map(h => {
    const host = canonicalRegistry(h);
    if (host.includes('/'))
      throw new InputError('insecure-registries', `insecure-registries: "${h}" is not a host[:port]`);
    return host;
  });
}

export function plainHttpAllowed(host: string, insecure: readonly string[]): boolean {
  return isLoopbackHost(host) || insecure.includes(host);
}
