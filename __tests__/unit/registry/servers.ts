/**
 * Real loopback servers for the registry-layer tests: a generic recording HTTP(S) server, a fake token service
 * and a fake registry speaking enough of the Distribution API (ping, blobs, uploads, mounts, manifests, tags), plus
 * a private CA made with openssl. Everything listens on 127.0.0.1 port 0 and is closed by close().
 */
import {execFileSync} from 'node:child_process';
import {createHash, randomUUID} from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import {AddressInfo} from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export interface Recorded {
  method: string;
  /** path and query, as received */
  url: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** an object is sent as JSON */
  body?: string | Buffer | object;
}

export type Handler = (req: Recorded) => Reply | Promise<Reply>;

const made: string[] = [];

/** A temporary directory, removed by removeTmpDirs(). */
export function tmpDir(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `pi-${prefix}-`));
  made.push(d);
  return d;
}

/** Removes every directory tmpDir() made (call it in afterAll). */
export function removeTmpDirs(): void {
  for (const d of made.splice(0)) fs.rmSync(d, {recursive: true, force: true});
}

export function digestOf(body: Buffer | string): string {
  return `sha256:${createHash('sha256').update(body).digest('hex')}`;
}

/** A recording server on 127.0.0.1; `handler` may be replaced by a test at any time. */
export class TestServer {
  readonly requests: Recorded[] = [];

  private constructor(
    private readonly server: http.Server,
    readonly port: number,
    readonly scheme: 'http' | 'https',
    public handler: Handler
  ) {}

  static async start(handler: Handler, tlsOptions?: https.ServerOptions): Promise<TestServer> {
    const box: {self?: TestServer} = {};
    const listener = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const u = new URL(req.url ?? '/', 'http://x');
        const rec: Recorded = {
          method: req.method ?? '',
          url: req.url ?? '/',
          path: u.pathname,
          query: u.searchParams,
          headers: req.headers,
          body: Buffer.concat(chunks)
        };
        const s = box.self as TestServer;
        s.requests.push(rec);
        Promise.resolve()
          .then(() => s.handler(rec))
          .then(
            r => send(res, rec.method, r),
            (e: unknown) => send(res, rec.method, {status: 599, body: String(e)})
          );
      });
    };
    const server = tlsOptions ? https.createServer(tlsOptions, listener) : http.createServer(listener);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    box.self = new TestServer(server, (server.address() as AddressInfo).port, tlsOptions ? 'https' : 'http', handler);
    return box.self;
  }

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  get origin(): string {
    return `${this.scheme}://${this.host}`;
  }

  /** the raw server, e.g. to listen for CONNECT */
  get raw(): http.Server {
    return this.server;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>(resolve => this.server.close(() => resolve()));
  }
}

function send(res: http.ServerResponse, method: string, r: Reply): void {
  const headers: Record<string, string> = {...(r.headers ?? {})};
  let body: Buffer = Buffer.alloc(0);
  if (Buffer.isBuffer(r.body)) body = r.body;
  else if (typeof r.body === 'string') body = Buffer.from(r.body);
  else if (r.body !== undefined) {
    body = Buffer.from(JSON.stringify(r.body));
    if (!Object.keys(headers).some(k => k.toLowerCase() === 'content-type'))
      headers['content-type'] = 'application/json';
  }
  if (!Object.keys(headers).some(k => k.toLowerCase() === 'content-length'))
    headers['content-length'] = String(body.length);
  res.writeHead(r.status, headers);
  res.end(method === 'HEAD' ? undefined : body);
}

/** A Distribution-style error body. */
export function errorBody(...codes: string[]): object {
  return {errors: codes.map(code => ({code, message: `${code.toLowerCase().replace(/_/g, ' ')}`}))};
}

const b64url = (s: string): string => Buffer.from(s).toString('base64url');

export interface TokenRequest {
  method: string;
  scopes: string[];
  service: string;
  account: string;
  authorization: string;
  userAgent: string;
  /** the form of a POST (identity-token refresh) */
  form: URLSearchParams;
}

/** A token service: grants what it is asked (or what `grant` allows), as JWT-shaped tokens. */
export class FakeTokenServer {
  readonly requests: TokenRequest[] = [];
  /** token -> scopes it grants */
  readonly issued = new Map<string, string[]>();
  /** answer 500 this many times before answering normally */
  failures = 0;
  /** expires_in of the answer (omitted when undefined) */
  expiresIn?: number;
  /** user -> password: when set, a token needs these Basic credentials (else 401 with the service's words) */
  accounts?: Record<string, string>;
  /** the actions granted for a requested scope (default: all of them) */
  grant: (scope: string) => string | undefined = s => s;
  /** answer with access_token instead of token */
  oauthField = false;
  private count = 0;

  private constructor(readonly server: TestServer) {}

