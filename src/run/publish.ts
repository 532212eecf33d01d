/**
 * Publishing without half-publishing. The build wrote the image as an OCI layout; here it is pushed by digest
 * only (blobs, then platform manifests, then the index) to every target repository, each repository is checked
 * to hold the digest with every requested platform (and main.ts signs and verifies it), and only then is each
 * tag pointed at it (one PUT per tag). Finally every tag is read back and must resolve to the digest.
 */
import * as fs from 'node:fs';
import {Readable} from 'node:stream';
import {cosignSubject} from '../plan/prune';
import {Target} from '../plan/types';
import {blobPath, LayoutImage} from '../oci-layout';
import {IndexEntry, Manifest, platformString, RegistryClient, RegistryError} from '../registry';
import {repoName} from '../reference';
import {STAGING_TAG} from '../plan/datapath';
import {TransferProgress} from './progress';

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

/** A platform as compared: linux/arm64 and linux/arm64/v8 (as the engine writes it) are one. */
export function normalPlatform(p: string): string {
  return p === 'linux/arm64/v8' ? 'linux/arm64' : p;
}

/** Requested platforms the index lacks. */
export function missingPlatforms(requested: readonly string[], entries: readonly IndexEntry[]): string[] {
  const have = new Set(imagePlatforms(entries).map(e => normalPlatform(platformString(e.platform))));
  return requested.filter(p => !have.has(normalPlatform(p)));
}

/** One target per repository (an image listed twice is pushed, signed, gated and pruned once). */
export function distinctRepos(targets: readonly Target[]): Target[] {
  return [...new Map(targets.map(t => [repoName(t.repo), t])).values()];
}

/** Runs fn over items, at most `size` at a time; the results in the items' order. */
export async function pool<T, R>(items: readonly T[], size: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({length: Math.min(size, items.length)}, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i] as T);
      }
    })
  );
  return out;
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
  const progress = new TransferProgress(log);
  try {
    await Promise.all(
      [...byRegistry.values()].map(async list => {
        let first: string | undefined;
        for (const t of list) {
          const counts = await uploadBlobs(
            client,
            progress,
            t,
            image.blobs,
            d => fs.createReadStream(blobPath(layoutDir, d)),
            first
          );
          for (const m of image.manifests) {
            await client.putManifest(t.repo, m.descriptor.digest, {
              digest: m.descriptor.digest,
              mediaType: m.descriptor.mediaType,
              body: m.body
            });
          }
          log(
            `${t.image}@${image.root.digest}: ${image.blobs.length} blobs (${counts.uploaded} uploaded, ${counts.mounted} mounted, ${counts.exists} already there), ${image.manifests.length} manifests${progress.closing(t.image)}`
          );
          first ??= t.repo.path;
        }
      })
    );
  } finally {
    progress.stop();
  }
}

/**
 * The blobs into one target, 4 at a time, each body counted as it is read; a blob is mounted from `mountFrom` (same
 * registry) where it can be. How many were uploaded, mounted, or already there.
 */
