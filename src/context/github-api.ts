/**
 * The GitHub REST API edge (GITHUB_API_URL): repository facts for the OCI labels and `type=edge`, and a commit's
 * date for `{{commit_date}}`. Failures throw GitHubApiError; the caller decides to go on without (src/metadata.ts).
 * The token is sent as a header only and never appears in a message.
 */
import {Dispatcher, request} from 'undici';
import {policyDispatcher} from '../registry/transport';
import {RepoFacts} from '../meta/types';

export const DEFAULT_API_URL = 'https://api.github.com';
const TIMEOUT_MS = 10_000;

export interface ApiTarget {
  /** GITHUB_API_URL, e.g. https://api.github.com or https://ghes.example.com/api/v3 */
  apiUrl: string;
  /** owner/name */
  repository: string;
  /** sent as `Authorization: Bearer` when not empty */
  token: string;
  /** proxy-aware by default (HTTPS_PROXY / HTTP_PROXY / NO_PROXY of the process) */
  dispatcher?: Dispatcher;
  /** for the whole request (default 10 s) */
  timeoutMs?: number;
}

/** A request to the GitHub API that failed: no answer, an error status, or an answer we cannot read. */
export class GitHubApiError extends Error {
  constructor(
    /** the URL asked (no credentials in it) */
    public readonly url: string,
    /** HTTP status, undefined when there was no answer */
    public readonly status: number | undefined,
    message: string
  ) {
    super(message);
    this.name = 'GitHubApiError';
  }
}

/** A dispatcher with the step's one proxy policy (HTTPS_PROXY/HTTP_PROXY/NO_PROXY of the given environment). */
export function proxyDispatcher(env: Record<string, string | undefined>): Dispatcher {
  return policyDispatcher(env);
}

async function getJson(t: ApiTarget, apiPath: string): Promise<unknown> {
  const target = `${t.apiUrl.replace(/\/+$/, '')}${apiPath}`;
  // for messages: credentials in the URL itself are masked
  const url = target.replace(/\/\/[^/@]*@/, '//***@');
  const headers: Record<string, string> = {
    accept: 'application/vnd.github+json',
    'user-agent': 'publish-image',
    'x-github-api-version': '2022-11-28'
  };
  if (t.token) headers['authorization'] = `Bearer ${t.token}`;
  const timeoutMs = t.timeoutMs ?? TIMEOUT_MS;
  let res: Dispatcher.ResponseData;
  try {
    res = await request(target, {
      headers,
      signal: AbortSignal.timeout(timeoutMs),
      ...(t.dispatcher ? {dispatcher: t.dispatcher} : {})
    });
  } catch (e) {
    // DOMException (the timeout) is not always an Error of this realm: read its fields
    const {name, message, code} = (typeof e === 'object' && e !== null ? e : {}) as {
      name?: unknown;
      message?: unknown;
      code?: unknown;
    };
    const reason =
      name === 'TimeoutError' || name === 'AbortError'
        ? `no answer within ${timeoutMs / 1000} s`
        : typeof message === 'string'
          ? `${message}${typeof code === 'string' && !message.includes(code) ? ` (${code})` : ''}`
          : String(e);
    throw new GitHubApiError(url, undefined, `GET ${url}: ${reason}`);
  }
  let text: string;
  try {
    text = await res.body.text();
  } catch (e) {
    throw new GitHubApiError(url, res.statusCode, `GET ${url}: the answer was cut off (${String(e)})`);
  }
  if (res.statusCode !== 200) {
    let detail = '';
    try {
      const m = (JSON.parse(text) as {message?: unknown}).message;
      if (typeof m === 'string') detail = `: ${m}`;
    } catch {
      // not JSON: the status says enough
    }
    const hint =
      res.statusCode === 401
        ? ' (the github-token was refused)'
        : res.statusCode === 404 && !t.token
          ? ' (a private repository needs a github-token)'
          : '';
    throw new GitHubApiError(url, res.statusCode, `GET ${url}: HTTP ${res.statusCode}${detail}${hint}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new GitHubApiError(url, res.statusCode, `GET ${url}: the answer is not JSON`);
  }
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function encodeRepository(repository: string): string {
  return repository.split('/').map(encodeURIComponent).join('/');
}

/** GET /repos/{owner}/{repo}: only the fields metadata-action uses, type-checked. */
export async function fetchRepoFacts(t: ApiTarget): Promise<RepoFacts> {
  const j = await getJson(t, `/repos/${encodeRepository(t.repository)}`);
  if (typeof j !== 'object' || j === null || Array.isArray(j))
    throw new GitHubApiError(t.apiUrl, 200, `GET /repos/${t.repository}: the answer is not a repository`);
  const r = j as Record<string, unknown>;
  const license = r['license'];
  const facts: RepoFacts = {};
  if (str(r['name']) !== undefined) facts.name = str(r['name']);
  if (r['description'] === null || str(r['description']) !== undefined)
    facts.description = r['description'] as string | null;
  if (str(r['html_url']) !== undefined) facts.html_url = str(r['html_url']);
  if (str(r['default_branch']) !== undefined) facts.default_branch = str(r['default_branch']);
  if (license === null) facts.license = null;
  else if (typeof license === 'object')
    facts.license = {spdx_id: str((license as Record<string, unknown>)['spdx_id']) ?? null};
  return facts;
}

/** GET /repos/{owner}/{repo}/commits/{sha}: the committer date. */
export async function fetchCommitDate(t: ApiTarget & {sha: string}): Promise<Date> {
  const j = await getJson(t, `/repos/${encodeRepository(t.repository)}/commits/${encodeURIComponent(t.sha)}`);
  const date = str((j as {commit?: {committer?: {date?: unknown}}} | null)?.commit?.committer?.date);
  const d = date === undefined ? undefined : new Date(date);
  if (!d || isNaN(d.getTime()))
    throw new GitHubApiError(
      t.apiUrl,
      200,
      `GET /repos/${t.repository}/commits/${t.sha}: the commit has no committer date`
    );
  return d;
}
