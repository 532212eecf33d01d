import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import {request as undiciRequest} from 'undici';
import {errorCode} from '../../../src/registry/errors';
import {
  certsDirHosts,
  DOCKER_CERTS_DIR,
  Env,
  networkHint,
  noProxyMatches,
  policyDispatcher,
  proxyFor,
  readCertsDir,
  redactUrl,
  Transport
} from '../../../src/registry/transport';
import {certsDir, makePki, Pki, TestServer, tmpDir, removeTmpDirs} from './servers';

afterAll(removeTmpDirs);

describe('noProxyMatches', () => {
  test.each<[string, string, string, boolean]>([
    ['*', 'anything.example', '443', true],
    ['registry', 'registry', '443', true],
    ['registry', 'registry2', '443', false],
    ['example.com', 'example.com', '443', true],
    ['example.com', 'r.example.com', '443', true],
    ['example.com', 'a.b.example.com', '443', true],
    ['example.com', 'notexample.com', '443', false],
    ['.example.com', 'r.example.com', '443', true],
    ['.example.com', 'a.b.example.com', '443', true],
    ['.example.com', 'notexample.com', '443', false],
    ['*.example.com', 'r.example.com', '443', true],
    ['*.example.com', 'notexample.com', '443', false],
    ['example.com:5000', 'example.com', '5000', true],
    ['example.com:5000', 'r.example.com', '5000', true],
    ['example.com:5000', 'example.com', '443', false],
    ['.example.com:5000', 'r.example.com', '5000', true],
    ['.example.com:5000', 'r.example.com', '5001', false],
    ['10.1.2.3', '10.1.2.3', '443', true],
    ['10.1.2.3', '10.1.2.4', '443', false],
    ['10.1.2.3:5000', '10.1.2.3', '5000', true],
    ['10.1.2.3:5000', '10.1.2.3', '443', false],
    ['10.0.0.0/8', '10.200.3.4', '443', true],
    ['10.0.0.0/8', '11.0.0.1', '443', false],
    ['192.168.1.0/24', '192.168.1.77', '5000', true],
    ['192.168.1.0/24', '192.168.2.1', '5000', false],
    ['0.0.0.0/0', '8.8.8.8', '443', true],
    ['10.0.0.0/8', 'r.example.com', '443', false],
    ['10.0.0.0/33', '10.0.0.1', '443', false],
    [' Example.COM ', 'r.example.com', '443', true],
    ['', 'example.com', '443', false],
    ['  ', 'example.com', '443', false]
  ])('entry %j, host %j, port %s -> %s', (entry, host, port, expected) => {
    expect(noProxyMatches(entry, host, port)).toBe(expected);
  });
});

