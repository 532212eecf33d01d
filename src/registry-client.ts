/**
 * A small client for the Registry HTTP API (OCI distribution spec), with undici: manifests by digest and by tag,
 * the Basic/Bearer auth challenge, bounded retries of transient failures. The engine pushes the blobs; this client
 * points tags at digests and checks what landed.
 */
import {createHash} from 'node:crypto';
import {Readable} from 'node:stream';
import {rootCertificates} from 'node:tls';
import {Dispatcher, EnvHttpProxyAgent, request} from 'undici';
import {apiHost, isLoopbackHost, Repository} from './reference';

export const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json'
];
const INDEX_TYPES = new Set(MANIFEST_TYPES.slice(0, 2));

export interface Manifest {
  digest: string;
  mediaType: string;
  body: Buffer;
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface IndexEntry {
  digest: string;
  mediaType: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

export interface RegistryOptions {
  /** credentials per canonical registry */
  credentials?: ReadonlyMap<string, {username: string; password: string}>;
  /** PEM CA bundles per canonical registry */
  caCerts?: ReadonlyMap<string, string>;
  /** attempts after the first, for transient failures */
  retries?: number;
  /** base of the jittered exponential backoff, ms */
  backoffMs?: number;
  log?: (line: string) => void;
  /** one line per HTTP exchange, for debug logs */
  debug?: (line: string) => void;
  userAgent?: string;
  /** hosts allowed plain HTTP besides loopback ones (insecure-registries) */
  insecure?: readonly string[];
  /** proxy settings (HTTPS_PROXY, HTTP_PROXY, NO_PROXY), for messages; undici reads them itself */
  env?: Record<string, string | undefined>;
}

export class RegistryError extends Error {
  constructor(
    message: string,
    public readonly status: number,
    public readonly transient: boolean,
    /** the registry's own words (errors[].code: message) */
    public readonly detail = ''
  ) {
    super(message);
    this.name = 'RegistryError';
  }
}

const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT'
]);

export function sha256(body: Buffer): string {
  return `sha256:${createHash('sha256').update(body).digest('hex')}`;
}

export function platformString(p: Platform | undefined): string {
  if (!p) return 'unknown/unknown';
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** Parses `WWW-Authenticate: Bearer realm="...",service="...",scope="..."`. */
export function parseChallenge(header: string): {scheme: string; params: Record<string, string>} {
  const m = /^(\w+)\s*(.*)$/s.exec(header.trim());
  const params: Record<string, string> = {};
  if (!m) return {scheme: '', params};
  for (const p of (m[2] ?? '').matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]*))/g)) {
    params[(p[1] ?? '').toLowerCase()] = p[2] ?? p[3] ?? '';
  }
  return {scheme: (m[1] ?? '').toLowerCase(), params};
}

