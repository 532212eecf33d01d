/** The git context from the runner's environment and payload, with metadata-action's overrides (SPEC §2.1). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  commitDateFromPayload,
  metaOptionsFromEnv,
  readEventPayload,
  resolveGitContext
} from '../../../src/context/github';
import {GitContext} from '../../../src/meta/types';

const SHA = '860c1904a1ce19322e91ac35af1ab07466440c37';
const HEAD = 'a9c8c5828b91be19d9728548b24759e352367ef1';
type Env = Record<string, string>;

describe('resolveGitContext', () => {
  const prPayload = {number: 15, pull_request: {head: {sha: HEAD}, base: {ref: 'main'}}};
  test.each<[string, Env, Record<string, unknown>, Pick<GitContext, 'eventName' | 'ref' | 'sha' | 'repository'>]>([
    [
      'push: as the runner says',
      {GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/heads/dev', GITHUB_SHA: SHA, GITHUB_REPOSITORY: 'o/r'},
      {},
      {eventName: 'push', ref: 'refs/heads/dev', sha: SHA, repository: 'o/r'}
    ],
    ['nothing set', {}, {}, {eventName: '', ref: '', sha: '', repository: ''}],
    [
      'pull_request_target: the merge ref of the PR, not the base branch',
      {GITHUB_EVENT_NAME: 'pull_request_target', GITHUB_REF: 'refs/heads/main', GITHUB_SHA: SHA},
      prPayload,
      {eventName: 'pull_request_target', ref: 'refs/pull/15/merge', sha: SHA, repository: ''}
    ],
    [
      'pull_request_target without a number (as upstream: the literal undefined)',
      {GITHUB_EVENT_NAME: 'pull_request_target', GITHUB_REF: 'refs/heads/main'},
      {},
      {eventName: 'pull_request_target', ref: 'refs/pull/undefined/merge', sha: '', repository: ''}
    ],
    [
      'PR head sha on request',
      {
        GITHUB_EVENT_NAME: 'pull_request',
        GITHUB_REF: 'refs/pull/15/merge',
        GITHUB_SHA: SHA,
        DOCKER_METADATA_PR_HEAD_SHA: 'true'
      },
      prPayload,
      {eventName: 'pull_request', ref: 'refs/pull/15/merge', sha: HEAD, repository: ''}
    ],
    [
      'PR head sha: the flag is a case-insensitive substring test',
      {GITHUB_EVENT_NAME: 'pull_request_review', GITHUB_SHA: SHA, DOCKER_METADATA_PR_HEAD_SHA: 'TRUEish'},
      prPayload,
      {eventName: 'pull_request_review', ref: '', sha: HEAD, repository: ''}
    ],
    [
      'PR head sha: not for other events',
      {GITHUB_EVENT_NAME: 'push', GITHUB_SHA: SHA, DOCKER_METADATA_PR_HEAD_SHA: 'true'},
      prPayload,
      {eventName: 'push', ref: '', sha: SHA, repository: ''}
    ],
    [
      'PR head sha: off',
      {GITHUB_EVENT_NAME: 'pull_request', GITHUB_SHA: SHA, DOCKER_METADATA_PR_HEAD_SHA: 'false'},
      prPayload,
      {eventName: 'pull_request', ref: '', sha: SHA, repository: ''}
    ],
    [
      'PR head sha: a null head sha is ignored',
      {GITHUB_EVENT_NAME: 'pull_request', GITHUB_SHA: SHA, DOCKER_METADATA_PR_HEAD_SHA: 'true'},
      {pull_request: {head: {sha: null}}},
      {eventName: 'pull_request', ref: '', sha: SHA, repository: ''}
    ]
  ])('%s', (_name, env, payload, expected) => {
    const ctx = resolveGitContext(env, payload);
    expect({eventName: ctx.eventName, ref: ctx.ref, sha: ctx.sha, repository: ctx.repository}).toEqual(expected);
  });
});

describe('commitDateFromPayload', () => {
  const ctx = (payload: Record<string, unknown>): GitContext => ({
    eventName: 'push',
    ref: '',
    sha: SHA,
    payload,
    repository: ''
  });
  test.each<[string, Record<string, unknown>, string | undefined]>([
    [
      'the commits[] entry of the sha',
      {
        commits: [
          {id: 'x', timestamp: '2021-01-01T00:00:00Z'},
          {id: SHA, timestamp: '2022-04-19T11:04:39+02:00'}
        ]
      },
      '2022-04-19T09:04:39.000Z'
    ],
    [
      'head_commit when it is the sha',
      {head_commit: {id: SHA, timestamp: '2022-04-19T11:04:39+02:00'}},
      '2022-04-19T09:04:39.000Z'
    ],
    [
      'head_commit when commits[] does not have it',
      {
        commits: [{id: 'x', timestamp: '2021-01-01T00:00:00Z'}],
        head_commit: {id: SHA, timestamp: '2020-01-01T00:00:00Z'}
      },
      '2020-01-01T00:00:00.000Z'
    ],
    [
      'head_commit when the commits[] entry has no timestamp',
      {commits: [{id: SHA}], head_commit: {id: SHA, timestamp: '2020-01-01T00:00:00Z'}},
      '2020-01-01T00:00:00.000Z'
    ],
    ['another head commit', {head_commit: {id: 'x', timestamp: '2020-01-01T00:00:00Z'}}, undefined],
    ['an unreadable timestamp', {head_commit: {id: SHA, timestamp: 'yesterday'}}, undefined],
    ['no commit in the payload', {}, undefined]
  ])('%s', (_name, payload, expected) => {
    expect(commitDateFromPayload(ctx(payload))?.toISOString()).toEqual(expected);
  });
});

describe('readEventPayload', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-payload-'));
  afterAll(() => fs.rmSync(dir, {recursive: true, force: true}));
  const file = (name: string, content: string): string => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, content);
    return p;
  };

  test.each<[string, () => string | undefined, Record<string, unknown>]>([
    ['a payload', () => file('ok.json', '{"number": 7}'), {number: 7}],
    ['no path', () => undefined, {}],
    ['a missing file', () => path.join(dir, 'missing.json'), {}],
    ['not JSON', () => file('bad.json', '{'), {}],
    ['JSON but not an object', () => file('array.json', '[1]'), {}],
    ['JSON null', () => file('null.json', 'null'), {}]
  ])('%s', (_name, where, expected) => {
    expect(readEventPayload(where())).toEqual(expected);
  });
});

describe('metaOptionsFromEnv', () => {
  test.each<[string, Env, {shortShaLength: number; annotationLevels: string[]}]>([
    ['defaults', {}, {shortShaLength: 7, annotationLevels: ['manifest']}],
    [
      'empty values are defaults',
      {DOCKER_METADATA_SHORT_SHA_LENGTH: '', DOCKER_METADATA_ANNOTATIONS_LEVELS: ''},
      {shortShaLength: 7, annotationLevels: ['manifest']}
    ],
    ['a length', {DOCKER_METADATA_SHORT_SHA_LENGTH: '12'}, {shortShaLength: 12, annotationLevels: ['manifest']}],
    [
      'levels, not trimmed',
      {DOCKER_METADATA_ANNOTATIONS_LEVELS: 'index,manifest-descriptor, manifest'},
      {shortShaLength: 7, annotationLevels: ['index', 'manifest-descriptor', ' manifest']}
    ]
  ])('%s', (_name, env, expected) => {
    expect(metaOptionsFromEnv(env)).toEqual(expected);
  });

  test.each<[string, RegExp]>([
    ['abc', /^DOCKER_METADATA_SHORT_SHA_LENGTH: "abc" is not a number; set it to how many characters/],
    ['7x', /^DOCKER_METADATA_SHORT_SHA_LENGTH: "7x" is not a number/]
  ])('short sha length %j', (value, message) => {
    expect(() => metaOptionsFromEnv({DOCKER_METADATA_SHORT_SHA_LENGTH: value})).toThrow(message);
  });
});
