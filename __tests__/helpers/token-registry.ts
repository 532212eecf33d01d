/**
 * A Distribution registry with `auth: token`, and a small token server written here that decides what each
 * account may do (e.g. pull but not push). Both listen on loopback ports of their own; stop() ends them.
 */
import {ChildProcess, execFileSync, spawn} from 'node:child_process';
import {createPrivateKey, randomBytes, sign} from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export interface Account {
  password: string;
  actions: string[];
}

export interface TokenRegistry {
  host: string;
  tokenRequests: string[];
  /** the User-Agent of every token request */
  userAgents: string[];
  stop(): Promise<void>;
}

/** A free loopback port. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const {port} = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

export interface TokenRegistryOptions {
  /** the realm the registry names, given the token server's host:port (e.g. a fault proxy in front of it) */
  realm?: (tokenHost: string) => Promise<string>;
}

export async function startTokenRegistry(
  accounts: Record<string, Account>,
  opts: TokenRegistryOptions = {}
): Promise<TokenRegistry> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-token-reg-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=pi-token-issuer',
      '-keyout',
      path.join(dir, 'key.pem'),
      '-out',
      path.join(dir, 'cert.pem')
    ],
    {stdio: 'pipe'}
  );
  const key = createPrivateKey(fs.readFileSync(path.join(dir, 'key.pem')));
  const certDer = execFileSync('openssl', ['x509', '-in', path.join(dir, 'cert.pem'), '-outform', 'DER']);
  const service = 'pi-token-registry';
  const issuer = 'pi-token-issuer';
  const tokenRequests: string[] = [];
  const userAgents: string[] = [];

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const [user, pass] = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64')
      .toString()
      .split(':');
    userAgents.push(req.headers['user-agent'] ?? '');
    tokenRequests.push(`${user ?? ''} ${url.searchParams.getAll('scope').join(' ')}`);
    const account = user ? accounts[user] : undefined;
    if (!account || account.password !== pass) {
      res
        .writeHead(401, {'content-type': 'application/json'})
        .end('{"errors":[{"code":"UNAUTHORIZED","message":"invalid username or password"}]}');
      return;
    }
    const access = url.searchParams.getAll('scope').flatMap(scope => {
      const [type, name, actions] = scope.split(':');
      const granted = (actions ?? '').split(',').filter(a => account.actions.includes(a));
      return type && name ? [{type, name, actions: granted}] : [];
    });
    const now = Math.floor(Date.now() / 1000);
    const header = {typ: 'JWT', alg: 'ES256', x5c: [certDer.toString('base64')]};
    const claims = {
      iss: issuer,
      sub: user,
      aud: service,
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: randomBytes(8).toString('hex'),
      access
    };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const signature = sign('sha256', Buffer.from(input), {key, dsaEncoding: 'ieee-p1363'});
    const token = `${input}.${b64url(signature)}`;
    res
      .writeHead(200, {'content-type': 'application/json'})
      .end(JSON.stringify({token, access_token: token, expires_in: 300, issued_at: new Date().toISOString()}));
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const tokenPort = (server.address() as net.AddressInfo).port;
  const realm = opts.realm ? await opts.realm(`127.0.0.1:${tokenPort}`) : `http://127.0.0.1:${tokenPort}/token`;

  const port = await freePort();
  fs.writeFileSync(
    path.join(dir, 'config.yml'),
    [
      'version: 0.1',
      'log: {level: warn, accesslog: {disabled: true}}',
      `storage: {filesystem: {rootdirectory: ${dir}/storage}, delete: {enabled: true}}`,
      `http: {addr: "127.0.0.1:${port}", secret: pi-token}`,
      `auth: {token: {realm: "${realm}", service: ${service}, issuer: ${issuer}, rootcertbundle: ${dir}/cert.pem}}`
    ].join('\n')
  );
  const proc: ChildProcess = spawn('docker-registry', ['serve', path.join(dir, 'config.yml')], {
    stdio: ['ignore', 'ignore', fs.openSync(path.join(dir, 'registry.log'), 'a')]
  });
  const host = `127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const up = await new Promise<boolean>(resolve => {
      http.get(`http://${host}/v2/`, r => resolve(r.statusCode === 401)).on('error', () => resolve(false));
    });
    if (up) break;
    if (i > 50)
      throw new Error(`the token registry did not start: ${fs.readFileSync(path.join(dir, 'registry.log'), 'utf8')}`);
    await new Promise(r => setTimeout(r, 100));
  }
  return {
    host,
    tokenRequests,
    userAgents,
    stop: async () => {
      proc.kill();
      await new Promise<void>(r => server.close(() => r()));
    }
  };
}
