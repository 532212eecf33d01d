/**
 * Behaviour of the engine beyond upstream's own vectors: the library semantics that leak through (Handlebars
 * escaping, moment formats), upstream's quirks kept on purpose, and the warnings. Each row is probed against
 * SPEC.md's description of docker/metadata-action.
 */
import {computeMetadata, shortSha} from '../../../src/meta/engine';
import {GitContext, MetaInputs, RepoFacts} from '../../../src/meta/types';

const SHA = '860c1904a1ce19322e91ac35af1ab07466440c37';
const now = new Date('2020-01-10T00:30:00Z');
const commitDate = new Date('2019-05-06T07:08:09Z');

function run(ctx: Partial<GitContext>, inputs: Partial<MetaInputs>, repo: RepoFacts = {default_branch: 'main'}) {
  return computeMetadata(
    {images: [], tags: [], flavor: [], labels: [], annotations: [], ...inputs},
    {eventName: 'push', ref: 'refs/heads/main', sha: SHA, payload: {}, repository: 'o/r', ...ctx},
    repo,
    {now, commitDate},
    {shortShaLength: 7, annotationLevels: ['manifest']}
  );
}

const tag = (ref: string): Partial<GitContext> => ({ref: `refs/tags/${ref}`});

describe('tags', () => {
  test.each<[string, Partial<GitContext>, Partial<MetaInputs>, {tagNames: string[]; warnings: string[]}]>([
    [
      'Handlebars escapes HTML, then the tag is sanitised',
      {ref: 'refs/heads/a&b'},
      {tags: ['type=raw,value={{branch}}']},
      {tagNames: ['a-amp-b'], warnings: []}
    ],
    ['an unknown name renders empty', {}, {tags: ['type=raw,value=x{{nope}}y']}, {tagNames: ['xy'], warnings: []}],
    [
      "an unquoted format is a path: moment's default format",
      {},
      {tags: ['type=raw,value={{date YYYYMMDD}}']},
      {tagNames: ['2020-01-10T00-30-00Z'], warnings: []}
    ],
    [
      'a time zone',
      {},
      {tags: ["type=raw,value={{date 'YYYYMMDD-HHmm' tz='Asia/Tokyo'}}"]},
      {tagNames: ['20200110-0930'], warnings: []}
    ],
    [
      'the commit date',
      {},
      {tags: ["type=raw,value={{commit_date 'YYYYMMDD'}}"]},
      {tagNames: ['20190506'], warnings: []}
    ],
    [
      'an unknown time zone: UTC and a warning',
      {},
      {tags: ["type=raw,value={{date 'HHmm' tz='Mars/Olympus'}}"]},
      {
        tagNames: ['0030'],
        warnings: ['{{date}}: unknown time zone "Mars/Olympus", using UTC; write an IANA zone such as Europe/Paris']
      }
    ],
    [
      'schedule knows only the date helpers',
      {eventName: 'schedule'},
      {tags: ["type=schedule,pattern={{branch}}{{date 'YYYY'}}"]},
      {tagNames: ['2020'], warnings: []}
    ],
    ['schedule fires only on schedule', {}, {tags: ['type=schedule']}, {tagNames: [], warnings: []}],
    [
      'semver: a pre-release keeps its full version',
      tag('v2.0.8-beta.67'),
      {tags: ['type=semver,pattern={{major}}', 'type=semver,pattern={{major}}.{{minor}}']},
      {tagNames: ['2.0.8-beta.67'], warnings: []}
    ],
    [
      'semver: {{raw}} alone keeps the raw tag',
      tag('v2.0.8-beta.67'),
      {tags: ['type=semver,pattern={{raw}}']},
      {tagNames: ['v2.0.8-beta.67'], warnings: []}
    ],
    [
      'semver: major zero is not special',
      tag('v0.1.2'),
      {tags: ['type=semver,pattern={{major}}']},
      {tagNames: ['0', 'latest'], warnings: []}
    ],
    [
      'semver: an invalid version warns',
      tag('1.2'),
      {tags: ['type=semver,pattern={{version}}']},
      {tagNames: [], warnings: ['1.2 is not a valid semver. More info: https://semver.org/']}
    ],
    [
      'semver: match with no match warns and goes on with the whole string',
      tag('v1.2.3'),
      {tags: ['type=semver,pattern={{version}},match=^release-(.*)$']},
      {tagNames: ['1.2.3', 'latest'], warnings: ['^release-(.*)$ does not match v1.2.3.']}
    ],
    [
      'pep440: a pre-release is cleaned',
      tag('1.1beta2'),
      {tags: ['type=pep440,pattern={{major}}']},
      {tagNames: ['1.1b2'], warnings: []}
    ],
    [
      'match: group 1',
      tag('v1.2.3'),
      {tags: ['type=match,pattern=v(\\d+),group=1']},
      {tagNames: ['1', 'latest'], warnings: []}
    ],
    [
      'match: group=01 is no group, as upstream indexes by the string',
      tag('v1.2.3'),
      {tags: ['type=match,pattern=v(\\d+),group=01']},
      {tagNames: [], warnings: ['Group 01 does not exist for v(\\d+) pattern.']}
    ],
    [
      'match: with the g flag group 1 is the second whole match',
      tag('a1b2'),
      {tags: ['type=match,pattern=/\\d/g,group=1']},
      {tagNames: ['2', 'latest'], warnings: []}
    ],
    ['edge on the default branch', {}, {tags: ['type=edge']}, {tagNames: ['edge'], warnings: []}],
    ['edge elsewhere', {ref: 'refs/heads/dev'}, {tags: ['type=edge']}, {tagNames: [], warnings: []}],
    [
      'edge with its own branch',
      {ref: 'refs/heads/dev'},
      {tags: ['type=edge,branch=dev']},
      {tagNames: ['edge'], warnings: []}
    ],
    [
      'ref: a PR head ref keeps /head',
      {ref: 'refs/pull/7/head'},
      {tags: ['type=ref,event=pr']},
      {tagNames: ['pr-7-head'], warnings: []}
    ],
    ['sha: long', {}, {tags: ['type=sha,format=long']}, {tagNames: [`sha-${SHA}`], warnings: []}],
    ['sha: no sha, no tag', {sha: ''}, {tags: ['type=sha']}, {tagNames: [], warnings: []}],
    [
      'the first producing rule decides latest',
      tag('v1.2.3'),
      {tags: ['type=raw,value=foo,priority=2000', 'type=semver,pattern={{version}}']},
      {tagNames: ['foo', '1.2.3'], warnings: []}
    ],
    [
      'latest is not de-duplicated against a raw latest',
      tag('v1.2.3'),
      {tags: ['type=semver,pattern={{version}}', 'type=raw,value=latest']},
      {tagNames: ['1.2.3', 'latest', 'latest'], warnings: []}
    ],
    [
      'partials are de-duplicated',
      tag('v1.2.3'),
      {tags: ['type=raw,value=a', 'type=raw,value=b', 'type=raw,value=b', 'type=raw,value=a']},
      {tagNames: ['a', 'b'], warnings: []}
    ],
    [
      'equal priorities keep their order',
      {},
      {tags: ['type=raw,value=b', 'type=raw,value=a']},
      {tagNames: ['b', 'a'], warnings: []}
    ],
    [
      'latest=true with no tag produced: no latest',
      {ref: ''},
      {tags: ['type=ref,event=tag'], flavor: ['latest=true']},
      {tagNames: [], warnings: []}
    ],
    [
      'the flavor prefix is rendered on tags, literal on latest',
      tag('v1.2.3'),
      {tags: ['type=ref,event=tag'], flavor: ['prefix={{tag}}x-,onlatest=true']},
      {tagNames: ['v1.2.3x-v1.2.3', '-tag-x-latest'], warnings: []}
    ],
    [
      'an empty prefix= suppresses the flavor prefix',
      {},
      {tags: ['type=raw,value=a,prefix='], flavor: ['prefix=p-']},
      {tagNames: ['a'], warnings: []}
    ],
    [
      'sha and pr rules keep their own prefix, get the flavor suffix',
      {},
      {tags: ['type=sha'], flavor: ['prefix=p-', 'suffix=-s']},
      {tagNames: ['sha-860c190-s'], warnings: []}
    ],
    [
      'enable from a template',
      {},
      {tags: ['type=raw,value=a,enable={{is_default_branch}}', 'type=raw,value=b,enable={{is_not_default_branch}}']},
      {tagNames: ['b'], warnings: []}
    ],
    [
      'is_default_branch from the payload',
      {payload: {repository: {default_branch: 'main'}}},
      {tags: ['type=raw,value=a,enable={{is_default_branch}}', 'type=raw,value=b,enable={{is_not_default_branch}}']},
      {tagNames: ['a'], warnings: []}
    ],
    [
      'is_default_branch is true for create events, even of a tag',
      {eventName: 'create', ref: 'refs/tags/v1'},
      {tags: ['type=raw,value=a,enable={{is_default_branch}}']},
      {tagNames: ['a'], warnings: []}
    ],
    [
      'base_ref of a tag push',
      {ref: 'refs/tags/v1', payload: {base_ref: 'refs/heads/release'}},
      {tags: ['type=raw,value={{base_ref}}']},
      {tagNames: ['release'], warnings: []}
    ],
    [
      'base_ref of a pull request',
      {ref: 'refs/pull/3/merge', payload: {pull_request: {base: {ref: 'main'}}}},
      {tags: ['type=raw,value={{base_ref}}']},
      {tagNames: ['main'], warnings: []}
    ],
    [
      'images lower-cased, disabled ones left out',
      {},
      {images: ['User/App', 'name=x/y,enable=false'], tags: ['type=raw,value=a']},
      {tagNames: ['a'], warnings: []}
    ]
  ])('%s', (_name, ctx, inputs, expected) => {
    const m = run(ctx, inputs);
    expect({tagNames: m.tagNames, warnings: m.warnings}).toEqual(expected);
  });
});

