/**
 * Answers registry auth challenges as docker does. Basic: the credentials, only to the registry's own origin,
 * never over plain HTTP to a host that is neither loopback nor in insecure-registries. Bearer: a token from the
 * challenge's realm for the scopes the request needs merged with those the challenge names (a cross-repository
 * mount needs `repository:B:pull,push repository:A:pull`), cached per scope set until it expires; an http realm
 * behind an https registry is refused.
 */
import {RegistryError, registryErrorText} from './errors';
import {Credential} from './credentials';
import {isTransientStatus, parseRetryAfter, RetryPolicy, withRetry} from './retry';
import {Transport} from './transport';
import {isLoopbackHost} from '../reference';

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

/** `repository:<path>:<actions>` */
export function repoScope(path: string, actions: string): string {
  return `repository:${path}:${actions}`;
}

/**
 * Merges scopes: one entry per resource with the union of its actions, in a stable order (resources as first
 * seen, actions pull before push before the rest). `repository:a:pull repository:a:push` -> `repository:a:pull,push`.
 */
export function mergeScopes(scopes: readonly string[]): string[] {
  const byResource = new Map<string, Set<string>>();
  for (const s of scopes.flatMap(x => x.split(' ')).filter(Boolean)) {
    const i = s.lastIndexOf(':');
    if (i <= 0) continue;
    const resource = s.slice(0, i);
    const set = byResource.get(resource) ?? new Set<string>();
    for (const a of s
      .slice(i + 1)
      .split(',')
      .filter(Boolean))
      set.add(a);
    byResource.set(resource, set);
  }
  const rank = (a: string): number => (a === 'pull' ? 0 : a === 'push' ? 1 : 2);
  return [...byResource].map(
    ([r, acts]) => `${r}:${[...acts].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)).join(',')}`
  );
}

/** Does `have` grant everything `want` asks? */
export function scopesCover(have: readonly string[], want: readonly string[]): boolean {
  const granted = new Map<string, Set<string>>();
  for (const s of mergeScopes(have)) {
    const i = s.lastIndexOf(':');
    granted.set(s.slice(0, i), new Set(s.slice(i + 1).split(',')));
  }
  return mergeScopes(want).every(s => {
    const i = s.lastIndexOf(':');
    const g = granted.get(s.slice(0, i));
    return (
      !!g &&
      s
        .slice(i + 1)
        .split(',')
        .every(a => g.has(a) || g.has('*'))
    );
  });
}

interface CachedToken {
  header: string;
  scopes: string[];
  expires: number;
}

export interface AuthOptions {
  transport: Transport;
  credentials: (registry: string) => Promise<Credential | undefined>;
  policy: RetryPolicy;
  userAgent: string;
  /** hosts allowed plain HTTP besides loopback (insecure-registries) */
  insecure?: readonly string[];
  log?: (line: string) => void;
  now?: () => number;
}

export class Authenticator {
  /** per registry: the tokens held, each for its scope set */
  private readonly tokens = new Map<string, CachedToken[]>();
  /** registries that answered with a Basic challenge: credentials go with every request after */
  private readonly basic = new Map<string, string>();

  constructor(private readonly o: AuthOptions) {}

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  /** The header to send before any challenge: Basic when the registry asked for it, else a token covering `scopes`. */
  cached(registry: string, scopes: readonly string[]): string | undefined {
    const b = this.basic.get(registry);
    if (b) return b;
    const t = (this.tokens.get(registry) ?? []).find(x => x.expires > this.now() && scopesCover(x.scopes, scopes));
    return t?.header;
  }

  /** Forgets the tokens of a registry that covered `scopes` (the registry refused them). */
  drop(registry: string, header: string): void {
    this.tokens.set(
      registry,
      (this.tokens.get(registry) ?? []).filter(t => t.header !== header)
    );
  }

