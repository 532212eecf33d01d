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
    /^flavor: "latest" is not key=value; accepted: latest=auto\|true\|false, prefix=\.\.\., suffix=\.\.\., onlatest=true\|false$/
  ],
  [['latest=always'], /^flavor: latest must be auto, true or false, got "always" in "latest=always"$/],
  [['prefix=v,onlatest=yes'], /^flavor: onlatest must be true or false, got "yes" in "prefix=v,onlatest=yes"$/],
  [['colour=blue'], /^flavor: unknown key "colour" in "colour=blue"; accepted: latest, prefix, suffix, onlatest$/]
])('flavor %j', (entries, message) => {
  expect(() => parseFlavor(entries)).toThrow(message);
});

test.each<[string[], RegExp]>([
  [
    ['name=a/b', 'name=c/d,enable=yes'],
    /^images: enable must be exactly "true" or "false", got "yes" in "name=c\/d,enable=yes"$/
  ],
  [
    ['name=a/b', 'name=c/d,registry=x'],
    /^images: unknown attribute "registry" in "name=c\/d,registry=x"; accepted: name, enable$/
  ],
  [['name=a/b', 'name=,enable=true'], /^images: empty image name in "name=,enable=true"$/]
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
