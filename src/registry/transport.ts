/**
 * The HTTP transport: one undici dispatcher per (registry, origin), with the trust docker has and the proxy
 * policy the engine uses.
 *
 * Trust = the system store + every `*.crt` in /etc/docker/certs.d/<host:port>/ (and docker's client certificate
 * pairs `*.cert` / `*.key` there) + the ca-cert input/entry. Token services and storage redirects of a registry
 * are reached with that registry's trust, as docker does.
 *
 * Proxy = HTTPS_PROXY for https, HTTP_PROXY for http, NO_PROXY exceptions (hosts, domains, host:port, IPs,
 * CIDRs, `*`), as Go's net/http reads them; never for loopback hosts.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';
import {Agent, Dispatcher, ProxyAgent, request as undiciRequest} from 'undici';
import {isLoopbackHost} from '../reference';

export type Env = Record<string, string | undefined>;

export const DOCKER_CERTS_DIR = '/etc/docker/certs.d';

const SYSTEM_BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt', // Debian, Ubuntu, Alpine
  '/etc/pki/tls/certs/ca-bundle.crt', // Fedora, RHEL
  '/etc/ssl/ca-bundle.pem', // openSUSE
  '/etc/ssl/cert.pem' // macOS, Alpine
];

let systemCache: string[] | undefined;
/**
 * The system trust store as Go (so docker) reads it on Linux: SSL_CERT_FILE, else the distribution's bundle file,
 * else (no bundle file: macOS, Windows) what Node reads from the OS; plus Node's own roots. One file read: Node's
 * `getCACertificates('system')` walks the hashed certificate directory, about 0.15 s here.
 */
export function systemCAs(env: Env = process.env): string[] {
  if (systemCache) return systemCache;
  let system: string[] = [];
  for (const f of [env['SSL_CERT_FILE'], ...SYSTEM_BUNDLES].filter((x): x is string => !!x)) {
    try {
      system = [fs.readFileSync(f, 'utf8')];
      break;
    } catch {
      // next candidate
    }
  }
  const fromNode = (tls as unknown as {getCACertificates?: (k: string) => string[]}).getCACertificates;
  if (!system.length && fromNode) system = fromNode('system');
  systemCache = [...tls.rootCertificates, ...system];
  return systemCache;
}

export interface HostCerts {
  /** PEM CAs: every *.crt of the directory */
  cas: string[];
  /** client certificate pairs: X.cert with X.key */
  clientCerts: {cert: string; key: string}[];
  /** files read, for the log */
  files: string[];
}

/** What docker reads from /etc/docker/certs.d/<host:port>/ (nothing when the directory does not exist). */
export function readCertsDir(host: string, root = DOCKER_CERTS_DIR): HostCerts {
  const dir = path.join(root, host);
  const out: HostCerts = {cas: [], clientCerts: [], files: []};
  let names: string[];
  try {
    names = fs.readdirSync(dir).sort();
  } catch {
    return out;
  }
  for (const n of names) {
    const f = path.join(dir, n);
    if (n.endsWith('.crt')) {
      out.cas.push(fs.readFileSync(f, 'utf8'));
      out.files.push(f);
    } else if (n.endsWith('.cert')) {
      const key = path.join(dir, `${n.slice(0, -'.cert'.length)}.key`);
      // docker refuses a .cert without its .key; so do we, by naming it
      if (!fs.existsSync(key))
        throw new Error(`${f} has no matching ${path.basename(key)}: docker needs both for a client certificate`);
      out.clientCerts.push({cert: fs.readFileSync(f, 'utf8'), key: fs.readFileSync(key, 'utf8')});
      out.files.push(f, key);
    }
  }
  return out;
}

/** The host[:port] directories of /etc/docker/certs.d that hold a CA or a client certificate. */
export function certsDirHosts(root = DOCKER_CERTS_DIR): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(root).sort();
  } catch {
    return [];
  }
  return names.filter(n => {
    try {
      return fs.readdirSync(path.join(root, n)).some(f => f.endsWith('.crt') || f.endsWith('.cert'));
    } catch {
      return false;
    }
  });
}

