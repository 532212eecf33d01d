/**
 * Asks a registry what it holds, through the Registry HTTP API, independently of the action's own client
 * (plain undici requests with Basic auth, as the test registries use).
 */
import {Agent, request} from 'undici';
import * as fs from 'node:fs';

export const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json'
].join(', ');

export interface RegistryAccess {
  host: string;
  user?: string;
  password?: string;
  caFile?: string;
}

export interface Fetched {
  status: number;
  digest: string;
  mediaType: string;
  json: {
    manifests?: {digest: string; platform?: {os: string; architecture: string; variant?: string}}[];
    config?: {digest: string};
    layers?: {digest: string}[];
    [k: string]: unknown;
  };
  text: string;
}

function base(r: RegistryAccess): {url: string; dispatcher: Agent} {
  const tls = !!r.caFile;
  const dispatcher = new Agent({connect: tls ? {ca: fs.readFileSync(r.caFile as string, 'utf8')} : {}});
  return {url: `${tls ? 'https' : 'http'}://${r.host}`, dispatcher};
}

function auth(r: RegistryAccess): Record<string, string> {
  return r.user ? {authorization: `Basic ${Buffer.from(`${r.user}:${r.password ?? ''}`).toString('base64')}`} : {};
}

export async function getManifest(r: RegistryAccess, repo: string, reference: string): Promise<Fetched> {
  const {url, dispatcher} = base(r);
  const res = await request(`${url}/v2/${repo}/manifests/${reference}`, {
    headers: {accept: ACCEPT, ...auth(r)},
    dispatcher
  });
  const text = await res.body.text();
  await dispatcher.close();
  let json = {};
  try {
    json = JSON.parse(text) as object;
  } catch {
    // error bodies may not be JSON
  }
  return {
    status: res.statusCode,
    digest: String(res.headers['docker-content-digest'] ?? ''),
    mediaType: String(res.headers['content-type'] ?? ''),
    json,
    text
  };
}

export async function getBlob(r: RegistryAccess, repo: string, digest: string): Promise<Buffer> {
  const {url, dispatcher} = base(r);
  const res = await request(`${url}/v2/${repo}/blobs/${digest}`, {headers: auth(r), dispatcher});
  const buf = Buffer.from(await res.body.arrayBuffer());
  await dispatcher.close();
  if (res.statusCode !== 200) throw new Error(`blob ${digest}: ${res.statusCode}`);
  return buf;
}

export async function listTags(r: RegistryAccess, repo: string): Promise<string[]> {
  const {url, dispatcher} = base(r);
  const res = await request(`${url}/v2/${repo}/tags/list`, {headers: auth(r), dispatcher});
  const text = await res.body.text();
  await dispatcher.close();
  if (res.statusCode === 404) return [];
  return ((JSON.parse(text) as {tags?: string[] | null}).tags ?? []).sort();
}

export function platforms(f: Fetched): string[] {
  return (f.json.manifests ?? [])
    .map(m => m.platform)
    .filter((p): p is {os: string; architecture: string; variant?: string} => !!p && p.os !== 'unknown')
    .map(p => [p.os, p.architecture, p.variant].filter(Boolean).join('/'))
    .sort();
}

/** PUT of a manifest by tag or digest (a test playing a user with push rights); returns the status. */
export async function putManifest(
  r: RegistryAccess,
  repo: string,
  reference: string,
  mediaType: string,
  body: Buffer
): Promise<number> {
  const {url, dispatcher} = base(r);
  const res = await request(`${url}/v2/${repo}/manifests/${reference}`, {
    method: 'PUT',
    headers: {'content-type': mediaType, ...auth(r)},
    body,
    dispatcher
  });
  await res.body.dump();
  await dispatcher.close();
  return res.statusCode;
}
