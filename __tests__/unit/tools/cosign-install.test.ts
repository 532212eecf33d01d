import {
  cacheKey,
  checksumFor,
  cosignArch,
  parseCosignVersion,
  PINNED_COSIGN,
  releaseFor
} from '../../../src/tools/cosign/install';

test.each([
  ['{"gitVersion": "v2.4.1", "gitCommit": "x"}', '2.4.1'],
  ['{"gitVersion": "devel"}', undefined],
  ['GitVersion:    v2.2.0\nGitCommit: abc', '2.2.0'],
  ['nonsense', undefined]
])('parseCosignVersion(%j) = %j', (out, v) => {
  expect(parseCosignVersion(out)).toBe(v);
});

test.each([
  ['2.4.1', '2.4.1'],
  ['v2.3.0', '2.3.0'],
  ['^2.4', PINNED_COSIGN],
  ['>=2.2 <3', PINNED_COSIGN]
])('releaseFor(%j) = %j', (req, rel) => {
  expect(releaseFor(req)).toBe(rel);
});

test.each([
  ['<2', /^cosign-version: the pinned release 2\.5\.0 does not satisfy "<2"; give an exact version to download$/],
  ['latest-please', /^cosign-version: "latest-please" is not a version or a range/]
])('releaseFor(%j) explains', (req, message) => {
  expect(() => releaseFor(req)).toThrow(message);
});

test('checksumFor reads sha256sum lines, exact file names only', () => {
  const sums = `${'a'.repeat(64)}  cosign-linux-amd64\n${'b'.repeat(64)}  cosign-linux-amd64.sig\n${'c'.repeat(64)} *cosign-linux-arm64\n`;
  expect(checksumFor(sums, 'cosign-linux-amd64')).toBe('a'.repeat(64));
  expect(checksumFor(sums, 'cosign-linux-arm64')).toBe('c'.repeat(64));
  expect(checksumFor(sums, 'cosign-darwin-amd64')).toBeUndefined();
});

test('arch and cache key', () => {
  expect(cosignArch('x64')).toBe('amd64');
  expect(cosignArch('arm64')).toBe('arm64');
  expect(() => cosignArch('s390x')).toThrow(/no cosign release is published for this runner's architecture \(s390x\)/);
  expect(cacheKey('2.5.0', 'amd64')).toBe('publish-image-cosign-2.5.0-linux-amd64');
});
