/**
 * docker/metadata-action's own test cases, replayed black-box through the bundled action in dry-run mode, by the
 * protocol of test/conformance/metadata-action/README.md: the case's env as the whole environment, its
 * payload at GITHUB_EVENT_PATH, its inputs as INPUT_*, SOURCE_DATE_EPOCH for "now", and a loopback GitHub API.
 */
import {runAction, RunResult} from '../helpers/harness';
import {ApiStub, startGitHubApiStub} from '../helpers/github-api-stub';
import {MetaCase, NOT_REPLAYABLE, NOT_REPLAYABLE_TABLES, vectors} from '../helpers/vectors';

const v = vectors();
const cases = v.cases.filter(c => !NOT_REPLAYABLE.has(c.id) && !NOT_REPLAYABLE_TABLES.has(c.table));
const results = new Map<string, RunResult>();
let api: ApiStub;

async function replay(c: MetaCase): Promise<RunResult> {
  const inputs: Record<string, string> = {'dry-run': 'true'};
  for (const [k, val] of Object.entries(c.actionInputs)) {
    if (k === 'context' || k === 'bake-target' || k.includes('__')) continue;
    inputs[k] = val;
  }
  return runAction({
    event: {name: '', ref: '', sha: '', payload: c.event ?? {}},
    inputs,
    withDefaults: false,
    post: false,
    replaceEnv: {...c.env, SOURCE_DATE_EPOCH: '1578616200', GITHUB_API_URL: api.url}
  });
}

beforeAll(async () => {
  api = await startGitHubApiStub(v.globalMocks.repo, '2020-01-10T00:30:00Z');
  const queue = [...cases];
  await Promise.all(
    Array.from({length: 4}, async () => {
      for (let c = queue.shift(); c; c = queue.shift()) results.set(c.id, await replay(c));
    })
  );
});

afterAll(async () => {
  await api.close();
});

test('117 cases are replayable', () => {
  expect(cases).toHaveLength(117);
});

test.each(cases.map(c => [c.id, c] as const))('%s', (_id, c) => {
  const r = results.get(c.id) as RunResult;
  const out = r.main.outputs;
  expect({exitCode: r.main.exitCode, errors: r.main.stdout.split('\n').filter(l => l.startsWith('::error'))}).toEqual({
    exitCode: 0,
    errors: []
  });
  const d = c.derived!;
  const sepTags = c.inputs.sepTags;
  const sepLabels = c.inputs.sepLabels;
  expect({
    version: out['version'],
    tags: out['tags'],
    'tag-names': out['tag-names'],
    labels: out['labels'],
    annotations: out['annotations'],
    json: JSON.parse(out['json'] ?? 'null') as unknown
  }).toEqual({
    version: d.version.main ?? '',
    tags: d.tags.join(sepTags),
    'tag-names': d.tagNames.join(sepTags),
    labels: d.labels.join(sepLabels),
    annotations: d.annotations.map(a => `manifest:${a}`).join(c.inputs.sepAnnotations),
    json: d.json
  });
  // what upstream itself asserts, where it asserts it
  const e = c.expected as {tags?: string[]; labels?: string[]; json?: unknown; tagsJoined?: string};
  const asserted: Record<string, unknown> = {};
  const actual: Record<string, unknown> = {};
  if (e.tags) [asserted['tags'], actual['tags']] = [e.tags.join(sepTags), out['tags']];
  if (e.labels) [asserted['labels'], actual['labels']] = [e.labels.join(sepLabels), out['labels']];
  if (e.json) [asserted['json'], actual['json']] = [e.json, JSON.parse(out['json'] ?? 'null') as unknown];
  if (e.tagsJoined !== undefined) [asserted['tagsJoined'], actual['tagsJoined']] = [e.tagsJoined, out['tags']];
  expect(actual).toEqual(asserted);
});

test('metadata outputs are mirrored as DOCKER_METADATA_OUTPUT_* variables', () => {
  const r = results.get('tag/tag01') as RunResult;
  expect(r.main.exportedEnv['DOCKER_METADATA_OUTPUT_TAGS']).toBe(r.main.outputs['tags']);
  expect(r.main.exportedEnv['DOCKER_METADATA_OUTPUT_TAG_NAMES']).toBe(r.main.outputs['tag-names']);
  expect(r.main.exportedEnv['DOCKER_METADATA_OUTPUT_JSON']).toBe(r.main.outputs['json']);
});

test('the loopback API was asked once per case that has a repository, with GETs only and no token', () => {
  const withRepo = cases.filter(c => c.env['GITHUB_REPOSITORY']).length;
  const repoRequests = api.requests.filter(r => /^\/repos\/[^/]+\/[^/]+$/.test(r.url));
  expect({
    repoRequests: repoRequests.length,
    others: api.requests.filter(
      r => r.method !== 'GET' || !r.url.startsWith('/repos/') || r.headers['authorization'] !== undefined
    )
  }).toEqual({repoRequests: withRepo, others: []});
});