describe('proxyFor', () => {
  const P = 'http://proxy:3128';
  test.each<[string, Env, string]>([
    ['https://ghcr.io/v2/', {HTTPS_PROXY: P}, P],
    ['https://ghcr.io/v2/', {https_proxy: 'http://p:1'}, 'http://p:1'],
    ['https://ghcr.io/v2/', {HTTPS_PROXY: 'http://upper:1', https_proxy: 'http://lower:2'}, 'http://upper:1'],
    ['https://ghcr.io/v2/', {HTTP_PROXY: P}, ''],
    ['http://reg.example:5000/v2/', {HTTPS_PROXY: P}, ''],
    ['http://reg.example:5000/v2/', {HTTP_PROXY: 'http://p:2'}, 'http://p:2'],
    ['http://reg.example:5000/v2/', {http_proxy: 'http://p:2'}, 'http://p:2'],
    ['https://ghcr.io/', {HTTPS_PROXY: 'proxy:3128'}, 'http://proxy:3128'],
    ['https://ghcr.io/', {HTTPS_PROXY: 'https://proxy:3128'}, 'https://proxy:3128'],
    ['https://ghcr.io/', {HTTPS_PROXY: 'socks5://proxy:1080'}, 'socks5://proxy:1080'],
    ['https://ghcr.io/', {}, ''],
    // loopback is never proxied, NO_PROXY or not
    ['http://127.0.0.1:5000/v2/', {HTTP_PROXY: P}, ''],
    ['https://127.8.9.10/v2/', {HTTPS_PROXY: P}, ''],
    ['https://localhost:5000/v2/', {HTTPS_PROXY: P}, ''],
    ['http://localhost/v2/', {HTTP_PROXY: P}, ''],
    ['http://[::1]:5000/v2/', {HTTP_PROXY: P}, ''],
    ['https://localhost.example/v2/', {HTTPS_PROXY: P}, P],
    // NO_PROXY
    ['https://r.example.com:5000/', {HTTPS_PROXY: P, NO_PROXY: '.example.com'}, ''],
    ['https://ghcr.io/', {HTTPS_PROXY: P, NO_PROXY: '.example.com'}, P],
    ['https://registry/', {HTTPS_PROXY: P, NO_PROXY: 'registry'}, ''],
    ['https://ghcr.io/', {HTTPS_PROXY: P, NO_PROXY: '*'}, ''],
    ['https://a.example.com/', {HTTPS_PROXY: P, NO_PROXY: '*.example.com'}, ''],
    ['https://r.example.com:5000/', {HTTPS_PROXY: P, NO_PROXY: 'r.example.com:5000'}, ''],
    ['https://r.example.com/', {HTTPS_PROXY: P, NO_PROXY: 'r.example.com:5000'}, P],
    ['https://r.example.com/', {HTTPS_PROXY: P, NO_PROXY: 'r.example.com:443'}, ''],
    ['http://r.example.com/', {HTTP_PROXY: P, NO_PROXY: 'r.example.com:80'}, ''],
    ['http://r.example.com/', {HTTP_PROXY: P, NO_PROXY: 'r.example.com:443'}, P],
    ['https://10.1.2.3:5000/', {HTTPS_PROXY: P, NO_PROXY: '10.0.0.0/8'}, ''],
    ['https://11.1.2.3:5000/', {HTTPS_PROXY: P, NO_PROXY: '10.0.0.0/8'}, P],
    ['https://b.test/', {HTTPS_PROXY: P, NO_PROXY: 'a.test, b.test ,10.0.0.0/8'}, ''],
    ['https://c.test/', {HTTPS_PROXY: P, NO_PROXY: 'a.test, b.test ,10.0.0.0/8'}, P],
    ['https://ghcr.io/', {HTTPS_PROXY: P, no_proxy: 'ghcr.io'}, ''],
    ['https://ghcr.io/', {HTTPS_PROXY: P, NO_PROXY: 'x.test', no_proxy: 'ghcr.io'}, P],
    ['https://GHCR.io/', {HTTPS_PROXY: P, NO_PROXY: 'ghcr.io'}, '']
  ])('proxyFor(%j, %j) = %j', (url, env, proxy) => {
    expect(proxyFor(url, env)).toBe(proxy);
  });

  test('takes a URL object too', () => {
    expect(proxyFor(new URL('https://ghcr.io/v2/'), {HTTPS_PROXY: P})).toBe(P);
  });
});

/**
 * Go's golang.org/x/net/http/httpproxy (what the engine uses): a leading "." or "*." matches subdomains only
 * (".y.com" matches "x.y.com" but not "y.com"); IPv6 literals are entries; an empty HTTPS_PROXY / NO_PROXY falls
 * back to the lower-case variable (getEnvAny takes the first non-empty one).
 */
