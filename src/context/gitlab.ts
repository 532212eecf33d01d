/**
 * GitLab CI's predefined variables mapped onto the git context the metadata engine knows (GitHub's terms), with no
 * API call: a tag pipeline is a tag push, a merge request pipeline a pull request (`type=ref,event=pr` gives
 * pr-<iid>), a scheduled pipeline a schedule, anything else a branch push. Pure.
 */
import {RunContext} from './types';

type Env = Record<string, string | undefined>;

export function isGitLab(env: Env): boolean {
  return env['GITLAB_CI'] === 'true';
}

export function gitlabContext(env: Env, tempDir: string): RunContext {
  const v = (k: string): string => env[k] ?? '';
  const sha = v('CI_COMMIT_SHA');
  const defaultBranch = v('CI_DEFAULT_BRANCH');
  const visibility = v('CI_PROJECT_VISIBILITY');
  const repository = {
    default_branch: defaultBranch,
    html_url: v('CI_PROJECT_URL'),
    ...(visibility ? {private: visibility !== 'public'} : {})
  };
  let eventName: string;
  let ref: string;
  const payload: Record<string, unknown> = {repository};
  if (v('CI_COMMIT_TAG')) {
    eventName = 'push';
    ref = `refs/tags/${v('CI_COMMIT_TAG')}`;
  } else if (v('CI_MERGE_REQUEST_IID')) {
    const iid = Number(v('CI_MERGE_REQUEST_IID'));
    eventName = 'pull_request';
    ref = `refs/pull/${iid}/merge`;
    payload['number'] = iid;
    payload['pull_request'] = {
      number: iid,
      head: {ref: v('CI_MERGE_REQUEST_SOURCE_BRANCH_NAME'), sha: v('CI_MERGE_REQUEST_SOURCE_BRANCH_SHA') || sha},
      base: {ref: v('CI_MERGE_REQUEST_TARGET_BRANCH_NAME')}
    };
  } else {
    eventName = v('CI_PIPELINE_SOURCE') === 'schedule' ? 'schedule' : 'push';
    ref = `refs/heads/${v('CI_COMMIT_BRANCH') || v('CI_COMMIT_REF_NAME')}`;
  }
  const defaults: Record<string, string> = {};
  for (const [input, variable] of [
    ['images', 'CI_REGISTRY_IMAGE'],
    ['registry', 'CI_REGISTRY'],
    ['username', 'CI_REGISTRY_USER'],
    ['password', 'CI_REGISTRY_PASSWORD']
  ] as const) {
    if (v(variable)) defaults[input] = v(variable);
  }
  return {
    ci: 'gitlab',
    git: {eventName, ref, sha, payload, repository: v('CI_PROJECT_PATH')},
    facts: {
      name: v('CI_PROJECT_TITLE') || v('CI_PROJECT_NAME') || v('CI_PROJECT_PATH').split('/').pop(),
      description: v('CI_PROJECT_DESCRIPTION'),
      html_url: v('CI_PROJECT_URL'),
      default_branch: defaultBranch
    },
    commitDate: v('CI_COMMIT_TIMESTAMP') ? new Date(v('CI_COMMIT_TIMESTAMP')) : undefined,
    run: {id: v('CI_PIPELINE_ID') || 'local', attempt: '1'},
    identity: v('SIGSTORE_ID_TOKEN') ? 'env-token' : 'none',
    repoPrivate: visibility ? visibility !== 'public' : undefined,
    defaults,
    tempDir
  };
}
