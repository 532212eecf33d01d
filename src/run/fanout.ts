/**
 * Beyond one job. mode: build pushes one leg by digest and leaves a staging record; mode: merge finds the legs of
 * this run and attempt, writes the multi-platform index to every repository and removes the records; mode:
 * promote copies an existing image, by digest, into the target repositories. Tags, signing and verification
 * then follow as in a single job (main.ts).
 */
import {Source} from '../config/inputs';
import {IndexEntry, Manifest, MANIFEST_TYPES, platformString, RegistryClient, RegistryError, sha256} from '../registry';
import {
  EMPTY_DESCRIPTOR,
  EMPTY_JSON,
  IndexEntryJson,
  mergedIndex,
  parseRecord,
  recordManifest,
  StagingRecord,
  stagingPrefix,
  stagingTag
} from '../plan/staging';
import {distinctRepos, imagePlatforms, missingPlatforms, normalPlatform, uploadBlobs} from './publish';
import {TransferProgress} from './progress';
import {Target} from '../plan/types';
import {InputError} from '../errors';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

/** mode: build — one record per leg in every target repository. */
export async function writeStagingRecords(
  client: RegistryClient,
  targets: readonly Target[],
  run: {id: string; attempt: string},
  leg: Omit<StagingRecord, 'run'>,
  log: (s: string) => void
): Promise<string> {
  const tag = stagingTag(run.id, run.attempt, leg.platform);
  const body = recordManifest({...leg, run: `${run.id}-${run.attempt}`});
  for (const t of distinctRepos(targets)) {
    await client.pushBlob(t.repo, EMPTY_DESCRIPTOR.digest, EMPTY_DESCRIPTOR.size, EMPTY_JSON);
    await client.putManifest(t.repo, tag, {digest: sha256(body), mediaType: OCI_MANIFEST, body});
    log(`${t.image}:${tag} -> ${leg.platform} ${leg.digest}`);
  }
  return tag;
}

export interface Leg extends StagingRecord {
  tag: string;
}

/** mode: merge — the legs of this run and attempt, as the first target repository records them. */
export async function collectLegs(
  client: RegistryClient,
  targets: readonly Target[],
  run: {id: string; attempt: string},
  log: (s: string) => void
): Promise<Leg[]> {
  const first = targets[0];
  if (!first) throw new InputError('images', 'images: mode merge needs the images the legs pushed to');
  const prefix = stagingPrefix(run.id, run.attempt);
  const tags = (await client.listTags(first.repo)).filter(t => t.startsWith(prefix));
  const legs: Leg[] = [];
  for (const tag of tags) {
    const m = await client.getManifest(first.repo, tag);
    const rec = m ? parseRecord(m.body) : undefined;
    if (rec && rec.run === `${run.id}-${run.attempt}`) legs.push({...rec, tag});
  }
  log(
    `${first.image}: ${legs.length} leg(s) of run ${run.id} attempt ${run.attempt}: ${legs.map(l => `${l.platform} ${l.digest}`).join(', ') || 'none'}`
  );
  return legs;
}

function platformOf(p: string): {os: string; architecture: string; variant?: string} {
  const [os = '', architecture = '', variant] = p.split('/');
  return variant ? {os, architecture, variant} : {os, architecture};
}

/** os/architecture[/variant] of a single-platform image, from its config blob. */
async function configPlatform(client: RegistryClient, t: Target, m: Manifest): Promise<string> {
  const config = (JSON.parse(m.body.toString('utf8')) as {config?: {digest?: string}}).config?.digest;
  if (!config) return '';
  const c = JSON.parse((await client.getBlob(t.repo, config)).toString('utf8')) as {
    os?: string;
    architecture?: string;
    variant?: string;
  };
  return platformString({os: c.os ?? '', architecture: c.architecture ?? '', variant: c.variant});
}

