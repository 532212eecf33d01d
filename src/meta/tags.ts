/** The `tags` DSL of docker/metadata-action: parsing entries into typed rules, with defaults and priorities. */
import {InputError} from '../errors';
import {entryFields} from './csv';

export const TAG_TYPES = ['schedule', 'semver', 'pep440', 'match', 'edge', 'ref', 'raw', 'sha'] as const;
export type TagType = (typeof TAG_TYPES)[number];
export const REF_EVENTS = ['branch', 'tag', 'pr'] as const;
export type RefEvent = (typeof REF_EVENTS)[number];
export const SHA_FORMATS = ['short', 'long'] as const;
export type ShaFormat = (typeof SHA_FORMATS)[number];

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

/**
 * Attributes every rule has once parsed. Values stay strings, as in the DSL (`enable` is a template, `priority`
 * is compared as Number()); attributes no type knows are kept, as upstream keeps them.
 */
export interface CommonAttrs {
  enable: string;
  priority: string;
  prefix?: string;
  suffix?: string;
  [key: string]: string | undefined;
}

interface Rule<T extends TagType, A> {
  type: T;
  attrs: CommonAttrs & A;
  /** the entry as written, for messages */
  entry: string;
}

export type ScheduleRule = Rule<'schedule', {pattern: string}>;
export type VersionRule = Rule<'semver' | 'pep440', {pattern: string; value: string; match: string}>;
export type MatchRule = Rule<'match', {pattern: string; group: string; value: string}>;
export type EdgeRule = Rule<'edge', {branch: string}>;
export type RefRule = Rule<'ref', {event: RefEvent}>;
export type RawRule = Rule<'raw', {value: string}>;
export type ShaRule = Rule<'sha', {prefix: string; format: ShaFormat}>;
export type TagRule = ScheduleRule | VersionRule | MatchRule | EdgeRule | RefRule | RawRule | ShaRule;

function fail(entry: string, what: string): never {
  throw new InputError('tags', `tags: "${entry}": ${what}`);
}

function has(attrs: Record<string, string>, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(attrs, k);
}

function checkRegex(entry: string, source: string, flags: string, what: string): void {
  try {
    new RegExp(source, flags);
  } catch (e) {
    fail(
      entry,
      `invalid regular expression ${what}: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}`
    );
  }
}

/**
 * Parses one entry: fields split at their first `=` (key lower-cased, both sides trimmed); a field without `=`
 * is the value; `type` defaults to raw; each type's defaults are filled in and its required attributes checked.
 */
export function parseTag(entry: string): TagRule {
  const attrs: Record<string, string> = {};
  let type: TagType = 'raw';
  for (const field of entryFields(entry, 'tags')) {
    const parts = field.split(/(?<=^[^=]+?)=/).map(s => s.trim());
    if (parts.length === 1) {
      attrs['value'] = parts[0] ?? '';
      continue;
    }
    const key = (parts[0] ?? '').toLowerCase();
    const value = parts[1] ?? '';
    if (key !== 'type') attrs[key] = value;
    else if ((TAG_TYPES as readonly string[]).includes(value)) type = value as TagType;
    else fail(entry, `unknown type "${value}"; expected one of ${TAG_TYPES.join(', ')}`);
  }
  const setDefault = (k: string, v: string): void => {
    if (!has(attrs, k)) attrs[k] = v;
  };
  switch (type) {
    case 'schedule':
      setDefault('pattern', 'nightly');
      break;
    case 'semver':
    case 'pep440':
      if (!has(attrs, 'pattern')) fail(entry, `type=${type} needs a pattern, e.g. pattern={{version}}`);
      setDefault('value', '');
      setDefault('match', '');
      if (attrs['match']) checkRegex(entry, attrs['match'], '', 'in match');
      break;
    case 'match': {
      if (!has(attrs, 'pattern'))
        fail(entry, 'type=match needs a pattern (a regular expression), e.g. pattern=\\d.\\d');
      setDefault('group', '0');
      if (isNaN(+(attrs['group'] ?? ''))) fail(entry, `group must be a number, got "${attrs['group']}"`);
      setDefault('value', '');
      const p = attrs['pattern'] ?? '';
      const re = /^\/(.+)\/(.*)$/.exec(p);
      if (re) checkRegex(entry, re[1] ?? '', re[2] ?? '', p);
      else checkRegex(entry, p, '', p);
      break;
    }
    case 'edge':
      setDefault('branch', '');
      break;
    case 'ref':
      if (!has(attrs, 'event')) fail(entry, `type=ref needs event=${REF_EVENTS.join('|')}`);
      if (!(REF_EVENTS as readonly string[]).includes(attrs['event'] ?? ''))
        fail(entry, `unknown event "${attrs['event']}"; expected one of ${REF_EVENTS.join(', ')}`);
      if (attrs['event'] === 'pr') setDefault('prefix', 'pr-');
      break;
    case 'raw':
      if (!has(attrs, 'value')) fail(entry, 'type=raw needs a value, e.g. type=raw,value=stable');
      break;
    case 'sha':
      setDefault('prefix', 'sha-');
      setDefault('format', 'short');
      if (!(SHA_FORMATS as readonly string[]).includes(attrs['format'] ?? ''))
        fail(entry, `unknown format "${attrs['format']}"; expected short or long`);
      break;
  }
  setDefault('enable', 'true');
  setDefault('priority', DEFAULT_PRIORITIES[type]);
  // Every attribute each type requires is set above.
  return {type, attrs, entry} as TagRule;
}

/**
 * Parses every entry (the defaults when there is none) and orders them by priority, highest first, with
 * metadata-action's own comparator (a stable sort: equal priorities keep their order).
 */
export function parseTags(entries: readonly string[]): TagRule[] {
  return (entries.length ? entries : DEFAULT_TAGS).map(parseTag).sort((a, b) => {
    const pa = Number(a.attrs.priority);
    const pb = Number(b.attrs.priority);
    if (pa < pb) return 1;
    if (pa > pb) return -1;
    return 0;
  });
}