export async function uploadBlobs(
  client: RegistryClient,
  progress: TransferProgress,
  t: Target,
  blobs: readonly {digest: string; size: number}[],
  open: (digest: string) => Readable,
  mountFrom?: string
): Promise<{exists: number; mounted: number; uploaded: number}> {
  const counts = {exists: 0, mounted: 0, uploaded: 0};
  progress.begin(
    t.image,
    blobs.reduce((a, b) => a + b.size, 0)
  );
  await pool(blobs, 4, async b => {
    const how = await client.pushBlob(
      t.repo,
      b.digest,
      b.size,
      () => progress.counted(t.image, b.digest, open(b.digest)),
      mountFrom
    );
    if (how !== 'uploaded') progress.skipped(t.image, b.digest, b.size);
    counts[how]++;
  });
  return counts;
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
      const held = RegistryClient.isIndex(m)
        ? imagePlatforms(RegistryClient.indexEntries(m)).map(e => platformString(e.platform))
        : [];
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

/** How long a cancelled tag phase waits for PUTs already sent before it puts tags back. */
const IN_FLIGHT_WAIT_MS = 10_000;

/** Where a tag pointed before the tag phase (undefined: it did not exist), and whether the phase touched it. */
interface TagMove {
  target: Target;
  manifest: Manifest;
  tag: string;
  before?: Manifest;
}

/** What the tag phase did when it could not finish: every tag accounted for. */
export interface TagReport {
  moved: string[];
  restored: string[];
  removed: string[];
  /** tags that could not be put back, with why */
  stuck: string[];
}

/** The tag phase failed or was cancelled; every tag it moved was put back where the registry allows it. */
export class TagPhaseError extends Error {
  constructor(
    readonly failure: unknown,
    readonly report: TagReport
  ) {
    const list = (xs: string[]): string => (xs.length ? xs.join(', ') : 'none');
    super(
      `${failure instanceof Error ? failure.message : String(failure)}\n` +
        (report.stuck.length
          ? `The release is NOT where it was: ${report.stuck.join('; ')}. `
          : 'Every tag is back where it was: the release is nowhere, as before. ') +
        `Moved: ${list(report.moved)}. Restored: ${list(report.restored)}. Removed (new tags): ${list(report.removed)}.`
    );
    this.name = 'TagPhaseError';
  }
}

export class CancelledError extends Error {
  constructor(signal: string) {
    super(`cancelled (${signal})`);
    this.name = 'CancelledError';
  }
}

/**
 * 2. Points every tag at the staged digest, together: first reads where each tag points in every repository, then
 * moves them (one PUT per tag; repositories in parallel, the tags of one repository in order; a tag already on the
 * digest is left alone), then 3. reads every tag back. If any tag fails for good, or the run is cancelled, no
 * further tag moves and every tag moved is put back: PUT of its previous manifest, or, for a tag that did not exist,
 * its removal (DELETE by tag, else by digest when no tag from before points at the digest). The release is either
 * everywhere or nowhere.
 */
export async function pointTags(
  client: RegistryClient,
  targets: readonly Target[],
  staged: Staged,
  tagNames: readonly string[],
  log: (s: string) => void,
  signal?: AbortSignal
): Promise<Published> {
  const {digest} = staged;
  const refs: string[] = [];
  const moves: TagMove[] = await Promise.all(
    targets.flatMap((target, i) =>
      tagNames.map(async tag => ({
        target,
        manifest: staged.manifests[i] as Manifest,
        tag,
        before: await client.getManifest(target.repo, tag)
      }))
    )
  );
  const existing = moves.filter(m => m.before && m.before.digest !== digest).length;
  log(
    `${moves.length} tags to point at ${digest} (${existing} move from an earlier image, ${moves.filter(m => !m.before).length} new)`
  );
  const started: TagMove[] = [];
  let failed = false;
  let cancel: (e: Error) => void = () => undefined;
  const cancelled = new Promise<never>((_, reject) => (cancel = reject));
  cancelled.catch(() => undefined);
  const onAbort = (): void => {
    failed = true;
    cancel(new CancelledError(String(signal?.reason ?? 'signal')));
  };
  if (signal?.aborted) onAbort();
  signal?.addEventListener('abort', onAbort, {once: true});
  try {
    const perRepo = targets.map(async t => {
      for (const m of moves.filter(x => x.target === t)) {
        if (failed) return;
        if (m.before?.digest === digest) continue;
        started.push(m);
        try {
          await client.putManifest(t.repo, m.tag, m.manifest);
        } catch (e) {
          failed = true;
          throw e;
        }
      }
      log(`${t.image}: tagged ${tagNames.join(', ') || '(no tags)'}`);
    });
    // every PUT in flight settles before a rollback, so none lands after it (a cancel waits 10 s at most)
    const settled = Promise.allSettled(perRepo);
    const outcome = await Promise.race([
      settled,
      cancelled.catch(async (e: unknown) => {
        await Promise.race([settled, new Promise(r => setTimeout(r, IN_FLIGHT_WAIT_MS).unref())]);
        throw e;
      })
    ]);
    const refused = outcome.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (refused) throw refused.reason;
    const readBack = await Promise.race([
      Promise.all(moves.map(m => client.getManifest(m.target.repo, m.tag, 'HEAD'))),
      cancelled
    ]);
    for (const [k, m] of moves.entries()) {
      const got = readBack[k];
      if (!got || got.digest !== digest)
        throw new RegistryError(
          `${m.target.image}:${m.tag} resolves to ${got?.digest || 'nothing'}, expected ${digest}`,
          0,
          false
        );
    }
  } catch (e) {
    log(
      `tag phase stopped (${e instanceof Error ? e.message.split('\n')[0] : String(e)}): putting ${started.length} tag(s) back`
    );
    throw new TagPhaseError(e, await rollback(client, started, digest, log));
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  for (const t of targets) for (const tag of tagNames) refs.push(`${t.image}:${tag}`);
  for (const t of targets) refs.push(`${t.image}@${digest}`);
  return {
    digest,
    mediaType: staged.manifests[0]?.mediaType ?? '',
    platformDigests: staged.platformDigests,
    refs,
    size: staged.size
  };
}

/** Puts every started move back: the previous manifest by tag, or the new tag removed. */
async function rollback(
  client: RegistryClient,
  started: readonly TagMove[],
  digest: string,
  log: (s: string) => void
): Promise<TagReport> {
  const report: TagReport = {
    moved: started.map(m => `${m.target.image}:${m.tag}`),
    restored: [],
    removed: [],
    stuck: []
  };
  const fresh: TagMove[] = [];
  // a tag whose PUT failed or was in flight may or may not have moved: ask the registry where each one is now
  const now = await Promise.all(
    started.map(m => client.getManifest(m.target.repo, m.tag, 'HEAD').catch(() => m.manifest))
  );
  await Promise.all(
    started.map(async (m, i) => {
      const ref = `${m.target.image}:${m.tag}`;
      const at = now[i];
      if (!m.before) {
        if (at?.digest === digest) fresh.push(m);
        return;
      }
      if (at?.digest === m.before.digest) return;
      try {
        await client.putManifest(m.target.repo, m.tag, m.before);
        report.restored.push(ref);
        log(`${ref}: restored to ${m.before.digest}`);
      } catch (e) {
        report.stuck.push(
          `${ref} could not be restored to ${m.before.digest} (${e instanceof Error ? e.message : String(e)})`
        );
      }
    })
  );
  // new tags: a tag delete where the registry has one; else the digest's manifest, when only this run's new tags name it
  const byRepo = new Map<string, TagMove[]>();
  for (const m of fresh)
    byRepo.set(`${m.target.repo.registry}/${m.target.repo.path}`, [
      ...(byRepo.get(`${m.target.repo.registry}/${m.target.repo.path}`) ?? []),
      m
    ]);
  for (const ms of byRepo.values()) {
    const repo = (ms[0] as TagMove).target.repo;
    const left: TagMove[] = [];
    for (const m of ms) {
      const gone = await client.deleteManifest(repo, m.tag).catch(() => false);
      if (gone) {
        report.removed.push(`${m.target.image}:${m.tag}`);
        log(`${m.target.image}:${m.tag}: removed (it did not exist before)`);
      } else left.push(m);
    }
    if (!left.length) continue;
    const ours = new Set(left.map(m => m.tag));
    let others: string[] = [];
    try {
      const tags = (await client.listTags(repo)).filter(t => !ours.has(t) && t !== STAGING_TAG && !cosignSubject(t));
      const heads = await Promise.all(tags.map(t => client.getManifest(repo, t, 'HEAD')));
      others = tags.filter((_, i) => heads[i]?.digest === digest);
    } catch (e) {
      others = [`(could not list the tags: ${e instanceof Error ? e.message : String(e)})`];
    }
    const image = (left[0] as TagMove).target.image;
    if (others.length === 0 && (await client.deleteManifest(repo, digest).catch(() => false))) {
      for (const m of left) report.removed.push(`${image}:${m.tag}`);
      log(
        `${image}: removed ${left.map(m => m.tag).join(', ')} with the manifest ${digest} (the registry deletes by digest only; no tag from before named it)`
      );
    } else {
      for (const m of left)
        report.stuck.push(
          `${image}:${m.tag} is new and still points at ${digest}: the registry refused to delete it${others.length ? ` (and ${others.join(', ')} also name that digest)` : ''}; delete it by hand`
        );
    }
  }
  return report;
}

/**
 * The docker driver pushed under STAGING_TAG: once the real tags point at the digest, that tag is deleted where the
 * registry deletes by tag (OCI distribution 1.1: 202). A registry that cannot (Distribution 2.8: 400, others 405 or
 * UNSUPPORTED) keeps it, one line says so, and the next run reuses it. A registry that deleted more than the tag
 * (the manifest itself) gets the tags put back at once from the manifest the step holds.
 */
export async function dropStagingTag(
  client: RegistryClient,
  targets: readonly Target[],
  staged: Staged,
  tagNames: readonly string[],
  log: (s: string) => void
): Promise<void> {
  await Promise.all(
    targets.map(async t => {
      const i = targets.indexOf(t);
      let res: {status: number; detail: string};
      try {
        res = await client.deleteManifestStatus(t.repo, STAGING_TAG);
      } catch (e) {
        log(`${t.image}:${STAGING_TAG}: kept (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
        return;
      }
      if (res.status !== 202 && res.status !== 200) {
        log(
          `${t.image}:${STAGING_TAG}: kept (the registry does not delete by tag: ${res.status}${res.detail ? ` ${res.detail}` : ''}); the next run reuses it`
        );
        return;
      }
      const first = tagNames[0];
      const still = first ? await client.getManifest(t.repo, first, 'HEAD') : undefined;
      if (first && still?.digest !== staged.digest) {
        const m = staged.manifests[i] as Manifest;
        for (const tag of tagNames) await client.putManifest(t.repo, tag, m);
        log(
          `${t.image}:${STAGING_TAG}: the registry deleted the manifest with the tag; ${tagNames.join(', ')} put back`
        );
        return;
      }
      log(`${t.image}:${STAGING_TAG}: removed`);
    })
  );
}
