/**
 * A runner whose Docker engine keeps images in the classic store (no containerd snapshotter) and has no
 * docker/setup-buildx-action builder: the second engine of scripts/test-env, in its own network namespace with its own
 * registry. The step runs in that namespace against that engine, and the registry is asked from inside it.
 */
import * as path from 'node:path';
import {errorLines, ROOT, runAction, RunResult, tagEvent} from '../helpers/harness';
import {buildCount, testEnv, uniqueRepo} from '../helpers/env';
import {classicEngine, nsManifest, nsTags} from '../helpers/classic';

const env = testEnv();
const classic = classicEngine(env);
const engine = {netns: classic.netns, dockerHost: classic.dockerHost};

const inputs = (repo: string, platforms: string): Record<string, string> => ({
  images: `${classic.registry}/${repo}`,
  // FROM 127.0.0.1:5000/base/busybox:latest: inside the namespace, the classic registry's own base image
  context: path.join(ROOT, 'test', 'fixture-app'),
  platforms,
  push: 'true',
  // the namespace's registry is open: pushed anonymously
  'registry-auth': `- registry: ${classic.registry}`
});

describe('classic image store: a single-platform publish', () => {
  const repo = uniqueRepo('classic-one');
  let run: RunResult;
  beforeAll(async () => {
    run = await runAction({event: tagEvent('v3.1.0'), inputs: inputs(repo, 'linux/amd64'), engine});
  });

  test('succeeds', () => {
    expect(errorLines(run.main.stdout)).toEqual([]);
    expect(run.main.exitCode).toBe(0);
    expect(run.main.outputs['digest']).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  test("the namespace's registry holds every tag, each at the output digest", () => {
    // publish-image-staging: the docker driver's staging tag (the data path's, kept where the registry cannot delete tags)
    expect(nsTags(classic, repo).filter(t => t !== 'publish-image-staging')).toEqual([
      '3',
      '3.1',
      '3.1.0',
      'latest',
      'sha-1a2b3c4'
    ]);
    for (const t of ['3', '3.1', '3.1.0', 'latest', 'sha-1a2b3c4'])
      expect(nsManifest(classic, repo, t).digest).toBe(run.main.outputs['digest']);
  });

  test('the post step succeeds', () => {
    expect(run.post?.exitCode).toBe(0);
  });
});

describe('classic image store: a two-platform request', () => {
  const repo = uniqueRepo('classic-two');
  let run: RunResult;
  beforeAll(async () => {
    run = await runAction({event: tagEvent('v3.2.0'), inputs: inputs(repo, 'linux/amd64,linux/arm64'), engine});
  });

  test('fails in preflight, before any build, naming docker/setup-buildx-action and the containerd image store', () => {
    expect(run.main.exitCode).not.toBe(0);
    const errors = errorLines(run.main.stdout).join('\n');
    expect(errors).toContain('docker/setup-buildx-action');
    expect(errors).toMatch(/containerd image store/);
    expect(buildCount(run.main.stdout + run.main.stderr)).toBe(0);
  });

  test('the summary says it failed in preflight and nothing was built or pushed', () => {
    expect(run.main.summary).toContain('**Failed in preflight.**');
    expect(run.main.summary).toMatch(/nothing was built, pushed or tagged/i);
  });

  test('nothing reached the registry', () => {
    expect(nsTags(classic, repo)).toEqual([]);
  });
});
