/** The `tags` DSL of docker/metadata-action: parsing entries into typed rules, with defaults and priorities. */
import {InputError} from '../errors';
import {entryFields} from './csv';

export const TAG_TYPES = ['schedule', 'semver', 'pep440', 'match', 'edge', 'ref', 'raw', 'sha'] as const;
export type TagType = (typeof TAG_TYPES)[number];
export const REF_EVENTS = ['branch', 'tag', 'pr'] as const;
export const SHA_FORMATS = ['short', 'long'] as const;

export const DEFAULT_PRIORITIES: Record<TagType, string> = {
  schedule: '1000',
  semver: '900',
  pep440: '900',
  match: '800',
  edge: '700',
  ref: '600',
  raw: '200',
  sha: '100'
};

/** The rules used when `tags` is empty. */
export const DEFAULT_TAGS = ['type=schedule', 'type=ref,event=branch', 'type=ref,event=tag', 'type=ref,event=pr'];

export interface TagRule {
  type: TagType;
  /** every attribute, defaults filled in (values are strings, as in the DSL) */
  attrs: Record<string, string>;
  /** the entry as written, for messages */
  entry: string;
}

function fail(entry: string, what: string): never {
  throw new InputError('tags', `tags: "${entry}": ${what}`);
}

function has(attrs: Record<string, string>, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(attrs, k);
}

/** Parses one entry: fields split at their first `=`; a field without `=` is the value; `type` defaults to raw. */
export function parseTag(entry: string): TagRule {
  const attrs: Record<string, string> = {};
  let type: string | undefined;
  for (const field of entryFields(entry)) {
    const parts = field.split(/(?<=^[^=]+?)=/).map(s => s.trim());
    if (parts.length === 1) {
      attrs['value'] = parts[0] ?? '';
      continue;
    }
    const key = (parts[0] ?? '').toLowerCase();
    const value = parts[1] ?? '';
    if (key === 'type') {
      if (!(TAG_TYPES as readonly string[]).includes(value))
        fail(entry, `unknown type "${value}"; expected one of ${TAG_TYPES.join(', ')}`);
      type = value;
    } else {
      attrs[key] = value;
    }
  }
  const t = (type ?? 'raw') as TagType;
  switch (t) {
    case 'schedule':
      if (!has(attrs, 'pattern')) attrs['pattern'] = 'nightly';
      break;
    case 'semver':
    case 'pep440':
      if (!has(attrs, 'pattern')) fail(entry, `type=${t} needs a pattern, e.g. pattern={{version}}`);
      if (!has(attrs, 'value')) attrs['value'] = '';
      if (!has(attrs, 'match')) attrs['match'] = '';
      break;
    case 'match':
      if (!has(attrs, 'pattern'))
        fail(entry, 'type=match needs a pattern (a regular expression), e.g. pattern=\\d.\\d');
      if (!has(attrs, 'group')) attrs['group'] = '0';
      if (isNaN(+(attrs['group'] ?? ''))) fail(entry, `group must be a number, got "${attrs['group']}"`);
      if (!has(attrs, 'value')) attrs['value'] = '';
      break;
    case 'edge':
      if (!has(attrs, 'branch')) attrs['branch'] = '';
      break;
    case 'ref':
      if (!has(attrs, 'event')) fail(entry, `type=ref needs event=${REF_EVENTS.join('|')}`);
      if (!(REF_EVENTS as readonly string[]).includes(attrs['event'] ?? ''))
        fail(entry, `unknown event "${attrs['event']}"; expected one of ${REF_EVENTS.join(', ')}`);
      if (attrs['event'] === 'pr' && !has(attrs, 'prefix')) attrs['prefix'] = 'pr-';
      break;
    case 'raw':
      if (!has(attrs, 'value')) fail(entry, 'type=raw needs a value, e.g. type=raw,value=stable');
      break;
    case 'sha':
      if (!has(attrs, 'prefix')) attrs['prefix'] = 'sha-';
      if (!has(attrs, 'format')) attrs['format'] = 'short';
      if (!(SHA_FORMATS as readonly string[]).includes(attrs['format'] ?? ''))
        fail(entry, `unknown format "${attrs['format']}"; expected short or long`);
      break;
  }
  if (!has(attrs, 'enable')) attrs['enable'] = 'true';
  if (!has(attrs, 'priority')) attrs['priority'] = DEFAULT_PRIORITIES[t];
  if (t === 'match') {
    const p = attrs['pattern'] ?? '';
    const re = /^\/(.+)\/(.*)$/.exec(p);
    try {
      if (re) new RegExp(re[1] ?? '', re[2]);
      else new RegExp(p);
    } catch (e) {
      fail(
        entry,
        `invalid regular expression ${p}: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}`
      );
    }
  }
  if ((t === 'semver' || t === 'pep440') && attrs['match']) {
    try {
      new RegExp(attrs['match']);
    } catch (e) {
      fail(
        entry,
        `invalid regular expression in match: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}`
      );
    }
  }
  return {type: t, attrs, entry};
}

/** Parses every entry (defaults when none) and orders them by priority, highest first; ties keep their order. */
export function parseTags(entries: readonly string[]): TagRule[] {
  const list = (entries.length ? entries : DEFAULT_TAGS).map(parseTag);
  return list
    .map((t, i) => ({t, i}))
    .sort((a, b) => {
      const d = Number(b.t.attrs['priority']) - Number(a.t.attrs['priority']);
      return isNaN(d) || d === 0 ? a.i - b.i : d;
    })
    .map(x => x.t);
}
