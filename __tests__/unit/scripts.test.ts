import * as fs from 'node:fs';
import * as path from 'node:path';
import {isWorkflow, unpinned} from '../../scripts/lint-workflows';
import {releaseNotes} from '../../scripts/release-notes';

const CHANGELOG = `# Changelog

## Unreleased

- next

## 1.2.0 - 2026-12-01

- **A**: one
- **B**: two

## [1.1.0]

- older

## v1.0.0

## 0.9.0
- first
`;

test.each<[string, string | undefined]>([
  ['v1.2.0', '- **A**: one\n- **B**: two'],
  ['1.2.0', '- **A**: one\n- **B**: two'],
  ['v1.1.0', '- older'],
  ['v0.9.0', '- first'],
  ['v1.0.0', undefined], // a heading without notes is no notes
  ['v1.2', undefined],
  ['v1.3.0', undefined]
])('releaseNotes(%s)', (tag, notes) => {
  expect(releaseNotes(CHANGELOG, tag)).toBe(notes);
});

test("the repository's CHANGELOG.md has the notes of package.json's version (what the release workflow needs)", () => {
  const root = path.resolve(__dirname, '../..');
  const version = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {version: string}).version;
  expect(releaseNotes(fs.readFileSync(path.join(root, 'CHANGELOG.md'), 'utf8'), `v${version}`)).toBeTruthy();
});

const SHA = 'a'.repeat(40);
const SELF = 'publish-image/publish-image@v1';
test.each<[string, string | undefined, string[]]>([
  [`      - uses: actions/checkout@${SHA} # v4.4.0`, undefined, []],
  [`    - uses: "actions/checkout@${SHA}" # v4.4.0, why`, undefined, []],
  ['      - uses: ./', undefined, []],
  ['      - uses: actions/checkout@v4', undefined, ['actions/checkout@v4 is not pinned by commit SHA']],
  [`      - uses: actions/checkout@${SHA}`, undefined, [`actions/checkout@${SHA}: say which release`]],
  [`      - uses: actions/checkout@${SHA.slice(1)} # v4`, undefined, ['is not pinned by commit SHA']],
  ['        uses: publish-image/publish-image@v1', SELF, []],
  ['        uses: publish-image/publish-image@v0', SELF, ['publish-image/publish-image@v0 is not pinned']],
  ['        uses: publish-image/publish-image@v1', undefined, ['publish-image/publish-image@v1 is not pinned']],
  ['        uses: publish-image/publish-image@main', SELF, ['publish-image/publish-image@main is not pinned']]
])('unpinned(%j, self %s)', (line, self, problems) => {
  const got = unpinned('f.yml', `jobs:\n${line}\n`, self).map(f => f.message);
  expect(got).toHaveLength(problems.length);
  problems.forEach((p, i) => expect(got[i]).toContain(p));
});

test('isWorkflow: GitHub workflows, not a GitLab pipeline', () => {
  expect(isWorkflow('on:\n  push:\njobs:\n  a: {}\n')).toBe(true);
  expect(isWorkflow('publish-image:\n  image: docker\n  script: [x]\n')).toBe(false);
});
