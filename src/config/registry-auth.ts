/**
 * Which credentials serve which registry: `registry`/`username`/`password` (login-action) or `registry-auth`
 * (a YAML list), the GHCR fallback to `github-token`, private CAs and plain-HTTP registries. Pure: the preflight
 * that tries them against the registries lives in preflight.ts.
 */
import {parseDocument} from 'yaml';
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
  // silent: the library's own errors and warnings quote the text, which may hold a password; report positions only
  const parsed = parseDocument(yaml, {logLevel: 'silent'});
  const at = (e: {linePos?: {line: number; col: number}[]}): string => {
    const pos = e.linePos?.[0];
    return pos ? ` (line ${pos.line}, column ${pos.col})` : '';
  };
  if (parsed.errors.length)
    throw new InputError(
      'registry-auth',
      `registry-auth: not valid YAML${at(parsed.errors[0] ?? {})}; write a list of entries with registry, username and password`
    );
  const tag = parsed.warnings.find(w => w.code === 'TAG_RESOLVE_FAILED');
  if (tag)
    throw new InputError(
      'registry-auth',
      `registry-auth: a value starts with "!"${at(tag)}, which YAML reads as a tag; quote the value (password: '\${{ secrets.NAME }}')`
    );
  const doc: unknown = parsed.toJS();
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
    const caCert = str('ca-cert').trim();
    if (caCert && !caCert.includes('-----BEGIN CERTIFICATE-----'))
      throw new InputError(
        'registry-auth',
        `registry-auth: the ca-cert of entry ${i + 1} (${registry}) is not a PEM certificate (-----BEGIN CERTIFICATE----- ...); pass the file content, not its path`
      );
    return {
      registry: checkedRegistry(registry, `registry-auth: entry ${i + 1}`, 'registry-auth'),
      username: str('username').trim(),
      password: str('password'),
      caCert
    };
  });
}

/** host[:port] (a name, an IPv4 address or a bracketed IPv6 one): registries become paths under certs.d, so nothing else passes. */
const REGISTRY_HOST =
  /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/** The canonical registry of `value`, refused unless it is host[:port]. */
export function checkedRegistry(value: string, where: string, input: string): string {
  const r = canonicalRegistry(value);
  if (!REGISTRY_HOST.test(r))
    throw new InputError(
      input,
      `${where}: "${value}" is not a registry host[:port] (e.g. ghcr.io, registry.example.com:5000); write the host only, without a path`
    );
  return r;
}

/** All credentials, one per registry; GHCR with an empty password falls back to github-token. */
export function resolveAuths(a: AuthInputs, repos: readonly Repository[]): RegistryAuth[] {
  const list = parseRegistryAuth(a.registryAuth);
  const entryForm = '("- registry: <host>" with username:, password: and ca-cert: under it)';
  if (list.length && a.caCert && !a.username && !a.password) {
    // a top-level ca-cert beside registry-auth: the CA of the entries that carry none (or of the one named)
    const named = a.registry ? canonicalRegistry(a.registry) : '';
    if (named && !list.some(e => e.registry === named))
      throw new InputError(
        'ca-cert',
        `ca-cert: registry is ${named}, which has no entry in registry-auth; put ca-cert inside its entry ${entryForm}`
      );
    for (const e of list) if (!e.caCert && (!named || e.registry === named)) e.caCert = a.caCert;
  } else if (a.username || a.password || a.caCert) {
    if (list.length && !a.registry) {
      throw new InputError(
        'registry',
        `registry: username/password were given beside registry-auth; move them into registry-auth as one more entry ${entryForm}, or set registry to the one they are for`
      );
    }
    let registry = a.registry ? checkedRegistry(a.registry, 'registry', 'registry') : canonicalRegistry(a.registry);
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
    if (list.some(e => e.registry === registry))
      throw new InputError(
        'registry-auth',
        `registry-auth: ${registry} is given twice (in registry/username/password and in registry-auth); keep one: move what is given at the top level into its registry-auth entry ${entryForm}`
      );
    list.unshift({registry, username: a.username, password: a.password, caCert: a.caCert});
  }
  const seen = new Set<string>();
  const single = !a.registryAuth.trim();
  for (const e of list) {
    if (seen.has(e.registry))
      throw new InputError('registry-auth', `registry-auth: ${e.registry} is given twice; keep one entry per registry`);
    seen.add(e.registry);
    if (e.registry === 'ghcr.io' && e.username && !e.password) e.password = a.githubToken;
    const input = single ? 'username' : 'registry-auth';
    if (e.password && !e.username)
      throw new InputError(input, `${input}: a password for ${e.registry} was given without a username`);
  }
  return list;
}

/**
 * Entries with a username and an empty password, as errors (checked only when pushing: a pull-request run from a
 * fork gets no secrets and may still build). Like login-action's "Username and password required", with the why.
 */
export function emptyPasswords(auths: readonly RegistryAuth[], registryAuth: string): InputError[] {
  const input = registryAuth.trim() ? 'registry-auth' : 'password';
  return auths
    .filter(e => e.username && !e.password)
    .map(
      e =>
        new InputError(
          input,
          `${input}: the password for ${e.registry} (username ${e.username}) is empty. If it comes from a secret, ` +
            'check that the secret exists under that name; secrets are not passed to workflows run from forks, so ' +
            "skip the push there (push: ${{ github.event_name != 'pull_request' }})"
        )
    );
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
