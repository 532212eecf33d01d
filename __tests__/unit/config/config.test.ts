import {closestInput, fromActionsEnv, parseConfig, unknownActionsInputs} from '../../../src/config/inputs';
import {ConfigError} from '../../../src/errors';
import {configure} from '../../../src/run/main';

const errorsOf = (raw: Record<string, string>): string[] => {
  try {
    parseConfig(raw);
  } catch (e) {
    if (e instanceof ConfigError) return e.errors.map(x => x.message);
    throw e;
  }
  return [];
};

test('every problem of the configuration is reported together, each naming its input', () => {
  const errors = errorsOf({
    platforms: 'linux/amd64,linux amd64',
    retries: 'many',
    mode: 'deploy',
    tags: 'type=foo',
    'registry-auth': '- registry: ghcr.io\n  passwd: x',
    'cosign-version': 'latest!',
    runners: 'linux/arm64'
  });
  expect(errors).toEqual([
    expect.stringMatching(/^platforms: "linux amd64" is not a platform/),
    expect.stringMatching(/^retries: "many" is not a whole number/),
    expect.stringMatching(/^mode: "deploy" is not one of publish, build, merge, plan, promote/),
    expect.stringMatching(/^tags: "type=foo": unknown type/),
    expect.stringMatching(/^registry-auth: entry 1 has an unknown key "passwd"/),
    expect.stringMatching(/^runners: "linux\/arm64" is not platform=runner-label/),
    expect.stringMatching(/^cosign-version: "latest!" is not a version or a range/)
  ]);
});

test('the message of several problems lists them all; one problem is its own message', () => {
  expect(() => parseConfig({retries: 'x', 'if-exists': 'never'})).toThrow(
    /^2 problems in the configuration:\n- retries: .*\n- if-exists: /
  );
  expect(() => parseConfig({retries: 'x'})).toThrow(/^retries: "x" is not a whole number from 0 to 10$/);
});

test('a bad source is found with the rest, before anything runs', () => {
  expect(errorsOf({mode: 'promote', source: 'ghcr.io/o/app:1.0'})).toEqual([
    expect.stringMatching(/^source: "ghcr.io\/o\/app:1.0" is not registry\/repository@sha256:<64 hex>/)
  ]);
});

test('the environment knobs are checked with the configuration', () => {
  expect(() =>
    configure({retries: 'x'}, {SOURCE_DATE_EPOCH: 'yesterday', DOCKER_METADATA_SHORT_SHA_LENGTH: 'seven'})
  ).toThrow(
    /^3 problems in the configuration:\n- retries: .*\n- SOURCE_DATE_EPOCH: .*\n- DOCKER_METADATA_SHORT_SHA_LENGTH: /
  );
});

test('parsed parts are in the config: registry-auth entries, insecure hosts, runner labels, cosign release', () => {
  const c = parseConfig({
    'registry-auth': '- registry: ghcr.io\n  username: u\n  password: p',
    'insecure-registries': 'Registry.Local:5000',
    runners: 'linux/arm64=ubuntu-24.04-arm',
    'cosign-version': '^2'
  });
  expect({
    entries: c.registryAuthEntries.map(e => e.registry),
    insecure: c.insecureHosts,
    runners: c.runnerLabels,
    cosign: c.cosignRelease
  }).toEqual({
    entries: ['ghcr.io'],
    insecure: ['registry.local:5000'],
    runners: {'linux/arm64': 'ubuntu-24.04-arm'},
    cosign: '2.6.0'
  });
});

test('INPUT_* variables map to inputs by name; unknown ones are found, with the closest name', () => {
  const env = {INPUT_IMAGES: 'x', 'INPUT_CACHE-FROM': 'type=gha', INPUT_PLATFORM: 'linux/amd64', HOME: '/root'};
  expect(fromActionsEnv(env)).toEqual({images: 'x', 'cache-from': 'type=gha'});
  expect(unknownActionsInputs(env)).toEqual(['platform']);
  expect([closestInput('platform'), closestInput('pasword'), closestInput('zzzzzzzzzz')]).toEqual([
    'platforms',
    'password',
    undefined
  ]);
});

describe('platforms are checked against the forms buildx accepts', () => {
  test.each([
    'linux/amd64',
    'linux/arm64',
    'linux/arm/v7',
    'linux/arm64/v8',
    'linux/amd64/v3',
    'windows/amd64',
    'linux/riscv64',
    'linux/x86_64',
    'local'
  ])('%s is accepted', p => {
    expect(errorsOf({platforms: p})).toEqual([]);
  });
  test.each([
    [
      'linux/amd46',
      'platforms: "linux/amd46" is not a platform buildx knows; did you mean linux/amd64? (os/arch[/variant], e.g. linux/amd64,linux/arm64)'
    ],
    [
      'linx/arm64',
      'platforms: "linx/arm64" is not a platform buildx knows; did you mean linux/arm64? (os/arch[/variant], e.g. linux/amd64,linux/arm64)'
    ],
    [
      'linux/arm/v9',
      'platforms: "linux/arm/v9" is not a platform buildx knows; did you mean linux/arm/v7? (os/arch[/variant], e.g. linux/amd64,linux/arm64)'
    ],
    [
      'linux/s390x/v2',
      'platforms: "linux/s390x/v2" is not a platform buildx knows; did you mean linux/s390x (s390x has no variants)? (os/arch[/variant], e.g. linux/amd64,linux/arm64)'
    ],
    ['amd64', 'platforms: "amd64" is not a platform; write os/arch[/variant], e.g. linux/amd64,linux/arm64']
  ])('%s is refused: %s', (p, message) => {
    expect(errorsOf({platforms: p})).toEqual([message]);
  });
});

test.each<[string, string[]]>([
  ['https://github.com/sigstore/cosign/releases/download', []],
  ['http://127.0.0.1:8080', []],
  [
    'http://mirror.example.com/cosign',
    [
      'cosign-release-url: "http://mirror.example.com/cosign" is not an https URL; the binary that gets the signing key is downloaded over https only (plain http only from a loopback mirror)'
    ]
  ],
  ['mirror.example.com', [expect.stringMatching(/^cosign-release-url: "mirror.example.com" is not an https URL/)]]
])('cosign-release-url %j', (url, errors) => {
  expect(errorsOf({'cosign-release-url': url})).toEqual(errors);
});

test.each<[Record<string, string>, (string | RegExp)[]]>([
  [{'cosign-version': '2.6.1', 'cosign-sha256': 'AB'.repeat(32)}, []],
  [{'cosign-version': '2.6.1', 'cosign-sha256': 'abc'}, [/^cosign-sha256: "abc" is not a SHA-256 \(64 hex digits\)/]],
  [{'cosign-sha256': 'ab'.repeat(32)}, [/^cosign-sha256: given without cosign-version/]],
  [{'cosign-version': '2.1.0'}, [/^cosign-version: 2\.1\.0 is older than 2\.4\.2, the oldest cosign the step runs/]]
])('cosign-sha256 and cosign-version %j', (raw, errors) => {
  const got = errorsOf(raw);
  expect(got).toHaveLength(errors.length);
  errors.forEach((e, i) => expect(got[i]).toMatch(e));
});
