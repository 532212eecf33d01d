/** A loopback stand-in for the GitHub REST API: repository facts and commit dates. */
import * as http from 'node:http';
import {AddressInfo} from 'node:net';

export interface ApiStub {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

export async function startGitHubApiStub(repo: Record<string, unknown>, commitDate: string): Promise<ApiStub> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const url = req.url ?? '';
    let body: unknown;
    if (/^\/repos\/[^/]+\/[^/]+\/commits\/[^/]+$/.test(url))
      body = {sha: url.split('/').pop(), commit: {committer: {date: commitDate}, author: {date: commitDate}}};
    else if (/^\/repos\/[^/]+\/[^/]+$/.test(url)) body = repo;
    if (!body) {
      res.writeHead(404, {'content-type': 'application/json'}).end('{"message":"Not Found"}');
      return;
    }
    res.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify(body));
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const {port} = server.address() as AddressInfo;
  return {url: `http://127.0.0.1:${port}`, requests, close: () => new Promise(r => server.close(() => r()))};
}
