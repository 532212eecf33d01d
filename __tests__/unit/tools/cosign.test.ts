import {
  cosignHint,
  isKeyUri,
  resolveSignMode,
  SignOptions,
  signArgs,
  verifyArgs,
  verifyCommand
} from '../../../src/tools/cosign/cosign';
import {tokenClaims} from '../../../src/context/oidc';

const key: SignOptions = {mode: 'key', tlogUpload: true, plainHttp: false};
const keyless: SignOptions = {
  mode: 'keyless',
  tlogUpload: true,
  plainHttp: false,
  identityTokenFile: '/w/oidc-token',
  certificateIdentity: 'https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1',
  certificateOidcIssuer: 'https://token.actions.githubusercontent.com'
};
const REF = 'ghcr.io/o/a@sha256:1';

test.each<[string, SignOptions, string[]]>([
  [
    'key: the key is an env reference, never the key',
    key,
    ['sign', '--yes', '--key', 'env://COSIGN_PRIVATE_KEY', '--tlog-upload=true', REF]
  ],
  [
    'key, no tlog, plain HTTP registry, annotations',
    {...key, tlogUpload: false, plainHttp: true, annotations: ['team=platform']},
    [
      'sign',
      '--yes',
      '--key',
      'env://COSIGN_PRIVATE_KEY',
      '--tlog-upload=false',
      '-a',
      'team=platform',
      '--allow-insecure-registry',
      '--allow-http-registry',
      REF
    ]
  ],
  [
    'a KMS key is passed as its URI',
    {...key, keyUri: 'awskms:///alias/release'},
    ['sign', '--yes', '--key', 'awskms:///alias/release', '--tlog-upload=true', REF]
  ],
  [
    'a registry CA file is passed by path',
    {...key, caFile: '/t/ca.crt'},
    ['sign', '--yes', '--key', 'env://COSIGN_PRIVATE_KEY', '--tlog-upload=true', '--registry-cacert', '/t/ca.crt', REF]
  ],
  [
    'keyless: the token is a file path, never the token',
    keyless,
    ['sign', '--yes', '--identity-token', '/w/oidc-token', '--tlog-upload=true', REF]
  ],
  [
    'keyless with a private Sigstore',
    {...keyless, fulcioUrl: 'https://fulcio.internal', rekorUrl: 'https://rekor.internal'},
    [
      'sign',
      '--yes',
      '--identity-token',
      '/w/oidc-token',
      '--fulcio-url',
      'https://fulcio.internal',
      '--tlog-upload=true',
      '--rekor-url',
      'https://rekor.internal',
      REF
    ]
  ]
])('signArgs: %s', (_n, o, expected) => {
  expect(signArgs(REF, o)).toEqual(expected);
});

// cosign 3: the signing config (from Sigstore's TUF) stays on when it can; --tlog-upload only where it is turned off
const v3 = (o: SignOptions): SignOptions => ({...o, generation: 3});
test.each<[string, SignOptions, string[]]>([
  ['key, public Sigstore: no tlog flag at all', v3(key), ['sign', '--yes', '--key', 'env://COSIGN_PRIVATE_KEY', REF]],
  [
    'key without tlog: the signing config off, then --tlog-upload=false',
    v3({...key, tlogUpload: false, plainHttp: true}),
    [
      'sign',
      '--yes',
      '--key',
      'env://COSIGN_PRIVATE_KEY',
      '--use-signing-config=false',
      '--tlog-upload=false',
      '--allow-insecure-registry',
      '--allow-http-registry',
      REF
    ]
  ],
  ['keyless, public Sigstore', v3(keyless), ['sign', '--yes', '--identity-token', '/w/oidc-token', REF]],
  [
    'keyless with a private Sigstore: service URLs need the signing config off',
    v3({...keyless, fulcioUrl: 'https://fulcio.internal', rekorUrl: 'https://rekor.internal'}),
    [
      'sign',
      '--yes',
      '--identity-token',
      '/w/oidc-token',
      '--fulcio-url',
      'https://fulcio.internal',
      '--use-signing-config=false',
      '--rekor-url',
      'https://rekor.internal',
      REF
    ]
  ],
  [
    'a registry CA and annotations are the same as for cosign 2',
    v3({...key, caFile: '/t/ca.crt', annotations: ['a=b']}),
    ['sign', '--yes', '--key', 'env://COSIGN_PRIVATE_KEY', '-a', 'a=b', '--registry-cacert', '/t/ca.crt', REF]
  ]
])('signArgs, cosign 3: %s', (_n, o, expected) => {
  expect(signArgs(REF, o)).toEqual(expected);
  expect(signArgs(REF, o)).not.toContain('--tlog-upload=true');
});

