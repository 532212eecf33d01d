/**
 * A reverse proxy in front of a registry that injects faults: the first N requests matching a rule get a 500, a
 * 503, a 429 with Retry-After, a 401, a reset connection, a reset mid-way through their body (half the body reaches
 * the registry, then both connections are cut, and the upload session is dead from then on, as on registries whose
 * storage drops a broken upload), a held request, the answer Distribution gives a manifest PUT while a parallel push
 * of the same blob is linking it, or a 503 whose message carries workflow commands; everything else is forwarded
 * untouched. Optionally it sends upload locations to another origin, or stands for such an origin (storage that
 * authenticates by itself). Loopback only.
 */
import * as http from 'node:http';
import {AddressInfo} from 'node:net';

/**
 * hang: the request is held unanswered until the proxy closes (a registry that stops answering mid-phase);
 * blob-race: 400 DIGEST_INVALID + MANIFEST_BLOB_UNKNOWN, as Distribution's filesystem storage answers while another
 * upload of a referenced blob rewrites its link file; commands: 503 whose message holds workflow commands (echoed in the retry lines and the error)
 */
export type Fault = '500' | '503' | '429' | '401' | 'reset' | 'reset-body' | 'hang' | 'blob-race' | 'commands';

/** The text the `commands` fault puts in the registry's message: each line would be a workflow command if echoed raw. */
export const INJECTED_COMMANDS =
  'denied\n::error::injected-by-registry\n::add-mask::injected\n::stop-commands::injected';

const ANSWERS: Record<Exclude<Fault, 'reset' | 'reset-body' | 'hang'>, {status: number; errors: object[]}> = {
  '500': {status: 500, errors: [{code: 'UNKNOWN', message: 'injected 500'}]},
  '503': {status: 503, errors: [{code: 'UNAVAILABLE', message: 'injected 503'}]},
  '429': {status: 429, errors: [{code: 'TOOMANYREQUESTS', message: 'injected 429'}]},
  '401': {status: 401, errors: [{code: 'UNAUTHORIZED', message: 'injected 401'}]},
  'blob-race': {
    status: 400,
    errors: [
      {code: 'DIGEST_INVALID', message: 'provided digest did not match uploaded content'},
      {code: 'MANIFEST_BLOB_UNKNOWN', message: 'blob unknown to registry', detail: 'sha256:' + '0'.repeat(64)}
    ]
  },
  commands: {status: 503, errors: [{code: 'UNAVAILABLE', message: INJECTED_COMMANDS}]}
};

export interface Rule {
  name: string;
  method: string;
  path: RegExp;
  fault: Fault;
  /** how many matching requests fail (Infinity: all) */
  times: number;
}

export interface FaultProxy {
  host: string;
  /** faults injected, per rule name */
  injected: Record<string, number>;
  /** every request seen: "METHOD /path" */
  seen: string[];
  /** every request seen with its query: "METHOD /path?query" (mounts: `?mount=<digest>&from=<repo>`) */
  seenWithQuery: string[];
  /** the Authorization header of every request seen ('' when none): "METHOD /path auth" */
  authSeen: string[];
  setRules(rules: Rule[]): void;
  close(): Promise<void>;
}

export interface ProxyOptions {
  /** rewrites the Location header of the registry's answers (default: back to this proxy) */
  location?: (location: string) => string;
  /** the Authorization this proxy sends upstream itself, whatever the client sent (a storage origin) */
  upstreamAuth?: string;
}

export async function startFaultProxy(target: string, opts: ProxyOptions = {}): Promise<FaultProxy> {
  let rules: Rule[] = [];
  const injected: Record<string, number> = {};
  const seen: string[] = [];
  const seenWithQuery: string[] = [];
  const authSeen: string[] = [];
  const dead = new Set<string>();
  const [targetHost, targetPort] = target.split(':');
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    seen.push(`${req.method} ${url.split('?')[0]}`);
    seenWithQuery.push(`${req.method} ${url}`);
    authSeen.push(`${req.method} ${url.split('?')[0]} ${req.headers.authorization ?? ''}`);
    if (dead.has(url.split('?')[0] ?? '')) {
      req.resume();
      res
        .writeHead(404, {'content-type': 'application/json'})
        .end(
          '{"errors":[{"code":"BLOB_UPLOAD_UNKNOWN","message":"blob upload unknown to registry (cut by the fault proxy)"}]}'
        );
      return;
    }
    const rule = rules.find(
      r => r.method === req.method && r.path.test(url.split('?')[0] ?? '') && (injected[r.name] ?? 0) < r.times
    );
    if (rule) {
      injected[rule.name] = (injected[rule.name] ?? 0) + 1;
      if (rule.fault === 'reset-body') {
        resetMidBody(req, target, url);
        dead.add(url.split('?')[0] ?? '');
        return;
      }
      req.resume();
      if (rule.fault === 'reset') {
        req.socket.destroy();
        return;
      }
      if (rule.fault === 'hang') return;
      const answer = ANSWERS[rule.fault];
      const headers: Record<string, string> = {'content-type': 'application/json'};
      if (rule.fault === '429') headers['retry-after'] = '1';
      if (rule.fault === '401') headers['www-authenticate'] = 'Basic realm="fault-proxy"';
      res.writeHead(answer.status, headers).end(JSON.stringify({errors: answer.errors}));
      return;
    }
    const upstream = http.request(
      {
        host: targetHost,
        port: Number(targetPort),
        method: req.method,
        path: url,
        headers: {
          ...req.headers,
          host: target,
          ...(opts.upstreamAuth === undefined ? {} : {authorization: opts.upstreamAuth})
        }
      },
      up => {
        const headers = {...up.headers};
        // keep upload locations pointing at the proxy (or wherever the test sends them)
        if (typeof headers.location === 'string') {
          const local = headers.location.replace(`http://${target}`, '');
          headers.location = opts.location ? opts.location(local) : local;
        }
        res.writeHead(up.statusCode ?? 502, headers);
        up.pipe(res);
      }
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const {port} = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    injected,
    seen,
    seenWithQuery,
    authSeen,
    setRules: r => {
      rules = r;
      for (const k of Object.keys(injected)) delete injected[k];
      seen.length = 0;
      authSeen.length = 0;
    },
    close: () =>
      new Promise(r => {
        server.closeAllConnections();
        server.close(() => r());
      })
  };
}

/** Forwards half of the request body to the registry, then cuts both connections without an answer. */
function resetMidBody(req: http.IncomingMessage, target: string, url: string): void {
  const [host, port] = target.split(':');
  const total = Number(req.headers['content-length'] ?? '0');
  const half = Math.max(1, Math.floor(total / 2));
  const upstream = http.request({
    host,
    port: Number(port),
    method: req.method,
    path: url,
    headers: {...req.headers, host: target}
  });
  upstream.on('error', () => undefined);
  let sent = 0;
  req.on('data', (chunk: Buffer) => {
    const room = half - sent;
    if (room > 0) {
      upstream.write(chunk.subarray(0, room));
      sent += Math.min(room, chunk.length);
    }
    if (sent >= half) {
      upstream.destroy();
      req.socket.destroy();
    }
  });
  req.on('end', () => {
    upstream.destroy();
    req.socket.destroy();
  });
}