  /** Answers a challenge from the registry's origin; undefined when there is nothing to answer with. */
  async answer(
    registry: string,
    origin: URL,
    challenge: string,
    scopes: readonly string[]
  ): Promise<string | undefined> {
    const {scheme, params} = parseChallenge(challenge);
    const cred = await this.o.credentials(registry);
    if (scheme === 'basic') {
      if (!cred?.username || cred.identityToken) return undefined;
      if (origin.protocol === 'http:' && !isLoopbackHost(origin.host) && !this.o.insecure?.includes(origin.host)) {
        throw new RegistryError(
          `${registry} asks for a password over plain HTTP: refused (it would travel unencrypted). Serve the registry over TLS, or name ${origin.host} in insecure-registries to allow it`,
          401,
          false
        );
      }
      const h = `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}`;
      this.basic.set(registry, h);
      return h;
    }
    if (scheme !== 'bearer' || !params['realm']) return undefined;
    const wanted = mergeScopes([...scopes, ...(params['scope'] ? [params['scope']] : [])]);
    const have = this.cached(registry, wanted);
    if (have) return have;
    return this.fetchToken(registry, origin, params['realm'], params['service'] ?? '', wanted, cred);
  }

  private async fetchToken(
    registry: string,
    origin: URL,
    realmText: string,
    service: string,
    scopes: string[],
    cred: Credential | undefined
  ): Promise<string> {
    let realm: URL;
    try {
      realm = new URL(realmText);
    } catch {
      throw new RegistryError(
        `${registry}: the auth challenge names an invalid token realm "${realmText}"`,
        401,
        false
      );
    }
    if (origin.protocol === 'https:' && realm.protocol !== 'https:') {
      throw new RegistryError(
        `${registry} (https) sends clients to the token service ${realm.origin}${realm.pathname} over plain HTTP: refused, as the password and the token would travel unencrypted. Configure the registry's token realm with https`,
        401,
        false
      );
    }
    const what = `token service ${realm.origin}${realm.pathname} for ${registry} (${scopes.join(' ') || 'no scope'})`;
    const headers: Record<string, string> = {'user-agent': this.o.userAgent};
    let method = 'GET';
    let body: string | undefined;
    const u = new URL(realm);
    if (cred?.identityToken) {
      // docker's identity token is an OAuth2 refresh token: POST it as a form
      method = 'POST';
      headers['content-type'] = 'application/x-www-form-urlencoded';
      const form = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: cred.identityToken,
        service,
        client_id: 'publish-image'
      });
      if (scopes.length) form.set('scope', scopes.join(' '));
      body = form.toString();
    } else {
      if (service) u.searchParams.set('service', service);
      for (const s of scopes) u.searchParams.append('scope', s);
      if (cred?.username) {
        u.searchParams.set('account', cred.username);
        headers['authorization'] = `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}`;
      }
    }
    const started = this.now();
    // retried here, with its own log lines; once spent, the calling request does not retry it again
    const res = await withRetry(
      what,
      this.o.policy,
      async () => {
        const r = await this.o.transport.send(u, {method, headers, body, trustHost: origin.host});
        if (r.status === 200) return r;
        const words = registryErrorText(r.body);
        const err = new RegistryError(
          `${what}: ${r.status}${words ? ` ${words}` : ''}`,
          r.status,
          isTransientStatus(r.status),
          words
        );
        err.reason = `${r.status}${words ? ` ${words}` : ''}`;
        err.retryAfterSeconds = parseRetryAfter(r.headers['retry-after']);
        throw err;
      },
      this.o.log
    ).catch((e: unknown) => {
      if (e instanceof RegistryError && e.transient) {
        const spent = new RegistryError(e.message, e.status, false, e.detail, e.codes, e.hint);
        spent.reason = e.reason;
        throw spent;
      }
      throw e;
    });
    let parsed: {token?: string; access_token?: string; expires_in?: number; issued_at?: string};
    try {
      parsed = JSON.parse(res.body.toString('utf8')) as typeof parsed;
    } catch {
      throw new RegistryError(`${what}: the answer is not JSON`, 0, false);
    }
    const token = parsed.token ?? parsed.access_token;
    if (!token) throw new RegistryError(`${what}: the answer holds no token`, 0, false);
    // docker: 60 s when the service says less or nothing; refreshed a little before it runs out
    const lifetime = Math.max(60, parsed.expires_in ?? 60) * 1000;
    const issued = parsed.issued_at ? Date.parse(parsed.issued_at) : NaN;
    const base = Number.isNaN(issued) ? started : Math.min(issued, this.now());
    const header = `Bearer ${token}`;
    const list = (this.tokens.get(registry) ?? []).filter(t => t.expires > this.now());
    list.unshift({header, scopes, expires: base + lifetime - 5_000});
    this.tokens.set(registry, list);
    return header;
  }
}