  static async start(tlsOptions?: https.ServerOptions): Promise<FakeTokenServer> {
    const box: {self?: FakeTokenServer} = {};
    const server = await TestServer.start(req => (box.self as FakeTokenServer).handle(req), tlsOptions);
    box.self = new FakeTokenServer(server);
    return box.self;
  }

  get realm(): string {
    return `${this.server.origin}/token`;
  }

  private handle(req: Recorded): Reply {
    const form = new URLSearchParams(req.method === 'POST' ? req.body.toString('utf8') : '');
    const scopes =
      req.method === 'POST' ? (form.get('scope') ?? '').split(' ').filter(Boolean) : req.query.getAll('scope');
    const r: TokenRequest = {
      method: req.method,
      scopes,
      service: req.query.get('service') ?? form.get('service') ?? '',
      account: req.query.get('account') ?? '',
      authorization: String(req.headers.authorization ?? ''),
      userAgent: String(req.headers['user-agent'] ?? ''),
      form
    };
    this.requests.push(r);
    if (this.failures > 0) {
      this.failures--;
      return {status: 500, body: {errors: [{code: 'UNAVAILABLE', message: 'token backend down'}]}};
    }
    if (this.accounts) {
      const [user, pass] = Buffer.from(r.authorization.replace(/^Basic /, ''), 'base64')
        .toString('utf8')
        .split(':');
      if (!user || this.accounts[user] !== pass)
        return {status: 401, body: {details: 'incorrect username or password (fake token service)'}};
    }
    const granted = scopes.map(s => this.grant(s)).filter((s): s is string => !!s);
    const access = granted.map(s => {
      const i = s.lastIndexOf(':');
      const [type, ...name] = s.slice(0, i).split(':');
      return {type, name: name.join(':'), actions: s.slice(i + 1).split(',')};
    });
    const token = `${b64url('{"alg":"none"}')}.${b64url(JSON.stringify({access}))}.sig${++this.count}`;
    this.issued.set(token, granted);
    return {
      status: 200,
      body: {
        [this.oauthField ? 'access_token' : 'token']: token,
        ...(this.expiresIn === undefined ? {} : {expires_in: this.expiresIn})
      }
    };
  }

  close(): Promise<void> {
    return this.server.close();
  }
}

export type RegistryAuth =
  | {kind: 'none'}
  | {kind: 'basic'; username: string; password: string}
  | {kind: 'bearer'; tokens: FakeTokenServer; service?: string};

interface Stored {
  mediaType: string;
  body: Buffer;
}

/** actions granted cover those needed (a tiny reimplementation: the fake does not trust the code under test) */
function covers(granted: readonly string[], needed: string): boolean {
  const i = needed.lastIndexOf(':');
  const resource = needed.slice(0, i);
  const want = needed.slice(i + 1).split(',');
  const have = new Set(
    granted
      .filter(g => g.slice(0, g.lastIndexOf(':')) === resource)
      .flatMap(g => g.slice(g.lastIndexOf(':') + 1).split(','))
  );
  return want.every(a => have.has(a) || have.has('*'));
}

export class FakeRegistry {
  /** repo -> digest -> bytes */
  readonly blobs = new Map<string, Map<string, Buffer>>();
  /** repo -> tag or digest -> manifest */
  readonly manifests = new Map<string, Map<string, Stored>>();
  /** upload session -> repo */
  readonly uploads = new Map<string, string>();
  /** answers first when it returns a Reply (fault injection) */
  intercept?: (req: Recorded) => Reply | undefined;
  /** the origin of upload sessions ('' = the registry itself, as a relative Location) */
  uploadOrigin = '';
  /** blob GETs are redirected there when set */
  storageOrigin = '';
  /** tags per page of tags/list (0 = all on one page) */
  tagPageSize = 0;
  /** DELETE of manifests allowed */
  deletes = true;

  private constructor(
    readonly server: TestServer,
    public auth: RegistryAuth
  ) {}

  static async start(auth: RegistryAuth = {kind: 'none'}, tlsOptions?: https.ServerOptions): Promise<FakeRegistry> {
    const box: {self?: FakeRegistry} = {};
    const server = await TestServer.start(req => (box.self as FakeRegistry).handle(req), tlsOptions);
    box.self = new FakeRegistry(server, auth);
    return box.self;
  }

  get host(): string {
    return this.server.host;
  }

  get requests(): Recorded[] {
    return this.server.requests;
  }

  addBlob(repo: string, bytes: Buffer | string): string {
    const b = Buffer.from(bytes);
    const d = digestOf(b);
    this.repoBlobs(repo).set(d, b);
    return d;
  }

  hasBlob(repo: string, digest: string): boolean {
    return this.repoBlobs(repo).has(digest);
  }

