import {
  errorCode,
  grantedActions,
  RegistryError,
  registryErrorCodes,
  registryErrorText
} from '../../../src/registry/errors';

const json = (o: unknown): Buffer => Buffer.from(JSON.stringify(o));

describe('RegistryError', () => {
  test('carries the status, transience, detail, codes and hint; the hint is appended to the message', () => {
    const e = new RegistryError('PUT r/a manifest v1: 403 DENIED', 403, false, 'DENIED: no', ['DENIED'], 'check X');
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('RegistryError');
    expect(e.message).toBe('PUT r/a manifest v1: 403 DENIED. check X');
    expect([e.status, e.transient, e.detail, e.codes, e.hint]).toEqual([
      403,
      false,
      'DENIED: no',
      ['DENIED'],
      'check X'
    ]);
    expect(e.reason).toBe('');
    expect(e.retryAfterSeconds).toBeUndefined();
  });

  test.each([
    ['no hint', '', 'GET x: 500'],
    ['a hint already in the message is not repeated', 'GET x', 'GET x: 500']
  ])('%s', (_name, hint, message) => {
    expect(new RegistryError('GET x: 500', 500, true, '', [], hint).message).toBe(message);
  });
});

describe('registryErrorCodes', () => {
  test.each<[string, Buffer, string[]]>([
    [
      'a Distribution body',
      json({errors: [{code: 'DIGEST_INVALID'}, {code: 'MANIFEST_BLOB_UNKNOWN', message: 'blob unknown'}]}),
      ['DIGEST_INVALID', 'MANIFEST_BLOB_UNKNOWN']
    ],
    ['entries without a code are left out', json({errors: [{message: 'x'}, {code: 'DENIED'}]}), ['DENIED']],
    ['no errors member', json({details: 'x'}), []],
    ['not JSON', Buffer.from('<html>502 Bad Gateway</html>'), []],
    ['empty', Buffer.alloc(0), []]
  ])('%s', (_name, body, codes) => {
    expect(registryErrorCodes(body)).toEqual(codes);
  });
});

describe('registryErrorText', () => {
  // ported from the old registry-client test
  test.each([
    [
      Buffer.from('{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}'),
      'DENIED: requested access to the resource is denied'
    ],
    [Buffer.from('plain text'), 'plain text']
  ])('registryErrorText (ported) %#', (body, text) => {
    expect(registryErrorText(body)).toBe(text);
  });

  test.each<[string, Buffer, string]>([
    [
      'several Distribution errors',
      json({
        errors: [
          {code: 'DIGEST_INVALID', message: 'provided digest did not match uploaded content'},
          {code: 'MANIFEST_BLOB_UNKNOWN', message: 'blob unknown to registry', detail: 'sha256:1'}
        ]
      }),
      'DIGEST_INVALID: provided digest did not match uploaded content; MANIFEST_BLOB_UNKNOWN: blob unknown to registry'
    ],
    ['a code without a message', json({errors: [{code: 'UNAUTHORIZED'}]}), 'UNAUTHORIZED'],
    [
      'Docker Hub / Harbor token service: details',
      json({details: 'incorrect username or password'}),
      'incorrect username or password'
    ],
    [
      'OAuth2: error and error_description',
      json({error: 'invalid_grant', error_description: 'refresh token expired'}),
      'invalid_grant: refresh token expired'
    ],
    ['GitLab: message', json({message: 'HTTP Basic: Access denied'}), 'HTTP Basic: Access denied'],
    ['OAuth2 error alone', json({error: 'unauthorized_client'}), 'unauthorized_client'],
    ['JSON without known words: its text', json({foo: 1}), '{"foo":1}'],
    ['surrounding whitespace trimmed', Buffer.from('  bad gateway \n'), 'bad gateway'],
    ['empty', Buffer.alloc(0), '']
  ])('%s', (_name, body, text) => {
    expect(registryErrorText(body)).toBe(text);
  });

  test('a long text is cut at 200 characters', () => {
    const long = 'x'.repeat(500);
    expect(registryErrorText(Buffer.from(long))).toBe('x'.repeat(200));
  });
});

describe('errorCode', () => {
  test.each<[string, unknown, string]>([
    ['on the error', Object.assign(new Error('x'), {code: 'ECONNRESET'}), 'ECONNRESET'],
    [
      'on its cause (undici)',
      new Error('fetch failed', {cause: {code: 'UND_ERR_CONNECT_TIMEOUT'}}),
      'UND_ERR_CONNECT_TIMEOUT'
    ],
    ['the error first', Object.assign(new Error('x', {cause: {code: 'B'}}), {code: 'A'}), 'A'],
    ['none', new Error('x'), ''],
    ['not an error', {}, '']
  ])('%s', (_name, e, code) => {
    expect(errorCode(e)).toBe(code);
  });
});

describe('grantedActions', () => {
  const jwt = (payload: unknown): string =>
    `${Buffer.from('{"alg":"ES256"}').toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.c2ln`;
  const token = jwt({
    access: [
      {type: 'repository', name: 'team/app', actions: ['pull']},
      {type: 'repository', name: 'team/other', actions: ['pull', 'push']},
      {type: 'registry', name: 'catalog', actions: ['*']}
    ]
  });
  test.each<[string, string, string, string[]]>([
    ['the actions on the repository', token, 'team/app', ['pull']],
    ['another repository of the same token', token, 'team/other', ['pull', 'push']],
    ['a repository the token does not name', token, 'team/none', []],
    ['a registry resource is not a repository', token, 'catalog', []],
    ['a token without access', jwt({sub: 'x'}), 'team/app', []],
    ['an opaque token', 'opaque-token-value', 'team/app', []],
    ['a token whose payload is not JSON', 'a.bm90IGpzb24.c', 'team/app', []]
  ])('%s', (_name, t, repo, actions) => {
    expect(grantedActions(t, repo)).toEqual(actions);
  });
});
