/**
 * The Registry HTTP API client (OCI distribution spec): manifests by digest and by tag, blobs (mount, upload,
 * read), tags, deletes. Every call goes through one private path, `call()`: the transport (trust, proxy), the
 * auth layer (scopes, tokens, credentials only to the registry's own origin) and the retry policy.
 */
import {createHash} from 'node:crypto';
import {Readable} from 'node:stream';
import {Runner} from '../tools/exec';
import {apiHost, isLoopbackHost, Repository} from '../reference';
import {Authenticator, repoScope} from './auth';
import {CredentialResolver} from './credentials';
import {errorCode, grantedActions, RegistryError, registryErrorCodes, registryErrorText} from './errors';
import {
  DEFAULT_POLICY,
  isTransientCode,
  isTransientStatus,
  parseRetryAfter,
  reasonOf,
  RetryPolicy,
  withRetry
} from './retry';
import {Env, HttpResponse, networkHint, Transport} from './transport';

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
  /** credentials per canonical registry, from the step's inputs and registry-auth */
  credentials?: ReadonlyMap<string, {username: string; password: string}>;
  /** the job's Docker config file, consulted for registries the inputs do not cover ('' = none) */
  dockerConfig?: string;
  /** runs docker-credential-<name> helpers named by that config */
  runner?: Runner;
  /** PEM CA bundles per canonical registry (ca-cert) */
  caCerts?: ReadonlyMap<string, string>;
  /** docker's per-host certificate directory (default /etc/docker/certs.d) */
  certsDir?: string;
  /** attempts after the first, for transient failures */
  retries?: number;
  /** base of the jittered exponential backoff, ms */
  backoffMs?: number;
  /** longest single wait, ms */
  maxBackoffMs?: number;
  log?: (line: string) => void;
  /** one line per HTTP exchange, for debug logs */
  debug?: (line: string) => void;
  /** registers a secret found in the Docker config, before anything could print it */
  mask?: (secret: string) => void;
  userAgent?: string;
  /** hosts allowed plain HTTP besides loopback ones (insecure-registries) */
  insecure?: readonly string[];
  /** proxy settings (HTTPS_PROXY, HTTP_PROXY, NO_PROXY) and SSL_CERT_FILE */
  env?: Env;
}

export function sha256(body: Buffer): string {
  return `sha256:${createHash('sha256').update(body).digest('hex')}`;
}