function hostOnly(hostport: string): string {
  const b = /^\[([^\]]+)\]/.exec(hostport);
  if (b) return (b[1] ?? '').toLowerCase();
  return hostport.replace(/:\d+$/, '').toLowerCase();
}

/** An IP address (v4 or v6, brackets allowed) as net.isIP reads it, or undefined. */
function ipOf(s: string): {ip: string; family: 'ipv4' | 'ipv6'} | undefined {
  const bare = s.replace(/^\[(.*)\]$/, '$1');
  const v = net.isIP(bare);
  return v === 4 ? {ip: bare, family: 'ipv4'} : v === 6 ? {ip: bare, family: 'ipv6'} : undefined;
}

/** Does a NO_PROXY entry exempt host:port? Go's x/net/http/httpproxy rules, IPv6 and CIDRs included. */
export function noProxyMatches(entry: string, host: string, port: string): boolean {
  let e = entry.trim().toLowerCase();
  if (!e) return false;
  if (e === '*') return true;
  const hostIp = ipOf(host);
  const cidr = /^(.+)\/(\d{1,3})$/.exec(e);
  if (cidr) {
    const net4or6 = ipOf(cidr[1] ?? '');
    if (!net4or6 || !hostIp || net4or6.family !== hostIp.family) return false;
    const list = new net.BlockList();
    try {
      list.addSubnet(net4or6.ip, Number(cidr[2]), net4or6.family);
    } catch {
      return false;
    }
    return list.check(hostIp.ip, hostIp.family);
  }
  // an address alone (IPv6 ones have colons of their own), or [v6]:port, or host:port
  let entryPort = '';
  const plainIp = ipOf(e);
  if (!plainIp) {
    const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(e);
    const hp = /^([^:]+):(\d+)$/.exec(e);
    if (bracketed) {
      e = bracketed[1] ?? '';
      entryPort = bracketed[2] ?? '';
    } else if (hp) {
      e = hp[1] ?? '';
      entryPort = hp[2] ?? '';
    }
  }
  if (entryPort && entryPort !== port) return false;
  const entryIp = ipOf(e);
  if (entryIp) return !!hostIp && net.isIP(hostIp.ip) === net.isIP(entryIp.ip) && sameIp(entryIp.ip, hostIp.ip);
  // "*.y.com" and ".y.com": subdomains only; "y.com": the host and its subdomains
  if (e.startsWith('*.')) e = e.slice(1);
  if (e.startsWith('.')) return host.endsWith(e);
  return host === e || host.endsWith(`.${e}`);
}

function sameIp(a: string, b: string): boolean {
  const list = new net.BlockList();
  const family = net.isIP(a) === 6 ? 'ipv6' : 'ipv4';
  list.addAddress(a, family);
  return list.check(b, family);
}

/** The first non-empty of the variables, as Go's getEnvAny reads them. */
function envAny(env: Env, ...names: string[]): string {
  for (const n of names) {
    const v = env[n];
    if (v) return v;
  }
  return '';
}

/** The proxy a request to `url` goes through ('' = direct), as the engine decides. */
export function proxyFor(url: URL | string, env: Env): string {
  const u = typeof url === 'string' ? new URL(url) : url;
  if (isLoopbackHost(u.host)) return '';
  const host = hostOnly(u.host);
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  const noProxy = envAny(env, 'NO_PROXY', 'no_proxy');
  if (noProxy.split(',').some(n => noProxyMatches(n, host, port))) return '';
  const proxy =
    u.protocol === 'https:' ? envAny(env, 'HTTPS_PROXY', 'https_proxy') : envAny(env, 'HTTP_PROXY', 'http_proxy');
  if (!proxy) return '';
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(proxy) ? proxy : `http://${proxy}`;
}

