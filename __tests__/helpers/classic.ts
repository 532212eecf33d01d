/**
 * The second engine of scripts/test-env: a dockerd on the classic image store in its own network namespace, with a
 * registry on the namespace's loopback. The step runs in the namespace (runAction's `engine`); its registry is asked
 * from inside the namespace too (`ip netns exec NAME curl`), since the host's 127.0.0.1 is another loopback.
 */
import {execFileSync} from 'node:child_process';
import {ACCEPT} from './registry';
import {TestEnv} from './env';

export interface ClassicEngine {
  netns: string;
  dockerHost: string;
  /** host:port of its registry, inside the namespace */
  registry: string;
  baseImage: string;
}

export function classicEngine(e: TestEnv): ClassicEngine {
  const netns = e['PI_CLASSIC_NETNS'];
  if (!netns) throw new Error('the classic-store engine is not in env.json: run scripts/test-env up');
  return {
    netns,
    dockerHost: e['PI_CLASSIC_DOCKER_HOST'] ?? '',
    registry: e['PI_CLASSIC_REG'] ?? '',
    baseImage: e['PI_CLASSIC_BASE_IMAGE'] ?? ''
  };
}

interface NsResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A GET inside the namespace, by curl: status, headers (lower-case names) and body. */
export function nsGet(netns: string, url: string, headers: Record<string, string> = {}): NsResponse {
  const h = Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
  const out = execFileSync('ip', ['netns', 'exec', netns, 'curl', '-sS', '-i', '--max-time', '30', ...h, url], {
    encoding: 'utf8'
  });
  const split = out.indexOf('\r\n\r\n');
  const head = split < 0 ? out : out.slice(0, split);
  const body = split < 0 ? '' : out.slice(split + 4);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const hs: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    if (i > 0) hs[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  return {status: Number(/^HTTP\/[\d.]+ (\d+)/.exec(statusLine)?.[1] ?? 0), headers: hs, body};
}

/** A manifest of the namespace's registry: status, digest and media type. */
export function nsManifest(
  c: ClassicEngine,
  repo: string,
  reference: string
): {status: number; digest: string; mediaType: string} {
  const r = nsGet(c.netns, `http://${c.registry}/v2/${repo}/manifests/${reference}`, {accept: ACCEPT});
  return {
    status: r.status,
    digest: r.headers['docker-content-digest'] ?? '',
    mediaType: r.headers['content-type'] ?? ''
  };
}

/** The tags of a repository of the namespace's registry ([] when it does not exist). */
export function nsTags(c: ClassicEngine, repo: string): string[] {
  const r = nsGet(c.netns, `http://${c.registry}/v2/${repo}/tags/list`);
  if (r.status === 404) return [];
  if (r.status !== 200) throw new Error(`tags of ${repo} in netns ${c.netns}: ${r.status} ${r.body}`);
  return ((JSON.parse(r.body) as {tags?: string[] | null}).tags ?? []).sort();
}
