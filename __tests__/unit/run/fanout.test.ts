import {parseRunners, planMatrix, platformSlug} from '../../../src/plan/matrix';
import {mergedIndex, parseRecord, recordManifest, stagingPrefix, stagingTag} from '../../../src/plan/staging';

import {fromActionsEnv, parseConfig, parseSource} from '../../../src/config/inputs';

test.each([
  ['linux/amd64', 'linux-amd64'],
  ['linux/arm/v7', 'linux-arm-v7']
])('platformSlug(%j) = %j', (p, s) => {
  expect(platformSlug(p)).toBe(s);
});

test('planMatrix: default runners, overrides, and a clear error for an unknown platform', () => {
  expect(planMatrix(['linux/amd64', 'linux/arm64'], parseRunners(['linux/arm64 = self-hosted-arm']))).toEqual({
    include: [
      {platform: 'linux/amd64', runner: 'ubuntu-24.04', slug: 'linux-amd64'},
      {platform: 'linux/arm64', runner: 'self-hosted-arm', slug: 'linux-arm64'}
    ]
  });
  expect(() => planMatrix(['linux/s390x'], {})).toThrow(
    /^runners: no runner is known for linux\/s390x; add a line linux\/s390x=<runner label>$/
  );
  expect(() => planMatrix([], {})).toThrow(/^platforms: mode plan needs the platforms/);
  expect(() => parseRunners(['linux/arm64'])).toThrow(/^runners: "linux\/arm64" is not platform=runner-label/);
});

test('staging tags are per run, attempt and platform', () => {
  expect(stagingTag('123', '2', 'linux/arm/v7')).toBe('pi-stage-123-2-linux-arm-v7');
  expect(stagingTag('123', '2', 'linux/amd64').startsWith(stagingPrefix('123', '2'))).toBe(true);
  expect(stagingTag('123', '1', 'linux/amd64').startsWith(stagingPrefix('123', '2'))).toBe(false);
});

test('a staging record round-trips, and each is unique', () => {
  const r = {
    run: '123-1',
    platform: 'linux/arm64',
    digest: 'sha256:aa',
    mediaType: 'application/vnd.oci.image.index.v1+json'
  };
  expect(parseRecord(recordManifest(r))).toEqual(r);
  expect(recordManifest(r).equals(recordManifest({...r, platform: 'linux/amd64'}))).toBe(false);
  expect(parseRecord(Buffer.from('{"annotations":{}}'))).toBeUndefined();
  expect(parseRecord(Buffer.from('not json'))).toBeUndefined();
});

test('the merged index carries its annotations only when there are some', () => {
  const e = [{mediaType: 'm', digest: 'sha256:1', size: 1, platform: {os: 'linux', architecture: 'amd64'}}];
  expect(JSON.parse(mergedIndex(e, {}).toString())).toEqual({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: e
  });
  expect(JSON.parse(mergedIndex(e, {a: '1'}).toString())).toHaveProperty('annotations', {a: '1'});
});

test.each([
  ['ghcr.io/o/app@sha256:' + 'a'.repeat(64), {registry: 'ghcr.io', path: 'o/app'}],
  ['127.0.0.1:5001/e2e/x@sha256:' + 'b'.repeat(64), {registry: '127.0.0.1:5001', path: 'e2e/x'}]
])('parseSource(%j)', (src, repo) => {
  expect(parseSource(src).repo).toEqual(repo);
});

test.each(['ghcr.io/o/app:1.0', 'ghcr.io/o/app@sha256:abc', ''])('parseSource(%j) says what it needs', src => {
  expect(() => parseSource(src)).toThrow(/^source: .* is not registry\/repository@sha256:<64 hex>/);
});

test.each<[Record<string, string>, RegExp]>([
  [{INPUT_MODE: 'promote'}, /^source: mode promote needs the image to copy/],
  [{INPUT_SOURCE: 'x@sha256:1'}, /^source: only mode promote takes a source \(mode is publish\)/],
  [
    {INPUT_MODE: 'build', INPUT_PLATFORMS: 'linux/amd64,linux/arm64'},
    /^platforms: mode build builds one leg: give exactly one platform/
  ],
  [{INPUT_MODE: 'deploy'}, /^mode: "deploy" is not one of publish, build, merge, plan, promote, prune$/]
])('mode inputs %j', (env, message) => {
  expect(() => parseConfig(fromActionsEnv(env))).toThrow(message);
});
