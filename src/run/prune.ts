/**
 * mode prune against the registries: list each repository's tags, resolve their digests and the `created` time of
 * their images, apply the pure retention plan (plan/prune.ts), then delete the manifests by digest through the
 * registry layer (its auth and retries). dry-run lists and deletes nothing.
 */
import {Target, RetentionPlan} from '../plan/types';
import {cosignSubject, PrunePlan, planPrune, TagInfo} from '../plan/prune';
import {Repository} from '../reference';
import {RegistryClient, RegistryError} from '../registry';
import {pool} from './publish';

export interface PruneResult {
  image: string;
  plan: PrunePlan;
  dryRun: boolean;
}

/** A registry that does not allow deletes: the cause and the fix. */
export class DeleteRefusedError extends Error {
  constructor(
    public readonly image: string,
    public readonly status: number,
    public readonly detail: string
  ) {
    super(
      `${image}: the registry refused to delete a manifest (${status}${detail ? ` ${detail}` : ''}): it does not allow deletes, so nothing was pruned there. ` +
        'Enable deletes on the registry (Distribution/registry:2: storage.delete.enabled: true, or REGISTRY_STORAGE_DELETE_ENABLED=true; ' +
        'a hosted registry: give the account delete rights, or use its own retention policy), or set dry-run: true to only list what would go.'
    );
    this.name = 'DeleteRefusedError';
  }
}

/** The `created` time of an image (an index: its first real platform's), ms; undefined when there is none. */
export async function createdOf(client: RegistryClient, repo: Repository, digest: string): Promise<number | undefined> {
  let m = await client.getManifest(repo, digest);
  if (!m) return undefined;
  if (RegistryClient.isIndex(m)) {
    const entry = RegistryClient.indexEntries(m).find(e => e.platform && e.platform.os !== 'unknown');
    if (!entry) return undefined;
    m = await client.getManifest(repo, entry.digest);
    if (!m) return undefined;
  }
  const config = (JSON.parse(m.body.toString('utf8')) as {config?: {digest?: string}}).config?.digest;
  if (!config) return undefined;
  const created = (JSON.parse((await client.getBlob(repo, config)).toString('utf8')) as {created?: string}).created;
  const t = created ? Date.parse(created) : NaN;
  return Number.isFinite(t) ? t : undefined;
}

export async function pruneRepository(
  client: RegistryClient,
  t: Target,
  rules: RetentionPlan,
  o: {dryRun: boolean; now: number; log: (s: string) => void}
): Promise<PruneResult> {
  const names = await client.listTags(t.repo);
  o.log(`${t.image}: ${names.length} tags`);
  const created = new Map<string, Promise<number | undefined>>();
  const infos = (
    await pool(names, 4, async (tag): Promise<TagInfo | undefined> => {
      const m = await client.getManifest(t.repo, tag, 'HEAD');
      if (!m?.digest) return undefined;
      if (cosignSubject(tag) || !rules.match.test(tag)) return {tag, digest: m.digest};
      if (!created.has(m.digest)) created.set(m.digest, createdOf(client, t.repo, m.digest));
      return {tag, digest: m.digest, created: await created.get(m.digest)};
    })
  ).filter((x): x is TagInfo => !!x);
  const plan = planPrune(infos, {match: rules.match, keep: rules.keep, olderThanMs: rules.olderThanMs, now: o.now});
  for (const k of plan.kept) o.log(`keep ${t.image}:${k.tag}: ${k.reason}`);
  for (const r of plan.remove) o.log(`${o.dryRun ? 'would remove' : 'remove'} ${t.image}:${r.tag} (${r.digest})`);
  if (!o.dryRun) {
    for (const digest of plan.digests) {
      const res = await client.deleteManifestStatus(t.repo, digest);
      if (res.status === 405 || /UNSUPPORTED/.test(res.detail))
        throw new DeleteRefusedError(t.image, res.status, res.detail);
      if (res.status === 404) o.log(`${t.image}@${digest}: already gone`);
      else if (res.status >= 300)
        throw new RegistryError(
          `DELETE ${t.image}@${digest}: ${res.status} ${res.detail}`,
          res.status,
          false,
          res.detail
        );
      else o.log(`deleted ${t.image}@${digest}`);
    }
  }
  return {image: t.image, plan, dryRun: o.dryRun};
}

const esc = (s: string): string => s.replace(/\|/g, '\\|');

/** Markdown for the job summary: per repository, what goes and why each other tag stays. */
export function renderPruneSummary(results: readonly PruneResult[]): string {
  const out = ['## publish-image: prune', ''];
  if (results.some(r => r.dryRun)) out.push('> Dry run: nothing was deleted; "removed" means would be removed.', '');
  for (const r of results) {
    out.push(`### \`${esc(r.image)}\``, '', `${r.plan.remove.length} removed, ${r.plan.kept.length} kept`, '');
    out.push('| tag | digest | | why |', '|---|---|---|---|');
    for (const x of r.plan.remove) out.push(`| \`${esc(x.tag)}\` | \`${x.digest.slice(0, 19)}…\` | removed | |`);
    for (const k of r.plan.kept)
      out.push(`| \`${esc(k.tag)}\` | \`${k.digest.slice(0, 19)}…\` | kept | ${esc(k.reason)} |`);
    out.push('');
  }
  return out.join('\n');
}