describe('the proxy policy as Go reads it', () => {
  const P = 'http://proxy:3128';
  test.each<[string, string, string, boolean]>([
    ['.example.com', 'example.com', '443', false],
    ['*.example.com', 'example.com', '443', false],
    ['2001:db8::1', '2001:db8::1', '443', true],
    ['[2001:db8::1]:443', '2001:db8::1', '443', true]
  ])('noProxyMatches(%j, %j, %s) = %s', (entry, host, port, expected) => {
    expect(noProxyMatches(entry, host, port)).toBe(expected);
  });

  test.each<[string, Env, string]>([
    ['https://example.com/', {HTTPS_PROXY: P, NO_PROXY: '.example.com'}, P],
    ['https://ghcr.io/', {HTTPS_PROXY: '', https_proxy: P}, P],
    ['http://reg.example/', {HTTP_PROXY: '', http_proxy: P}, P],
    ['https://ghcr.io/', {HTTPS_PROXY: P, NO_PROXY: '', no_proxy: 'ghcr.io'}, '']
  ])('proxyFor(%j, %j) = %j', (url, env, proxy) => {
    expect(proxyFor(url, env)).toBe(proxy);
  });
});

describe('redactUrl', () => {
  test.each([
    ['http://user:secret@proxy:3128', 'http://user:***@proxy:3128'],
    ['http://user:secret@proxy:3128/', 'http://user:***@proxy:3128'],
    ['https://u:p%40ss@proxy.example/', 'https://u:***@proxy.example'],
    ['http://proxy:3128', 'http://proxy:3128'],
    ['http://proxy:3128/', 'http://proxy:3128'],
    ['not a url', 'not a url']
  ])('%j -> %j', (u, shown) => {
    expect(redactUrl(u)).toBe(shown);
  });
});

describe('networkHint', () => {
  const url = new URL('https://r.example:5000/v2/');
  const withPassword = {HTTPS_PROXY: 'http://user:hunter2@proxy:3128'};
  test.each<[string, Env, string | RegExp]>([
    [
      'SELF_SIGNED_CERT_IN_CHAIN',
      {},
      `The TLS handshake with r.example:5000 directly (no proxy) failed: put the registry's CA in ${DOCKER_CERTS_DIR}/r.example:5000/ca.crt (as for docker) or pass it in ca-cert.`
    ],
    [
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      {},
      /\/etc\/docker\/certs\.d\/r\.example:5000\/ca\.crt .* or pass it in ca-cert\.$/
    ],
    ['CERT_HAS_EXPIRED', {}, /^The TLS handshake with r\.example:5000 /],
    ['ERR_TLS_CERT_ALTNAME_INVALID', {}, /^The TLS handshake with r\.example:5000 /],
    ['EPROTO', {}, /^The TLS handshake with r\.example:5000 /],
    [
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      withPassword,
      `The TLS handshake with r.example:5000 through the proxy http://user:***@proxy:3128 failed: put the registry's CA in ${DOCKER_CERTS_DIR}/r.example:5000/ca.crt (as for docker) or pass it in ca-cert; a TLS-intercepting proxy needs its CA too.`
    ],
    [
      'ECONNREFUSED',
      withPassword,
      'The proxy http://user:***@proxy:3128 (HTTPS_PROXY/HTTP_PROXY) could not be used to reach r.example:5000: check that it is up, or name r.example:5000 in NO_PROXY.'
    ],
    [
      'ENOTFOUND',
      withPassword,
      /^The proxy http:\/\/user:\*\*\*@proxy:3128 \(HTTPS_PROXY\/HTTP_PROXY\) could not be used/
    ],
    ['UND_ERR_SOCKET', withPassword, /^The proxy http:\/\/user:\*\*\*@proxy:3128 /],
    [
      'UND_ERR_CONNECT_TIMEOUT',
      {HTTPS_PROXY: 'http://proxy:3128'},
      'Connecting to r.example:5000 through the proxy http://proxy:3128 timed out: check the host and port, the firewall, and HTTPS_PROXY / NO_PROXY.'
    ],
    [
      'ETIMEDOUT',
      {},
      'Connecting to r.example:5000 directly (no proxy) timed out: check the host and port, the firewall, and HTTPS_PROXY / NO_PROXY.'
    ],
    ['ECONNREFUSED', {}, 'Could not connect to r.example:5000 directly (no proxy): check the host name and port.'],
    ['ENOTFOUND', {}, 'Could not connect to r.example:5000 directly (no proxy): check the host name and port.'],
    [
      'ECONNREFUSED',
      {HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: 'r.example'},
      'Could not connect to r.example:5000 directly (no proxy): check the host name and port.'
    ],
    ['ECONNRESET', {}, 'Connection to r.example:5000 directly (no proxy) failed.'],
    ['', {}, 'Connection to r.example:5000 directly (no proxy) failed.']
  ])('%s with %j', (code, env, expected) => {
    const hint = networkHint(url, code, env);
    // a string is the whole hint, a RegExp a part of it
    const exact =
      typeof expected === 'string' ? new RegExp(`^${expected.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`) : expected;
    expect(hint).toMatch(exact);
    expect(hint).not.toContain('hunter2');
  });

  test('names the input that carries the CA', () => {
    expect(networkHint(url, 'SELF_SIGNED_CERT_IN_CHAIN', {}, 'registry-auth ca-cert')).toMatch(
      /or pass it in registry-auth ca-cert\.$/
    );
  });

  test('a loopback registry is reached directly even with a proxy set', () => {
    expect(networkHint(new URL('http://127.0.0.1:5000/v2/'), 'ECONNREFUSED', {HTTP_PROXY: 'http://p:1'})).toBe(
      'Could not connect to 127.0.0.1:5000 directly (no proxy): check the host name and port.'
    );
  });
});

