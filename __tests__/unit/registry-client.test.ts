import {backoffDelay, parseChallenge, platformString, registryErrorText} from '../../src/registry-client';
import {missingPlatforms} from '../../src/run/publish';

test.each([
  ['Basic realm="Registry Realm"', {scheme: 'basic', params: {realm: 'Registry Realm'}}],
  [
    'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:u/a:pull,push"',
    {
      scheme: 'bearer',
      params: {realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:u/a:pull,push'}
    }
  ],
  ['', {scheme: '', params: {}}]
])('parseChallenge(%j)', (header, expected) => {
  expect(parseChallenge(header)).toEqual(expected);
});

test.each([
  [
    Buffer.from('{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}'),
    'DENIED: requested access to the resource is denied'
  ],
  [Buffer.from('plain text'), 'plain text']
])('registryErrorText', (body, text) => {
  expect(registryErrorText(body)).toBe(text);
});

test.each([
  [1, 500, undefined, [250, 500]],
  [3, 500, undefined, [1000, 2000]],
  [2, 500, 3, [3000, 3000]]
])('backoffDelay(attempt %d, base %d, retry-after %j) is within %j', (attempt, base, after, [lo, hi]) => {
  const d = backoffDelay(attempt, base, after);
  expect(d).toBeGreaterThanOrEqual(lo as number);
  expect(d).toBeLessThanOrEqual(hi as number);
});

test.each([
  [{os: 'linux', architecture: 'arm64', variant: 'v8'}, 'linux/arm64/v8'],
  [undefined, 'unknown/unknown']
])('platformString(%j)', (p, s) => {
  expect(platformString(p)).toBe(s);
});

const entry = (architecture: string, variant?: string, os = 'linux') => ({
  digest: 'sha256:x',
  mediaType: 'm',
  size: 1,
  platform: {os, architecture, variant}
});

test.each([
  [['linux/amd64', 'linux/arm64'], [entry('amd64'), entry('arm64', 'v8')], []],
  [['linux/amd64', 'linux/arm64'], [entry('amd64'), entry('unknown', undefined, 'unknown')], ['linux/arm64']],
  [['linux/arm/v7'], [entry('arm', 'v6')], ['linux/arm/v7']]
])('missingPlatforms(%j)', (requested, entries, missing) => {
  expect(missingPlatforms(requested, entries)).toEqual(missing);
});

describe('proxies and network failures', () => {
  const {networkHint, proxyFor} =
    jest.requireActual<typeof import('../../src/registry-client')>('../../src/registry-client');
  test.each<[string, Record<string, string>, string]>([
    ['ghcr.io', {HTTPS_PROXY: 'http://proxy:3128'}, 'http://proxy:3128'],
    ['ghcr.io', {https_proxy: 'http://p:1', NO_PROXY: '.example.com'}, 'http://p:1'],
    ['r.example.com:5000', {HTTPS_PROXY: 'http://p:1', NO_PROXY: '.example.com'}, ''],
    ['registry', {HTTPS_PROXY: 'http://p:1', NO_PROXY: 'registry'}, ''],
    ['ghcr.io', {HTTPS_PROXY: 'http://p:1', NO_PROXY: '*'}, ''],
    ['ghcr.io', {}, '']
  ])('proxyFor(%j, %j) = %j', (host, env, proxy) => {
    expect(proxyFor(host, env)).toBe(proxy);
  });

  test.each<[string, Record<string, string>, RegExp]>([
    [
      'SELF_SIGNED_CERT_IN_CHAIN',
      {},
      /^The TLS handshake with r:5000 directly \(no proxy\) failed: if the registry has its own CA, pass it in ca-cert\.$/
    ],
    [
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      {HTTPS_PROXY: 'http://user:secret@proxy:3128'},
      /through the proxy http:\/\/user:\*\*\*@proxy:3128 failed: .* a TLS-intercepting proxy needs its CA too/
    ],
    [
      'UND_ERR_CONNECT_TIMEOUT',
      {HTTPS_PROXY: 'http://proxy:3128'},
      /^Connecting to r:5000 through the proxy http:\/\/proxy:3128 timed out: check the host and port, the firewall, and HTTPS_PROXY \/ NO_PROXY\.$/
    ],
    ['ECONNREFUSED', {}, /^Could not connect to r:5000 directly \(no proxy\): check the host name and port\.$/]
  ])('networkHint for %s names the host, the proxy and what to check', (code, env, message) => {
    expect(networkHint('r:5000', code, env)).toMatch(message);
  });
});
