import {cosignHint, signArgs, verifyArgs, verifyCommand} from '../../src/cosign';

test.each([
  [
    {tlogUpload: true, plainHttp: false},
    ['sign', '--yes', '--key', 'env://COSIGN_PRIVATE_KEY', '--tlog-upload=true', 'ghcr.io/o/a@sha256:1']
  ],
  [
    {tlogUpload: false, plainHttp: true},
    [
      'sign',
      '--yes',
      '--key',
      'env://COSIGN_PRIVATE_KEY',
      '--tlog-upload=false',
      '--allow-insecure-registry',
      '--allow-http-registry',
      'ghcr.io/o/a@sha256:1'
    ]
  ]
])('signArgs %j: the key is an env reference, never the key', (o, expected) => {
  expect(signArgs('ghcr.io/o/a@sha256:1', o)).toEqual(expected);
});

test('a registry CA file is passed by path', () => {
  expect(signArgs('r@sha256:1', {tlogUpload: true, plainHttp: false, caFile: '/t/ca.crt'})).toEqual([
    'sign',
    '--yes',
    '--key',
    'env://COSIGN_PRIVATE_KEY',
    '--tlog-upload=true',
    '--registry-cacert',
    '/t/ca.crt',
    'r@sha256:1'
  ]);
});

test.each([
  [{tlogUpload: true, plainHttp: false}, ['verify', '--key', 'env://COSIGN_PUBLIC_KEY', 'r@sha256:1']],
  [
    {tlogUpload: false, plainHttp: false},
    ['verify', '--key', 'env://COSIGN_PUBLIC_KEY', '--insecure-ignore-tlog=true', 'r@sha256:1']
  ]
])('verifyArgs %j', (o, expected) => {
  expect(verifyArgs('r@sha256:1', o)).toEqual(expected);
});

test('verifyCommand is ready to paste with cosign.pub', () => {
  expect(verifyCommand('r@sha256:1', {tlogUpload: true, plainHttp: false})).toBe(
    'cosign verify --key cosign.pub r@sha256:1'
  );
});

test.each([
  ['Error: decrypt: encrypted: decryption failed', /cosign-password/],
  ['UNAUTHORIZED: authentication required', /push rights/],
  ['other', /^$/]
])('cosignHint(%j)', (out, hint) => {
  expect(cosignHint(out)).toMatch(hint);
});