describe('readCertsDir / certsDirHosts', () => {
  let root: string;
  beforeEach(() => {
    root = certsDir({
      'reg.example:5000': {'ca.crt': 'CA-ONE', 'extra.crt': 'CA-TWO', 'README.txt': 'ignored'},
      'mtls.example': {'ca.crt': 'CA-M', 'client.cert': 'CERT', 'client.key': 'KEY'},
      'broken.example': {'client.cert': 'CERT'},
      'empty.example': {'README.txt': 'nothing'}
    });
    fs.writeFileSync(path.join(root, 'stray-file.crt'), 'not a directory');
  });
  afterEach(() => fs.rmSync(root, {recursive: true, force: true}));

  test('every .crt of the host directory is a CA, in name order; other files are ignored', () => {
    const dir = path.join(root, 'reg.example:5000');
    expect(readCertsDir('reg.example:5000', root)).toEqual({
      cas: ['CA-ONE', 'CA-TWO'],
      clientCerts: [],
      files: [path.join(dir, 'ca.crt'), path.join(dir, 'extra.crt')]
    });
  });

  test('a .cert with its .key is a client certificate pair', () => {
    const dir = path.join(root, 'mtls.example');
    expect(readCertsDir('mtls.example', root)).toEqual({
      cas: ['CA-M'],
      clientCerts: [{cert: 'CERT', key: 'KEY'}],
      files: [path.join(dir, 'ca.crt'), path.join(dir, 'client.cert'), path.join(dir, 'client.key')]
    });
  });

  test('a .cert without its .key is refused, naming both files', () => {
    const cert = path.join(root, 'broken.example', 'client.cert');
    expect(() => readCertsDir('broken.example', root)).toThrow(
      `${cert} has no matching client.key: docker needs both for a client certificate`
    );
  });

  test.each<[string, string, string | undefined]>([
    ['a host without a directory', 'none.example', undefined],
    ['a directory without certificates', 'empty.example', undefined],
    ['a root that does not exist', 'reg.example:5000', '/nonexistent/certs.d']
  ])('nothing for %s', (_name, host, dir) => {
    // undefined: the temporary root of this block (made in beforeEach, so not known when the table is built)
    expect(readCertsDir(host, dir ?? root)).toEqual({cas: [], clientCerts: [], files: []});
  });

  test('certsDirHosts lists the host directories holding a .crt or a .cert', () => {
    expect(certsDirHosts(root)).toEqual(['broken.example', 'mtls.example', 'reg.example:5000']);
    expect(certsDirHosts('/nonexistent/certs.d')).toEqual([]);
  });
});

