import {cosignSubject, planPrune, TagInfo} from '../../../src/plan/prune';
import {compileMatch, parseDuration, parseKeep} from '../../../src/config/retention';

const DAY = 86_400_000;
const NOW = Date.parse('2026-12-01T00:00:00Z');
const hex = (c: string): string => c.repeat(64);
const dg = (c: string): string => `sha256:${hex(c)}`;
/** tag, digest letter, age in days (undefined: no created time) */
const tags = (rows: [string, string, number | undefined][]): TagInfo[] =>
  rows.map(([tag, d, age]) => ({tag, digest: dg(d), created: age === undefined ? undefined : NOW - age * DAY}));

// the repository of the end-to-end test, in the registry's (lexical) order
const REPO = tags([
  ['1.0.0', 'b', 20],
  ['latest', 'd', 2],
  ['sha-aaaaaaa', 'a', 40],
  ['sha-bbbbbbb', 'b', 20],
  ['sha-ccccccc', 'c', 10],
  ['sha-ddddddd', 'd', 2],
  ['sha-eeeeeee', 'e', 30],
  [`sha256-${hex('a')}.sig`, '1', undefined],
  [`sha256-${hex('b')}.sig`, '2', undefined],
  [`sha256-${hex('d')}.sig`, '3', undefined]
]);

describe('planPrune', () => {
  test.each<[string, string, string[], RegExp]>([
    ['on a digest that goes: it keeps it from nobody', 'a', ['sha-aaaaaaa', 'sha-eeeeeee'], /goes with its digest/],
    ['on a digest that stays', 'd', ['sha-aaaaaaa', 'sha-eeeeeee'], /keeps no digest/]
  ])('the staging tag (publish-image-staging) is never removed by name, %s', (_n, d, removed, reason) => {
    const input = [...REPO, ...tags([['publish-image-staging', d, 40]])];
    const plan = planPrune(input, {match: /.*/, keep: 3, now: NOW});
    // every tag matches, yet the staging tag is no candidate and protects nothing
    expect(plan.remove.map(r => r.tag).filter(t => !t.startsWith('sha256-'))).toEqual(expect.arrayContaining(removed));
    expect(plan.remove.map(r => r.tag)).not.toContain('publish-image-staging');
    expect(plan.kept.find(k => k.tag === 'publish-image-staging')?.reason).toMatch(reason);
    expect(plan.remove.length + plan.kept.length).toBe(input.length);
  });

  test.each<[string, TagInfo[], {keep: number; olderThanDays?: number; match?: RegExp}, string[], string[]]>([
    [
      'keep 1, older than 15d: the release tag holds sha-bbbbbbb, sha-ccccccc is too young, sha-a/e and the signature of a go',
      REPO,
      {keep: 1, olderThanDays: 15},
      ['sha-aaaaaaa', 'sha-eeeeeee', `sha256-${hex('a')}.sig`],
      [dg('a'), dg('e'), dg('1')]
    ],
    [
      'keep 1, no age limit: sha-ccccccc goes too, sha-bbbbbbb still held by 1.0.0',
      REPO,
      {keep: 1},
      ['sha-aaaaaaa', 'sha-ccccccc', 'sha-eeeeeee', `sha256-${hex('a')}.sig`],
      [dg('a'), dg('c'), dg('e'), dg('1')]
    ],
    ['keep 10 (default): nothing goes', REPO, {keep: 10}, [], []],
    [
      'keep 0 with ^sha-: sha-ddddddd stays through latest, sha-bbbbbbb through 1.0.0',
      REPO,
      {keep: 0},
      ['sha-aaaaaaa', 'sha-ccccccc', 'sha-eeeeeee', `sha256-${hex('a')}.sig`],
      [dg('a'), dg('c'), dg('e'), dg('1')]
    ],
    [
      'match everything, keep 0: every digest goes, signatures with them, cosign tags never matched themselves',
      tags([
        ['a', 'a', 1],
        ['b', 'a', 2],
        [`sha256-${hex('a')}.sig`, '1', undefined]
      ]),
      {keep: 0, match: /.*/},
      ['a', 'b', `sha256-${hex('a')}.sig`],
      [dg('a'), dg('1')]
    ],
    [
      'equal or unknown times: the later-listed tag counts as newer',
      tags([
        ['pr-1', 'a', 5],
        ['pr-2', 'b', 5],
        ['pr-3', 'c', undefined]
      ]),
      {keep: 1, match: /^pr-/},
      ['pr-1', 'pr-3'],
      [dg('a'), dg('c')]
    ],
    [
      'unknown age is never older than prune-older-than',
      tags([
        ['pr-1', 'a', 50],
        ['pr-2', 'b', undefined]
      ]),
      {keep: 0, olderThanDays: 7, match: /^pr-/},
      ['pr-1'],
      [dg('a')]
    ]
  ])('%s', (_, input, o, removed, digests) => {
    const plan = planPrune(input, {
      match: o.match ?? /^sha-/,
      keep: o.keep,
      olderThanMs: o.olderThanDays === undefined ? undefined : o.olderThanDays * DAY,
      now: NOW
    });
    expect(plan.remove.map(r => r.tag)).toEqual(removed);
    expect(plan.digests).toEqual(digests);
    // every tag is either removed or kept, with a reason
    expect(plan.remove.length + plan.kept.length).toBe(input.length);
    for (const k of plan.kept) expect(k.reason).not.toBe('');
  });

  test.each<[string, RegExp]>([
    ['latest', /not matched by prune-match/],
    ['sha-ddddddd', /newest 1 \(prune-keep\)/],
    ['sha-ccccccc', /10d old, not older than prune-older-than \(15d\)/],
    ['sha-bbbbbbb', /same digest as 1\.0\.0, which stays/],
    [`sha256-${hex('d')}.sig`, /cosign tag of sha256:dddd.*not removed/]
  ])('the reason %s stays', (tag, reason) => {
    const plan = planPrune(REPO, {match: /^sha-/, keep: 1, olderThanMs: 15 * DAY, now: NOW});
    expect(plan.kept.find(k => k.tag === tag)?.reason).toMatch(reason);
  });
});