/**
 * A dispatcher for any URL under the same proxy policy as the registry calls (the GitHub API, the OIDC endpoint,
 * cosign downloads): each request, redirects included, goes direct or through the proxy proxyFor() names.
 */
export function policyDispatcher(env: Env): Dispatcher {
  return new PolicyDispatcher(env);
}

class PolicyDispatcher extends Dispatcher {
  private readonly direct = new Agent();
  private readonly proxies = new Map<string, ProxyAgent>();

  constructor(private readonly env: Env) {
    super();
  }

  override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const proxy = proxyFor(String(opts.origin ?? ''), this.env);
    if (!proxy) return this.direct.dispatch(opts, handler);
    let p = this.proxies.get(proxy);
    if (!p) {
      p = new ProxyAgent({uri: proxy, proxyTunnel: false, proxyTls: proxyTls(proxy, this.env)});
      this.proxies.set(proxy, p);
    }
    return p.dispatch(opts, handler);
  }

  /** Closes the direct connections and the proxies' (undici's overloads: the promise form only). */
  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    const done = Promise.all([this.direct.close(), ...[...this.proxies.values()].map(p => p.close())]).then(
      () => undefined
    );
    if (!callback) return done;
    void done.then(callback);
  }

  override destroy(): Promise<void>;
  override destroy(err: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null, callback: () => void): void;
  override destroy(a?: Error | null | (() => void), b?: () => void): Promise<void> | void {
    const err = typeof a === 'function' ? null : (a ?? null);
    const callback = typeof a === 'function' ? a : b;
    const done = Promise.all([this.direct.destroy(err), ...[...this.proxies.values()].map(p => p.destroy(err))]).then(
      () => undefined
    );
    if (!callback) return done;
    void done.then(callback);
  }
}

/** The proxy's own TLS: the system store, parsed once, only for an https proxy. */
function proxyTls(proxy: string, env: Env): {secureContext?: tls.SecureContext} {
  return proxy.startsWith('https:') ? {secureContext: tls.createSecureContext({ca: systemCAs(env)})} : {};
}

/** A proxy URL for messages: no password. */
export function redactUrl(u: string): string {
  try {
    const url = new URL(u);
    if (url.password) url.password = '***';
    return url.toString().replace(/\/$/, '');
  } catch {
    return u;
  }
}

export interface TransportOptions {
  /** PEM CA bundles per registry host[:port] (the ca-cert input and registry-auth entries) */
  caCerts?: ReadonlyMap<string, string>;
  /** where docker's per-host certificates live */
  certsDir?: string;
  env?: Env;
  connectTimeoutMs?: number;
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
  /** one line per decision (trust files read, proxy chosen) */
  log?: (line: string) => void;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** the body as it arrives (a streamed 2xx answer: `body` is then empty) */
  stream?: ResponseBody;
}

/** undici's response body: a Readable that can also be read whole. */
export type ResponseBody = Dispatcher.ResponseData['body'];

export interface SendOptions {
  method: string;
  headers?: Record<string, string>;
  body?: Buffer | NodeJS.ReadableStream | string;
  /** the registry whose trust applies (default: the URL's own host) */
  trustHost?: string;
}

export class Transport {
  private readonly dispatchers = new Map<string, Dispatcher>();
  readonly env: Env;

  constructor(private readonly opts: TransportOptions = {}) {
    this.env = opts.env ?? process.env;
  }

  /** Every CA trusted for a registry: the system store, certs.d, ca-cert (PEM, for cosign). */
  caBundle(registryHost: string): string {
    return this.trust(registryHost).ca.join('\n');
  }

  /** True when something beyond the system store is trusted for the host (certs.d or ca-cert). */
  hasPrivateTrust(registryHost: string): boolean {
    const certs = readCertsDir(registryHost, this.opts.certsDir);
    return certs.cas.length > 0 || certs.clientCerts.length > 0 || !!this.opts.caCerts?.get(registryHost);
  }