test.each<[string, Partial<MetaInputs>, string[]]>([
  ['no image: bare names', {tags: ['type=raw,value=a']}, ['a']],
  [
    'per image, in input order',
    {images: ['B/x', 'a/y'], tags: ['type=raw,value=a', 'type=raw,value=b']},
    ['b/x:a', 'b/x:b', 'a/y:a', 'a/y:b']
  ],
  ['the one-line form', {images: ['a/x,b/y'], tags: ['type=raw,value=1']}, ['a/x:1', 'b/y:1']],
  ['no version, no tags', {images: ['a/x'], tags: ['type=ref,event=tag']}, []]
])('references: %s', (_name, inputs, expected) => {
  expect(run({}, inputs).tags).toEqual(expected);
});

test.each<[string, number, string]>([
  ['default', 7, '860c190'],
  ['longer', 12, '860c1904a1ce'],
  ['the whole sha when the length is larger', 99, SHA],
  ['zero', 0, '']
])('shortSha: %s', (_name, length, expected) => {
  expect(shortSha(SHA, length)).toBe(expected);
});

describe('labels and annotations', () => {
  const custom = (list: string[]) => list.filter(l => !l.startsWith('org.opencontainers.image.'));
  test.each<[string, string[], string[]]>([
    [
      'sorted with localeCompare, not byte order',
      ['Zed=1', 'org.b=1', 'maintainer=1', 'apple=1', 'A=1', 'a=1'],
      ['a=1', 'A=1', 'apple=1', 'maintainer=1', 'org.b=1', 'Zed=1']
    ],
    ['_ sorts before - and .', ['x.a=1', 'x-a=1', 'x_a=1'], ['x_a=1', 'x-a=1', 'x.a=1']],
    [
      'no = : dropped; key= : kept empty; value keeps its =',
      ['invalid', 'foo=', 'title=My=Title'],
      ['foo=', 'title=My=Title']
    ],
    ['the last value of a key wins', ['k=1', 'k=2'], ['k=2']],
    [
      'templates are rendered and escaped',
      ['branch={{branch}}', "built={{date 'YYYY'}}", 'q={{sha}}"'],
      ['branch=main', 'built=2020', 'q=860c190"']
    ]
  ])('%s', (_name, labels, expected) => {
    const m = run({}, {labels, annotations: labels});
    expect({
      labels: custom(m.labels),
      annotations: custom(m.annotations.map(a => a.replace(/^manifest:/, '')))
    }).toEqual({
      labels: expected,
      annotations: expected
    });
  });

  test('a custom label overrides a default one', () => {
    expect(
      run({}, {labels: ['org.opencontainers.image.title=Mine']}).json.labels['org.opencontainers.image.title']
    ).toBe('Mine');
  });

  test('defaults from the repository, the clock, the version and the sha', () => {
    expect(
      run(
        {},
        {tags: ['type=raw,value=v1']},
        {name: 'n', description: null, html_url: 'https://x/y', license: {spdx_id: 'MIT'}}
      ).labels
    ).toEqual([
      'org.opencontainers.image.created=2020-01-10T00:30:00.000Z',
      'org.opencontainers.image.description=',
      'org.opencontainers.image.licenses=MIT',
      `org.opencontainers.image.revision=${SHA}`,
      'org.opencontainers.image.source=https://x/y',
      'org.opencontainers.image.title=n',
      'org.opencontainers.image.url=https://x/y',
      'org.opencontainers.image.version=v1'
    ]);
  });
});
