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
/** The system trust store (SSL_CERT_FILE, else the distribution's bundle) plus Node's own roots. */
export function systemCAs(env: Env = process.env): string[] {
  if (systemCache) return systemCache;
  const fromNode = (tls as unknown as {getCACertificates?: (k: string) => string[]}).getCACertificates;
  const system: string[] = fromNode ? fromNode('system') : [];
  for (const f of [env['SSL_CERT_FILE'], ...SYSTEM_BUNDLES].filter((x): x is string => !!x)) {
    try {
      system.push(fs.readFileSync(f, 'utf8'));
      break;
    } catch {
      // next candidate
    }
  }
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

function ipv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some(p => p > 255)) return undefined;
  return parts.reduce((a, p) => a * 256 + p, 0);
}

/** Does a NO_PROXY entry exempt host:port? (Go's httpproxy rules.) */
export function noProxyMatches(entry: string, host: string, port: string): boolean {
  let e = entry.trim().toLowerCase();
  if (!e) return false;
  if (e === '*') return true;
  const cidr = /^([\d.]+)\/(\d{1,2})$/.exec(e);
  if (cidr) {
    const net = ipv4(cidr[1] ?? '');
    const ip = ipv4(host);
    const bits = Number(cidr[2]);
    if (net === undefined || ip === undefined || bits > 32) return false;
    const size = 2 ** (32 - bits);
    return Math.floor(ip / size) === Math.floor(net / size);
  }
  let entryPort = '';
  const hp = /^(.*):(\d+)$/.exec(e);
  if (hp && !e.startsWith('[')) {
    e = hp[1] ?? '';
    entryPort = hp[2] ?? '';
  }
  if (entryPort && entryPort !== port) return false;
  if (e.startsWith('*.')) e = e.slice(1);
  if (e.startsWith('.')) return host.endsWith(e) || host === e.slice(1);
  return host === e || host.endsWith(`.${e}`);
}

/** The proxy a request to `url` goes through ('' = direct), as the engine decides. */
export function proxyFor(url: URL | string, env: Env): string {
  const u = typeof url === 'string' ? new URL(url) : url;
  if (isLoopbackHost(u.host)) return '';
  const host = hostOnly(u.host);
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  const noProxy = env['NO_PROXY'] ?? env['no_proxy'] ?? '';
  if (noProxy.split(',').some(n => noProxyMatches(n, host, port))) return '';
  const proxy =
    u.protocol === 'https:' ? (env['HTTPS_PROXY'] ?? env['https_proxy']) : (env['HTTP_PROXY'] ?? env['http_proxy']);
  if (!proxy) return '';
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(proxy) ? proxy : `http://${proxy}`;
}

/**
 * A dispatcher for any URL under the same proxy policy as the registry calls (the GitHub API, the OIDC endpoint,
 * cosign downloads): each request, redirects included, goes direct or through the proxy proxyFor() names.
 */
export function policyDispatcher(env: Env): Dispatcher {
  const proxies = new Map<string, ProxyAgent>();
  return new Agent().compose(dispatch => (opts, handler) => {
    const proxy = proxyFor(String(opts.origin ?? ''), env);
    if (!proxy) return dispatch(opts, handler);
    let p = proxies.get(proxy);
    if (!p) {
      p = new ProxyAgent({uri: proxy, proxyTunnel: false, proxyTls: {ca: systemCAs(env)}});
      proxies.set(proxy, p);
    }
    return p.dispatch(opts, handler);
  });
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
}

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
    const t = this.trust(trustHost);
    const connect = {...t, timeout: this.opts.connectTimeoutMs ?? 15_000};
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
        proxyTls: {ca: systemCAs(this.env)},
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
    const u = typeof url === 'string' ? new URL(url) : url;
    const res = await undiciRequest(u, {
      method: o.method,
      headers: o.headers,
      body: o.body as Dispatcher.DispatchOptions['body'],
      dispatcher: this.dispatcher(u, o.trustHost)
    });
    const body = Buffer.from(await res.body.arrayBuffer());
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers))
      if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
    return {status: res.statusCode, headers, body};
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
