import {canonicalRegistry, isLoopbackHost, isValidTag, parseRepository} from '../../src/reference';

describe('parseRepository', () => {
  test.each([
    ['alpine', {registry: 'docker.io', path: 'library/alpine'}],
    ['user/app', {registry: 'docker.io', path: 'user/app'}],
    ['docker.io/user/app', {registry: 'docker.io', path: 'user/app'}],
    ['index.docker.io/user/app', {registry: 'docker.io', path: 'user/app'}],
    ['registry-1.docker.io/user/app', {registry: 'docker.io', path: 'user/app'}],
    ['ghcr.io/Octo-Org/Hello-World', {registry: 'ghcr.io', path: 'octo-org/hello-world'}],
    ['127.0.0.1:5001/e2e/app', {registry: '127.0.0.1:5001', path: 'e2e/app'}],
    ['localhost/app', {registry: 'localhost', path: 'app'}],
    ['registry.example.com:8443/a/b/c', {registry: 'registry.example.com:8443', path: 'a/b/c'}]
  ])('%s', (name, expected) => {
    expect(parseRepository(name)).toEqual(expected);
  });

  test.each([
    ['', /empty/],
    ['user/app:1.0', /contains a tag/],
    ['user/app@sha256:abc', /no digest/],
    ['ghcr.io/owner/-bad', /invalid repository path component "-bad"/]
  ])('%j is refused', (name, message) => {
    expect(parseRepository(name)).toMatch(message);
  });
});

test.each([
  ['Docker.IO', 'docker.io'],
  ['https://ghcr.io/', 'ghcr.io'],
  ['', 'docker.io'],
  ['index.docker.io', 'docker.io']
])('canonicalRegistry(%j) = %j', (input, expected) => {
  expect(canonicalRegistry(input)).toBe(expected);
});

test.each([
  ['1.2.3', true],
  ['sha-1a2b3c4', true],
  ['Latest_X', true],
  ['-bad', false],
  ['.bad', false],
  ['a'.repeat(128), true],
  ['a'.repeat(129), false]
])('isValidTag(%j) = %j', (tag, ok) => {
  expect(isValidTag(tag)).toBe(ok);
});

test.each([
  ['127.0.0.1:5000', true],
  ['localhost:5000', true],
  ['[::1]:5000', true],
  ['127.10.0.2', true],
  ['ghcr.io', false],
  ['10.0.0.1:5000', false]
])('isLoopbackHost(%j) = %j', (host, loopback) => {
  expect(isLoopbackHost(host)).toBe(loopback);
});
