/**
 * The job's Docker config as earlier steps leave it: a docker context (docker context create, as setup-buildx-action
 * or a self-hosted runner's setup makes one), named by the builder input, by DOCKER_CONTEXT, or made current with
 * `docker context use`. The step's private Docker config carries it, and writes nothing into the job's.
 */
import {execFileSync} from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {errorLines, ROOT, runAction, RunResult, tagEvent} from '../helpers/harness';
import {basicAccess, testEnv, uniqueRepo} from '../helpers/env';
import {listTags} from '../helpers/registry';

const env = testEnv();
const reg = basicAccess(env);
const CONTEXT = 'pi-ctx';

/** A job Docker config holding one context for the main engine's socket (optionally made the current one). */
function jobConfig(use: boolean): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-jobcfg-'));
  const docker = (...args: string[]): string =>
    execFileSync('docker', args, {env: {PATH: process.env['PATH'], HOME: dir, DOCKER_CONFIG: dir}, encoding: 'utf8'});
  docker('context', 'create', CONTEXT, '--docker', 'host=unix:///var/run/docker.sock');
  if (use) docker('context', 'use', CONTEXT);
  return dir;
}

/** Every path below a directory with its content: to see that the step changed nothing there. */
function tree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, {withFileTypes: true})) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(root, p)] = fs.readFileSync(p, 'utf8');
    }
  };
  walk(root);
  return out;
}

describe.each<[string, boolean, Record<string, string>, Record<string, string>]>([
  ['the builder input names a docker context', false, {builder: CONTEXT}, {}],
  ['DOCKER_CONTEXT names it', false, {}, {DOCKER_CONTEXT: CONTEXT}],
  ['docker context use made it current (config.json currentContext)', true, {}, {}]
])('%s', (_name, use, extraInputs, extraEnv) => {
  const repo = uniqueRepo('context');
  let cfg: string;
  let before: Record<string, string>;
  let run: RunResult;
  beforeAll(async () => {
    cfg = jobConfig(use);
    before = tree(cfg);
    run = await runAction({
      event: tagEvent('v1.4.0'),
      env: {DOCKER_CONFIG: cfg, ...extraEnv},
      inputs: {
        images: `${reg.host}/${repo}`,
        context: path.join(ROOT, 'test', 'fixture-app'),
        platforms: 'linux/amd64',
        push: 'true',
        username: reg.user,
        password: reg.password,
        ...extraInputs
      }
    });
  });

  test('the publish succeeds through the context', async () => {
    expect(errorLines(run.main.stdout)).toEqual([]);
    expect(run.main.exitCode).toBe(0);
    // publish-image-staging: the docker driver's staging tag (the data path's, kept where the registry cannot delete tags)
    expect((await listTags(reg, repo)).filter(t => t !== 'publish-image-staging')).toEqual([
      '1',
      '1.4',
      '1.4.0',
      'latest',
      'sha-1a2b3c4'
    ]);
  });

  test("the job's Docker config is as it was (the step wrote into its own copy)", () => {
    expect(tree(cfg)).toEqual(before);
  });
});
