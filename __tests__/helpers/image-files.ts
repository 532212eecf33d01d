/** Reads files out of an image as the registry holds it: manifest -> layers (tar+gzip) -> entries. */
import {gunzipSync} from 'node:zlib';
import {getBlob, getManifest, RegistryAccess} from './registry';

/** Entries of a tar archive (regular files only), later layers overriding earlier ones by the caller. */
export function untar(buf: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (let off = 0; off + 512 <= buf.length;) {
    const header = buf.subarray(off, off + 512);
    if (header.every(b => b === 0)) break;
    const str = (a: number, b: number): string => header.subarray(a, b).toString('utf8').replace(/\0.*$/s, '');
    const prefix = str(345, 500);
    const name = (prefix ? `${prefix}/` : '') + str(0, 100);
    const size = parseInt(str(124, 136).trim() || '0', 8);
    const type = String.fromCharCode(header[156] ?? 48);
    if (type === '0' || type === '\0')
      files.set(`/${name.replace(/^\.?\//, '')}`, buf.subarray(off + 512, off + 512 + size));
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

export interface ImageContent {
  files: Map<string, Buffer>;
  /** every layer, decompressed: for scans */
  layers: Buffer[];
  config: {config?: {Labels?: Record<string, string>}; [k: string]: unknown};
  configRaw: string;
  manifestAnnotations: Record<string, string>;
}

/** The content of one platform of an image (digest or tag of an index or a manifest). */
export async function imageContent(
  r: RegistryAccess,
  repo: string,
  reference: string,
  platform = 'linux/amd64'
): Promise<ImageContent> {
  let m = await getManifest(r, repo, reference);
  if (m.json.manifests) {
    const [os, arch] = platform.split('/');
    const entry = m.json.manifests.find(e => e.platform?.os === os && e.platform?.architecture === arch);
    if (!entry) throw new Error(`${repo}@${reference} has no ${platform}`);
    m = await getManifest(r, repo, entry.digest);
  }
  const configRaw = (await getBlob(r, repo, m.json.config?.digest ?? '')).toString('utf8');
  const layers: Buffer[] = [];
  const files = new Map<string, Buffer>();
  for (const l of m.json.layers ?? []) {
    const layer = gunzipSync(await getBlob(r, repo, l.digest));
    layers.push(layer);
    for (const [k, v] of untar(layer)) files.set(k, v);
  }
  return {
    files,
    layers,
    config: JSON.parse(configRaw) as ImageContent['config'],
    configRaw,
    manifestAnnotations: (m.json['annotations'] as Record<string, string>) ?? {}
  };
}