/** Backoff before attempt n (1-based): base * 2^(n-1), with full jitter in [50%, 100%]. */
export function backoffDelay(attempt: number, baseMs: number, retryAfterSeconds?: number): number {
  if (retryAfterSeconds !== undefined && Number.isFinite(retryAfterSeconds))
    return Math.min(retryAfterSeconds * 1000, 60_000);
  const ceiling = baseMs * 2 ** (attempt - 1);
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

/** A request body: bytes, or a factory of streams (called again for each attempt). */
export type Body = Buffer | (() => Readable);

interface Response {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export class RegistryClient {
  private readonly tokens = new Map<string, string>();
  private readonly schemes = new Map<string, string>();
  private readonly dispatchers = new Map<string, Dispatcher>();
  private readonly retries: number;
  private readonly backoffMs: number;

  constructor(private readonly opts: RegistryOptions = {}) {
    this.retries = opts.retries ?? 3;
    this.backoffMs = opts.backoffMs ?? 500;
  }

  async close(): Promise<void> {
    await Promise.all([...this.dispatchers.values()].map(d => d.close()));
  }

  /** Manifest by tag or digest; undefined when the registry says it does not exist. */
  async getManifest(
    repo: Repository,
    reference: string,
    method: 'GET' | 'HEAD' = 'GET'
  ): Promise<Manifest | undefined> {
    const res = await this.call(
      repo,
      method,
      `/manifests/${reference}`,
      {accept: MANIFEST_TYPES.join(', ')},
      undefined,
      [404]
    );
    if (res.status === 404) return undefined;
    const mediaType = (res.headers['content-type'] ?? '').split(';')[0] ?? '';
    const digest = method === 'GET' ? sha256(res.body) : (res.headers['docker-content-digest'] ?? '');
    return {digest, mediaType, body: res.body};
  }

  /**
   * Points `tag` at the manifest `m` (one request, no race with other writers of other tags).
   *
   * A registry can answer MANIFEST_BLOB_UNKNOWN for a blob it holds: Distribution's filesystem storage rewrites a
   * blob's link file in place when another push (a parallel matrix leg) completes an upload of the same blob, and
   * a manifest PUT reading the file at that moment finds it empty (DIGEST_INVALID + MANIFEST_BLOB_UNKNOWN). So on
   * that answer every referenced blob is looked up: when all are there the PUT is retried (within `retries`), and
   * otherwise the error names the ones missing.
   */
  async putManifest(repo: Repository, tag: string, m: Manifest): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await this.call(repo, 'PUT', `/manifests/${tag}`, {'content-type': m.mediaType}, m.body);
        return res.headers['docker-content-digest'] ?? m.digest;
      } catch (e) {
        if (!(e instanceof RegistryError) || e.status !== 400 || !e.detail.includes('MANIFEST_BLOB_UNKNOWN')) throw e;
        const missing = await this.missingReferences(repo, m);
        if (missing.length)
          throw new RegistryError(`${e.message} (not in ${repo.path}: ${missing.join(', ')})`, 400, false, e.detail);
        if (attempt >= this.retries) throw e;
        await this.pause(
          attempt + 1,
          `${e.message}, but ${repo.path} holds every blob the manifest names (another push of the same blob was completing)`
        );
      }
    }
  }

  /** The blobs and child manifests `m` names that the repository does not hold. */
  private async missingReferences(repo: Repository, m: Manifest): Promise<string[]> {
    const j = JSON.parse(m.body.toString('utf8')) as {
      config?: {digest: string};
      layers?: {digest: string}[];
      manifests?: {digest: string}[];
    };
    const blobs = [...(j.config ? [j.config.digest] : []), ...(j.layers ?? []).map(l => l.digest)];
    const children = (j.manifests ?? []).map(c => c.digest);
    const present = await Promise.all([
      ...blobs.map(async d => ((await this.hasBlob(repo, d)) ? '' : d)),
      ...children.map(async d => ((await this.getManifest(repo, d, 'HEAD')) ? '' : d))
    ]);
    return present.filter(Boolean);
  }

  /** The entries of an index (empty for a single-platform manifest). */
  static indexEntries(m: Manifest): IndexEntry[] {
    if (!INDEX_TYPES.has(m.mediaType)) return [];
    const parsed = JSON.parse(m.body.toString('utf8')) as {manifests?: IndexEntry[]};
    return parsed.manifests ?? [];
  }

  static isIndex(m: Manifest): boolean {
    return INDEX_TYPES.has(m.mediaType);
  }

  /**
   * Checks the credentials for a registry (GET /v2/ through its auth challenge): a 401 here means the registry
   * refused the username or password, which docker login does not always say plainly.
   */
  async ping(registry: string): Promise<void> {
    const host = apiHost(registry);
    const url = `${await this.scheme(host)}://${host}/v2/`;
    const what = `GET ${registry}/v2/`;
    let res: Response;
    try {
      res = await this.send(host, 'GET', url, {}, undefined, undefined);
      if (res.status === 401) {
        const auth = await this.authorize({registry, path: ''}, res.headers['www-authenticate'] ?? '', false);
        res = await this.send(host, 'GET', url, {}, undefined, auth);
      }
    } catch (e) {
      if (e instanceof RegistryError) throw e;
      const code =
        (e as {code?: string; cause?: {code?: string}}).code ?? (e as {cause?: {code?: string}}).cause?.code ?? '';
      throw new RegistryError(
        `${what}: ${(e as Error).message}${code ? ` (${code})` : ''}. ${networkHint(host, code, this.opts.env ?? process.env)}`,
        0,
        false
      );
    }
    if (res.status >= 300)
      throw new RegistryError(
        `${what}: ${res.status} ${registryErrorText(res.body)}`,
        res.status,
        res.status >= 500,
        registryErrorText(res.body)
      );
  }

  /** Every tag of a repository (following the registry's pagination); [] when the repository does not exist. */
  async listTags(repo: Repository): Promise<string[]> {
    const tags: string[] = [];
    let next: string | undefined = '/tags/list?n=1000';
    for (let pages = 0; next && pages < 100; pages++) {
      const res = await this.call(repo, 'GET', next, {}, undefined, [404]);
      if (res.status === 404) return [];
      tags.push(...((JSON.parse(res.body.toString('utf8')) as {tags?: string[] | null}).tags ?? []));
      const link = /<([^>]+)>;\s*rel="?next"?/.exec(res.headers['link'] ?? '');
      next = link?.[1];
    }
    return tags;
  }

  /** Deletes a manifest by digest (and so every tag on it); false when the registry does not allow deletes. */
  async deleteManifest(repo: Repository, digest: string): Promise<boolean> {
    const res = await this.call(repo, 'DELETE', `/manifests/${digest}`, {}, undefined, [404, 405, 400]);
    return res.status === 202 || res.status === 200;
  }

  /** A blob's bytes (following a redirect to storage, without the registry's credentials). */
  async getBlob(repo: Repository, digest: string): Promise<Buffer> {
    const res = await this.call(repo, 'GET', `/blobs/${digest}`, {}, undefined, [301, 302, 303, 307, 308]);
    let body = res.body;
    if (res.status >= 300 && res.headers['location']) {
      const host = apiHost(repo.registry);
      const target = new URL(res.headers['location'], `${await this.scheme(host)}://${host}`);
      const r = await request(target, {method: 'GET', dispatcher: this.dispatcher(target.host)});
      body = Buffer.from(await r.body.arrayBuffer());
      if (r.statusCode !== 200)
        throw new RegistryError(`GET blob ${digest} from storage: ${r.statusCode}`, r.statusCode, r.statusCode >= 500);
    }
    if (sha256(body) !== digest)
      throw new RegistryError(
        `${repo.registry}/${repo.path} blob ${digest}: content does not match its digest`,
        0,
        false
      );
    return body;
  }

  /** True when the repository holds the blob. */
  async hasBlob(repo: Repository, digest: string): Promise<boolean> {
    const res = await this.call(repo, 'HEAD', `/blobs/${digest}`, {}, undefined, [404]);
    return res.status !== 404;
  }

  /**
   * Uploads a blob by digest: a cross-repository mount from `mountFrom` (same registry) when given and allowed,
   * else a monolithic upload. Idempotent: a blob already there is not sent again.
   */
  async pushBlob(
    repo: Repository,
    digest: string,
    size: number,
    body: Body,
    mountFrom?: string
  ): Promise<'exists' | 'mounted' | 'uploaded'> {
    if (await this.hasBlob(repo, digest)) return 'exists';
    const query =
      mountFrom && mountFrom !== repo.path
        ? `?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(mountFrom)}`
        : '';
    const start = await this.call(repo, 'POST', `/blobs/uploads/${query}`, {'content-length': '0'});
    if (start.status === 201) return 'mounted';
    const location = start.headers['location'];
    if (!location)
      throw new RegistryError(
        `${repo.registry}/${repo.path}: the registry opened an upload without a Location`,
        start.status,
        false
      );
    const sep = location.includes('?') ? '&' : '?';
    await this.call(
      repo,
      'PUT',
      `${location}${sep}digest=${encodeURIComponent(digest)}`,
      {'content-type': 'application/octet-stream', 'content-length': String(size)},
      body
    );
    return 'uploaded';
  }

  /** Checks the account may push: opens a blob upload (needs the push scope) and cancels it. */
  async checkPush(repo: Repository): Promise<void> {
    const res = await this.call(repo, 'POST', '/blobs/uploads/', {'content-length': '0'});
    const location = res.headers['location'];
    if (!location) return;
    const host = apiHost(repo.registry);
    const url = new URL(location, `${await this.scheme(host)}://${host}`);
    await this.send(host, 'DELETE', url.toString(), {}, undefined, this.tokens.get(this.tokenKey(repo))).catch(
      () => undefined
    );
  }

  /** True when the registry answers plain HTTP only (a loopback registry without TLS). */
  async plainHttp(registry: string): Promise<boolean> {
    return (await this.scheme(apiHost(registry))) === 'http';
  }

  private async scheme(host: string): Promise<string> {
    const known = this.schemes.get(host);
    if (known) return known;
    let scheme = 'https';
    if (isLoopbackHost(host) || this.opts.insecure?.includes(host)) {
      // Docker talks plain HTTP to loopback and insecure registries that do not speak TLS; so do we. Nothing else.
      try {
        await request(`https://${host}/v2/`, {
          method: 'GET',
          dispatcher: this.dispatcher(host),
          headersTimeout: 10_000
        });
      } catch (e) {
        const code = (e as {code?: string}).code ?? '';
        if (!/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) scheme = 'http';
      }
    }
    this.schemes.set(host, scheme);
    return scheme;
  }

  private dispatcher(host: string): Dispatcher {
    let d = this.dispatchers.get(host);
    if (!d) {
      const registry = host === 'registry-1.docker.io' ? 'docker.io' : host;
      const ca = this.opts.caCerts?.get(registry);
      // Honours HTTPS_PROXY / HTTP_PROXY / NO_PROXY as the engine does; the CA serves direct and proxied TLS alike.
      const tls = ca ? {ca: [...systemCAs(), ca]} : {};
      d = new EnvHttpProxyAgent({
        connect: {...tls, timeout: 15_000},
        requestTls: tls,
        headersTimeout: 30_000,
        bodyTimeout: 60_000
      });
      this.dispatchers.set(host, d);
    }
    return d;
  }

  private async call(
    repo: Repository,
    method: string,
    suffix: string,
    headers: Record<string, string>,
    body?: Body,
    okStatuses: number[] = []
  ): Promise<Response> {
    const host = apiHost(repo.registry);
    const origin = `${await this.scheme(host)}://${host}`;
    // suffix is a path below the repository, or an absolute upload location the registry handed out
    const url =
      /^https?:\/\//.test(suffix) || suffix.startsWith('/v2/')
        ? new URL(suffix, origin).toString()
        : `${origin}/v2/${repo.path}${suffix}`;
    const what = `${method} ${repo.registry}/${repo.path}${suffix.startsWith('/') && !suffix.startsWith('/v2/') ? suffix : ' (upload)'}`;
    for (let attempt = 0; ; attempt++) {
      try {
        let res = await this.send(host, method, url, headers, body, this.tokens.get(this.tokenKey(repo)));
        if (res.status === 401) {
          const auth = await this.authorize(repo, res.headers['www-authenticate'] ?? '');
          res = await this.send(host, method, url, headers, body, auth);
          if (res.status === 401 && auth?.startsWith('Bearer ')) {
            // the token service accepted the credentials but granted less than asked: a permission, not a password, problem
            const granted = grantedActions(auth.slice(7), repo.path);
            throw new RegistryError(
              `${what}: 403 the token service granted ${granted.length ? granted.join(',') : 'no access'} on ${repo.path}, not push`,
              403,
              false,
              `insufficient scope: granted ${granted.join(',') || 'nothing'}`
            );
          }
        }
        if ((res.status >= 200 && res.status < 300) || okStatuses.includes(res.status)) return res;
        const detail = registryErrorText(res.body);
        const transient = res.status >= 500 || res.status === 429 || res.status === 408;
        const err = new RegistryError(
          `${what}: ${res.status}${detail ? ` ${detail}` : ''}`,
          res.status,
          transient,
          detail
        );
        if (!transient || attempt >= this.retries) throw err;
        const retryAfter = res.headers['retry-after'] ? Number(res.headers['retry-after']) : undefined;
        await this.pause(attempt + 1, err.message, retryAfter);
      } catch (e) {
        if (e instanceof RegistryError) {
          if (!e.transient || attempt >= this.retries) throw e;
          continue;
        }
        const code =
          (e as {code?: string; cause?: {code?: string}}).code ?? (e as {cause?: {code?: string}}).cause?.code ?? '';
        const message = `${what}: ${(e as Error).message}${code ? ` (${code})` : ''}. ${networkHint(host, code, this.opts.env ?? process.env)}`;
        if (!TRANSIENT_CODES.has(code) || attempt >= this.retries)
          throw new RegistryError(message, 0, TRANSIENT_CODES.has(code));
        await this.pause(attempt + 1, message);
      }
    }
  }

  private async pause(attempt: number, why: string, retryAfter?: number): Promise<void> {
    const ms = backoffDelay(attempt, this.backoffMs, retryAfter);
    this.opts.log?.(`retry ${attempt}/${this.retries} in ${(ms / 1000).toFixed(1)}s: ${why}`);
    await new Promise(r => setTimeout(r, ms));
  }

  private tokenKey(repo: Repository): string {
    return `${repo.registry}/${repo.path}`;
  }

  private debugLine(line: string): void {
    this.opts.debug?.(line);
  }

  private async send(
    host: string,
    method: string,
    url: string,
    headers: Record<string, string>,
    body: Body | undefined,
    auth: string | undefined
  ): Promise<Response> {
    const h: Record<string, string> = {'user-agent': this.opts.userAgent ?? 'publish-image', ...headers};
    if (auth) h['authorization'] = auth;
    const payload = typeof body === 'function' ? body() : body;
    const res = await request(url, {
      method: method,
      headers: h,
      body: payload,
      dispatcher: this.dispatcher(host)
    });
    const buf = Buffer.from(await res.body.arrayBuffer());
    const flat: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers))
      if (v !== undefined) flat[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
    // never the authorization header or a body: only what was asked and what came back
    this.debugLine(
      `${method} ${url.replace(/\?.*$/, '')} -> ${res.statusCode}${flat['docker-content-digest'] ? ` ${flat['docker-content-digest']}` : ''}`
    );
    return {status: res.statusCode, headers: flat, body: buf};
  }

  /** Answers an auth challenge: Basic with the credentials, or a Bearer token for pull,push on the repository. */
  private async authorize(repo: Repository, challenge: string, withScope = true): Promise<string | undefined> {
    const cred = this.opts.credentials?.get(repo.registry);
    const basic = cred ? `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}` : undefined;
    const {scheme, params} = parseChallenge(challenge);
    let auth: string | undefined;
    if (scheme === 'basic') {
      auth = basic;
    } else if (scheme === 'bearer' && params['realm']) {
      const u = new URL(params['realm']);
      if (params['service']) u.searchParams.set('service', params['service']);
      if (withScope) u.searchParams.set('scope', `repository:${repo.path}:pull,push`);
      const res = await request(u, {
        method: 'GET',
        headers: basic ? {authorization: basic} : {},
        dispatcher: this.dispatcher(u.host)
      });
      const text = await res.body.text();
      if (res.statusCode !== 200) {
        throw new RegistryError(
          `token service ${u.origin}${u.pathname} for ${repo.registry}/${repo.path}: ${res.statusCode} ${registryErrorText(Buffer.from(text))}`,
          res.statusCode,
          res.statusCode >= 500
        );
      }
      const tok = JSON.parse(text) as {token?: string; access_token?: string};
      const token = tok.token ?? tok.access_token;
      auth = token ? `Bearer ${token}` : undefined;
    }
    if (auth && withScope) this.tokens.set(this.tokenKey(repo), auth);
    return auth;
  }
}

