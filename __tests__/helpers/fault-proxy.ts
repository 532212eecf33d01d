/**
 * A reverse proxy in front of a registry that injects faults: the first N requests matching a rule get a 503, a
 * 429 with Retry-After, a 401, a reset connection, a held request, the answer Distribution gives a manifest PUT
 * while a parallel push of the same blob is linking it, or a refusal whose message carries workflow commands;
 * everything else is forwarded untouched. Loopback only.
 */
import * as http from 'node:http';
import {AddressInfo} from 'node:net';

/**
 * hang: the request is held unanswered until the proxy closes (a registry that stops answering mid-phase);
 * blob-race: 400 DIGEST_INVALID + MANIFEST_BLOB_UNKNOWN, as Distribution's filesystem storage answers while another
 * upload of a referenced blob rewrites its link file; commands: 503 whose message holds workflow commands (echoed in the retry lines and the error)
 */
export type Fault = '503' | '429' | '401' | 'reset' | 'hang' | 'blob-race' | 'commands';

/** The text the `commands` fault puts in the registry's message: each line would be a workflow command if echoed raw. */
export const INJECTED_COMMANDS =
  'denied\n::error::injected-by-registry\n::add-mask::injected\n::stop-commands::injected';

const ANSWERS: Record<Exclude<Fault, 'reset' | 'hang'>, {status: number; errors: object[]}> = {
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
  setRules(rules: Rule[]): void;
  close(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  let rules: Rule[] = [];
  const injected: Record<string, number> = {};
  const seen: string[] = [];
  const [targetHost, targetPort] = target.split(':');
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    seen.push(`${req.method} ${url.split('?')[0]}`);
    const rule = rules.find(
      r => r.method === req.method && r.path.test(url.split('?')[0] ?? '') && (injected[r.name] ?? 0) < r.times
    );
    if (rule) {
      injected[rule.name] = (injected[rule.name] ?? 0) + 1;
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
        headers: {...req.headers, host: target}
      },
      up => {
        const headers = {...up.headers};
        // keep upload locations pointing at the proxy
        if (typeof headers.location === 'string') headers.location = headers.location.replace(`http://${target}`, '');
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
    setRules: r => {
      rules = r;
      for (const k of Object.keys(injected)) delete injected[k];
      seen.length = 0;
    },
    close: () =>
      new Promise(r => {
        server.closeAllConnections();
        server.close(() => r());
      })
  };
}
