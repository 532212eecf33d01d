import {ImageStore, multiPlatformProblem} from '../../../src/tools/buildx/driver';

const two = ['linux/amd64', 'linux/arm64'];

test.each<[string, string, ImageStore, string[]]>([
  ['one platform on the classic store', 'docker', 'classic', ['linux/amd64']],
  ['no platform given (the engine default)', 'docker', 'classic', []],
  ['two platforms on the containerd image store', 'docker', 'containerd', two],
  ['two platforms with docker-container (setup-buildx-action)', 'docker-container', 'classic', two],
  ['two platforms with a remote builder', 'remote', 'unknown', two],
  ['two platforms, store unknown: not refused on a guess', 'docker', 'unknown', two]
])('no problem: %s', (_n, driver, store, platforms) => {
  expect(multiPlatformProblem(driver, store, platforms)).toBe('');
});

test.each<[string, string[]]>([
  ['two platforms', two],
  ['three platforms', ['linux/amd64', 'linux/arm64', 'linux/arm/v7']]
])('docker driver on the classic store, %s: refused, naming both fixes', (_n, platforms) => {
  const p = multiPlatformProblem('docker', 'classic', platforms);
  expect(p).toContain(`platforms: ${platforms.join(',')}`);
  expect(p).toContain('docker/setup-buildx-action (driver docker-container)');
  expect(p).toContain('enable the containerd image store');
  expect(p).toContain('Nothing was built or pushed.');
});
