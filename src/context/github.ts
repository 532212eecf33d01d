/**
 * The git context of the run, from the runner's environment and the event payload, with docker/metadata-action's
 * overrides (SPEC §2.1). Everything here is pure except readEventPayload.
 */
import * as fs from 'node:fs';
import {InputError} from '../errors';
import {GitContext, MetaOptions} from '../meta/types';
import {DEFAULT_API_URL} from './github-api';
import {oidcAvailable} from './oidc';
import {RunContext} from './types';

type Env = Record<string, string | undefined>;

/** The event payload at GITHUB_EVENT_PATH; {} when there is none, it cannot be read, or it is not a JSON object. */
export function readEventPayload(file?: string): Record<string, unknown> {
  if (!file) return {};
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

/** The value at a path of keys in a JSON value, or undefined. */
export function dig(o: unknown, ...keys: string[]): unknown {
  let cur = o;
  for (const k of keys) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

/**
 * eventName, ref and sha as the runner gives them, then: pull_request_target runs on the base branch, so its ref
 * becomes the PR's merge ref; with DOCKER_METADATA_PR_HEAD_SHA=true a pull request event uses the PR head commit
 * instead of the merge commit.
 */
export function resolveGitContext(env: Env, payload: Record<string, unknown>): GitContext {
  const eventName = env['GITHUB_EVENT_NAME'] ?? '';
  let ref = env['GITHUB_REF'] ?? '';
  let sha = env['GITHUB_SHA'] ?? '';
  if (/pull_request_target/.test(eventName)) ref = `refs/pull/${String(dig(payload, 'number'))}/merge`;
  const headSha = dig(payload, 'pull_request', 'head', 'sha');
  if (
    /true/i.test(env['DOCKER_METADATA_PR_HEAD_SHA'] ?? '') &&
    /pull_request/.test(eventName) &&
    headSha !== undefined &&
    headSha !== null
  )
    sha = typeof headSha === 'string' ? headSha : JSON.stringify(headSha);
  return {eventName, ref, sha, payload, repository: env['GITHUB_REPOSITORY'] ?? ''};
}

function timestamp(v: unknown): Date | undefined {
  if (typeof v !== 'string') return undefined;
  const d = new Date(v);
  return isNaN(d.getTime()) ? undefined : d;
}

/**
 * The commit's date as the payload records it: the `commits[]` entry of the sha, else `head_commit` when it is
 * that commit (push events); undefined otherwise (the caller then asks the API).
 */
export function commitDateFromPayload(ctx: GitContext): Date | undefined {
  const commits = dig(ctx.payload, 'commits');
  if (Array.isArray(commits)) {
    const d = timestamp(
      dig(
        (commits as unknown[]).find(x => dig(x, 'id') === ctx.sha),
        'timestamp'
      )
    );
    if (d) return d;
  }
  if (dig(ctx.payload, 'head_commit', 'id') === ctx.sha) return timestamp(dig(ctx.payload, 'head_commit', 'timestamp'));
  return undefined;
}

/** DOCKER_METADATA_SHORT_SHA_LENGTH (default 7) and DOCKER_METADATA_ANNOTATIONS_LEVELS (default manifest). */
export function metaOptionsFromEnv(env: Env): MetaOptions {
  const raw = env['DOCKER_METADATA_SHORT_SHA_LENGTH'];
  let shortShaLength = 7;
  if (raw) {
    shortShaLength = Number(raw);
    if (isNaN(shortShaLength))
      throw new InputError(
        'DOCKER_METADATA_SHORT_SHA_LENGTH',
        `DOCKER_METADATA_SHORT_SHA_LENGTH: "${raw}" is not a number; set it to how many characters of the commit sha to use, e.g. 12`
      );
  }
  const levels = env['DOCKER_METADATA_ANNOTATIONS_LEVELS'];
  return {shortShaLength, annotationLevels: levels ? levels.split(',') : ['manifest']};
}

/** The GitHub Actions runner's context: its GITHUB_* variables and the event payload at GITHUB_EVENT_PATH. */
export function githubContext(env: Env, tempDir: string): RunContext {
  const payload = readEventPayload(env['GITHUB_EVENT_PATH']);
  const git = resolveGitContext(env, payload);
  const priv = dig(payload, 'repository', 'private');
  return {
    ci: 'github',
    git,
    apiUrl: env['GITHUB_API_URL'] || DEFAULT_API_URL,
    commitDate: commitDateFromPayload(git),
    run: {id: env['GITHUB_RUN_ID'] || 'local', attempt: env['GITHUB_RUN_ATTEMPT'] || '1'},
    identity: oidcAvailable(env) ? 'github-oidc' : 'none',
    repoPrivate: typeof priv === 'boolean' ? priv : undefined,
    defaults: {},
    tempDir
  };
}

/** What GitHub itself says of the repository without its API: the name and the web address. */
export function githubFactsWithoutApi(env: Env, repository: string): {name?: string; html_url?: string} {
  if (!repository) return {};
  const server = (env['GITHUB_SERVER_URL'] || 'https://github.com').replace(/\/+$/, '');
  return {name: repository.split('/').pop(), html_url: `${server}/${repository}`};
}
