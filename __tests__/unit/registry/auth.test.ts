import {
  Authenticator,
  AuthOptions,
  mergeScopes,
  parseChallenge,
  repoScope,
  scopesCover
} from '../../../src/registry/auth';
import {Credential} from '../../../src/registry/credentials';
import {RegistryError} from '../../../src/registry/errors';
import {RetryPolicy} from '../../../src/registry/retry';
import {Transport} from '../../../src/registry/transport';
import {FakeTokenServer, TestServer, tmpDir, removeTmpDirs} from './servers';

afterAll(removeTmpDirs);

describe('parseChallenge', () => {
  // ported from the old registry-client test
  test.each([
    ['Basic realm="Registry Realm"', {scheme: 'basic', params: {realm: 'Registry Realm'}}],
    [
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:u/a:pull,push"',
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.docker.io/token',
          service: 'registry.docker.io',
          scope: 'repository:u/a:pull,push'
        }
      }
    ],
    ['', {scheme: '', params: {}}]
  ])('parseChallenge(%j)', (header, expected) => {
    expect(parseChallenge(header)).toEqual(expected);
  });

  test.each([
    [
      'unquoted values',
      'Bearer realm=https://r.example/token,service=r.example',
      {scheme: 'bearer', params: {realm: 'https://r.example/token', service: 'r.example'}}
    ],
    [
      'scheme and parameter names are case-insensitive',
      'BEARER Realm="https://x/t", Service="x"',
      {scheme: 'bearer', params: {realm: 'https://x/t', service: 'x'}}
    ],
    [
      'a scope list with spaces and commas inside the quotes',
      'Bearer realm="https://x/t",scope="repository:b:pull,push repository:a:pull"',
      {scheme: 'bearer', params: {realm: 'https://x/t', scope: 'repository:b:pull,push repository:a:pull'}}
    ],
    ['a scheme alone', 'Basic', {scheme: 'basic', params: {}}]
  ])('%s', (_name, header, expected) => {
    expect(parseChallenge(header)).toEqual(expected);
  });
});

test.each([
  ['team/app', 'pull', 'repository:team/app:pull'],
  ['a', 'pull,push', 'repository:a:pull,push']
])('repoScope(%j, %j) = %j', (p, actions, scope) => {
  expect(repoScope(p, actions)).toBe(scope);
});

describe('mergeScopes', () => {
  test.each<[string[], string[]]>([
    [['repository:a:pull', 'repository:a:push'], ['repository:a:pull,push']],
    [['repository:a:push,pull'], ['repository:a:pull,push']],
    [
      ['repository:b:pull,push', 'repository:a:pull'],
      ['repository:b:pull,push', 'repository:a:pull']
    ],
    [
      ['repository:b:pull,push repository:a:pull', 'repository:b:pull'],
      ['repository:b:pull,push', 'repository:a:pull']
    ],
    [['repository:a:delete,push,pull'], ['repository:a:pull,push,delete']],
    [['registry:catalog:*'], ['registry:catalog:*']],
    [['', ' ', 'nocolon'], []],
    [[], []]
  ])('%j -> %j', (scopes, merged) => {
    expect(mergeScopes(scopes)).toEqual(merged);
  });
});

describe('scopesCover', () => {
  test.each<[string[], string[], boolean]>([
    [['repository:a:pull,push'], ['repository:a:pull'], true],
    [['repository:a:pull'], ['repository:a:pull,push'], false],
    [['repository:a:pull'], ['repository:b:pull'], false],
    [['repository:b:pull,push', 'repository:a:pull'], ['repository:b:push', 'repository:a:pull'], true],
    [['repository:b:pull,push'], ['repository:b:push', 'repository:a:pull'], false],
    [['repository:a:pull', 'repository:a:push'], ['repository:a:pull,push'], true],
    [['repository:a:*'], ['repository:a:pull,push,delete'], true],
    [[], ['repository:a:pull'], false],
    [['repository:a:pull'], [], true]
  ])('%j covers %j: %s', (have, want, expected) => {
    expect(scopesCover(have, want)).toBe(expected);
  });
});

