import * as semver from 'semver';
import {CosignGeneration} from '../../../src/tools/cosign/cosign';
import {
  cacheKey,
  capabilitiesFromHelp,
  cosignArch,
  expectedSha,
  generationOf,
  parseCosignVersion,
  PINNED_COSIGN,
  releaseFor
} from '../../../src/tools/cosign/install';
import {COSIGN_RELEASES, MIN_COSIGN, releaseSha} from '../../../src/tools/cosign/releases';

test.each([
  ['{"gitVersion": "v2.4.1", "gitCommit": "x"}', '2.4.1'],
  ['{"gitVersion": "devel"}', undefined],
  ['GitVersion:    v2.2.0\nGitCommit: abc', '2.2.0'],
  ['nonsense', undefined]
])('parseCosignVersion(%j) = %j', (out, v) => {
  expect(parseCosignVersion(out)).toBe(v);
});

test.each([
  ['2.4.2', '2.4.2'],
  ['v2.6.1', '2.6.1'],
  ['^2.4', '2.6.0'],
  ['~2.5.1', '2.5.3'],
  ['>=2.4.2 <3', '2.6.0'],
  ['^3', '3.0.6'],
  ['3.0.x', '3.0.6']
])('releaseFor(%j) = %j (a range: the newest listed release it allows)', (req, rel) => {
  expect(releaseFor(req)).toBe(rel);
});

test.each([
  [
    '<2',
    /^cosign-version: no release in the step's table of checked cosign releases \(2\.4\.2, .*3\.0\.6\) satisfies "<2"/
  ],
  ['latest-please', /^cosign-version: "latest-please" is not a version or a range/],
  ['2.2.0', /^cosign-version: 2\.2\.0 is older than 2\.4\.2, the oldest cosign the step runs/]
])('releaseFor(%j) explains', (req, message) => {
  expect(() => releaseFor(req)).toThrow(message);
});

test('PINNED_COSIGN is in the table, at or above the minimum', () => {
  expect(releaseSha(PINNED_COSIGN, 'amd64')).toMatch(/^[0-9a-f]{64}$/);
  expect(semver.gte(PINNED_COSIGN, MIN_COSIGN)).toBe(true);
});

test('the table: every release at or above the minimum, both architectures, distinct SHA-256s', () => {
  const all: string[] = [];
  for (const [v, shas] of Object.entries(COSIGN_RELEASES)) {
    expect(semver.valid(v)).toBe(v);
    expect(semver.gte(v, MIN_COSIGN)).toBe(true);
    expect(Object.keys(shas).sort()).toEqual(['amd64', 'arm64']);
    for (const h of Object.values(shas)) expect(h).toMatch(/^[0-9a-f]{64}$/);
    all.push(...Object.values(shas));
  }
  expect(new Set(all).size).toBe(all.length);
  expect(releaseSha('2.5.0', 'amd64')).toBe('1f6c194dd0891eb345b436bb71ff9f996768355f5e0ce02dde88567029ac2188');
});

const A = 'a'.repeat(64);
const SHA_250 = releaseSha('2.5.0', 'amd64') ?? '';
test.each<[string, string, string]>([
  ['2.5.0', '', SHA_250],
  ['2.5.0', SHA_250.toUpperCase(), SHA_250],
  ['2.6.1', A, A]
])('expectedSha(%s, amd64, %j) is the one to check against', (release, given, want) => {
  expect(expectedSha(release, 'amd64', given)).toBe(want);
});

test.each<[string, string, RegExp]>([
  ['2.5.0', A, /cosign-sha256: a{64} is not the SHA-256 of cosign-linux-amd64 2\.5\.0 \(the step has 1f6c194d/],
  [
    '2.6.1',
    '',
    /cosign-version: 2\.6\.1 is not in the step's table .*give the SHA-256 of cosign-linux-amd64 2\.6\.1 \(from its cosign_checksums\.txt\) in cosign-sha256/
  ]
])('expectedSha(%s, amd64, %j) refuses', (release, given, message) => {
  expect(() => expectedSha(release, 'amd64', given)).toThrow(message);
});

test.each<[string, CosignGeneration]>([
  ['2.4.2', 2],
  ['2.6.0', 2],
  ['3.0.0', 3],
  ['3.1.2', 3]
])('generationOf(%s) = %s', (v, g) => expect(generationOf(v)).toBe(g));

test.each<[string, string, {usable: boolean; generation: CosignGeneration}]>([
  [
    'a 2.5 development build (as Debian ships it)',
    "    --registry-cacert='':\n\tpath to a X.509 CA\n    --tlog-upload=true:\n\twhether or not to upload to the tlog",
    {usable: true, generation: 2}
  ],
  [
    'a cosign 3 build: the signing config is on by default',
    "    --registry-cacert='':\n    --use-signing-config=true:\n\tWhether to use a TUF-provided signing config",
    {usable: true, generation: 3}
  ],
  [
    '2.6: the signing config exists but is off',
    "--registry-cacert='':\n--use-signing-config=false:",
    {usable: true, generation: 2}
  ],
  ['older than --registry-cacert', "    --tlog-upload=true:\n    --key='':", {usable: false, generation: 2}],
  ['no help at all', '', {usable: false, generation: 2}]
])('capabilitiesFromHelp: %s', (_n, help, caps) => expect(capabilitiesFromHelp(help)).toEqual(caps));

test('arch and cache key', () => {
  expect(cosignArch('x64')).toBe('amd64');
  expect(cosignArch('arm64')).toBe('arm64');
  expect(() => cosignArch('s390x')).toThrow(/no cosign release is published for this runner's architecture \(s390x\)/);
  expect(cacheKey('2.5.0', 'amd64')).toBe('publish-image-cosign-2.5.0-linux-amd64');
});
