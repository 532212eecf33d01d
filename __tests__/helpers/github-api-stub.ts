/**
 * A loopback stand-in for the GitHub REST API (127.0.0.1 only): `GET /repos/{owner}/{repo}` answers the given
 * repository, `GET /repos/{owner}/{repo}/commits/{sha}` a commit with the given committer date. Every request is
 * recorded with its headers; `behaviour` makes it fail or hang, for the warning paths.
 */
import * as http from 'node:http';
import {AddressInfo} from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

export interface StubBehaviour {
  /** answer every request with this status and a GitHub-style error body */
  status?: number;
  /** never answer (the client's timeout must fire) */
  hang?: boolean;
}

export interface ApiStub {
  url: string;
  requests: RecordedRequest[];
  behaviour: StubBehaviour;
  close(): Promise<void>;
}

export async function startGitHubApiStub(repo: Record<string, unknown>, commitDate: string): Promise<ApiStub> {
  const requests: RecordedRequest[] = [];
  const behaviour: StubBehaviour = {};
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const url = req.url ?? '';
    requests.push({method: req.method ?? '', url, headers: req.headers});
    if (behaviour.hang) {
      hanging.add(res);
      return;
    }
    if (behaviour.status !== undefined) {
      res.writeHead(behaviour.status, {'content-type': 'application/json'}).end('{"message":"stub failure"}');
      return;
    }
    let body: unknown;
    if (req.method === 'GET' && /^\/repos\/[^/]+\/[^/]+\/commits\/[^/]+$/.test(url))
      body = {sha: url.split('/').pop(), commit: {committer: {date: commitDate}, author: {date: commitDate}}};
    else if (req.method === 'GET' && /^\/repos\/[^/]+\/[^/]+$/.test(url)) body = repo;
    if (!body) {
      res.writeHead(404, {'content-type': 'application/json'}).end('{"message":"Not Found"}');
      return;
    }
    res.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify(body));
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const {port} = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    behaviour,
    close: () =>
      new Promise(resolve => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      })
  };
}
