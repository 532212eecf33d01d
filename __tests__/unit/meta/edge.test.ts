/**
 * The metadata edge (src/metadata.ts, src/github-api.ts): the clock, the outputs and their env mirror, and the
 * repository facts / commit date from a loopback GitHub API stub, including its failures.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {fetchCommitDate, fetchRepoFacts, GitHubApiError} from '../../../src/context/github-api';
import {
  metadataEnvExports,
  metadataOutputs,
  nowFromEnv,
  resolveMetadata,
  usesCommitDate
} from '../../../src/meta/resolve';
import {Metadata, MetaInputs} from '../../../src/meta/types';
import {githubContext, metaOptionsFromEnv} from '../../../src/context/github';
import {parseConfig} from '../../../src/config/inputs';
import {ApiStub, startGitHubApiStub} from '../../helpers/github-api-stub';

const SHA = '860c1904a1ce19322e91ac35af1ab07466440c37';
const REPO = {
  name: 'Hello-World',
  description: 'This your first repo!',
  html_url: 'https://github.com/octocat/Hello-World',
  default_branch: 'master',
  license: {spdx_id: 'MIT'}
};

describe('nowFromEnv', () => {
  test.each<[string, string, string]>([
    ['seconds', '1578616200', '2020-01-10T00:30:00.000Z'],
    ['zero', '0', '1970-01-01T00:00:00.000Z'],
    ['surrounding spaces', ' 1578616200 ', '2020-01-10T00:30:00.000Z']
  ])('%s', (_name, value, expected) => {
    expect(nowFromEnv({SOURCE_DATE_EPOCH: value}).toISOString()).toBe(expected);
  });

  test('unset or empty: the clock', () => {
    const before = Date.now();
    const now = [nowFromEnv({}), nowFromEnv({SOURCE_DATE_EPOCH: ''})].map(d => d.getTime());
    expect(now.every(t => t >= before && t <= Date.now())).toBe(true);
  });

  test.each([['1578616200.5'], ['-1'], ['2020-01-10'], ['1e9'], ['99999999999999999999']])('%j is refused', value => {
    expect(() => nowFromEnv({SOURCE_DATE_EPOCH: value})).toThrow(
      /^SOURCE_DATE_EPOCH: ".*" is not a whole number of seconds since 1970-01-01T00:00:00Z/
    );
  });
});

const meta: Metadata = {
  version: {main: '1.2.3', partial: ['1.2'], latest: true},
  images: ['user/app'],
  tags: ['user/app:1.2.3', 'user/app:1.2', 'user/app:latest'],
  tagNames: ['1.2.3', '1.2', 'latest'],
  labels: ['a=1', 'b=x=y'],
  annotations: ['manifest:a=1', 'index:a=1'],
  json: {tags: ['user/app:1.2.3'], 'tag-names': ['1.2.3'], labels: {a: '1'}, annotations: ['manifest:a=1']},
  warnings: []
};

describe('metadataOutputs', () => {
  test.each<[string, Metadata, {tags: string; labels: string; annotations: string}, Record<string, string>]>([
    [
      'newline separators',
      meta,
      {tags: '\n', labels: '\n', annotations: '\n'},
      {
        version: '1.2.3',
        tags: 'user/app:1.2.3\nuser/app:1.2\nuser/app:latest',
        'tag-names': '1.2.3\n1.2\nlatest',
        labels: 'a=1\nb=x=y',
        annotations: 'manifest:a=1\nindex:a=1',
        json: '{"tags":["user/app:1.2.3"],"tag-names":["1.2.3"],"labels":{"a":"1"},"annotations":["manifest:a=1"]}'
      }
    ],
    [
      'no version, other separators',
      {...meta, version: {partial: [], latest: false}, tags: [], tagNames: []},
      {tags: ',', labels: ';', annotations: ' '},
      {
        version: '',
        tags: '',
        'tag-names': '',
        labels: 'a=1;b=x=y',
        annotations: 'manifest:a=1 index:a=1',
        json: '{"tags":["user/app:1.2.3"],"tag-names":["1.2.3"],"labels":{"a":"1"},"annotations":["manifest:a=1"]}'
      }
    ]
  ])('%s', (_name, m, seps, expected) => {
    expect(metadataOutputs(m, seps)).toEqual(expected);
  });
});

describe('metadataEnvExports', () => {
  const outputs = {version: '1', 'tag-names': 'a', json: '{}'};
  const all = {
    DOCKER_METADATA_OUTPUT_VERSION: '1',
    DOCKER_METADATA_OUTPUT_TAG_NAMES: 'a',
    DOCKER_METADATA_OUTPUT_JSON: '{}'
  };
  test.each<[string, string | undefined, Record<string, string>]>([
    ['unset', undefined, all],
    ['empty', '', all],
    ['true', 'true', all],
    ['1', '1', all],
    ['T', 'T', all],
    ['false', 'false', {}],
    ['FALSE', 'FALSE', {}],
    ['0', '0', {}],
    ['f', 'f', {}]
  ])('%s', (_name, value, expected) => {
    expect(metadataEnvExports(outputs, {DOCKER_METADATA_SET_OUTPUT_ENV: value})).toEqual(expected);
  });

  test.each([['yes'], ['no'], ['tRue'], [' true']])('%j is refused', value => {
    expect(() => metadataEnvExports(outputs, {DOCKER_METADATA_SET_OUTPUT_ENV: value})).toThrow(
      /^DOCKER_METADATA_SET_OUTPUT_ENV: ".*" is not a boolean; write true or false/
    );
  });
});

const inputs = (over: Partial<MetaInputs> = {}): MetaInputs => ({
  images: ['user/app'],
  tags: ['type=ref,event=branch', 'type=edge'],
  flavor: [],
  labels: [],
  annotations: [],
  ...over
});

test.each<[string, MetaInputs, boolean]>([
  ['none', inputs(), false],
  ['in a tag', inputs({tags: ["type=raw,value={{commit_date 'YYYYMMDD'}}"]}), true],
  ['in a label', inputs({labels: ["built={{commit_date 'YYYY'}}"]}), true],
  ['in the flavor', inputs({flavor: ["suffix=-{{commit_date 'X'}}"]}), true]
])('usesCommitDate: %s', (_name, i, expected) => {
  expect(usesCommitDate(i)).toBe(expected);
});

describe('resolveMetadata against a loopback API', () => {
  let api: ApiStub;
  let dir: string;
  const now = new Date('2020-01-10T00:30:00Z');
  beforeAll(async () => {
    api = await startGitHubApiStub(REPO, '2019-05-06T07:08:09Z');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-meta-'));
  });
  afterAll(async () => {
    await api.close();
    fs.rmSync(dir, {recursive: true, force: true});
  });
  beforeEach(() => {
    api.requests.length = 0;
    api.behaviour.status = undefined;
    api.behaviour.hang = undefined;
  });

  const env = (payload: Record<string, unknown>, extra: Record<string, string> = {}): Record<string, string> => {
    const eventPath = path.join(dir, `event-${Math.random().toString(16).slice(2)}.json`);
    fs.writeFileSync(eventPath, JSON.stringify(payload));
    return {
      GITHUB_EVENT_NAME: 'push',
      GITHUB_REF: 'refs/heads/master',
      GITHUB_SHA: SHA,
      GITHUB_REPOSITORY: 'octocat/Hello-World',
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_API_URL: api.url,
      ...extra
    };
  };

  const resolveFromEnv = (a: {
    inputs: MetaInputs;
    env: Record<string, string>;
    githubToken: string;
    now: Date;
  }): ReturnType<typeof resolveMetadata> =>
    resolveMetadata({...a, ctx: githubContext(a.env, os.tmpdir()), opts: metaOptionsFromEnv(a.env)});

  test('repository facts feed the labels and type=edge; the token is a bearer header', async () => {
    const m = await resolveFromEnv({inputs: inputs(), env: env({}), githubToken: 'ghs_secret', now});
    expect({tagNames: m.tagNames, labels: m.labels, warnings: m.warnings}).toEqual({
      tagNames: ['edge', 'master'],
      labels: [
        'org.opencontainers.image.created=2020-01-10T00:30:00.000Z',
        'org.opencontainers.image.description=This your first repo!',
        'org.opencontainers.image.licenses=MIT',
        `org.opencontainers.image.revision=${SHA}`,
        'org.opencontainers.image.source=https://github.com/octocat/Hello-World',
        'org.opencontainers.image.title=Hello-World',
        'org.opencontainers.image.url=https://github.com/octocat/Hello-World',
        'org.opencontainers.image.version=edge'
      ],
      warnings: []
    });
    expect(api.requests.map(r => [r.method, r.url, r.headers['authorization'], r.headers['user-agent']])).toEqual([
      ['GET', '/repos/octocat/Hello-World', 'Bearer ghs_secret', 'publish-image']
    ]);
  });

  test('no token, no Authorization header', async () => {
    await resolveFromEnv({inputs: inputs(), env: env({}), githubToken: '', now});
    expect(api.requests.map(r => r.headers['authorization'])).toEqual([undefined]);
  });

  test.each<[string, Record<string, unknown>, string[], string[]]>([
    [
      'from the API when the payload lacks it',
      {},
      ['20190506'],
      ['/repos/octocat/Hello-World', `/repos/octocat/Hello-World/commits/${SHA}`]
    ],
    [
      'from the payload when it has it',
      {head_commit: {id: SHA, timestamp: '2022-04-19T11:04:39+02:00'}},
      ['20220419'],
      ['/repos/octocat/Hello-World']
    ]
  ])('{{commit_date}} %s', async (_name, payload, tagNames, urls) => {
    const m = await resolveFromEnv({
      inputs: inputs({tags: ["type=raw,value={{commit_date 'YYYYMMDD'}}"]}),
      env: env(payload),
      githubToken: '',
      now
    });
    expect({tagNames: m.tagNames, urls: api.requests.map(r => r.url).sort()}).toEqual({tagNames, urls});
  });

  test('no GITHUB_REPOSITORY: no request, no repository labels', async () => {
    const m = await resolveFromEnv({inputs: inputs(), env: env({}, {GITHUB_REPOSITORY: ''}), githubToken: 't', now});
    expect({
      requests: api.requests.length,
      tagNames: m.tagNames,
      title: m.json.labels['org.opencontainers.image.title']
    }).toEqual({
      requests: 0,
      tagNames: ['master'],
      title: ''
    });
  });

  test('an API failure is a warning, never an error, and never shows the token', async () => {
    api.behaviour.status = 500;
    const m = await resolveFromEnv({
      inputs: inputs({tags: ["type=raw,value={{commit_date 'YYYYMMDD'}}"]}),
      env: env({}),
      githubToken: 'ghs_secret',
      now
    });
    expect({tagNames: m.tagNames, warnings: m.warnings}).toEqual({
      tagNames: ['20200110'],
      warnings: [
        `could not read repository facts from GITHUB_API_URL (${api.url}): GET ${api.url}/repos/octocat/Hello-World: HTTP 500: stub failure; ` +
          'the description and licenses labels are left out (title, url and source come from the runner), and type=edge without branch= has no default branch',
        `could not read the date of commit ${SHA} from GITHUB_API_URL (${api.url}): GET ${api.url}/repos/octocat/Hello-World/commits/${SHA}: HTTP 500: stub failure; {{commit_date}} uses the current time`
      ]
    });
  });

  test('an unreachable API is a warning', async () => {
    const m = await resolveFromEnv({
      inputs: inputs(),
      env: env({}, {GITHUB_API_URL: 'http://127.0.0.1:9'}),
      githubToken: '',
      now
    });
    expect(m.warnings).toEqual([
      expect.stringMatching(
        /^could not read repository facts from GITHUB_API_URL \(http:\/\/127\.0\.0\.1:9\): GET .*ECONNREFUSED/
      )
    ]);
  });

  test('invalid configuration fails in parseConfig, before any request can be made', () => {
    expect(() => parseConfig({tags: 'type=foo'})).toThrow(/^tags: "type=foo": unknown type/);
    expect(api.requests).toHaveLength(0);
  });

  test('an API failure keeps the title, url and source labels the runner knows', async () => {
    api.behaviour.status = 500;
    const m = await resolveFromEnv({inputs: inputs(), env: env({}), githubToken: '', now});
    expect(m.json.labels).toMatchObject({
      'org.opencontainers.image.title': 'Hello-World',
      'org.opencontainers.image.url': 'https://github.com/octocat/Hello-World',
      'org.opencontainers.image.source': 'https://github.com/octocat/Hello-World'
    });
  });

  test.each<[string, number, RegExp]>([
    [
      'a refused token',
      401,
      /^GET http:\/\/127\.0\.0\.1:\d+\/repos\/octocat\/Hello-World: HTTP 401: stub failure \(the github-token was refused\)$/
    ],
    ['a private repository without token', 404, /HTTP 404: stub failure \(a private repository needs a github-token\)$/]
  ])('fetchRepoFacts: %s', async (_name, status, message) => {
    api.behaviour.status = status;
    await expect(fetchRepoFacts({apiUrl: api.url, repository: 'octocat/Hello-World', token: ''})).rejects.toThrow(
      message
    );
  });

  test('fetchRepoFacts gives up after its timeout with a typed error', async () => {
    api.behaviour.hang = true;
    const e: unknown = await fetchRepoFacts({
      apiUrl: api.url,
      repository: 'octocat/Hello-World',
      token: 'x',
      timeoutMs: 200
    }).catch((err: unknown) => err);
    expect({
      type: e instanceof GitHubApiError,
      message: (e as Error).message,
      status: (e as GitHubApiError).status
    }).toEqual({
      type: true,
      message: `GET ${api.url}/repos/octocat/Hello-World: no answer within 0.2 s`,
      status: undefined
    });
  });

  test('fetchCommitDate reads the committer date', async () => {
    const d = await fetchCommitDate({apiUrl: `${api.url}/`, repository: 'octocat/Hello-World', token: '', sha: SHA});
    expect(d.toISOString()).toBe('2019-05-06T07:08:09.000Z');
  });
});
