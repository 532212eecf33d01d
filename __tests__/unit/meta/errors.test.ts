/** Invalid configuration fails with a message that quotes the offending entry and says what is accepted. */
import {computeMetadata} from '../../../src/meta/engine';
import {parseFlavor} from '../../../src/meta/flavor';
import {parseImages} from '../../../src/meta/images';
import {parseTag} from '../../../src/meta/tags';
import {GitContext} from '../../../src/meta/types';

test.each<[string, RegExp]>([
  [
    'type=foo,value=bar',
    /^tags: "type=foo,value=bar": unknown type "foo"; expected one of schedule, semver, pep440, match, edge, ref, raw, sha$/
  ],
  ['type=semver', /^tags: "type=semver": type=semver needs a pattern, e\.g\. pattern=\{\{version\}\}$/],
  ['type=pep440,value=1.0', /^tags: "type=pep440,value=1\.0": type=pep440 needs a pattern/],
  ['type=match,pattern=((', /^tags: "type=match,pattern=\(\(": invalid regular expression \(\(: /],
  [
    'type=semver,pattern={{version}},match=v(',
    /^tags: "type=semver,pattern=\{\{version\}\},match=v\(": invalid regular expression in match: /
  ],
  [
    'type=match,pattern=v(\\d),group=one',
    /^tags: "type=match,pattern=v\(\\d\),group=one": group must be a number, got "one"$/
  ],
  ['type=ref', /^tags: "type=ref": type=ref needs event=branch\|tag\|pr$/],
  ['type=ref,event=push', /^tags: "type=ref,event=push": unknown event "push"; expected one of branch, tag, pr$/],
  ['type=sha,format=medium', /^tags: "type=sha,format=medium": unknown format "medium"; expected short or long$/],
  ['type=raw', /^tags: "type=raw": type=raw needs a value, e\.g\. type=raw,value=stable$/]
])('tags %j', (entry, message) => {
  expect(() => parseTag(entry)).toThrow(message);
});

test.each<[string[], RegExp]>([
  [
    ['latest'],
    /^flavor: "latest": "latest" is not key=value; accepted: latest=auto\|true\|false, prefix=\.\.\., suffix=\.\.\., onlatest=true\|false$/
  ],
  [['latest=always'], /^flavor: "latest=always": latest must be auto, true or false, got "always"$/],
  [['prefix=v,onlatest=yes'], /^flavor: "prefix=v,onlatest=yes": onlatest must be true or false, got "yes"$/],
  [['colour=blue'], /^flavor: "colour=blue": unknown key "colour"; accepted: latest, prefix, suffix, onlatest$/]
])('flavor %j', (entries, message) => {
  expect(() => parseFlavor(entries)).toThrow(message);
});

test.each<[string[], RegExp]>([
  [
    ['name=a/b', 'name=c/d,enable=yes'],
    /^images: "name=c\/d,enable=yes": enable must be exactly "true" or "false", got "yes"$/
  ],
  [
    ['name=a/b', 'name=c/d,registry=x'],
    /^images: "name=c\/d,registry=x": unknown attribute "registry"; accepted: name, enable$/
  ],
  [
    ['name=a/b', 'name=,enable=true'],
    /^images: "name=,enable=true": the image name is empty; write name=registry\/owner\/app or just registry\/owner\/app$/
  ]
])('images %j', (entries, message) => {
  expect(() => parseImages(entries)).toThrow(message);
});

const ctx: GitContext = {
  eventName: 'push',
  ref: 'refs/tags/v1.2.3',
  sha: '1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d',
  payload: {},
  repository: 'o/r'
};
const now = new Date('2020-01-10T00:30:00Z');
const run = (tags: string[]) =>
  computeMetadata(
    {images: ['o/r'], tags, flavor: [], labels: [], annotations: []},
    ctx,
    {},
    {now, commitDate: now},
    {shortShaLength: 7, annotationLevels: ['manifest']}
  );

test.each<[string, RegExp]>([
  [
    'type=raw,value=x,enable=yes',
    /^tags: "type=raw,value=x,enable=yes": enable must be exactly "true" or "false", got "yes"$/
  ],
  ['type=raw,value=x,enable=True', /got "True"/],
  [
    'type=semver,pattern={{version}},match=v\\d',
    /^tags: "type=semver,pattern=\{\{version\}\},match=v\\d": match=v\\d needs a capture group/
  ]
])('evaluation of %j', (entry, message) => {
  expect(() => run([entry])).toThrow(message);
});

test('a rule that does not match warns and goes on', () => {
  const m = run(['type=match,pattern=^release-(.*)$,group=1', 'type=semver,pattern={{version}}']);
  expect(m.tagNames).toEqual(['1.2.3', 'latest']);
  expect(m.warnings).toEqual(['^release-(.*)$ does not match v1.2.3.']);
});

const runWith = (over: Partial<{tags: string[]; flavor: string[]; labels: string[]; annotations: string[]}>) =>
  computeMetadata(
    {images: ['o/r'], tags: ['type=raw,value=x'], flavor: [], labels: [], annotations: [], ...over},
    {...ctx, eventName: 'schedule'},
    {},
    {now, commitDate: now},
    {shortShaLength: 7, annotationLevels: ['manifest']}
  );

test.each<[string, Parameters<typeof runWith>[0], RegExp]>([
  [
    'a date helper without a format',
    {labels: ['built={{date}}']},
    /^labels: "built=\{\{date\}\}": \{\{date\}\} needs a format, e\.g\. \{\{date 'YYYYMMDD'\}\}/
  ],
  [
    'a date helper with an unknown attribute',
    {tags: ["type=raw,value={{commit_date 'YYYY' zone='UTC'}}"]},
    /^tags: "type=raw,value=\{\{commit_date 'YYYY' zone='UTC'\}\}": Unknown zone attribute in \{\{commit_date\}\}; accepted: tz$/
  ],
  [
    'a template syntax error in a tag value',
    {tags: ['type=raw,value={{branch']},
    /^tags: "type=raw,value=\{\{branch": invalid template: Parse error on line 1/
  ],
  [
    'a template syntax error in an annotation',
    {annotations: ['a={{#if}}']},
    /^annotations: "a=\{\{#if\}\}": invalid template: /
  ],
  [
    'a template syntax error in a schedule pattern',
    {tags: ['type=schedule,pattern={{date']},
    /^tags: "type=schedule,pattern=\{\{date": invalid template: /
  ],
  [
    'a template error in the flavor prefix',
    {flavor: ['prefix={{date}}-']},
    /^flavor: "prefix=\{\{date\}\}-": \{\{date\}\} needs a format/
  ]
])('templates: %s', (_name, over, message) => {
  expect(() => runWith(over)).toThrow(message);
});

test.each<[string, () => unknown, RegExp]>([
  [
    'tags: a quote inside a field',
    () => parseTag('type=raw,value=a"b'),
    /^tags: "type=raw,value=a"b": cannot split the entry into fields \(Invalid Opening Quote: .*\); a quote may only wrap a whole field/
  ],
  [
    'tags: an unclosed quote',
    () => parseTag('type=raw,"value=a'),
    /^tags: "type=raw,"value=a": cannot split the entry into fields \(Quote Not Closed/
  ],
  [
    'flavor: a quote inside a field',
    () => parseFlavor(['prefix=a"b']),
    /^flavor: "prefix=a"b": cannot split the entry into fields/
  ],
  [
    'images: a quote inside a field',
    () => parseImages(['name=a"b']),
    /^images: "name=a"b": cannot split the entry into fields/
  ]
])('%s', (_name, fn, message) => {
  expect(fn).toThrow(message);
});
