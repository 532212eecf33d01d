/**
 * Reads an OCI image layout directory (what `buildx build --output type=oci,tar=false` writes): the image's
 * manifests and every blob they reference, children before parents, so that a registry accepts them in order.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {MANIFEST_TYPES} from './registry';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: {os: string; architecture: string; variant?: string};
  annotations?: Record<string, string>;
}

export interface LayoutImage {
  /** the top-level descriptor (index or manifest) */
  root: Descriptor;
  /** blobs (configs, layers, attestation payloads) to upload before any manifest */
  blobs: Descriptor[];
  /** manifests in upload order: platform manifests first, the index last */
  manifests: {descriptor: Descriptor; body: Buffer}[];
}

export function blobPath(dir: string, digest: string): string {
  const [alg, hex] = digest.split(':');
  if (!alg || !hex || !/^[a-f0-9]+$/.test(hex)) throw new Error(`invalid digest ${digest}`);
  return path.join(dir, 'blobs', alg, hex);
}

export function readLayout(dir: string, rootDigest?: string): LayoutImage {
  const index = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8')) as {manifests?: Descriptor[]};
  const root = (index.manifests ?? []).find(m => !rootDigest || m.digest === rootDigest);
  if (!root) throw new Error(`the OCI layout in ${dir} holds no image${rootDigest ? ` ${rootDigest}` : ''}`);
  const blobs = new Map<string, Descriptor>();
  const manifests: {descriptor: Descriptor; body: Buffer}[] = [];
  const visit = (d: Descriptor): void => {
    const body = fs.readFileSync(blobPath(dir, d.digest));
    const j = JSON.parse(body.toString('utf8')) as {
      manifests?: Descriptor[];
      config?: Descriptor;
      layers?: Descriptor[];
    };
    for (const child of j.manifests ?? []) {
      if (MANIFEST_TYPES.includes(child.mediaType)) visit(child);
      else blobs.set(child.digest, child);
    }
    if (j.config) blobs.set(j.config.digest, j.config);
    for (const l of j.layers ?? []) blobs.set(l.digest, l);
    manifests.push({descriptor: d, body});
  };
  visit(root);
  return {root, blobs: [...blobs.values()], manifests};
}
