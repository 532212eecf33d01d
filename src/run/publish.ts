/**
 * Publishing without half-publishing. The build wrote the image as an OCI layout; here it is pushed by digest
 * only (blobs, then platform manifests, then the index) to every target repository, each repository is checked
 * to hold the digest with every requested platform (and main.ts signs and verifies it), and only then is each
 * tag pointed at it (one PUT per tag). Finally every tag is read back and must resolve to the digest.
 */
import * as fs from 'node:fs';
import {Target} from '../plan/types';
import {blobPath, LayoutImage} from '../oci-layout';
import {IndexEntry, Manifest, platformString, RegistryClient, RegistryError} from '../registry-client';
import {repoName} from '../reference';

export interface Published {
  digest: string;
  mediaType: string;
  /** platform -> manifest digest (attestation manifests left out) */
  platformDigests: Record<string, string>;
  /** every image:tag and image@digest */
  refs: string[];
  /** bytes of the image: manifests, configs and layers of all platforms, as the manifests declare them */
  size: number;
}

/** The platform manifests of an index, without attestations (unknown/unknown). */
export function imagePlatforms(entries: readonly IndexEntry[]): IndexEntry[] {
  return entries.filter(
    e =>
      platformString(e.platform) !== 'unknown/unknown' &&
      e.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest'
  );
}

/** Requested platforms the index lacks (linux/arm64 matches linux/arm64/v8 as the engine writes it). */
export function missingPlatforms(requested: readonly string[], entries: readonly IndexEntry[]): string[] {
  const have = new Set(imagePlatforms(entries).map(e => platformString(e.platform)));
  const normal = (p: string): string => (p === 'linux/arm64/v8' ? 'linux/arm64' : p);
  const haveNorm = new Set([...have].map(normal));
  return requested.filter(p => !haveNorm.has(normal(p)));
}

async function pool<T>(items: readonly T[], size: number, fn: (t: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({length: Math.min(size, queue.length)}, async () => {
      for (let t = queue.shift(); t !== undefined; t = queue.shift()) await fn(t);
    })
  );
}

/**
 * Pushes the image by digest to every target. Repositories of one registry go one after the other so that the
 * later ones mount the blobs of the first instead of uploading them again; registries go in parallel.
 */
export async function pushByDigest(
  client: RegistryClient,
  targets: readonly Target[],
  image: LayoutImage,
  layoutDir: string,
  log: (s: string) => void
): Promise<void> {
  const byRegistry = new Map<string, Target[]>();
  for (const t of targets) {
    const list = byRegistry.get(t.repo.registry) ?? [];
    if (!list.some(x => x.repo.path === t.repo.path)) list.push(t);
    byRegistry.set(t.repo.registry, list);
  }
  await Promise.all(
    [...byRegistry.values()].map(async list => {
      let first: string | undefined;
      for (const t of list) {
        const counts = {exists: 0, mounted: 0, uploaded: 0};
        await pool(image.blobs, 4, async b => {
          const how = await client.pushBlob(
            t.repo,
            b.digest,
            b.size,
            () => fs.createReadStream(blobPath(layoutDir, b.digest)),
            first
          );
          counts[how]++;
        });
        for (const m of image.manifests) {
          await client.putManifest(t.repo, m.descriptor.digest, {
            digest: m.descriptor.digest,
            mediaType: m.descriptor.mediaType,
            body: m.body
          });
        }
        log(
          `${t.image}@${image.root.digest}: ${image.blobs.length} blobs (${counts.uploaded} uploaded, ${counts.mounted} mounted, ${counts.exists} already there), ${image.manifests.length} manifests`
        );
        first ??= t.repo.path;
      }
    })
  );
}

/** Fetches the pushed manifest from one repository, waiting a little for it to become visible. */
async function fetchByDigest(
  client: RegistryClient,
  t: Target,
  digest: string,
  log: (s: string) => void
): Promise<Manifest> {
  for (let attempt = 0; ; attempt++) {
    const m = await client.getManifest(t.repo, digest);
    if (m) {
      if (m.digest !== digest)
        throw new RegistryError(
          `${repoName(t.repo)}@${digest}: the registry returned content with digest ${m.digest}`,
          0,
          false
        );
      return m;
    }
    if (attempt >= 3) throw new RegistryError(`${repoName(t.repo)}@${digest}: not found after the push`, 404, false);
    log(`${t.image}@${digest} not visible yet; checking again`);
    await new Promise(r => setTimeout(r, 500 * 2 ** attempt));
  }
}