  addManifest(repo: string, tag: string, mediaType: string, body: Buffer | string): string {
    const b = Buffer.from(body);
    const d = digestOf(b);
    const m = this.repoManifests(repo);
    m.set(d, {mediaType, body: b});
    if (tag) m.set(tag, {mediaType, body: b});
    return d;
  }

  manifest(repo: string, ref: string): Stored | undefined {
    return this.repoManifests(repo).get(ref);
  }

  /** Completes an upload session (also called by an upload server on another origin). */
  completeUpload(session: string, digest: string, body: Buffer): Reply {
    const repo = this.uploads.get(session);
    if (!repo) return {status: 404, body: errorBody('BLOB_UPLOAD_UNKNOWN')};
    if (digestOf(body) !== digest) return {status: 400, body: errorBody('DIGEST_INVALID')};
    this.uploads.delete(session);
    this.repoBlobs(repo).set(digest, body);
    return {status: 201, headers: {'docker-content-digest': digest, location: `/v2/${repo}/blobs/${digest}`}};
  }

  close(): Promise<void> {
    return this.server.close();
  }

  private repoBlobs(repo: string): Map<string, Buffer> {
    let m = this.blobs.get(repo);
    if (!m) this.blobs.set(repo, (m = new Map<string, Buffer>()));
    return m;
  }

  private repoManifests(repo: string): Map<string, Stored> {
    let m = this.manifests.get(repo);
    if (!m) this.manifests.set(repo, (m = new Map<string, Stored>()));
    return m;
  }

  /** undefined when authorized, else the 401 answer */
  private authorize(req: Recorded, scopes: string[]): Reply | undefined {
    const a = this.auth;
    const header = String(req.headers.authorization ?? '');
    if (a.kind === 'none') return undefined;
    if (a.kind === 'basic') {
      if (header === `Basic ${Buffer.from(`${a.username}:${a.password}`).toString('base64')}`) return undefined;
      return {
        status: 401,
        headers: {'www-authenticate': 'Basic realm="fake-registry"'},
        body: errorBody('UNAUTHORIZED')
      };
    }
    const granted = header.startsWith('Bearer ') ? a.tokens.issued.get(header.slice(7)) : undefined;
    if (granted && scopes.every(s => covers(granted, s))) return undefined;
    const scope = scopes.length ? `,scope="${scopes.join(' ')}"` : '';
    return {
      status: 401,
      headers: {
        'www-authenticate': `Bearer realm="${a.tokens.realm}",service="${a.service ?? 'fake-registry'}"${scope}`
      },
      body: errorBody('UNAUTHORIZED')
    };
  }