let cas: string[] | undefined;
function systemCAs(): string[] {
  cas ??= [...rootCertificates];
  return cas;
}

/** The proxy a request to host goes through, as HTTPS_PROXY / NO_PROXY say ('' = direct). */
export function proxyFor(host: string, env: Record<string, string | undefined>): string {
  const noProxy = (env['NO_PROXY'] ?? env['no_proxy'] ?? '')
    .split(',')
    .map(s => s.trim())
    .filter(Boolean);
  const name = host.replace(/:\d+$/, '');
  if (noProxy.some(n => n === '*' || name === n.replace(/^\./, '') || name.endsWith(n.startsWith('.') ? n : `.${n}`)))
    return '';
  return env['HTTPS_PROXY'] ?? env['https_proxy'] ?? env['HTTP_PROXY'] ?? env['http_proxy'] ?? '';
}

/** What to check after a connection-level failure, naming the host and the proxy in use. */
export function networkHint(host: string, code: string, env: Record<string, string | undefined>): string {
  const proxy = proxyFor(host, env);
  const via = proxy ? `through the proxy ${redactUrl(proxy)}` : 'directly (no proxy)';
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|EPROTO/.test(code)) {
    return `The TLS handshake with ${host} ${via} failed: if the registry has its own CA, pass it in ca-cert${proxy ? '; a TLS-intercepting proxy needs its CA too' : ''}.`;
  }
  if (/TIMEOUT|ETIMEDOUT/.test(code))
    return `Connecting to ${host} ${via} timed out: check the host and port, the firewall, and HTTPS_PROXY / NO_PROXY.`;
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN/.test(code))
    return `Could not connect to ${host} ${via}: check the host name and port${proxy ? ', and that the proxy is up' : ''}.`;
  return `Connection to ${host} ${via} failed.`;
}

function redactUrl(u: string): string {
  try {
    const url = new URL(u);
    if (url.password) url.password = '***';
    return url.toString().replace(/\/$/, '');
  } catch {
    return u;
  }
}

/** The actions a registry JWT grants on a repository (empty when the token is opaque). */
export function grantedActions(token: string, repoPath: string): string[] {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      access?: {type?: string; name?: string; actions?: string[]}[];
    };
    return (payload.access ?? [])
      .filter(a => a.type === 'repository' && a.name === repoPath)
      .flatMap(a => a.actions ?? []);
  } catch {
    return [];
  }
}

/** The `errors[].message` of a registry error body, or its first 200 characters. */
export function registryErrorText(body: Buffer): string {
  const text = body.toString('utf8').trim();
  try {
    const parsed = JSON.parse(text) as {errors?: {code?: string; message?: string}[]};
    if (parsed.errors?.length) return parsed.errors.map(e => [e.code, e.message].filter(Boolean).join(': ')).join('; ');
  } catch {
    // not JSON
  }
  return text.slice(0, 200);
}
