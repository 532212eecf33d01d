/** Repository facts and commit dates from the GitHub REST API (GITHUB_API_URL), with undici. */
import {request} from 'undici';
import {RepoFacts} from './meta/types';

export interface ApiTarget {
  apiUrl: string;
  repository: string;
  token: string;
}

async function getJson(t: ApiTarget, path: string): Promise<unknown> {
  const headers: Record<string, string> = {
    accept: 'application/vnd.github+json',
    'user-agent': 'publish-image',
    'x-github-api-version': '2022-11-28'
  };
  if (t.token) headers['authorization'] = `Bearer ${t.token}`;
  const url = `${t.apiUrl.replace(/\/+$/, '')}${path}`;
  const res = await request(url, {headers, headersTimeout: 10_000, bodyTimeout: 10_000});
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`GET ${path}: ${res.statusCode}`);
  return JSON.parse(text) as unknown;
}

export async function fetchRepoFacts(t: ApiTarget): Promise<RepoFacts> {
  return (await getJson(t, `/repos/${t.repository}`)) as RepoFacts;
}

export async function fetchCommitDate(t: ApiTarget, sha: string): Promise<Date> {
  const j = (await getJson(t, `/repos/${t.repository}/commits/${sha}`)) as {commit?: {committer?: {date?: string}}};
  const d = j.commit?.committer?.date;
  if (!d) throw new Error('the commit has no committer date');
  return new Date(d);
}
