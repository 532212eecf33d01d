/** Labels and annotations: the default OCI set, then the user's entries (rendered), last value per key, sorted. */
import {RepoFacts} from './types';

export interface LabelFacts {
  repo: RepoFacts;
  version: string;
  created: string;
  revision: string;
}

export function defaultOciEntries(f: LabelFacts): string[] {
  return [
    `org.opencontainers.image.title=${f.repo.name || ''}`,
    `org.opencontainers.image.description=${f.repo.description || ''}`,
    `org.opencontainers.image.url=${f.repo.html_url || ''}`,
    `org.opencontainers.image.source=${f.repo.html_url || ''}`,
    `org.opencontainers.image.version=${f.version}`,
    `org.opencontainers.image.created=${f.created}`,
    `org.opencontainers.image.revision=${f.revision}`,
    `org.opencontainers.image.licenses=${f.repo.license?.spdx_id || ''}`
  ];
}

/** Entries without `=` are dropped; `key=` keeps an empty value; a later key wins; sorted by key (localeCompare). */
export function mergeEntries(defaults: readonly string[], extra: readonly string[]): string[] {
  const map = new Map<string, string>();
  for (const e of [...defaults, ...extra]) {
    const i = e.indexOf('=');
    if (i < 0) continue;
    map.set(e.slice(0, i), e.slice(i + 1));
  }
  return [...map.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`);
}

/** `key=value` entries as an object (the `json` output's labels), split at the first `=`. */
export function keyValueObject(entries: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of entries) {
    const i = e.indexOf('=');
    if (i >= 0) out[e.slice(0, i)] = e.slice(i + 1);
  }
  return out;
}

/**
 * What the image itself gets: the entries without the default OCI keys whose value is empty (metadata-action's
 * outputs keep `key=` for a fact nobody knows, such as a repository with no description or license; an image label
 * with no value says nothing). A key the user gave keeps its value, empty or not. Annotations may carry a level
 * prefix (`manifest:`, `index:`).
 */
export function withoutEmptyDefaults(entries: readonly string[], userEntries: readonly string[]): string[] {
  const key = (e: string): string => e.slice(0, e.indexOf('=')).replace(/^[a-z-]+(\[[^\]]*\])?:(?=org\.)/, '');
  const given = new Set(userEntries.map(key));
  return entries.filter(e => {
    const k = key(e);
    return !(e.slice(e.indexOf('=') + 1) === '' && k.startsWith('org.opencontainers.image.') && !given.has(k));
  });
}

/** level:key=value annotations -> the key=value of the index level (the manifest level when none is given). */
export function plainAnnotations(leveled: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of leveled) {
    const m = /^(?:([a-z-]+(?:\[[^\]]*\])?):)?([^=]+)=(.*)$/s.exec(a);
    if (!m) continue;
    const level = m[1] ?? 'manifest';
    if (level.startsWith('index') || level === 'manifest') out[m[2] ?? ''] = m[3] ?? '';
  }
  return out;
}
