import {fromActionsEnv, parseConfig, readBoolean, targetRepositories} from '../../../src/config/inputs';

const env = (inputs: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v]));

describe('getInputs', () => {
  test('defaults', () => {
    const i = parseConfig({});
    expect(i).toMatchObject({
      images: [],
      tags: [],
      context: '.',
      platforms: [],
      push: false,
      logout: true,
      tlogUpload: true,
      dryRun: false,
      sepTags: '\n'
    });
  });

  test.each<[string, Record<string, string>, object]>([
    [
      'platforms by comma and newline',
      {platforms: 'linux/amd64, linux/arm64\nlinux/arm/v7'},
      {platforms: ['linux/amd64', 'linux/arm64', 'linux/arm/v7']}
    ],
    [
      'build-args one per line, values keep commas',
      {'build-args': 'A=1,2\n  B=x y  \n'},
      {buildArgs: ['A=1,2', 'B=x y']}
    ],
    ['images one per line', {images: 'ghcr.io/o/a\nuser/a'}, {images: ['ghcr.io/o/a', 'user/a']}],
    ['separator kept untrimmed', {'sep-tags': ','}, {sepTags: ','}],
    [
      'booleans as core accepts them',
      {push: 'True', logout: 'FALSE', 'dry-run': 'true'},
      {push: true, logout: false, dryRun: true}
    ],
    ['password keeps surrounding spaces', {username: 'u', password: ' p '}, {password: ' p '}]
  ])('%s', (_n, inputs, expected) => {
    expect(parseConfig(fromActionsEnv(env(inputs)))).toMatchObject(expected);
  });

  test.each<[string, Record<string, string>, RegExp]>([
    ['a bad boolean names the input and the fix', {push: 'yes'}, /^push: "yes" is not a boolean; write true or false$/],
    ['a bad platform', {platforms: 'amd64'}, /^platforms: "amd64" is not a platform; write os\/arch\[\/variant\]/],
    ['a bad build arg', {'build-args': 'NOEQUALS'}, /^build-args: "NOEQUALS" is not NAME=value/],
    ['password without username', {password: 'p'}, /^username: a password was given without a username/],
    [
      'cosign-password without cosign-key',
      {'cosign-password': 'p'},
      /^cosign-key: cosign-password was given but no cosign-key/
    ]
  ])('%s', (_n, inputs, message) => {
    expect(() => parseConfig(fromActionsEnv(env(inputs)))).toThrow(message);
  });

  test('the error for a bad boolean does not echo a secret input', () => {
    expect(() => readBoolean({'tlog-upload': 'nope'}, 'tlog-upload', true)).toThrow(/tlog-upload/);
  });
});

describe('targetRepositories', () => {
  test('repositories are de-duplicated and lower-cased', () => {
    expect(targetRepositories(['ghcr.io/O/App', 'ghcr.io/o/app', 'user/app'])).toEqual([
      {registry: 'ghcr.io', path: 'o/app'},
      {registry: 'docker.io', path: 'user/app'}
    ]);
  });

  test('an invalid image names the input', () => {
    expect(() => targetRepositories(['user/app:1'])).toThrow(/^images: "user\/app:1" contains a tag/);
  });
});
