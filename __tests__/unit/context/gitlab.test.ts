import {gitlabContext, isGitLab} from '../../../src/context/gitlab';
import {localRef, repositoryFromRemote} from '../../../src/context/local';
import {computeMetadata} from '../../../src/meta/engine';

const base = {
  GITLAB_CI: 'true',
  CI_COMMIT_SHA: '90dd6032fac8bda1b6c4436a2e65de27961ed071',
  CI_DEFAULT_BRANCH: 'main',
  CI_PROJECT_PATH: 'group/app',
  CI_PROJECT_URL: 'https://gitlab.example.com/group/app',
  CI_PROJECT_TITLE: 'App',
  CI_PROJECT_DESCRIPTION: 'An app',
  CI_PROJECT_VISIBILITY: 'private',
  CI_PIPELINE_ID: '4711',
  CI_REGISTRY: 'registry.example.com',
  CI_REGISTRY_IMAGE: 'registry.example.com/group/app',
  CI_REGISTRY_USER: 'gitlab-ci-token',
  CI_REGISTRY_PASSWORD: 'job-token'
};

test('isGitLab reads GITLAB_CI', () => {
  expect([isGitLab({GITLAB_CI: 'true'}), isGitLab({}), isGitLab({GITLAB_CI: 'false'})]).toEqual([true, false, false]);
});

test.each<[string, Record<string, string>, {eventName: string; ref: string}]>([
  [
    'a tag pipeline is a tag push',
    {CI_COMMIT_TAG: 'v1.2.3', CI_COMMIT_REF_NAME: 'v1.2.3'},
    {eventName: 'push', ref: 'refs/tags/v1.2.3'}
  ],
  [
    'a merge request pipeline is a pull request',
    {CI_MERGE_REQUEST_IID: '17', CI_COMMIT_REF_NAME: 'feature'},
    {eventName: 'pull_request', ref: 'refs/pull/17/merge'}
  ],
  ['a branch pipeline is a branch push', {CI_COMMIT_BRANCH: 'main'}, {eventName: 'push', ref: 'refs/heads/main'}],
  [
    'CI_COMMIT_REF_NAME when CI_COMMIT_BRANCH is not set',
    {CI_COMMIT_REF_NAME: 'dev'},
    {eventName: 'push', ref: 'refs/heads/dev'}
  ],
  [
    'a scheduled pipeline is a schedule',
    {CI_COMMIT_BRANCH: 'main', CI_PIPELINE_SOURCE: 'schedule'},
    {eventName: 'schedule', ref: 'refs/heads/main'}
  ]
])('%s', (_name, extra, expected) => {
  const ctx = gitlabContext({...base, ...extra}, '/tmp');
  expect({eventName: ctx.git.eventName, ref: ctx.git.ref}).toEqual(expected);
  expect(ctx.git.sha).toBe(base.CI_COMMIT_SHA);
  expect(ctx.git.repository).toBe('group/app');
});

test('repository facts, run, defaults and identity come from CI_* variables, with no API', () => {
  const ctx = gitlabContext({...base, CI_COMMIT_BRANCH: 'main', SIGSTORE_ID_TOKEN: 'x.y.z'}, '/tmp');
  expect(ctx).toMatchObject({
    ci: 'gitlab',
    facts: {name: 'App', description: 'An app', html_url: base.CI_PROJECT_URL, default_branch: 'main'},
    run: {id: '4711', attempt: '1'},
    identity: 'env-token',
    repoPrivate: true,
    defaults: {
      images: 'registry.example.com/group/app',
      registry: 'registry.example.com',
      username: 'gitlab-ci-token',
      password: 'job-token'
    }
  });
  expect(ctx.apiUrl).toBeUndefined();
});

test.each<[string, Record<string, string>, string[], string[]]>([
  [
    'a tag gives semver tags',
    {CI_COMMIT_TAG: 'v1.2.3'},
    ['type=semver,pattern={{version}}', 'type=sha'],
    ['1.2.3', 'sha-90dd603', 'latest']
  ],
  ['a merge request gives pr-<iid>', {CI_MERGE_REQUEST_IID: '17'}, ['type=ref,event=pr'], ['pr-17']],
  ['the default branch is edge', {CI_COMMIT_BRANCH: 'main'}, ['type=edge', 'type=ref,event=branch'], ['edge', 'main']]
])('through the metadata engine: %s', (_name, extra, tags, expected) => {
  const ctx = gitlabContext({...base, ...extra}, '/tmp');
  const now = new Date('2026-01-01T00:00:00Z');
  const m = computeMetadata(
    {images: ['registry.example.com/group/app'], tags, flavor: [], labels: [], annotations: []},
    ctx.git,
    ctx.facts ?? {},
    {now, commitDate: now},
    {shortShaLength: 7, annotationLevels: ['manifest']}
  );
  expect(m.tagNames).toEqual(expected);
  expect(m.json.labels).toMatchObject({
    'org.opencontainers.image.revision': base.CI_COMMIT_SHA,
    'org.opencontainers.image.source': base.CI_PROJECT_URL,
    'org.opencontainers.image.title': 'App'
  });
});

test.each<[string[], string, {eventName: string; ref: string}]>([
  [['v1.0.0'], 'main', {eventName: 'push', ref: 'refs/tags/v1.0.0'}],
  [['v1.9.0', 'v1.10.0'], 'main', {eventName: 'push', ref: 'refs/tags/v1.10.0'}],
  [[], 'main', {eventName: 'push', ref: 'refs/heads/main'}],
  [[''], '', {eventName: '', ref: ''}]
])('local: tags %j on branch %j', (tags, branch, expected) => {
  expect(localRef(tags, branch)).toEqual(expected);
});

test.each([
  ['https://github.com/owner/app.git', 'owner/app', 'https://github.com/owner/app'],
  ['git@gitlab.com:group/sub/app.git', 'group/sub/app', 'https://gitlab.com/group/sub/app'],
  ['https://user:token@git.example.com/o/a', 'o/a', 'https://git.example.com/o/a'],
  ['', '', '']
])('local: remote %j', (url, repository, htmlUrl) => {
  expect(repositoryFromRemote(url)).toEqual({repository, htmlUrl});
});
