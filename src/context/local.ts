/**
 * Outside any CI: the local git repository (git on PATH, run with argument arrays). HEAD's commit; an exact tag
 * on HEAD makes a tag push (the highest version when several), else the branch makes a branch push; a detached HEAD
 * without a tag has no ref. Failing git (not a repository) leaves the context empty: tags that need it render none.
 */
import {Runner} from '../tools/exec';
import {RunContext} from './types';

type Env = Record<string, string | undefined>;

/** Which ref HEAD stands for: a tag on it wins over the branch (as a tag pipeline would). */
export function localRef(tagsOnHead: readonly string[], branch: string): {eventName: string; ref: string} {
  const tags = tagsOnHead.map(t => t.trim()).filter(Boolean);
  if (tags.length) {
    const sorted = [...tags].sort((a, b) => a.localeCompare(b, 'en', {numeric: true}));
    return {eventName: 'push', ref: `refs/tags/${sorted[sorted.length - 1] ?? ''}`};
  }
  if (branch) return {eventName: 'push', ref: `refs/heads/${branch}`};
  return {eventName: '', ref: ''};
}

/** owner/name from a remote URL (https://host/owner/name.git, git@host:owner/name.git), '' when none. */
export function repositoryFromRemote(url: string): {repository: string; htmlUrl: string} {
  const u = url.trim().replace(/\.git$/, '');
  const ssh = /^[\w.-]+@([^:]+):(.+)$/.exec(u);
  if (ssh) return {repository: ssh[2] ?? '', htmlUrl: `https://${ssh[1]}/${ssh[2]}`};
  try {
    const p = new URL(u);
    if (p.protocol !== 'https:' && p.protocol !== 'http:') return {repository: '', htmlUrl: ''};
    p.username = '';
    p.password = '';
    return {repository: p.pathname.replace(/^\/+/, ''), htmlUrl: p.toString()};
  } catch {
    return {repository: '', htmlUrl: ''};
  }
}

export async function localContext(env: Env, runner: Runner, tempDir: string): Promise<RunContext> {
  const git = async (...args: string[]): Promise<string> => {
    try {
      const r = await runner.run('git', args, {allowFailure: true});
      return r.exitCode === 0 ? r.stdout.trim() : '';
    } catch {
      return '';
    }
  };
  const [sha, tags, branch, remote, date] = await Promise.all([
    git('rev-parse', 'HEAD'),
    git('tag', '--points-at', 'HEAD'),
    git('symbolic-ref', '--quiet', '--short', 'HEAD'),
    git('remote', 'get-url', 'origin'),
    git('show', '-s', '--format=%cI', 'HEAD')
  ]);
  const {eventName, ref} = localRef(tags.split('\n'), branch);
  const {repository, htmlUrl} = repositoryFromRemote(remote);
  return {
    ci: 'local',
    git: {eventName, ref, sha, payload: {}, repository},
    facts: {name: repository.split('/').pop() || undefined, html_url: htmlUrl || undefined},
    commitDate: date && !isNaN(new Date(date).getTime()) ? new Date(date) : undefined,
    run: {id: 'local', attempt: '1'},
    identity: env['SIGSTORE_ID_TOKEN'] ? 'env-token' : 'none',
    defaults: {},
    tempDir
  };
}
