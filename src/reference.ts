/**
 * Image references, as the Docker CLI reads them: `[registry/]repository[:tag][@digest]`.
 * Docker Hub is the default registry; `docker.io`, `index.docker.io` and `registry-1.docker.io` are one place.
 */

export const DOCKER_HUB = 'docker.io';
const HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

export interface Repository {
  /** canonical registry host[:port]: docker.io for Docker Hub */
  registry: string;
  /** repository path, lower-cased: library/alpine, myteam/app */
  path: string;
}

/** `registry/path` as users write it (Docker Hub images keep their short form in tags). */
export function repoName(r: Repository): string {
  return `${r.registry}/${r.path}`;
}

export function canonicalRegistry(host: string): string {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^https?:\/\//, '')
    .replace(/\/+$/, '');
  return HUB_ALIASES.has(h) || h === '' ? DOCKER_HUB : h;
}

/** The host that speaks the Registry API for a canonical registry. */
export function apiHost(registry: string): string {
  return registry === DOCKER_HUB ? 'registry-1.docker.io' : registry;
}

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

/**
 * Parse an image name without tag or digest (`ghcr.io/Owner/App` -> ghcr.io + owner/app). Repository paths are
 * lower-cased (GITHUB_REPOSITORY is often mixed-case); returns an error string when the name cannot be a repository.
 */
export function parseRepository(name: string): Repository | string {
  const raw = name.trim();
  if (raw === '') return 'empty image name';
  if (/[@\s]/.test(raw)) return `"${raw}" is not an image name (no digest or spaces allowed here)`;
  const parts = raw.split('/');
  let registry = DOCKER_HUB;
  const first = parts[0] ?? '';
  if (
    parts.length > 1 &&
    (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase())
  ) {
    registry = canonicalRegistry(first);
    parts.shift();
  }
  const last = parts[parts.length - 1] ?? '';
  if (/:/.test(last)) return `"${raw}" contains a tag; give tags through the tags input, not in images`;
  let path = parts.join('/').toLowerCase();
  if (registry === DOCKER_HUB && !path.includes('/')) path = `library/${path}`;
  for (const c of path.split('/')) {
    if (!PATH_COMPONENT.test(c)) return `"${raw}" has an invalid repository path component "${c}"`;
  }
  return {registry, path};
}

/** A tag as the registry accepts it. */
export function isValidTag(tag: string): boolean {
  return /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/.test(tag);
}

export function isLoopbackHost(hostport: string): boolean {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(hostport);
  const host = bracketed ? (bracketed[1] ?? '') : hostport.replace(/:\d+$/, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