test.each<[string, SignOptions, string[]]>([
  ['key', key, ['verify', '--key', 'env://COSIGN_PUBLIC_KEY', REF]],
  [
    'key without tlog',
    {...key, tlogUpload: false},
    ['verify', '--key', 'env://COSIGN_PUBLIC_KEY', '--insecure-ignore-tlog=true', REF]
  ],
  [
    'keyless: the workflow identity and issuer',
    keyless,
    [
      'verify',
      '--certificate-identity',
      'https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1',
      '--certificate-oidc-issuer',
      'https://token.actions.githubusercontent.com',
      REF
    ]
  ]
])('verifyArgs: %s', (_n, o, expected) => {
  expect(verifyArgs(REF, o)).toEqual(expected);
  // cosign 3 verifies with the same flags (it reads bundles by default)
  expect(verifyArgs(REF, v3(o))).toEqual(expected);
});

test('verifyCommand is ready to paste with cosign.pub', () => {
  expect(verifyCommand('r@sha256:1', key)).toBe('cosign verify --key cosign.pub r@sha256:1');
  expect(verifyCommand('r@sha256:1', {...key, caFile: '/tmp/x/ca-0.crt'})).toBe(
    'cosign verify --key cosign.pub --registry-cacert ca.crt r@sha256:1'
  );
});

test.each<[string, boolean, boolean, boolean | undefined, string]>([
  ['false', true, true, false, 'none'],
  ['key', false, false, undefined, 'key'],
  ['keyless', false, false, true, 'keyless'],
  ['auto', true, true, false, 'key'],
  ['auto', false, true, false, 'keyless'],
  ['auto', false, true, true, 'none'],
  ['auto', false, true, undefined, 'none'],
  ['auto', false, false, false, 'none']
])('resolveSignMode(sign %s, key %s, oidc %s, private %s) = %s', (sign, hasKey, oidc, priv, mode) => {
  expect(resolveSignMode(sign, hasKey, oidc, priv)).toBe(mode);
});

test.each([
  ['awskms:///alias/release', true],
  ['gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k', true],
  ['hashivault://transit-key', true],
  ['-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nabc', false]
])('isKeyUri(%j) = %j', (k, yes) => {
  expect(isKeyUri(k)).toBe(yes);
});

test('tokenClaims reads a JWT payload', () => {
  const token = `e30.${Buffer.from(JSON.stringify({iss: 'https://issuer', job_workflow_ref: 'o/r/.github/workflows/x.yml@refs/heads/main'})).toString('base64url')}.sig`;
  expect(tokenClaims(token)).toEqual({
    iss: 'https://issuer',
    job_workflow_ref: 'o/r/.github/workflows/x.yml@refs/heads/main'
  });
  expect(tokenClaims('garbage')).toEqual({});
});

test.each([
  ['Error: decrypt: encrypted: decryption failed', /cosign-password/],
  ['UNAUTHORIZED: authentication required', /push rights/],
  ['error getting signer: getting key from Fulcio: retrieving cert: POST /api/v2/signingCert', /fulcio-url/],
  // a port that happens to hold 403 is not a 403
  [
    'getting key from Fulcio: retrieving cert: POST http://127.0.0.1:40365/api/v1/signingCert returned 503',
    /^Fulcio did not issue/
  ],
  ['GET https://127.0.0.1:5443/v2/x: x509: certificate signed by unknown authority', /certs\.d/],
  ['other', /^$/]
])('cosignHint(%j)', (out, hint) => {
  expect(cosignHint(out)).toMatch(hint);
});

test('cosignHint: a key that does not decrypt while cosign-password is empty points at the missing secret', () => {
  expect(cosignHint('Error: decrypt: encrypted: decryption failed', true)).toBe(
    'cosign could not decrypt the key, and cosign-password is empty: if it comes from a secret, check that the secret exists under that name (secrets are not passed to workflows run from forks).'
  );
});