describe('Authenticator', () => {
  const policy: RetryPolicy = {retries: 3, baseMs: 1, capMs: 4, totalMs: 1000};
  const REG = 'reg.test';
  let tokens: FakeTokenServer;
  let transport: Transport;
  let lines: string[];
  let clock: number;

  beforeEach(async () => {
    tokens = await FakeTokenServer.start();
    transport = new Transport({env: {}, certsDir: tmpDir('no-certs')});
    lines = [];
    clock = 1_700_000_000_000;
  });
  afterEach(async () => {
    await transport.close();
    await tokens.close();
  });

  const make = (cred?: Credential, extra: Partial<AuthOptions> = {}): Authenticator =>
    new Authenticator({
      transport,
      credentials: () => Promise.resolve(cred),
      policy,
      userAgent: 'publish-image/test',
      log: l => lines.push(l),
      now: () => clock,
      ...extra
    });
  const user: Credential = {username: 'octo', password: 'p4ss', source: 'test'};
  const origin = new URL('http://127.0.0.1:5000');
  const bearer = (scope?: string): string =>
    `Bearer realm="${tokens.realm}",service="fake-registry"${scope ? `,scope="${scope}"` : ''}`;
  const basicOf = (u: string, p: string): string => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

  describe('Basic', () => {
    test('answers with the credentials on a loopback registry, and sends them before any challenge after', async () => {
      const a = make(user);
      expect(a.cached(REG, [])).toBeUndefined();
      await expect(a.answer(REG, origin, 'Basic realm="r"', ['repository:a:pull'])).resolves.toBe(
        basicOf('octo', 'p4ss')
      );
      expect(a.cached(REG, ['repository:b:push'])).toBe(basicOf('octo', 'p4ss'));
      expect(a.cached('other.test', [])).toBeUndefined();
    });

    test('over plain HTTP to a non-loopback host is refused', async () => {
      const a = make(user);
      const p = a.answer('registry.example:5000', new URL('http://registry.example:5000'), 'Basic realm="r"', []);
      await expect(p).rejects.toThrow(RegistryError);
      await expect(p).rejects.toThrow(/plain HTTP: refused.*insecure-registries/);
      await expect(p).rejects.toMatchObject({status: 401, transient: false});
      expect(a.cached('registry.example:5000', [])).toBeUndefined();
    });

    test('over plain HTTP to a host named in insecure is allowed', async () => {
      const a = make(user, {insecure: ['registry.example:5000']});
      await expect(
        a.answer('registry.example:5000', new URL('http://registry.example:5000'), 'Basic realm="r"', [])
      ).resolves.toBe(basicOf('octo', 'p4ss'));
    });

    test('over https to any host is allowed', async () => {
      const a = make(user);
      await expect(
        a.answer('registry.example', new URL('https://registry.example'), 'Basic realm="r"', [])
      ).resolves.toBe(basicOf('octo', 'p4ss'));
    });

    test.each<[string, Credential | undefined]>([
      ['no credentials', undefined],
      ['an identity token (no password to send)', {username: '<token>', password: '', identityToken: 't', source: 'x'}]
    ])('nothing to answer with: %s', async (_name, cred) => {
      await expect(make(cred).answer(REG, origin, 'Basic realm="r"', [])).resolves.toBeUndefined();
    });
  });

  describe('Bearer', () => {
    test('asks for the union of the needed scopes and the challenge scope, with the account, Basic auth and a User-Agent', async () => {
      const a = make(user);
      const header = await a.answer(REG, origin, bearer('repository:a:pull'), ['repository:b:pull,push']);
      expect(header).toMatch(/^Bearer .+/);
      expect(tokens.requests).toHaveLength(1);
      const r = tokens.requests[0];
      expect(r?.method).toBe('GET');
      expect(r?.scopes).toEqual(['repository:b:pull,push', 'repository:a:pull']);
      expect(r?.service).toBe('fake-registry');
      expect(r?.account).toBe('octo');
      expect(r?.authorization).toBe(basicOf('octo', 'p4ss'));
      expect(r?.userAgent).toBe('publish-image/test');
    });

    test('a cross-repository mount: two scopes, the challenge naming both', async () => {
      const a = make(user);
      await a.answer(REG, origin, bearer('repository:b:pull,push repository:a:pull'), [
        'repository:b:pull,push',
        'repository:a:pull'
      ]);
      expect(tokens.requests.map(r => r.scopes)).toEqual([['repository:b:pull,push', 'repository:a:pull']]);
    });

    test('the same action asked twice is merged into one scope', async () => {
      const a = make(user);
      await a.answer(REG, origin, bearer('repository:b:push'), ['repository:b:pull']);
      expect(tokens.requests[0]?.scopes).toEqual(['repository:b:pull,push']);
    });

    test('anonymous: no account, no Authorization, still a User-Agent', async () => {
      const a = make(undefined);
      await expect(a.answer(REG, origin, bearer('repository:a:pull'), [])).resolves.toMatch(/^Bearer /);
      const r = tokens.requests[0];
      expect(r?.account).toBe('');
      expect(r?.authorization).toBe('');
      expect(r?.userAgent).toBe('publish-image/test');
    });

    test('tokens are cached per scope set', async () => {
      const a = make(user);
      const t1 = await a.answer(REG, origin, bearer('repository:b:pull,push'), []);
      // the same scopes, and a subset: from the cache
      expect(await a.answer(REG, origin, bearer('repository:b:pull,push'), [])).toBe(t1);
      expect(await a.answer(REG, origin, bearer('repository:b:pull'), [])).toBe(t1);
      expect(a.cached(REG, ['repository:b:push'])).toBe(t1);
      expect(tokens.requests).toHaveLength(1);
      // another repository: a new token
      const t2 = await a.answer(REG, origin, bearer('repository:c:pull'), []);
      expect(t2).not.toBe(t1);
      expect(tokens.requests).toHaveLength(2);
      // both are held, each for its own scopes
      expect(a.cached(REG, ['repository:c:pull'])).toBe(t2);
      expect(a.cached(REG, ['repository:b:pull'])).toBe(t1);
      expect(a.cached(REG, ['repository:d:pull'])).toBeUndefined();
      // tokens belong to their registry
      expect(a.cached('other.test', ['repository:b:pull'])).toBeUndefined();
    });

    test('a token is fetched again after it expires (expires_in)', async () => {
      tokens.expiresIn = 300;
      const a = make(user);
      const t1 = await a.answer(REG, origin, bearer('repository:b:pull'), []);
      clock += 200_000;
      expect(await a.answer(REG, origin, bearer('repository:b:pull'), [])).toBe(t1);
      expect(tokens.requests).toHaveLength(1);
      clock += 200_000;
      expect(a.cached(REG, ['repository:b:pull'])).toBeUndefined();
      const t2 = await a.answer(REG, origin, bearer('repository:b:pull'), []);
      expect(t2).not.toBe(t1);
      expect(tokens.requests).toHaveLength(2);
    });

    test('a lifetime under 60 s (or none) counts as 60 s, as docker does', async () => {
      tokens.expiresIn = 5;
      const a = make(user);
      const t1 = await a.answer(REG, origin, bearer('repository:b:pull'), []);
      clock += 30_000;
      expect(a.cached(REG, ['repository:b:pull'])).toBe(t1);
      clock += 60_000;
      expect(a.cached(REG, ['repository:b:pull'])).toBeUndefined();
    });

    test('drop() forgets a token the registry refused', async () => {
      const a = make(user);
      const t1 = (await a.answer(REG, origin, bearer('repository:b:pull'), [])) ?? '';
      a.drop(REG, t1);
      expect(a.cached(REG, ['repository:b:pull'])).toBeUndefined();
      const t2 = await a.answer(REG, origin, bearer('repository:b:pull'), []);
      expect(t2).not.toBe(t1);
      expect(tokens.requests).toHaveLength(2);
    });

    test('access_token (OAuth2) is accepted as well as token', async () => {
      tokens.oauthField = true;
      await expect(make(user).answer(REG, origin, bearer('repository:b:pull'), [])).resolves.toMatch(
        /^Bearer .+\.sig1$/
      );
    });

    test("on 401 the token service's own message is kept in the error, and it is not retried", async () => {
      tokens.accounts = {octo: 'another-password'};
      const p = make(user).answer(REG, origin, bearer('repository:b:pull'), []);
      await expect(p).rejects.toThrow(
        /token service http:\/\/127\.0\.0\.1:\d+\/token .*: 401 incorrect username or password \(fake token service\)/
      );
      await expect(p).rejects.toMatchObject({
        status: 401,
        transient: false,
        detail: 'incorrect username or password (fake token service)'
      });
      expect(tokens.requests).toHaveLength(1);
      expect(lines).toEqual([]);
    });

    test('a token service answering 500 twice is survived; each retry logs a line naming the token service', async () => {
      tokens.failures = 2;
      const header = await make(user).answer(REG, origin, bearer('repository:b:pull'), []);
      expect(header).toMatch(/^Bearer /);
      expect(tokens.requests).toHaveLength(3);
      expect(lines).toHaveLength(2);
      for (const [i, l] of lines.entries())
        expect(l).toMatch(
          new RegExp(
            `^retry ${i + 1}/3 in .*: token service ${tokens.realm.replace(/\./g, '\\.')} for ${REG} \\(repository:b:pull\\): 500 UNAVAILABLE: token backend down$`
          )
        );
    });

    test('a token service that keeps failing: the error after the retries names the status', async () => {
      tokens.failures = 100;
      const p = make(user).answer(REG, origin, bearer('repository:b:pull'), []);
      // spent here: the request that needed the token does not retry it again (no retries of retries)
      await expect(p).rejects.toMatchObject({status: 500, transient: false});
      expect(tokens.requests).toHaveLength(4);
      expect(lines).toHaveLength(3);
    });

    test('an http realm behind an https registry is refused, and nothing is sent to it', async () => {
      const p = make(user).answer(
        'registry.example',
        new URL('https://registry.example'),
        bearer('repository:b:pull'),
        []
      );
      await expect(p).rejects.toThrow(
        /\(https\) sends clients to the token service http:\/\/127\.0\.0\.1:\d+\/token over plain HTTP: refused/
      );
      await expect(p).rejects.toMatchObject({status: 401, transient: false});
      expect(tokens.requests).toHaveLength(0);
    });

    test('an invalid realm is named', async () => {
      await expect(make(user).answer(REG, origin, 'Bearer realm="not a url"', [])).rejects.toThrow(
        /invalid token realm "not a url"/
      );
    });

    test.each([
      ['not JSON', 'hello', /the answer is not JSON/],
      ['JSON without a token', {expires_in: 60}, /the answer holds no token/]
    ])('a token answer that is %s is refused', async (_name, body, message) => {
      const odd = await TestServer.start(() => ({status: 200, body}));
      try {
        await expect(
          make(user).answer(REG, origin, `Bearer realm="${odd.origin}/token",service="s"`, [])
        ).rejects.toThrow(message);
      } finally {
        await odd.close();
      }
    });

    test('an identity token is POSTed as an OAuth2 refresh_token form, without the password or an account', async () => {
      const a = make({username: '<token>', password: '', identityToken: 'refresh-me', source: 'x'});
      await a.answer(REG, origin, bearer('repository:b:pull,push'), ['repository:a:pull']);
      const r = tokens.requests[0];
      expect(r?.method).toBe('POST');
      expect(Object.fromEntries(r?.form ?? [])).toEqual({
        grant_type: 'refresh_token',
        refresh_token: 'refresh-me',
        service: 'fake-registry',
        client_id: 'publish-image',
        scope: 'repository:a:pull repository:b:pull,push'
      });
      expect(r?.account).toBe('');
      expect(r?.authorization).toBe('');
      expect(r?.userAgent).toBe('publish-image/test');
    });

    test.each([
      ['an unknown scheme', 'Negotiate abc'],
      ['Bearer without a realm', 'Bearer service="x"'],
      ['no challenge at all', '']
    ])('nothing to answer: %s', async (_name, challenge) => {
      await expect(make(user).answer(REG, origin, challenge, [])).resolves.toBeUndefined();
      expect(tokens.requests).toHaveLength(0);
    });
  });
});
