/**
 * Beyond one job, on the real engine and registries: the matrix plan, two build legs as separate processes with
 * separate Docker configs (as two runners), a merge into one signed index in two registries, a merge with a leg
 * missing, a new attempt that does not mix in the earlier attempt's legs, and a promotion without a build.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {errorLines, ROOT, runAction, RunResult, tagEvent} from '../helpers/harness';
import {
  basicAccess,
  buildCount,
  cosignKeyPair,
  cosignVerify,
  registryAuthYaml,
  testEnv,
  tlsAccess,
  uniqueRepo
} from '../helpers/env';
import {getManifest, listTags, platforms, putManifest, RegistryAccess} from '../helpers/registry';
import {recordManifest} from '../../src/plan/staging';

const env = testEnv();
const basic: RegistryAccess = basicAccess(env);
const tls: RegistryAccess = tlsAccess(env);
const app = path.join(ROOT, 'test', 'fixture-app');
const KEY_PASSWORD = 'merge-key-Pw44';
const keys = cosignKeyPair(fs.mkdtempSync(path.join(os.tmpdir(), 'pi-keys-')), KEY_PASSWORD);
const auth = registryAuthYaml(env);
const builds = buildCount;
const versionTags = (tags: string[]): string[] => tags.filter(t => !t.startsWith('pi-stage-') && !t.endsWith('.sig'));

function leg(
  repo: string,
  platform: string,
  runId: string,
  attempt = '1',
  extra: Record<string, string> = {}
): Promise<RunResult> {
  return runAction({
    event: tagEvent('v7.0.0'),
    env: {GITHUB_RUN_ID: runId, GITHUB_RUN_ATTEMPT: attempt},
    inputs: {
      images: `${env.PI_REG_BASIC}/${repo}\n${env.PI_REG_TLS}/${repo}`,
      context: app,
      mode: 'build',
      platforms: platform,
      'registry-auth': auth,
      // the legs sign what they push with the merge's key: the merge uses no record without that signature
      'cosign-key': keys.key,
      'cosign-password': KEY_PASSWORD,
      'tlog-upload': 'false',
      ...extra
    }
  });
}

function merge(
  repo: string,
  runId: string,
  attempt = '1',
  platformList = 'linux/amd64,linux/arm64'
): Promise<RunResult> {
  return runAction({
    event: tagEvent('v7.0.0'),
    env: {GITHUB_RUN_ID: runId, GITHUB_RUN_ATTEMPT: attempt},
    inputs: {
      images: `${env.PI_REG_BASIC}/${repo}\n${env.PI_REG_TLS}/${repo}`,
      mode: 'merge',
      platforms: platformList,
      'registry-auth': auth,
      'cosign-key': keys.key,
      'cosign-password': KEY_PASSWORD,
      'tlog-upload': 'false',
      annotations: 'org.example.merged=yes'
    }
  });
}

test('mode plan turns platforms into a job matrix, runners overridable', async () => {
  const run = await runAction({
    event: tagEvent('v7.0.0'),
    inputs: {mode: 'plan', platforms: 'linux/amd64,linux/arm64,linux/arm/v7', runners: 'linux/arm/v7=my-armv7-runner'}
  });
  expect(run.main.exitCode).toBe(0);
  expect(JSON.parse(run.main.outputs['matrix'] ?? '')).toEqual({
    include: [
      {platform: 'linux/amd64', runner: 'ubuntu-24.04', slug: 'linux-amd64'},
      {platform: 'linux/arm64', runner: 'ubuntu-24.04-arm', slug: 'linux-arm64'},
      {platform: 'linux/arm/v7', runner: 'my-armv7-runner', slug: 'linux-arm-v7'}
    ]
  });
});

describe('two legs, then a merge', () => {
  const repo = uniqueRepo('merge');
  let amd: RunResult;
  let arm: RunResult;
  let merged: RunResult;
  beforeAll(async () => {
    [amd, arm] = await Promise.all([leg(repo, 'linux/amd64', '9001'), leg(repo, 'linux/arm64', '9001')]);
    merged = await merge(repo, '9001');
  });

  test('the legs push by digest only, no tag', () => {
    for (const r of [amd, arm]) {
      expect(errorLines(r.main.stdout)).toEqual([]);
      expect(r.main.exitCode).toBe(0);
      expect(r.main.outputs['digest']).toMatch(/^sha256:/);
    }
    expect(amd.main.stdout).not.toMatch(/tagged/);
  });

  test('the merge lists both platforms with the digests the legs reported, under every tag, in both registries', async () => {
    expect(errorLines(merged.main.stdout)).toEqual([]);
    expect(merged.main.exitCode).toBe(0);
    expect(builds(merged.main.stdout)).toBe(0);
    const digest = merged.main.outputs['digest'] ?? '';
    const pd = JSON.parse(merged.main.outputs['platform-digests'] ?? '{}') as Record<string, string>;
    expect(pd['linux/amd64']).toBe(
      (JSON.parse(amd.main.outputs['platform-digests'] ?? '{}') as Record<string, string>)['linux/amd64']
    );
    expect(pd['linux/arm64']).toBe(
      (JSON.parse(arm.main.outputs['platform-digests'] ?? '{}') as Record<string, string>)['linux/arm64']
    );
    for (const r of [basic, tls]) {
      const index = await getManifest(r, repo, digest);
      expect(platforms(index)).toEqual(['linux/amd64', 'linux/arm64']);
      expect(index.json['annotations']).toMatchObject({
        'org.example.merged': 'yes',
        'org.opencontainers.image.version': '7.0.0'
      });
      for (const tag of ['7.0.0', '7.0', '7', 'latest', 'sha-1a2b3c4'])
        expect({tag, d: (await getManifest(r, repo, tag)).digest}).toEqual({tag, d: digest});
    }
  });

  test('its signature verifies', () => {
    const ref = `${env.PI_REG_BASIC}/${repo}@${merged.main.outputs['digest']}`;
    const out = cosignVerify(ref, keys.pubPath, basicAccess(env));
    expect(out).toContain(merged.main.outputs['digest']);
  });

  test('no staging record is left', async () => {
    for (const r of [basic, tls]) expect((await listTags(r, repo)).filter(t => t.startsWith('pi-stage-'))).toEqual([]);
  });

  test('promote: the merged image, from the basic-auth registry to the TLS one, keeps its digest and platforms, no build', async () => {
    const target = uniqueRepo('promoted');
    const run = await runAction({
      event: tagEvent('v7.1.0'),
      inputs: {
        images: `${env.PI_REG_TLS}/${target}`,
        mode: 'promote',
        source: `${env.PI_REG_BASIC}/${repo}@${merged.main.outputs['digest']}`,
        'registry-auth': auth,
        platforms: 'linux/amd64,linux/arm64'
      }
    });
    expect(errorLines(run.main.stdout)).toEqual([]);
    expect(run.main.exitCode).toBe(0);
    expect(builds(run.main.stdout)).toBe(0);
    expect(run.main.outputs['digest']).toBe(merged.main.outputs['digest']);
    expect(platforms(await getManifest(tls, target, merged.main.outputs['digest'] ?? ''))).toEqual([
      'linux/amd64',
      'linux/arm64'
    ]);
    for (const tag of ['7.1.0', '7.1', '7', 'latest'])
      expect((await getManifest(tls, target, tag)).digest).toBe(merged.main.outputs['digest']);
  });
});

test('a merge with a leg missing fails clearly and moves no tag', async () => {
  const repo = uniqueRepo('merge-missing');
  expect((await leg(repo, 'linux/amd64', '9002')).main.exitCode).toBe(0);
  const run = await merge(repo, '9002');
  expect(run.main.exitCode).toBe(1);
  expect(errorLines(run.main.stdout).join('\n')).toContain(
    'mode merge: no leg of this run (1 found) pushed linux/arm64; no tag was moved'
  );
  expect(versionTags(await listTags(basic, repo))).toEqual([]);
});

test('a new attempt of the run does not mix in the earlier attempt legs', async () => {
  const repo = uniqueRepo('merge-attempt');
  const first = await Promise.all([leg(repo, 'linux/amd64', '9003', '1'), leg(repo, 'linux/arm64', '9003', '1')]);
  for (const r of first)
    expect({exit: r.main.exitCode, errors: errorLines(r.main.stdout)}).toEqual({exit: 0, errors: []});
  // attempt 2 re-runs only the amd64 leg: its merge must not pick up attempt 1's arm64
  expect((await leg(repo, 'linux/amd64', '9003', '2', {'build-args': 'MESSAGE=attempt-2'})).main.exitCode).toBe(0);
  const run = await merge(repo, '9003', '2');
  expect(run.main.exitCode).toBe(1);
  expect(errorLines(run.main.stdout).join('\n')).toContain('no leg of this run (1 found) pushed linux/arm64');
  expect(versionTags(await listTags(basic, repo))).toEqual([]);
});

describe('a staging record planted by an account that may push but does not hold the signing key', () => {
  const repo = uniqueRepo('merge-planted');
  let merged: RunResult;
  let plantedDigest = '';
  beforeAll(async () => {
    // the real amd64 leg of run 9004, signed
    const amd = await leg(repo, 'linux/amd64', '9004');
    if (amd.main.exitCode !== 0) throw new Error(errorLines(amd.main.stdout).join('\n'));
    // the attacker: a build leg of the same run for arm64, with push rights but another key (its own)
    const other = cosignKeyPair(fs.mkdtempSync(path.join(os.tmpdir(), 'pi-keys-')), 'mallory-Pw1');
    const planted = await leg(repo, 'linux/arm64', '9004', '1', {
      'build-args': 'MESSAGE=planted',
      'cosign-key': other.key,
      'cosign-password': 'mallory-Pw1'
    });
    if (planted.main.exitCode !== 0) throw new Error(errorLines(planted.main.stdout).join('\n'));
    plantedDigest = planted.main.outputs['digest'] ?? '';
    merged = await merge(repo, '9004');
  });

  test('the merge refuses the record, naming it; nothing is merged, signed or tagged', async () => {
    expect(merged.main.exitCode).toBe(1);
    const error = errorLines(merged.main.stdout).join('\n');
    expect(error).toContain(
      `mode merge: refusing the leg record ${env.PI_REG_BASIC}/${repo}:pi-stage-9004-1-linux-arm64 (linux/arm64 ${plantedDigest}): its digest carries no signature of this run's signer`
    );
    expect(error).toContain('nothing was merged, signed or tagged');
    for (const r of [basic, tls]) expect(versionTags(await listTags(r, repo))).toEqual([]);
    expect(merged.main.stdout).not.toContain('::group::Sign');
    expect(merged.main.summary).toContain('**Failed in merge.**');
  });
});

test('a record for a platform that platforms does not ask for is refused', async () => {
  const repo = uniqueRepo('merge-extra');
  const legs = await Promise.all([leg(repo, 'linux/amd64', '9006'), leg(repo, 'linux/arm64', '9006')]);
  for (const l of legs) expect(l.main.exitCode).toBe(0);
  const refused = await merge(repo, '9006', '1', 'linux/amd64');
  expect(refused.main.exitCode).toBe(1);
  expect(errorLines(refused.main.stdout).join('\n')).toContain(
    'mode merge: the leg record pi-stage-9006-1-linux-arm64 is for linux/arm64, which platforms (linux/amd64) does not ask for; nothing was merged, signed or tagged'
  );
  expect(versionTags(await listTags(basic, repo))).toEqual([]);
});

test('without signing the merge says it trusts the records, and still checks each against its image', async () => {
  const repo = uniqueRepo('merge-unsigned');
  const unsigned = {'cosign-key': '', 'cosign-password': '', sign: 'false'};
  const amd = await leg(repo, 'linux/amd64', '9007', '1', unsigned);
  expect(amd.main.exitCode).toBe(0);
  // a record that says arm64 for the amd64 image, written by someone with push rights
  const digest = amd.main.outputs['digest'] ?? '';
  const body = recordManifest({
    run: '9007-1',
    platform: 'linux/arm64',
    digest,
    mediaType: 'application/vnd.oci.image.index.v1+json'
  });
  expect(
    await putManifest(basic, repo, 'pi-stage-9007-1-linux-arm64', 'application/vnd.oci.image.manifest.v1+json', body)
  ).toBe(201);
  const run = await runAction({
    event: tagEvent('v7.0.0'),
    env: {GITHUB_RUN_ID: '9007', GITHUB_RUN_ATTEMPT: '1'},
    inputs: {
      images: `${env.PI_REG_BASIC}/${repo}\n${env.PI_REG_TLS}/${repo}`,
      mode: 'merge',
      platforms: 'linux/amd64,linux/arm64',
      'registry-auth': auth,
      sign: 'false'
    }
  });
  expect(run.main.stdout).toContain("::notice::mode merge: not signing, so the legs' staging records are trusted as");
  expect(run.main.exitCode).toBe(1);
  expect(errorLines(run.main.stdout).join('\n')).toContain(
    `mode merge: the leg record pi-stage-9007-1-linux-arm64 says linux/arm64, but ${env.PI_REG_BASIC}/${repo}@${digest} is linux/amd64; nothing was merged, signed or tagged`
  );
  for (const r of [basic, tls]) expect(versionTags(await listTags(r, repo))).toEqual([]);
});
