/** The git context of the run, from the runner's environment and the event payload, with metadata-action's overrides. */
import * as fs from 'node:fs';
import {InputError} from './errors';
import {GitContext, MetaOptions} from './meta/types';

type Env = Record<string, string | undefined>;

/** The event payload at GITHUB_EVENT_PATH, or {} when there is none. */
export function readEventPayload(file: string | undefined): Record<string, unknown> {
  if (!file || !fs.existsSync(file)) return {};
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

function dig(o: unknown, ...keys: string[]): unknown {
  let cur = o;
  for (const k of keys) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

/**
 * pull_request_target runs on the base branch, so its ref becomes the PR's merge ref; with
 * DOCKER_METADATA_PR_HEAD_SHA=true a pull request event uses the head commit instead of the merge commit.
 */
export function resolveGitContext(env: Env, payload: Record<string, unknown>): GitContext {
  const eventName = env['GITHUB_EVENT_NAME'] ?? '';
  let ref = env['GITHUB_REF'] ?? '';
  let sha = env['GITHUB_SHA'] ?? '';
  if (/pull_request_target/.test(eventName)) ref = `refs/pull/${String(dig(payload, 'number'))}/merge`;
  const headSha = dig(payload, 'pull_request', 'head', 'sha');
  if (/true/i.test(env['DOCKER_METADATA_PR_HEAD_SHA'] ?? '') && /pull_request/.test(eventName) && headSha !== undefined)
    sha = typeof headSha === 'string' ? headSha : JSON.stringify(headSha);
  return {eventName, ref, sha, payload, repository: env['GITHUB_REPOSITORY'] ?? ''};
}

/** The commit's date as the payload records it (push events), or undefined. */
export function commitDateFromPayload(ctx: GitContext): Date | undefined {
  const commits = dig(ctx.payload, 'commits');
  if (Array.isArray(commits)) {
    const c = commits.find(x => dig(x, 'id') === ctx.sha) as unknown;
    const ts = dig(c, 'timestamp');
    if (typeof ts === 'string') return new Date(ts);
  }
  if (dig(ctx.payload, 'head_commit', 'id') === ctx.sha) {
    const ts = dig(ctx.payload, 'head_commit', 'timestamp');
    if (typeof ts === 'string') return new Date(ts);
  }
  return undefined;
}

export function metaOptionsFromEnv(env: Env): MetaOptions {
  const raw = env['DOCKER_METADATA_SHORT_SHA_LENGTH'];
  let shortShaLength = 7;
  if (raw !== undefined && raw !== '') {
    shortShaLength = Number(raw);
    if (isNaN(shortShaLength))
      throw new InputError(
        'DOCKER_METADATA_SHORT_SHA_LENGTH',
        `DOCKER_METADATA_SHORT_SHA_LENGTH: "${raw}" is not a number`
      );
  }
  const levels = env['DOCKER_METADATA_ANNOTATIONS_LEVELS'];
  return {shortShaLength, annotationLevels: levels ? levels.split(',') : ['manifest']};
}