export function platformString(p: Platform | undefined): string {
  if (!p) return 'unknown/unknown';
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** A request body: bytes, or a factory of streams (called again for each attempt). */
export type Body = Buffer | (() => Readable);

interface CallOptions {
  headers?: Record<string, string>;
  body?: Body;
  /** a 2xx answer's body is left as a stream (HttpResponse.stream) */
  stream?: boolean;
  /** statuses returned instead of thrown */
  ok?: number[];
  /** scopes the call needs (default: pull, or pull,push for writes) */
  scopes?: string[];
  /** names the call in errors and retry lines (default: METHOD registry/repo path) */
  what?: string;
  /** retry transient failures here (false when an outer loop restarts a whole sequence) */
  retry?: boolean;
}

export class RegistryClient {
  private readonly schemes = new Map<string, Promise<string>>();
  private readonly transport: Transport;
  private readonly auth: Authenticator;
  private readonly creds: CredentialResolver;
  readonly policy: RetryPolicy;
  private readonly userAgent: string;

  constructor(private readonly opts: RegistryOptions = {}) {
    this.policy = {
      ...DEFAULT_POLICY,
      retries: opts.retries ?? DEFAULT_POLICY.retries,
      baseMs: opts.backoffMs ?? DEFAULT_POLICY.baseMs,
      capMs: opts.maxBackoffMs ?? DEFAULT_POLICY.capMs
    };
    this.userAgent = opts.userAgent ?? 'publish-image';
    this.transport = new Transport({caCerts: opts.caCerts, certsDir: opts.certsDir, env: opts.env, log: opts.log});
    this.creds = new CredentialResolver({
      inputs: opts.credentials,
      dockerConfig: opts.dockerConfig,
      runner: opts.runner,
      log: opts.log,
      mask: opts.mask
    });
    this.auth = new Authenticator({
      transport: this.transport,
      credentials: r => this.creds.get(r),
      policy: this.policy,
      userAgent: this.userAgent,
      insecure: opts.insecure,
      log: opts.log
    });
  }

  async close(): Promise<void> {
    await this.transport.close();
  }

  /** Whether credentials exist for the registry: the inputs, or the job's Docker config (helpers are asked). */
  async hasCredentials(registry: string): Promise<boolean> {
    return !!(await this.creds.get(registry))?.username;
  }

  /** Every CA trusted for a registry (system store, certs.d, ca-cert), as PEM: for cosign. */
  caBundle(registry: string): string {
    return this.transport.caBundle(apiHost(registry));
  }

  /** True when the registry is trusted through more than the system store (certs.d or ca-cert). */
  hasPrivateTrust(registry: string): boolean {
    return this.transport.hasPrivateTrust(apiHost(registry));
  }

  /** Manifest by tag or digest; undefined when the registry says it does not exist. */
  async getManifest(
    repo: Repository,
    reference: string,
    method: 'GET' | 'HEAD' = 'GET'
  ): Promise<Manifest | undefined> {
    const res = await this.call(repo, method, `/manifests/${reference}`, {
      headers: {accept: MANIFEST_TYPES.join(', ')},
      ok: [404],
      what: `${method} ${repo.registry}/${repo.path} manifest ${reference}`
    });
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
   * that answer every referenced blob is looked up: when all are there the PUT is retried (under the policy), and
   * otherwise the error names the ones missing.
   */
  async putManifest(repo: Repository, tag: string, m: Manifest): Promise<string> {
    const what = `PUT ${repo.registry}/${repo.path} manifest ${tag}`;
    const res = await withRetry(
      what,
      this.policy,
      async () => {
        try {
          return await this.call(repo, 'PUT', `/manifests/${tag}`, {
            headers: {'content-type': m.mediaType},
            body: m.body,
            what,
            retry: false
          });
        } catch (e) {
          if (!(e instanceof RegistryError) || !e.codes.includes('MANIFEST_BLOB_UNKNOWN')) throw e;
          const missing = await this.missingReferences(repo, m);
          if (missing.length)
            throw new RegistryError(
              `${e.message} (not in ${repo.path}: ${missing.join(', ')})`,
              e.status,
              false,
              e.detail,
              e.codes
            );
          const again = new RegistryError(e.message, e.status, true, e.detail, e.codes);
          again.reason = `${e.reason}, but ${repo.path} holds every blob the manifest names (another push of the same blob was completing)`;
          throw again;
        }
      },
      this.opts.log
    );
    return res.headers['docker-content-digest'] ?? m.digest;
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
   * Checks the credentials for a registry (GET /v2/ through its auth challenge, retried like every call): a 401
   * here means the registry refused the username or password, which docker login does not always say plainly.
   */
  async ping(registry: string): Promise<void> {
    await this.call({registry, path: ''}, 'GET', '/v2/', {scopes: [], what: `GET ${registry}/v2/`});
  }

  /** Every tag of a repository (following the registry's pagination); [] when the repository does not exist. */
  async listTags(repo: Repository): Promise<string[]> {
    const tags: string[] = [];
    let next: string | undefined = '/tags/list?n=1000';
    for (let pages = 0; next && pages < 100; pages++) {
      const res = await this.call(repo, 'GET', next, {ok: [404], what: `GET ${repo.registry}/${repo.path} tags`});
      if (res.status === 404) return [];
      tags.push(...((JSON.parse(res.body.toString('utf8')) as {tags?: string[] | null}).tags ?? []));
      const link = /<([^>]+)>;\s*rel="?next"?/.exec(res.headers['link'] ?? '');
      next = link?.[1];
    }
    return tags;
  }

  /**
   * The OCI referrers of a digest (cosign 3 keeps its Sigstore bundles so): the Referrers API
   * (`/referrers/<digest>`), or, on a registry without it (Distribution 2.8 answers 404), the referrers tag schema
   * (an index tagged `sha256-<hex>`) that clients write there instead. [] when there are none.
   */
  async referrers(repo: Repository, digest: string): Promise<(IndexEntry & {artifactType?: string})[]> {
    type Entries = {manifests?: (IndexEntry & {artifactType?: string})[]};
    const res = await this.call(repo, 'GET', `/referrers/${digest}`, {
      headers: {accept: 'application/vnd.oci.image.index.v1+json'},
      ok: [404],
      what: `GET ${repo.registry}/${repo.path} referrers of ${digest}`
    });
    const ctype = (res.headers['content-type'] ?? '').split(';')[0] ?? '';
    if (res.status === 200 && ctype === 'application/vnd.oci.image.index.v1+json')
      return (JSON.parse(res.body.toString('utf8')) as Entries).manifests ?? [];
    const tagged = await this.getManifest(repo, digest.replace(':', '-'));
    if (!tagged || !INDEX_TYPES.has(tagged.mediaType)) return [];
    return (JSON.parse(tagged.body.toString('utf8')) as Entries).manifests ?? [];
  }

  /** Deletes a manifest by digest (and so every tag on it); false when the registry does not allow deletes. */
  async deleteManifest(repo: Repository, digest: string): Promise<boolean> {
    const {status} = await this.deleteManifestStatus(repo, digest);
    return status === 202 || status === 200;
  }

  /**
   * DELETE of a manifest by digest (every tag on it goes), through the usual auth and retries; returns the status
   * and the registry's words instead of throwing for 404 (already gone) and the refusals 400/405 (UNSUPPORTED:
   * deletes disabled), so the caller can name the cause.
   */
  async deleteManifestStatus(repo: Repository, digest: string): Promise<{status: number; detail: string}> {
    const res = await this.call(repo, 'DELETE', `/manifests/${digest}`, {
      ok: [404, 405, 400],
      scopes: [repoScope(repo.path, 'delete')],
      what: `DELETE ${repo.registry}/${repo.path} manifest ${digest}`
    });
    return {status: res.status, detail: res.status >= 300 ? registryErrorText(res.body) : ''};
  }

  /** A blob's bytes (small blobs: configs): blobStream read whole, retried as one call. */
  async getBlob(repo: Repository, digest: string): Promise<Buffer> {
    return withRetry(
      `GET ${repo.registry}/${repo.path} blob ${digest}`,
      this.policy,
      async () => {
        const parts: Buffer[] = [];
        for await (const chunk of this.blobStream(repo, digest)) parts.push(chunk as Buffer);
        return Buffer.concat(parts);
      },
      this.opts.log
    );
  }

  /**
   * A blob as a stream, opened when first read (a storage redirect followed without the registry's credentials) and
   * checked against its digest as it flows: a mismatch fails the stream at its end. Nothing is held in memory, so a
   * gigabyte layer copies in the memory of a few chunks. One attempt: the caller's upload retries open it again.
   */
  blobStream(repo: Repository, digest: string): Readable {
    const what = `GET ${repo.registry}/${repo.path} blob ${digest}`;
    const open = async (): Promise<Readable> => {
      const res = await this.call(repo, 'GET', `/blobs/${digest}`, {
        ok: [301, 302, 303, 307, 308],
        what,
        retry: false,
        stream: true
      });
      if (res.status >= 300 && res.headers['location']) {
        const target = new URL(res.headers['location'], await this.origin(repo.registry));
        const r = await this.call(repo, 'GET', target.toString(), {
          what: `${what} (storage)`,
          retry: false,
          stream: true
        });
        return r.stream ?? Readable.from([r.body]);
      }
      return res.stream ?? Readable.from([res.body]);
    };
    return Readable.from(
      (async function* () {
        const hash = createHash('sha256');
        for await (const chunk of await open()) {
          hash.update(chunk as Buffer);
          yield chunk as Buffer;
        }
        if (`sha256:${hash.digest('hex')}` !== digest)
          throw new RegistryError(
            `${repo.registry}/${repo.path} blob ${digest}: content does not match its digest`,
            0,
            true
          );
      })(),
      {objectMode: false}
    );
  }

  /** True when the repository holds the blob. */
  async hasBlob(repo: Repository, digest: string): Promise<boolean> {
    const res = await this.call(repo, 'HEAD', `/blobs/${digest}`, {
      ok: [404],
      what: `HEAD ${repo.registry}/${repo.path} blob ${digest}`
    });
    return res.status !== 404;
  }

  /**
   * Uploads a blob by digest: a cross-repository mount from `mountFrom` (same registry) when given and allowed,
   * else a monolithic upload. Idempotent: a blob already there is not sent again. A failed upload (reset,
   * timeout, 5xx, a session the registry forgot) starts again from a fresh upload session, as buildx does.
   */
  async pushBlob(
    repo: Repository,
    digest: string,
    size: number,
    body: Body,
    mountFrom?: string
  ): Promise<'exists' | 'mounted' | 'uploaded'> {
    if (await this.hasBlob(repo, digest)) return 'exists';
    const what = `upload ${repo.registry}/${repo.path} blob ${digest}`;
    let mount = mountFrom && mountFrom !== repo.path ? mountFrom : undefined;
    return withRetry(
      what,
      this.policy,
      async () => {
        let start: HttpResponse;
        const push = [repoScope(repo.path, 'pull,push')];
        if (mount) {
          const query = `?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(mount)}`;
          try {
            start = await this.call(repo, 'POST', `/blobs/uploads/${query}`, {
              headers: {'content-length': '0'},
              scopes: [...push, repoScope(mount, 'pull')],
              what: `POST ${repo.registry}/${repo.path} mount ${digest} from ${mount}`,
              retry: false
            });
          } catch (e) {
            if (!(e instanceof RegistryError) || ![401, 403, 404].includes(e.status)) throw e;
            this.opts.log?.(
              `${repo.registry}/${repo.path}: mounting ${digest} from ${mount} refused (${e.status}): uploading it instead`
            );
            mount = undefined;
            start = await this.openUpload(repo, digest);
          }
          if (start.status === 201) return 'mounted';
        } else {
          start = await this.openUpload(repo, digest);
        }
        const location = start.headers['location'];
        if (!location)
          throw new RegistryError(
            `${repo.registry}/${repo.path}: the registry opened an upload without a Location`,
            start.status,
            false
          );
        const url = new URL(location, await this.origin(repo.registry));
        url.searchParams.set('digest', digest);
        await this.call(repo, 'PUT', url.toString(), {
          headers: {'content-type': 'application/octet-stream', 'content-length': String(size)},
          body,
          what: `PUT ${repo.registry}/${repo.path} blob ${digest}`,
          retry: false,
          // the session is gone: a new one is opened by the next attempt
          ok: []
        }).catch((e: unknown) => {
          if (
            e instanceof RegistryError &&
            (e.codes.includes('BLOB_UPLOAD_UNKNOWN') || e.codes.includes('BLOB_UPLOAD_INVALID'))
          ) {
            const again = new RegistryError(e.message, e.status, true, e.detail, e.codes);
            again.reason = e.reason;
            throw again;
          }
          throw e;
        });
        return 'uploaded';
      },
      this.opts.log
    );
  }

  private openUpload(repo: Repository, digest: string): Promise<HttpResponse> {
    return this.call(repo, 'POST', '/blobs/uploads/', {
      headers: {'content-length': '0'},
      what: `POST ${repo.registry}/${repo.path} upload ${digest}`,
      retry: false
    });
  }

  /** Checks the account may push: opens a blob upload (needs the push scope) and cancels it. */
  async checkPush(repo: Repository): Promise<void> {
    const res = await this.call(repo, 'POST', '/blobs/uploads/', {
      headers: {'content-length': '0'},
      what: `POST ${repo.registry}/${repo.path} upload (push check)`
    });
    const location = res.headers['location'];
    if (!location) return;
    const url = new URL(location, await this.origin(repo.registry));
    await this.call(repo, 'DELETE', url.toString(), {
      ok: [404, 405, 400],
      retry: false,
      what: `DELETE ${repo.registry}/${repo.path} upload (push check)`
    }).catch(() => undefined);
  }

  /** True when the registry answers plain HTTP only (a loopback registry without TLS). */
  async plainHttp(registry: string): Promise<boolean> {
    return (await this.origin(registry)).startsWith('http:');
  }

  /** https://host, or http://host for a loopback / insecure registry that does not speak TLS. */
  private origin(registry: string): Promise<string> {
    const host = apiHost(registry);
    let p = this.schemes.get(host);
    if (!p) {
      p = this.detectScheme(host);
      this.schemes.set(host, p);
    }
    return p;
  }

  private async detectScheme(host: string): Promise<string> {
    if (!isLoopbackHost(host) && !this.opts.insecure?.includes(host)) return `https://${host}`;
    // Docker talks plain HTTP to loopback and insecure registries that do not speak TLS; so do we. Nothing else.
    try {
      await this.transport.send(`https://${host}/v2/`, {method: 'GET', headers: {'user-agent': this.userAgent}});
      return `https://${host}`;
    } catch (e) {
      return /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(errorCode(e)) ? `https://${host}` : `http://${host}`;
    }
  }

  /**
   * The one request path: resolves the URL (a path below the repository, a /v2/ path, or an absolute upload
   * location), sends credentials only to the registry's own origin, answers one auth challenge, turns the answer
   * into a typed error, and retries transient failures under the policy.
   */
  private async call(repo: Repository, method: string, suffix: string, o: CallOptions = {}): Promise<HttpResponse> {
    const origin = new URL(await this.origin(repo.registry));
    const url =
      /^https?:\/\//.test(suffix) || suffix.startsWith('/v2/')
        ? new URL(suffix, origin)
        : new URL(`${origin.origin}/v2/${repo.path}${suffix}`);
    const write = method !== 'GET' && method !== 'HEAD';
    const scopes = o.scopes ?? (repo.path ? [repoScope(repo.path, write ? 'pull,push' : 'pull')] : []);
    const what = o.what ?? `${method} ${repo.registry}/${repo.path}${suffix.startsWith('/') ? suffix : ''}`;
    // containerd's rule (CVE-2020-15157): a location on another scheme, host or port gets no credentials
    const sameOrigin = url.origin === origin.origin;
    const once = async (): Promise<HttpResponse> => {
      let auth = sameOrigin ? this.auth.cached(repo.registry, scopes) : undefined;
      let res = await this.send(url, method, o, auth, what, apiHost(repo.registry));
      if (res.status === 401 && sameOrigin) {
        if (auth?.startsWith('Bearer ')) this.auth.drop(repo.registry, auth);
        auth = await this.auth.answer(repo.registry, origin, res.headers['www-authenticate'] ?? '', scopes);
        if (auth) res = await this.send(url, method, o, auth, what, apiHost(repo.registry));
        if (res.status === 401 && auth?.startsWith('Bearer ') && repo.path) {
          // the token service accepted the credentials but granted less than asked: a permission, not a password, problem
          const granted = grantedActions(auth.slice(7), repo.path);
          throw new RegistryError(
            `${what}: 403 the token service granted ${granted.length ? granted.join(',') : 'no access'} on ${repo.path}, not ${scopes.join(' ')}`,
            403,
            false,
            `insufficient scope: granted ${granted.join(',') || 'nothing'}`
          );
        }
        if (res.status === 401 && !auth && !(await this.creds.get(repo.registry)))
          return this.fail(
            res,
            what,
            `no credentials for ${repo.registry}: add them with registry/username/password, registry-auth, or a docker login earlier in the job`,
            o
          );
      }
      if ((res.status >= 200 && res.status < 300) || (o.ok ?? []).includes(res.status)) return res;
      return this.fail(res, what, '', o);
    };
    return o.retry === false ? once() : withRetry(what, this.policy, once, this.opts.log);
  }

  private fail(res: HttpResponse, what: string, hint: string, o: CallOptions): never {
    void o;
    const detail = registryErrorText(res.body);
    const err = new RegistryError(
      `${what}: ${res.status}${detail ? ` ${detail}` : ''}`,
      res.status,
      isTransientStatus(res.status),
      detail,
      registryErrorCodes(res.body),
      hint
    );
    err.reason = `${res.status}${detail ? ` ${detail}` : ''}`;
    err.retryAfterSeconds = parseRetryAfter(res.headers['retry-after']);
    throw err;
  }

  private async send(
    url: URL,
    method: string,
    o: CallOptions,
    auth: string | undefined,
    what: string,
    trustHost: string
  ): Promise<HttpResponse> {
    const h: Record<string, string> = {'user-agent': this.userAgent, ...(o.headers ?? {})};
    if (auth) h['authorization'] = auth;
    const payload = typeof o.body === 'function' ? o.body() : o.body;
    let res: HttpResponse;
    try {
      if (o.stream) {
        const r = await this.transport.stream(url, {method, headers: h, body: payload, trustHost});
        // only a success streams: an error's body is read for its message
        res =
          r.status >= 200 && r.status < 300
            ? r
            : {
                status: r.status,
                headers: r.headers,
                body: Buffer.from(await r.stream.arrayBuffer())
              };
      } else res = await this.transport.send(url, {method, headers: h, body: payload, trustHost});
    } catch (e) {
      if (payload instanceof Readable) payload.destroy();
      const code = errorCode(e);
      const env = this.opts.env ?? process.env;
      const err = new RegistryError(
        `${what}: ${(e as Error).message}${code ? ` (${code})` : ''}. ${networkHint(url, code, env)}`,
        0,
        isTransientCode(code)
      );
      err.reason = reasonOf(e);
      throw err;
    }
    // never the authorization header or a body: only what was asked and what came back
    this.opts.debug?.(
      `${method} ${url.origin}${url.pathname} -> ${res.status}${res.headers['docker-content-digest'] ? ` ${res.headers['docker-content-digest']}` : ''}`
    );
    return res;
  }
}