  private handle(req: Recorded): Reply {
    const fault = this.intercept?.(req);
    if (fault) return fault;
    if (req.path === '/v2/' || req.path === '/v2') return this.authorize(req, []) ?? {status: 200, body: {}};
    const m = /^\/v2\/(.+)\/(manifests\/[^/]+|blobs\/uploads\/[^/]*|blobs\/[^/]+|tags\/list)$/.exec(req.path);
    if (!m) return {status: 404, body: errorBody('NAME_UNKNOWN')};
    const repo = m[1] ?? '';
    const rest = m[2] ?? '';
    const write = !['GET', 'HEAD'].includes(req.method);
    const from = req.query.get('from');
    const scopes =
      req.method === 'DELETE' && rest.startsWith('manifests/')
        ? [`repository:${repo}:delete`]
        : [
            `repository:${repo}:${write ? 'pull,push' : 'pull'}`,
            ...(req.method === 'POST' && from ? [`repository:${from}:pull`] : [])
          ];
    const denied = this.authorize(req, scopes);
    if (denied) return denied;

    if (rest.startsWith('blobs/uploads/')) {
      const session = rest.slice('blobs/uploads/'.length);
      if (req.method === 'POST' && !session) {
        const mount = req.query.get('mount');
        if (mount && from) {
          const bytes = this.repoBlobs(from).get(mount);
          if (bytes) {
            this.repoBlobs(repo).set(mount, bytes);
            return {status: 201, headers: {'docker-content-digest': mount, location: `/v2/${repo}/blobs/${mount}`}};
          }
        }
        const id = randomUUID();
        this.uploads.set(id, repo);
        const location = this.uploadOrigin
          ? `${this.uploadOrigin}/upload/${id}?state=opaque`
          : `/v2/${repo}/blobs/uploads/${id}?state=opaque`;
        return {status: 202, headers: {location, 'docker-upload-uuid': id, range: '0-0'}};
      }
      if (req.method === 'PUT') return this.completeUpload(session, req.query.get('digest') ?? '', req.body);
      if (req.method === 'DELETE') {
        if (!this.uploads.delete(session)) return {status: 404, body: errorBody('BLOB_UPLOAD_UNKNOWN')};
        return {status: 204};
      }
      return {status: 405, body: errorBody('UNSUPPORTED')};
    }
    if (rest.startsWith('blobs/')) {
      const digest = rest.slice('blobs/'.length);
      const bytes = this.repoBlobs(repo).get(digest);
      if (!bytes) return {status: 404, body: req.method === 'HEAD' ? undefined : errorBody('BLOB_UNKNOWN')};
      if (req.method === 'GET' && this.storageOrigin)
        return {status: 307, headers: {location: `${this.storageOrigin}/storage/${digest}?signature=s`}};
      return {
        status: 200,
        headers: {
          'content-type': 'application/octet-stream',
          'docker-content-digest': digest,
          'content-length': String(bytes.length)
        },
        body: bytes
      };
    }
    if (rest.startsWith('manifests/')) {
      const ref = rest.slice('manifests/'.length);
      const stored = this.repoManifests(repo);
      if (req.method === 'PUT') {
        const mediaType = String(req.headers['content-type'] ?? '');
        const d = this.addManifest(repo, ref.startsWith('sha256:') ? '' : ref, mediaType, req.body);
        return {status: 201, headers: {'docker-content-digest': d, location: `/v2/${repo}/manifests/${d}`}};
      }
      if (req.method === 'DELETE') {
        if (!this.deletes) return {status: 405, body: errorBody('UNSUPPORTED')};
        const mf = stored.get(ref);
        if (!mf) return {status: 404, body: errorBody('MANIFEST_UNKNOWN')};
        for (const [k, v] of [...stored]) if (v.body.equals(mf.body)) stored.delete(k);
        return {status: 202};
      }
      const mf = stored.get(ref);
      if (!mf) return {status: 404, body: req.method === 'HEAD' ? undefined : errorBody('MANIFEST_UNKNOWN')};
      return {
        status: 200,
        headers: {
          'content-type': mf.mediaType,
          'docker-content-digest': digestOf(mf.body),
          'content-length': String(mf.body.length)
        },
        body: mf.body
      };
    }
    // tags/list
    const stored = this.manifests.get(repo);
    if (!stored) return {status: 404, body: errorBody('NAME_UNKNOWN')};
    const all = [...stored.keys()].filter(k => !k.startsWith('sha256:')).sort();
    const last = req.query.get('last');
    const after = last ? all.filter(t => t > last) : all;
    const n = this.tagPageSize || after.length;
    const page = after.slice(0, n);
    const headers: Record<string, string> = {};
    if (after.length > n)
      headers['link'] =
        `</v2/${repo}/tags/list?n=${n}&last=${encodeURIComponent(page[page.length - 1] ?? '')}>; rel="next"`;
    return {status: 200, headers, body: {name: repo, tags: page}};
  }
}

export interface Pki {
  dir: string;
  caCert: string;
  /** a server certificate for 127.0.0.1, localhost and registry.example, signed by the CA */
  serverCert: string;
  serverKey: string;
  /** a client certificate signed by the CA */
  clientCert: string;
  clientKey: string;
}

/** A private CA with a server and a client certificate (openssl, EC P-256). */
export function makePki(): Pki {
  const dir = tmpDir('pki');
  const f = (n: string): string => path.join(dir, n);
  const ossl = (...args: string[]): void => {
    execFileSync('openssl', args, {stdio: 'pipe'});
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ossl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.crt'),
    '-days',
    '2',
    '-subj',
    '/CN=publish-image test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign'
  );
  const leaf = (name: string, cn: string, ext: string): void => {
    fs.writeFileSync(f(`${name}.ext`), ext);
    ossl('req', ...ec, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=${cn}`);
    ossl(
      'x509',
      '-req',
      '-in',
      f(`${name}.csr`),
      '-CA',
      f('ca.crt'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-out',
      f(`${name}.crt`),
      '-days',
      '2',
      '-extfile',
      f(`${name}.ext`)
    );
  };
  leaf(
    'server',
    '127.0.0.1',
    'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:registry.example\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n'
  );
  leaf('client', 'publish-image client', 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n');
  const read = (n: string): string => fs.readFileSync(f(n), 'utf8');
  return {
    dir,
    caCert: read('ca.crt'),
    serverCert: read('server.crt'),
    serverKey: read('server.key'),
    clientCert: read('client.crt'),
    clientKey: read('client.key')
  };
}

/** A certs.d-style directory: <root>/<host>/<file> = content. */
export function certsDir(files: Record<string, Record<string, string>>): string {
  const root = tmpDir('certs.d');
  for (const [host, entries] of Object.entries(files)) {
    fs.mkdirSync(path.join(root, host), {recursive: true});
    for (const [name, content] of Object.entries(entries)) fs.writeFileSync(path.join(root, host, name), content);
  }
  return root;
}
