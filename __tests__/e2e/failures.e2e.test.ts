/**
 * Tags that move together: a release whose tag phase fails for good, or is cancelled (SIGTERM) mid-phase, leaves
 * every tag of every repository where it was before; the error and the job summary say what moved and what was put
 * back. Faults come from the fault-injecting proxy in front of the basic-auth registry.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {errorLines, leakedSecrets, ROOT, runAction, RunResult, tagEvent} from '../helpers/harness';
import {basicAccess, testEnv, uniqueRepo} from '../helpers/env';
import {FaultProxy, startFaultProxy} from '../helpers/fault-proxy';
import {getManifest, listTags} from '../helpers/registry';

const env = testEnv();
const reg = basicAccess(env);
const OLD_SHA = '0101010101010101010101010101010101010101';
const NEW_SHA = '0202020202020202020202020202020202020202';

let proxy: FaultProxy;
beforeAll(async () => {
  proxy = await startFaultProxy(env.PI_REG_BASIC);
});
afterAll(async () => {
  await proxy.close();
});

const inputs = (repos: string[]): Record<string, string> => ({
  images: repos.map(r => `${proxy.host}/${r}`).join('\n'),
  context: path.join(ROOT, 'test', 'fixture-app'),
  platforms: 'linux/amd64',
  push: 'true',
  username: env.PI_REG_BASIC_USER,
  password: env.PI_REG_BASIC_PASSWORD,
  retries: '0'
});

/** Two repositories holding release v1.2.2 (1.2.2, 1.2, 1, latest, sha-0101010); returns where each tag points. */
async function releasedBefore(repos: string[]): Promise<Record<string, Record<string, string>>> {
  proxy.setRules([]);
  const r = await runAction({event: tagEvent('v1.2.2', OLD_SHA), inputs: inputs(repos)});
  expect(r.main.exitCode).toBe(0);
  return snapshot(repos);
}

async function snapshot(repos: string[]): Promise<Record<string, Record<string, string>>> {
  const out: Record<string, Record<string, string>> = {};
  for (const repo of repos) {
    out[repo] = {};
    // the step's staging tag (where buildx's docker driver pushes) is no release tag: it follows the last push
    for (const tag of (await listTags(reg, repo)).sort())
      if (tag !== 'publish-image-staging') out[repo][tag] = (await getManifest(reg, repo, tag)).digest;
  }
  return out;
}

function expectRolledBack(
  run: RunResult,
  before: Record<string, Record<string, string>>,
  after: Record<string, Record<string, string>>
): void {
  expect(run.main.exitCode).not.toBe(0);
  // every tag where it was, in every repository; the new release's tags (1.2.3, sha-0202020) nowhere
  expect(after).toEqual(before);
  const error = errorLines(run.main.stdout).join('\n');
  expect(error).toContain('Every tag is back where it was: the release is nowhere, as before.');
  expect(run.main.summary).toContain('**Failed in tag.**');
  expect(run.main.summary).toMatch(/Restored: [^\n]*:1(\.2)?\b/);
  expect(run.main.summary).toMatch(/Already done: pushed by digest `sha256:[a-f0-9]{64}` \(untagged\)/);
}

describe('the last tag refused for good in the second repository', () => {
  const repos = [uniqueRepo('atomic-a'), uniqueRepo('atomic-b')];
  let before: Record<string, Record<string, string>>;
  let run: RunResult;
  beforeAll(async () => {
    before = await releasedBefore(repos);
    proxy.setRules([
      {
        name: 'refuse-latest',
        method: 'PUT',
        path: new RegExp(`/v2/${repos[1]}/manifests/latest$`),
        fault: '503',
        times: Infinity
      }
    ]);
    run = await runAction({event: tagEvent('v1.2.3', NEW_SHA), inputs: inputs(repos)});
  });

  test('fails naming the refused tag, and every tag of both repositories is where it was', async () => {
    expect(proxy.injected['refuse-latest']).toBe(1);
    expect(errorLines(run.main.stdout).join('\n')).toMatch(new RegExp(`PUT .*${repos[1]} manifest latest: 503`));
    expectRolledBack(run, before, await snapshot(repos));
  });

  test('the log says what moved and what was put back', () => {
    expect(run.main.stdout).toMatch(/tag phase stopped \(.*503.*\): putting \d+ tag\(s\) back/);
    expect(run.main.stdout).toMatch(
      new RegExp(`${proxy.host}/${repos[1]}:1\\.2\\.3: removed|${repos[1]}: removed 1\\.2\\.3`)
    );
    // the second repository moved 1.2.3, 1.2, 1 and sha-0202020 before latest was refused
    for (const tag of ['1.2', '1'])
      expect(run.main.stdout).toMatch(
        new RegExp(
          `${proxy.host}/${repos[1]}:${tag.replace('.', '\\.')}: restored to ${before[repos[1] ?? '']?.[tag] ?? '-'}`
        )
      );
    // the refused tag never moved: nothing to put back there
    expect(run.main.stdout).not.toMatch(new RegExp(`${repos[1]}:latest: restored`));
  });

  test('no digest output: nothing was published', () => {
    expect(run.main.outputs['digest'] ?? '').toBe('');
  });
});

