/**
 * Retention, as a pure plan: given every tag of a repository with its digest and its image's `created` time, which
 * tags go and why each other one stays. Nothing here talks to a registry (run/prune.ts does).
 *
 * Rules, in order:
 * - cosign's own tags (`sha256-<hex>.sig|.att|.sbom`) are never candidates: they go with the digest they belong to;
 * - the step's staging tag (STAGING_TAG, where the docker driver's push lands) is neither a candidate nor a reason
 *   to keep a digest: it goes with its digest when that digest goes, and the next push sets it again;
 * - a tag not matched by prune-match stays;
 * - the newest prune-keep matching tags stay (newest by `created`; equal or unknown times by the registry's order,
 *   the later-listed one counting as newer);
 * - with prune-older-than, a matching tag newer than that (or of unknown age) stays;
 * - a tag whose digest is also the digest of a tag that stays, stays (deleting a manifest removes every tag on it).
 */
import {STAGING_TAG} from './datapath';

export interface TagInfo {
  tag: string;
  digest: string;
  /** the image config's `created`, ms since the epoch; undefined when the config has none */
  created?: number;
}

export interface PruneOptions {
  match: RegExp;
  keep: number;
  /** only matching tags older than this (ms) may go */
  olderThanMs?: number;
  now: number;
}

export interface Kept {
  tag: string;
  digest: string;
  reason: string;
}

export interface PrunePlan {
  /** tags that go (the candidates and the cosign tags of their digests), in registry order */
  remove: {tag: string; digest: string}[];
  kept: Kept[];
  /** the manifests to delete, each once (image digests, then their signature manifests) */
  digests: string[];
}

const COSIGN_TAG = /^sha256-([0-9a-f]{64})\.(sig|att|sbom)$/;

/** The image digest a cosign signature/attestation/SBOM tag belongs to, or undefined for any other tag. */
export function cosignSubject(tag: string): string | undefined {
  const m = COSIGN_TAG.exec(tag);
  return m ? `sha256:${m[1]}` : undefined;
}

export function formatAge(ms: number): string {
  const h = Math.floor(ms / 3_600_000);
  return h >= 48 ? `${Math.floor(h / 24)}d` : `${h}h`;
}

export function planPrune(tags: readonly TagInfo[], o: PruneOptions): PrunePlan {
  const order = new Map(tags.map((t, i) => [t.tag, i]));
  const kept = new Map<string, Kept>();
  const going: TagInfo[] = [];
  const matching: TagInfo[] = [];
  for (const t of tags) {
    if (cosignSubject(t.tag) || t.tag === STAGING_TAG) continue;
    if (o.match.test(t.tag)) matching.push(t);
    else kept.set(t.tag, {...t, reason: `not matched by prune-match (${o.match.source})`});
  }
  // newest first: created descending, then later in the registry's list first
  const ranked = [...matching].sort(
    (a, b) => (b.created ?? -Infinity) - (a.created ?? -Infinity) || (order.get(b.tag) ?? 0) - (order.get(a.tag) ?? 0)
  );
  ranked.forEach((t, i) => {
    if (i < o.keep) {
      kept.set(t.tag, {...t, reason: `one of the newest ${o.keep} (prune-keep)`});
    } else if (o.olderThanMs !== undefined && t.created === undefined) {
      kept.set(t.tag, {
        ...t,
        reason: 'age unknown (its image config has no created time), so not older than prune-older-than'
      });
    } else if (o.olderThanMs !== undefined && o.now - (t.created ?? 0) <= o.olderThanMs) {
      kept.set(t.tag, {
        ...t,
        reason: `${formatAge(o.now - (t.created ?? 0))} old, not older than prune-older-than (${formatAge(o.olderThanMs)})`
      });
    } else {
      going.push(t);
    }
  });
  // a digest any staying tag points at stays, whatever that tag's name
  const keptByDigest = new Map<string, string>();
  for (const k of kept.values()) if (!keptByDigest.has(k.digest)) keptByDigest.set(k.digest, k.tag);
  const remove: {tag: string; digest: string}[] = [];
  going.sort((a, b) => (order.get(a.tag) ?? 0) - (order.get(b.tag) ?? 0));
  for (const t of going) {
    const other = keptByDigest.get(t.digest);
    if (other) kept.set(t.tag, {...t, reason: `same digest as ${other}, which stays`});
    else remove.push({tag: t.tag, digest: t.digest});
  }
  const removedDigests = new Set(remove.map(r => r.digest));
  const digests = [...removedDigests];
  const cosignDigests: string[] = [];
  for (const t of tags) {
    const subject = cosignSubject(t.tag);
    if (!subject) continue;
    if (removedDigests.has(subject) && !keptByDigest.has(t.digest)) {
      remove.push({tag: t.tag, digest: t.digest});
      if (!removedDigests.has(t.digest) && !cosignDigests.includes(t.digest)) cosignDigests.push(t.digest);
    } else {
      kept.set(t.tag, {
        ...t,
        reason: removedDigests.has(subject)
          ? 'shares its digest with a tag that stays'
          : `cosign tag of ${subject.slice(0, 19)}…, which is not removed`
      });
    }
  }
  for (const t of tags)
    if (t.tag === STAGING_TAG)
      kept.set(t.tag, {
        ...t,
        reason: removedDigests.has(t.digest)
          ? "the step's staging tag: not pruned by name; it goes with its digest"
          : "the step's staging tag: not pruned by name, and it keeps no digest"
      });
  remove.sort((a, b) => (order.get(a.tag) ?? 0) - (order.get(b.tag) ?? 0));
  return {
    remove,
    kept: [...kept.values()].sort((a, b) => (order.get(a.tag) ?? 0) - (order.get(b.tag) ?? 0)),
    digests: [...digests, ...cosignDigests]
  };
}