describe('Transport (real servers)', () => {
  let pki: Pki;
  const closers: (() => Promise<void>)[] = [];
  const track = <T extends {close(): Promise<void>}>(x: T): T => {
    closers.push(() => x.close());
    return x;
  };
  const noCerts = tmpDir('no-certs');

  beforeAll(() => {
    pki = makePki();
  });
  afterEach(async () => {
    while (closers.length) await closers.pop()?.();
  });

  const tlsServer = (extra: object = {}): Promise<TestServer> =>
    TestServer.start(req => ({status: 200, body: {path: req.path}}), {
      key: pki.serverKey,
      cert: pki.serverCert,
      ...extra
    });

  test('send(): status, lower-cased headers, body; method, headers and body reach the server', async () => {
    const s = track(
      await TestServer.start(req => ({
        status: 201,
        headers: {'Docker-Content-Digest': 'sha256:abc', 'X-Echo': req.body.toString('utf8')},
        body: 'done'
      }))
    );
    const t = track(new Transport({env: {}, certsDir: noCerts}));
    const res = await t.send(`${s.origin}/v2/a/blobs/uploads/`, {
      method: 'POST',
      headers: {'user-agent': 'ua/1', 'content-type': 'text/plain'},
      body: 'payload'
    });
    expect(res.status).toBe(201);
    expect(res.headers['docker-content-digest']).toBe('sha256:abc');
    expect(res.headers['x-echo']).toBe('payload');
    expect(res.body.toString('utf8')).toBe('done');
    expect(s.requests).toHaveLength(1);
    expect(s.requests[0]?.method).toBe('POST');
    expect(s.requests[0]?.headers['user-agent']).toBe('ua/1');
  });

  test('a private CA in certs.d/<host:port>/ca.crt is trusted; without it the handshake fails on the certificate', async () => {
    const s = track(await tlsServer());
    const trusted = track(new Transport({env: {}, certsDir: certsDir({[s.host]: {'ca.crt': pki.caCert}})}));
    await expect(trusted.send(`${s.origin}/v2/`, {method: 'GET'})).resolves.toMatchObject({status: 200});

    const plain = track(new Transport({env: {}, certsDir: noCerts}));
    const err = await plain.send(`${s.origin}/v2/`, {method: 'GET'}).then(
      () => undefined,
      (e: unknown) => e
    );
    expect(err).toBeDefined();
    expect(errorCode(err)).toMatch(/CERT|UNABLE_TO_VERIFY|SELF_SIGNED/);
    expect(s.requests).toHaveLength(1);
  });

  test('a CA filed under another host:port is not trusted for this one', async () => {
    const s = track(await tlsServer());
    const other = track(new Transport({env: {}, certsDir: certsDir({'127.0.0.1:1': {'ca.crt': pki.caCert}})}));
    await expect(other.send(`${s.origin}/v2/`, {method: 'GET'})).rejects.toThrow();
  });

  test('the ca-cert input (caCerts) is trusted too; caBundle and hasPrivateTrust say so', async () => {
    const s = track(await tlsServer());
    const t = track(new Transport({env: {}, certsDir: noCerts, caCerts: new Map([[s.host, pki.caCert]])}));
    await expect(t.send(`${s.origin}/v2/`, {method: 'GET'})).resolves.toMatchObject({status: 200});
    expect(t.hasPrivateTrust(s.host)).toBe(true);
    expect(t.caBundle(s.host)).toContain(pki.caCert.trim());
    expect(t.hasPrivateTrust('127.0.0.1:1')).toBe(false);
    expect(t.caBundle('127.0.0.1:1')).not.toContain(pki.caCert.trim());
  });

  test('certs.d trust shows in caBundle and hasPrivateTrust', () => {
    const t = new Transport({env: {}, certsDir: certsDir({'reg.example': {'ca.crt': pki.caCert}})});
    expect(t.hasPrivateTrust('reg.example')).toBe(true);
    expect(t.caBundle('reg.example')).toContain(pki.caCert.trim());
    expect(t.hasPrivateTrust('other.example')).toBe(false);
  });

  test("a token service on another origin is reached with the registry's trust (trustHost)", async () => {
    const tokenService = track(await tlsServer());
    const registryHost = '127.0.0.1:5999';
    const t = track(new Transport({env: {}, certsDir: certsDir({[registryHost]: {'ca.crt': pki.caCert}})}));
    await expect(
      t.send(`${tokenService.origin}/token`, {method: 'GET', trustHost: registryHost})
    ).resolves.toMatchObject({status: 200});
    await expect(t.send(`${tokenService.origin}/token`, {method: 'GET'})).rejects.toThrow();
  });

  test('a client certificate pair in certs.d is presented to a registry that requires one', async () => {
    const s = track(await tlsServer({requestCert: true, rejectUnauthorized: true, ca: [pki.caCert]}));
    const mtls = track(
      new Transport({
        env: {},
        certsDir: certsDir({
          [s.host]: {'ca.crt': pki.caCert, 'client.cert': pki.clientCert, 'client.key': pki.clientKey}
        })
      })
    );
    await expect(mtls.send(`${s.origin}/v2/`, {method: 'GET'})).resolves.toMatchObject({status: 200});
    const caOnly = track(new Transport({env: {}, certsDir: certsDir({[s.host]: {'ca.crt': pki.caCert}})}));
    await expect(caOnly.send(`${s.origin}/v2/`, {method: 'GET'})).rejects.toThrow();
    expect(s.requests).toHaveLength(1);
  });

  test('plain http goes through HTTP_PROXY in absolute form, with the proxy credentials; the log hides the password', async () => {
    const proxy = track(await TestServer.start(() => ({status: 200, body: 'via proxy'})));
    const lines: string[] = [];
    const t = track(
      new Transport({
        env: {HTTP_PROXY: `http://puser:hunter2@${proxy.host}`},
        certsDir: noCerts,
        log: l => lines.push(l)
      })
    );
    const res = await t.send('http://registry.example:5000/v2/', {method: 'GET'});
    expect(res.body.toString('utf8')).toBe('via proxy');
    expect(proxy.requests).toHaveLength(1);
    expect(proxy.requests[0]?.url).toBe('http://registry.example:5000/v2/');
    expect(proxy.requests[0]?.headers.host).toBe('registry.example:5000');
    expect(proxy.requests[0]?.headers['proxy-authorization']).toBe(
      `Basic ${Buffer.from('puser:hunter2').toString('base64')}`
    );
    expect(lines).toEqual([`registry.example:5000: through the proxy http://puser:***@${proxy.host}`]);
  });

  test("https goes through HTTPS_PROXY with CONNECT, the registry's certs.d trust applying inside the tunnel", async () => {
    const registry = track(await tlsServer());
    const proxy = track(await TestServer.start(() => ({status: 400})));
    const connects: string[] = [];
    const sockets: net.Socket[] = [];
    proxy.raw.on('connect', (req: {url?: string}, client: net.Socket) => {
      connects.push(req.url ?? '');
      const upstream = net.connect(registry.port, '127.0.0.1', () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.pipe(client);
        client.pipe(upstream);
      });
      sockets.push(client, upstream);
      client.on('error', () => undefined);
      upstream.on('error', () => undefined);
    });
    closers.push(() => {
      for (const s of sockets) s.destroy();
      return Promise.resolve();
    });
    const t = track(
      new Transport({
        env: {HTTPS_PROXY: proxy.origin},
        certsDir: certsDir({'registry.example': {'ca.crt': pki.caCert}})
      })
    );
    const res = await t.send('https://registry.example/v2/', {method: 'GET'});
    expect(res.status).toBe(200);
    expect(connects).toEqual(['registry.example:443']);
    expect(registry.requests.map(r => r.headers.host)).toEqual(['registry.example']);
  });

  test('a loopback registry is reached directly even when a proxy is set', async () => {
    const proxy = track(await TestServer.start(() => ({status: 502})));
    const registry = track(await TestServer.start(() => ({status: 200, body: {}})));
    const t = track(new Transport({env: {HTTP_PROXY: proxy.origin, HTTPS_PROXY: proxy.origin}, certsDir: noCerts}));
    await expect(t.send(`${registry.origin}/v2/`, {method: 'GET'})).resolves.toMatchObject({status: 200});
    expect(registry.requests).toHaveLength(1);
    expect(proxy.requests).toHaveLength(0);
  });

  test('a refused connection is an error with its code', async () => {
    const s = await TestServer.start(() => ({status: 200}));
    const origin = s.origin;
    await s.close();
    const t = track(new Transport({env: {}, certsDir: noCerts}));
    const err = await t.send(`${origin}/v2/`, {method: 'GET'}).then(
      () => undefined,
      (e: unknown) => e
    );
    expect(errorCode(err)).toBe('ECONNREFUSED');
  });

  test('policyDispatcher: other hosts through the proxy, loopback directly', async () => {
    const proxy = track(await TestServer.start(() => ({status: 200, body: 'proxied'})));
    const direct = track(await TestServer.start(() => ({status: 200, body: 'direct'})));
    const d = policyDispatcher({HTTP_PROXY: proxy.origin});
    closers.push(() => d.close());
    const viaProxy = await undiciRequest('http://api.example/x', {dispatcher: d});
    expect(await viaProxy.body.text()).toBe('proxied');
    expect(proxy.requests.map(r => r.url)).toEqual(['http://api.example/x']);
    const local = await undiciRequest(`${direct.origin}/y`, {dispatcher: d});
    expect(await local.body.text()).toBe('direct');
    expect(direct.requests).toHaveLength(1);
    expect(proxy.requests).toHaveLength(1);
  });

  test('closing a policyDispatcher closes its connections to the proxy', async () => {
    const proxy = track(await TestServer.start(() => ({status: 200, body: 'proxied'})));
    const d = policyDispatcher({HTTP_PROXY: proxy.origin});
    const res = await undiciRequest('http://api.example/x', {dispatcher: d});
    await res.body.text();
    expect(await openConnections(proxy)).toBe(1);
    await d.close();
    // the client side ends its keep-alive socket: the proxy sees it go within a moment
    const deadline = Date.now() + 1000;
    while ((await openConnections(proxy)) > 0 && Date.now() < deadline) await new Promise(r => setTimeout(r, 20));
    expect(await openConnections(proxy)).toBe(0);
  });

  test('closing a Transport closes its connections (control for the test above)', async () => {
    const proxy = track(await TestServer.start(() => ({status: 200, body: 'proxied'})));
    const t = new Transport({env: {HTTP_PROXY: proxy.origin}, certsDir: noCerts});
    await t.send('http://api.example/x', {method: 'GET'});
    expect(await openConnections(proxy)).toBe(1);
    await t.close();
    const deadline = Date.now() + 1000;
    while ((await openConnections(proxy)) > 0 && Date.now() < deadline) await new Promise(r => setTimeout(r, 20));
    expect(await openConnections(proxy)).toBe(0);
  });
});

function openConnections(s: TestServer): Promise<number> {
  return new Promise((resolve, reject) => s.raw.getConnections((e, n) => (e ? reject(e) : resolve(n))));
}