describe('SIGTERM during the tag phase (a cancelled job)', () => {
  const repos = [uniqueRepo('cancel-a'), uniqueRepo('cancel-b')];
  let before: Record<string, Record<string, string>>;
  let run: RunResult;
  beforeAll(async () => {
    before = await releasedBefore(repos);
    // the registry stops answering the PUT of tag 1 in the second repository; the job is cancelled then
    proxy.setRules([
      {name: 'hang-1', method: 'PUT', path: new RegExp(`/v2/${repos[1]}/manifests/1$`), fault: 'hang', times: 1}
    ]);
    run = await runAction({
      event: tagEvent('v1.2.3', NEW_SHA),
      inputs: inputs(repos),
      onMainSpawn: child => {
        const poll = setInterval(() => {
          if ((proxy.injected['hang-1'] ?? 0) > 0) {
            clearInterval(poll);
            child.kill('SIGTERM');
          }
        }, 20);
        child.on('close', () => clearInterval(poll));
      }
    });
  });

  test('the run stops, puts every tag back in both repositories, and says so', async () => {
    expect(run.main.stdout).toContain('SIGTERM: the run is cancelled');
    expect(errorLines(run.main.stdout).join('\n')).toContain('cancelled (SIGTERM)');
    expectRolledBack(run, before, await snapshot(repos));
  });

  test('the post step still cleans up', () => {
    expect(run.post?.exitCode).toBe(0);
  });
});

describe('a manifest PUT answered MANIFEST_BLOB_UNKNOWN while the registry holds every blob (a parallel leg linking the same blob)', () => {
  const repo = uniqueRepo('blob-race');
  let run: RunResult;
  beforeAll(async () => {
    proxy.setRules([
      {
        name: 'blob-race',
        method: 'PUT',
        path: new RegExp(`/v2/${repo}/manifests/sha256:`),
        fault: 'blob-race',
        times: 1
      }
    ]);
    run = await runAction({event: tagEvent('v1.0.0', NEW_SHA), inputs: {...inputs([repo]), retries: '2'}});
  });

  test('the blobs are looked up, the PUT is retried, and the release lands', async () => {
    expect(proxy.injected['blob-race']).toBe(1);
    expect({exit: run.main.exitCode, errors: errorLines(run.main.stdout)}).toEqual({exit: 0, errors: []});
    // the builder pushes: its PUT answered 400 is tried again, the build cached
    expect(run.main.stdout).toMatch(
      /the builder's push failed on a transient registry error \(.*PUT request to \S+\/manifests\/sha256:[a-f0-9]{64}: 400 Bad Request\); trying again in [\d.]+ s \(1\/2, the build is cached\)/
    );
    expect((await listTags(reg, repo)).filter(t => t !== 'publish-image-staging').sort()).toEqual([
      '1',
      '1.0',
      '1.0.0',
      'latest',
      'sha-0202020'
    ]);
  });
});

describe('a registry refusal whose message carries workflow commands', () => {
  const repo = uniqueRepo('commands');
  let run: RunResult;
  beforeAll(async () => {
    proxy.setRules([
      {name: 'commands', method: 'PUT', path: new RegExp(`/v2/${repo}/manifests/`), fault: 'commands', times: Infinity}
    ]);
    run = await runAction({event: tagEvent('v1.0.0', NEW_SHA), inputs: {...inputs([repo]), retries: '1'}});
  });

  test('retries, then fails with the registry words, none of which becomes a command of the runner', () => {
    // the builder pushes (BuildKit and the engine retry on their own), then the step once more (retries: 1)
    expect(proxy.injected['commands']).toBeGreaterThanOrEqual(2);
    expect(run.main.exitCode).not.toBe(0);
    expect(run.main.stdout).toMatch(/trying again in [\d.]+ s \(1\/1, the build is cached\)/);
    expect(errorLines(run.main.stdout).join('\n')).toMatch(/the builder's push to \S+ failed.*503 Service Unavailable/);
    for (const stream of [run.main.stdout, run.main.stderr, run.post?.stdout ?? '', run.post?.stderr ?? '']) {
      expect(stream).not.toMatch(/^\s*::(error::injected|add-mask::injected|stop-commands::injected)/m);
    }
    expect(run.main.summary).toContain('**Failed in build.**');
  });
});

describe('a main step killed with SIGKILL (no chance to clean up), then the post step', () => {
  const BUILD_SECRET = 'killed-build-secret-Tz40';
  let run: RunResult;
  beforeAll(async () => {
    run = await runAction({
      event: tagEvent('v1.0.0', NEW_SHA),
      inputs: {
        ...inputs([uniqueRepo('sigkill')]),
        secrets: `token=${BUILD_SECRET}`
      },
      onMainSpawn: child => {
        let out = '';
        child.stdout?.on('data', (d: Buffer) => {
          out += d.toString();
          // the build is done and its secrets are on disk: the runner kills the step here
          if (out.includes('::group::Push')) child.kill('SIGKILL');
        });
      }
    });
  });

  test('the main step died mid-run', () => {
    expect(run.main.exitCode).not.toBe(0);
    expect(run.main.stdout).toContain('::group::Push');
  });

  test('after the post step no secret and no working folder of the step is left under RUNNER_TEMP', () => {
    expect(run.post?.exitCode).toBe(0);
    expect(leakedSecrets(run, [BUILD_SECRET, env.PI_REG_BASIC_PASSWORD])).toEqual([]);
    const left = fs
      .readdirSync(path.join(run.runnerTemp, 'temp'))
      .filter(n => n.startsWith('publish-image-'))
      // Node's compile cache of the bundle (dist/index.js turns it on): code, no secret
      .filter(n => n !== 'publish-image-compile-cache');
    expect(left).toEqual([]);
  });
});