  private trust(registryHost: string): {ca: string[]; cert?: string; key?: string} {
    const certs = readCertsDir(registryHost, this.opts.certsDir);
    const own = this.opts.caCerts?.get(registryHost);
    const client = certs.clientCerts[0];
    return {
      ca: [...systemCAs(this.env), ...certs.cas, ...(own ? [own] : [])],
      ...(client ? {cert: client.cert, key: client.key} : {})
    };
  }

  dispatcher(url: URL, trustHost = url.host): Dispatcher {
    const proxy = proxyFor(url, this.env);
    const key = `${trustHost}|${url.protocol}//${url.host}|${proxy}`;
    let d = this.dispatchers.get(key);
    if (d) return d;
    // trust is read only for TLS, and parsed once per dispatcher: undici would parse the CA list on every connection
    const connect =
      url.protocol === 'https:'
        ? {secureContext: tls.createSecureContext(this.trust(trustHost)), timeout: this.opts.connectTimeoutMs ?? 15_000}
        : {timeout: this.opts.connectTimeoutMs ?? 15_000};
    const timeouts = {
      headersTimeout: this.opts.headersTimeoutMs ?? 30_000,
      bodyTimeout: this.opts.bodyTimeoutMs ?? 60_000
    };
    if (proxy) {
      // http targets in absolute form (no CONNECT), https through a tunnel: as Go's net/http, so as docker
      d = new ProxyAgent({
        uri: proxy,
        proxyTunnel: false,
        requestTls: connect,
        proxyTls: proxyTls(proxy, this.env),
        ...timeouts
      });
      this.opts.log?.(`${url.host}: through the proxy ${redactUrl(proxy)}`);
    } else {
      d = new Agent({connect, ...timeouts});
    }
    this.dispatchers.set(key, d);
    return d;
  }

  async send(url: URL | string, o: SendOptions): Promise<HttpResponse> {
    const res = await this.stream(url, o);
    const body = Buffer.from(await res.stream.arrayBuffer());
    return {status: res.status, headers: res.headers, body};
  }

  /** The request, with the answer's body left as a stream (blob copies: no blob is held in memory). */
  async stream(url: URL | string, o: SendOptions): Promise<HttpResponse & {stream: ResponseBody}> {
    const u = typeof url === 'string' ? new URL(url) : url;
    const res = await undiciRequest(u, {
      method: o.method,
      headers: o.headers,
      body: o.body as Dispatcher.DispatchOptions['body'],
      dispatcher: this.dispatcher(u, o.trustHost)
    });
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers))
      if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
    return {status: res.statusCode, headers, body: Buffer.alloc(0), stream: res.body};
  }

  async close(): Promise<void> {
    await Promise.all([...this.dispatchers.values()].map(d => d.close()));
    this.dispatchers.clear();
  }
}

/** What to check after a connection-level failure, naming the host and the proxy in use. */
export function networkHint(url: URL, code: string, env: Env, caInput = 'ca-cert'): string {
  const host = url.host;
  const proxy = proxyFor(url, env);
  const via = proxy ? `through the proxy ${redactUrl(proxy)}` : 'directly (no proxy)';
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|EPROTO/.test(code)) {
    return `The TLS handshake with ${host} ${via} failed: put the registry's CA in ${DOCKER_CERTS_DIR}/${host}/ca.crt (as for docker) or pass it in ${caInput}${proxy ? '; a TLS-intercepting proxy needs its CA too' : ''}.`;
  }
  if (proxy && /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|UND_ERR_SOCKET/.test(code))
    return `The proxy ${redactUrl(proxy)} (HTTPS_PROXY/HTTP_PROXY) could not be used to reach ${host}: check that it is up, or name ${host} in NO_PROXY.`;
  if (/TIMEOUT|ETIMEDOUT/.test(code))
    return `Connecting to ${host} ${via} timed out: check the host and port, the firewall, and HTTPS_PROXY / NO_PROXY.`;
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN/.test(code))
    return `Could not connect to ${host} ${via}: check the host name and port.`;
  return `Connection to ${host} ${via} failed.`;
}