async function sizeOf(client: RegistryClient, t: Target, m: Manifest): Promise<number> {
  const sum = (x: {size?: number}[] | undefined): number => (x ?? []).reduce((a, b) => a + (b.size ?? 0), 0);
  const one = (mm: Manifest): number => {
    const j = JSON.parse(mm.body.toString('utf8')) as {config?: {size?: number}; layers?: {size?: number}[]};
    return mm.body.length + (j.config?.size ?? 0) + sum(j.layers);
  };
  if (!RegistryClient.isIndex(m)) return one(m);
  const children = await Promise.all(
    imagePlatforms(RegistryClient.indexEntries(m)).map(e => client.getManifest(t.repo, e.digest))
  );
  return children.reduce((total, child) => total + (child ? one(child) : 0), m.body.length);
}

export interface Staged {
  digest: string;
  /** the manifest as each target holds it, in target order */
  manifests: Manifest[];
  platformDigests: Record<string, string>;
  size: number;
}

/** 1. Every repository holds the digest, with every platform: nothing is tagged (or signed) before this holds everywhere. */
export async function checkStaged(
  client: RegistryClient,
  targets: readonly Target[],
  digest: string,
  platforms: readonly string[],
  log: (s: string) => void
): Promise<Staged> {
  const manifests = await Promise.all(
    targets.map(async t => {
      const m = await fetchByDigest(client, t, digest, log);
      if (RegistryClient.isIndex(m)) {
        const missing = missingPlatforms(platforms, RegistryClient.indexEntries(m));
        if (missing.length)
          throw new RegistryError(
            `${t.image}@${digest} lacks platform(s) ${missing.join(', ')}; no tag was moved`,
            0,
            false
          );
      }
      const held = RegistryClient.isIndex(m) ? imagePlatforms(RegistryClient.indexEntries(m)).map(e => platformString(e.platform)) : [];
      log(`${t.image}@${digest}: in the registry${held.length ? ` with ${held.join(', ')}` : ''}`);
      return m;
    })
  );
  const first = manifests[0];
  const platformDigests: Record<string, string> = {};
  if (first && RegistryClient.isIndex(first)) {
    for (const e of imagePlatforms(RegistryClient.indexEntries(first)))
      platformDigests[platformString(e.platform)] = e.digest;
  } else if (first && platforms.length === 1 && platforms[0]) {
    platformDigests[platforms[0]] = digest;
  }
  const size = first && targets[0] ? await sizeOf(client, targets[0], first) : 0;
  return {digest, manifests, platformDigests, size};
}

/** 2. Points every tag at the staged digest (one PUT per tag), then 3. reads every tag back. */
export async function pointTags(
  client: RegistryClient,
  targets: readonly Target[],
  staged: Staged,
  tagNames: readonly string[],
  log: (s: string) => void
): Promise<Published> {
  const {digest} = staged;
  const refs: string[] = [];
  // one PUT per tag; the repositories in parallel, the tags of one repository in order
  await Promise.all(
    targets.map(async (t, i) => {
      const m = staged.manifests[i] as Manifest;
      for (const tag of tagNames) await client.putManifest(t.repo, tag, m);
      log(`${t.image}: tagged ${tagNames.join(', ') || '(no tags)'}`);
    })
  );
  for (const t of targets) for (const tag of tagNames) refs.push(`${t.image}:${tag}`);
  const readBack = targets.flatMap(t => tagNames.map(tag => ({t, tag})));
  const resolved = await Promise.all(readBack.map(({t, tag}) => client.getManifest(t.repo, tag, 'HEAD')));
  for (const [k, {t, tag}] of readBack.entries()) {
    const got = resolved[k];
    if (!got || got.digest !== digest)
      throw new RegistryError(
        `${t.image}:${tag} resolves to ${got?.digest || 'nothing'}, expected ${digest}`,
        0,
        false
      );
  }
  for (const t of targets) refs.push(`${t.image}@${digest}`);
  return {
    digest,
    mediaType: staged.manifests[0]?.mediaType ?? '',
    platformDigests: staged.platformDigests,
    refs,
    size: staged.size
  };
}