test.each<[string, string | undefined]>([
  [`sha256-${hex('a')}.sig`, dg('a')],
  [`sha256-${hex('a')}.att`, dg('a')],
  [`sha256-${hex('a')}.sbom`, dg('a')],
  [`sha256-${hex('a')}.foo`, undefined],
  ['sha256-abc.sig', undefined],
  ['sha-abc', undefined]
])('cosignSubject(%s)', (tag, subject) => expect(cosignSubject(tag)).toBe(subject));

test.each<[string, number]>([
  ['30d', 30 * DAY],
  ['12h', 12 * 3_600_000],
  ['90m', 90 * 60_000],
  ['2w', 14 * DAY],
  [' 1d ', DAY]
])('parseDuration(%j)', (text, ms) => expect(parseDuration(text)).toBe(ms));

test.each(['30', 'd', '0d', '-1d', '1.5d', '1y', '30 days'])('parseDuration(%j) says what is accepted', text =>
  expect(parseDuration(text)).toMatch(/is not a duration; write .* e\.g\. 30d or 12h/)
);

test.each<[string, string, boolean]>([
  ['^sha-', 'sha-1234567', true],
  ['^sha-', 'v1-sha-1', false],
  ['^pr-\\d+$', 'pr-12', true],
  ['^pr-\\d+$', 'pr-12-x', false]
])('compileMatch(%j) on %j', (re, tag, hit) => expect((compileMatch(re) as RegExp).test(tag)).toBe(hit));

test.each<[string, RegExp]>([
  ['', /needs a regular expression/],
  ['sha-(', /is not a regular expression \(.*\); fix it/],
  ['[a-', /is not a regular expression/]
])('compileMatch(%j) fails', (re, msg) => expect(compileMatch(re)).toMatch(msg));

test.each<[string, number]>([
  ['10', 10],
  ['0', 0],
  [' 7 ', 7]
])('parseKeep(%j)', (text, want) => expect(parseKeep(text)).toBe(want));

test.each(['-1', 'ten', '1.5'])('parseKeep(%j) says what is accepted', text =>
  expect(parseKeep(text)).toMatch(/is not a whole number; write how many matching tags to keep/)
);