/** The merged index of the legs, written by digest to every target repository. Fails, moving nothing, when a platform is missing. */
export async function mergeLegs(
  client: RegistryClient,
  targets: readonly Target[],
  legs: readonly Leg[],
  requested: readonly string[],
  annotations: Record<string, string>,
  log: (s: string) => void
): Promise<Manifest> {
  const first = targets[0] as Target;
  const refuse = (why: string): never => {
    throw new RegistryError(`mode merge: ${why}; nothing was merged, signed or tagged`, 0, false);
  };
  const seen = new Map<string, Leg>();
  for (const leg of legs) {
    const other = seen.get(normalPlatform(leg.platform));
    if (other)
      refuse(`two leg records for ${leg.platform} (${other.tag} -> ${other.digest}, ${leg.tag} -> ${leg.digest})`);
    seen.set(normalPlatform(leg.platform), leg);
    if (requested.length && !requested.some(r => normalPlatform(r) === normalPlatform(leg.platform)))
      refuse(
        `the leg record ${leg.tag} is for ${leg.platform}, which platforms (${requested.join(', ')}) does not ask for`
      );
  }
  const entries: IndexEntryJson[] = [];
  for (const leg of legs) {
    const m = await client.getManifest(first.repo, leg.digest);
    if (!m)
      throw new RegistryError(`${first.image}@${leg.digest} (leg ${leg.platform}) is not in the registry`, 404, false);
    // the record's platform must be what the leg's image is
    const actual = RegistryClient.isIndex(m)
      ? imagePlatforms(RegistryClient.indexEntries(m)).map(e => platformString(e.platform))
      : [await configPlatform(client, first, m)];
    if (actual.length !== 1 || normalPlatform(actual[0] ?? '') !== normalPlatform(leg.platform))
      refuse(
        `the leg record ${leg.tag} says ${leg.platform}, but ${first.image}@${leg.digest} is ${actual.join(', ') || 'no platform'}`
      );
    if (RegistryClient.isIndex(m)) entries.push(...(RegistryClient.indexEntries(m) as IndexEntryJson[]));
    else
      entries.push({mediaType: m.mediaType, digest: m.digest, size: m.body.length, platform: platformOf(leg.platform)});
  }
  const have = imagePlatforms(entries);
  const missing = missingPlatforms(requested.length ? requested : legs.map(l => l.platform), have);
  if (missing.length || have.length === 0) {
    throw new RegistryError(
      `mode merge: no leg of this run (${legs.length} found) pushed ${missing.join(', ') || 'any platform'}; no tag was moved. Check that every matrix leg ran mode: build with the same images and succeeded, in this run attempt.`,
      0,
      false
    );
  }
  const once = new Set<string>();
  const unique = entries.filter(e => !once.has(e.digest) && once.add(e.digest));
  const body = mergedIndex(unique, annotations);
  const index: Manifest = {digest: sha256(body), mediaType: OCI_INDEX, body};
  for (const t of distinctRepos(targets)) {
    await client.putManifest(t.repo, index.digest, index);
    log(`${t.image}@${index.digest}: index of ${have.map(e => platformString(e.platform)).join(', ')}`);
  }
  return index;
}

/** Removes this run's staging records from every target repository (by the record's own digest). */
export async function removeStagingRecords(
  client: RegistryClient,
  targets: readonly Target[],
  legs: readonly Leg[],
  log: (s: string) => void
): Promise<string[]> {
  const problems: string[] = [];
  for (const t of distinctRepos(targets)) {
    for (const leg of legs) {
      const rec = await client.getManifest(t.repo, leg.tag, 'HEAD');
      if (!rec) continue;
      if (!(await client.deleteManifest(t.repo, rec.digest)))
        problems.push(`${t.image}:${leg.tag}: the registry does not allow deleting it; remove it by hand`);
    }
    log(`${t.image}: staging records removed`);
  }
  return problems;
}

/** mode: promote — copies the image (index, manifests, blobs) by digest from the source into every target. */
export async function promote(
  client: RegistryClient,
  source: Source,
  targets: readonly Target[],
  log: (s: string) => void
): Promise<void> {
  const root = await client.getManifest(source.repo, source.digest);
  if (!root) throw new RegistryError(`source ${source.ref} is not in the registry`, 404, false);
  const manifests: Manifest[] = [];
  const blobs = new Map<string, number>();
  const visit = async (m: Manifest): Promise<void> => {
    const j = JSON.parse(m.body.toString('utf8')) as {
      manifests?: IndexEntry[];
      config?: {digest: string; size: number};
      layers?: {digest: string; size: number}[];
    };
    for (const child of j.manifests ?? []) {
      const c = MANIFEST_TYPES.includes(child.mediaType)
        ? await client.getManifest(source.repo, child.digest)
        : undefined;
      if (c) await visit(c);
      else blobs.set(child.digest, child.size);
    }
    if (j.config) blobs.set(j.config.digest, j.config.size);
    for (const l of j.layers ?? []) blobs.set(l.digest, l.size);
    manifests.push(m);
  };
  await visit(root);
  const progress = new TransferProgress(log);
  try {
    // every repository at once, 4 blobs at a time each; a blob flows from the source to the target as it is read
    await Promise.all(
      distinctRepos(targets).map(async t => {
        const counts = await uploadBlobs(
          client,
          progress,
          t,
          [...blobs].map(([digest, size]) => ({digest, size})),
          d => client.blobStream(source.repo, d),
          t.repo.registry === source.repo.registry ? source.repo.path : undefined
        );
        // children before the index that names them (the order visit() found them in)
        for (const m of manifests) await client.putManifest(t.repo, m.digest, m);
        log(
          `${t.image}@${source.digest}: copied from ${source.ref} (${blobs.size} blobs: ${counts.uploaded} copied, ${counts.mounted} mounted, ${counts.exists} already there; ${manifests.length} manifests${progress.closing(t.image)})`
        );
      })
    );
  } finally {
    progress.stop();
  }
}
