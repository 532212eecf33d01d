/**
 * Build and push with integrity, on the real engine and registries: build inputs checked by what the image holds,
 * build secrets, transient registry faults injected by a proxy, a push that fails for good, if-exists.
 */
import {createHash} from 'node:crypto';
import {execFileSync} from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {errorLines, logWithoutMaskCommands, ROOT, runAction, RunResult, tagEvent} from '../helpers/harness';
import {buildCount, testEnv, uniqueRepo} from '../helpers/env';
import {FaultProxy, startFaultProxy} from '../helpers/fault-proxy';
import {imageContent, ImageContent} from '../helpers/image-files';
import {getManifest, listTags, RegistryAccess} from '../helpers/registry';

const env = testEnv();
const reg: RegistryAccess = {host: env.PI_REG_BASIC, user: env.PI_REG_BASIC_USER, password: env.PI_REG_BASIC_PASSWORD};
const creds = {username: env.PI_REG_BASIC_USER, password: env.PI_REG_BASIC_PASSWORD};
const fixture = path.join(ROOT, 'test', 'fixture-build');
const extra = path.join(ROOT, 'test', 'fixture-build-extra');
const app = path.join(ROOT, 'test', 'fixture-app');
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
const builds = buildCount;

const SECRET = 'build-secret-value-Qw83';
const ENV_SECRET = 'env-secret-value-Lp20';
const FILE_SECRET = 'file-secret-value-Mn47';

describe('build inputs reach buildx: checked in the image the registry holds', () => {
  const repo = uniqueRepo('inputs');
  let run: RunResult;
  let amd: ImageContent;
  const secretFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pi-secret-')), 'secret.txt');
  beforeAll(async () => {
    fs.writeFileSync(secretFile, FILE_SECRET);
    run = await runAction({
      event: tagEvent('v5.0.0'),
      env: {MY_ENV_SECRET: ENV_SECRET},
      inputs: {
        ...creds,
        images: `${env.PI_REG_BASIC}/${repo}`,
        context: fixture,
        platforms: 'linux/amd64,linux/arm64',
        push: 'true',
        target: 'release',
        'build-args': 'MESSAGE=hello-from-build-args',
        'build-contexts': `extra=${extra}`,
        secrets: `token=${SECRET}`,
        'secret-envs': 'envsecret=MY_ENV_SECRET',
        'secret-files': `filesecret=${secretFile}`,
        network: 'none',
        'add-hosts': 'db.internal:10.1.2.3',
        'shm-size': '256m',
        ulimit: 'nofile=1024:1024',
        labels: 'org.example.team=platform',
        annotations: 'org.example.annotated=yes',
        provenance: 'false',
        'cache-to': 'type=inline',
        builder: 'default'
      }
    });
    amd = await imageContent(reg, repo, '5.0.0', 'linux/amd64');
  });

  test('the step succeeds', () => {
    expect(errorLines(run.main.stdout)).toEqual([]);
    expect(run.main.exitCode).toBe(0);
  });

  test('target, build-args and build-contexts', () => {
    expect(amd.files.get('/stage')?.toString().trim()).toBe('release');
    expect(amd.files.get('/message')?.toString().trim()).toBe('hello-from-build-args');
    expect(amd.files.get('/extra.txt')?.toString().trim()).toBe('from the extra build context');
  });

  test('secrets, secret-envs and secret-files are usable in a RUN step', () => {
    expect(amd.files.get('/secret-sums')?.toString().trim().split('\n')).toEqual([
      sha(SECRET),
      sha(ENV_SECRET),
      sha(FILE_SECRET)
    ]);
  });

  test('no secret value is in any layer, the image config or the log', () => {
    const haystacks = [
      ...amd.layers.map(l => l.toString('latin1')),
      amd.configRaw,
      logWithoutMaskCommands(run.main.stdout + run.main.stderr)
    ];
    for (const s of [SECRET, ENV_SECRET, FILE_SECRET]) expect(haystacks.filter(h => h.includes(s))).toEqual([]);
  });

  test('network, add-hosts, shm-size and ulimit shape the RUN steps', () => {
    expect(amd.files.get('/netdev')?.toString()).not.toContain('eth0');
    expect(amd.files.get('/hosts')?.toString()).toMatch(/10\.1\.2\.3\s+db\.internal/);
    expect(amd.files.get('/shm')?.toString()).toMatch(/\s262144\s/);
    expect(amd.files.get('/nofile')?.toString().trim()).toBe('1024');
  });

  test('labels, annotations, inline cache and provenance: false are in the manifest and config', async () => {
    expect(amd.config.config?.Labels).toMatchObject({
      'org.example.team': 'platform',
      'org.opencontainers.image.version': '5.0.0'
    });
    expect(amd.manifestAnnotations).toMatchObject({
      'org.example.annotated': 'yes',
      'org.opencontainers.image.version': '5.0.0'
    });
    expect(amd.configRaw).toContain('moby.buildkit.cache.v0');
    const index = await getManifest(reg, repo, run.main.outputs['digest'] ?? '');
    expect(index.json.manifests?.map(m => m.platform?.architecture).sort()).toEqual(['amd64', 'arm64']);
  });

  test('the arm64 image ran its RUN steps on arm64 (QEMU)', async () => {
    const arm = await imageContent(reg, repo, '5.0.0', 'linux/arm64');
    expect(arm.files.get('/stage')?.toString().trim()).toBe('release');
    expect(arm.files.get('/secret-sums')?.toString()).toBe(amd.files.get('/secret-sums')?.toString());
  });

  test('outputs: platform-digests, refs, and the summary table', () => {
    const pd = JSON.parse(run.main.outputs['platform-digests'] ?? '{}') as Record<string, string>;
    expect(Object.keys(pd).sort()).toEqual(['linux/amd64', 'linux/arm64']);
    const refs = run.main.outputs['refs']?.split('\n') ?? [];
    expect(refs).toContain(`${env.PI_REG_BASIC}/${repo}:5.0.0`);
    expect(refs).toContain(`${env.PI_REG_BASIC}/${repo}@${run.main.outputs['digest']}`);
    expect(run.main.summary).toContain(pd['linux/arm64']);
    expect(run.main.summary).toMatch(/\| size \| [\d.]+ (KiB|MiB) \|/);
    expect(run.main.summary).toMatch(/build [\d.]+s/);
  });
});

describe('more inputs', () => {
  test('no-cache rebuilds every step: the nonce changes between two otherwise identical runs', async () => {
    const repo = uniqueRepo('nocache');
    const inputs = {
      ...creds,
      images: `${env.PI_REG_BASIC}/${repo}`,
      context: fixture,
      push: 'true',
      platforms: 'linux/amd64',
      target: 'other',
      'build-contexts': `extra=${extra}`
    };
    const first = await runAction({event: tagEvent('v1.0.0'), inputs});
    const cached = await runAction({event: tagEvent('v1.0.1'), inputs});
    const uncached = await runAction({event: tagEvent('v1.0.2'), inputs: {...inputs, 'no-cache': 'true'}});
    const filtered = await runAction({event: tagEvent('v1.0.3'), inputs: {...inputs, 'no-cache-filters': 'other'}});
    const otherStage = await runAction({event: tagEvent('v1.0.4'), inputs: {...inputs, 'no-cache-filters': 'release'}});
    for (const r of [first, cached, uncached, filtered, otherStage]) expect(r.main.exitCode).toBe(0);
    const layerOf = async (tag: string) =>
      (await imageContent(reg, repo, tag)).layers.map(l => sha(l.toString('latin1'))).join();
    const base = await layerOf('1.0.0');
    expect(await layerOf('1.0.1')).toBe(base);
    expect(await layerOf('1.0.2')).not.toBe(base);
    // no-cache-filters: the named stage is rebuilt, another stage's name changes nothing
    const rebuilt = await layerOf('1.0.3');
    expect(rebuilt).not.toBe(base);
    expect(await layerOf('1.0.4')).toBe(rebuilt);
  });

  test('outputs writes a local export when not pushing; load puts the image in the local store', async () => {
    const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-out-'));
    const local = await runAction({
      event: tagEvent('v1.0.0'),
      inputs: {context: app, outputs: `type=local,dest=${dest}`, images: 'local/unused'}
    });
    expect(local.main.exitCode).toBe(0);
    expect(fs.readFileSync(path.join(dest, 'hello.txt'), 'utf8')).toContain('hello from publish-image');
    expect(local.main.outputs['digest']).toBe('');
    expect(local.main.stdout).toContain('::notice::No digest output: nothing was pushed (push is false)');

    const repo = uniqueRepo('load');
    const loaded = await runAction({
      event: tagEvent('v1.0.0'),
      inputs: {
        ...creds,
        images: `${env.PI_REG_BASIC}/${repo}`,
        context: app,
        push: 'true',
        load: 'true',
        platforms: 'linux/amd64'
      }
    });
    expect(loaded.main.exitCode).toBe(0);
    expect(
      execFileSync('docker', ['image', 'ls', '--format', '{{.Tag}}', `${env.PI_REG_BASIC}/${repo}`])
        .toString()
        .split('\n')
        .sort()
    ).toEqual(expect.arrayContaining(['1.0.0', 'latest']));
  });

  test('attests: the attestations asked through attests are the ones in the index', async () => {
    const repo = uniqueRepo('attests');
    const run = (tag: string, attests: string) =>
      runAction({
        event: tagEvent(tag),
        inputs: {
          ...creds,
          images: `${env.PI_REG_BASIC}/${repo}`,
          context: app,
          push: 'true',
          platforms: 'linux/amd64',
          attests
        }
      });
    const attestations = async (r: RunResult) =>
      ((await getManifest(reg, repo, r.main.outputs['digest'] ?? '')).json.manifests ?? []).filter(
        m => m.platform?.os === 'unknown'
      );
    const withProvenance = await run('v1.0.0', 'type=provenance,mode=max');
    const without = await run('v1.0.1', 'type=provenance,disabled=true');
    expect([withProvenance.main.exitCode, without.main.exitCode]).toEqual([0, 0]);
    expect(await attestations(withProvenance)).toHaveLength(1);
    expect(await attestations(without)).toHaveLength(0);
  });

  test('ssh: the agent of the step is forwarded to the RUN step', async () => {
    const agent = execFileSync('ssh-agent', ['-s']).toString();
    const sock = /SSH_AUTH_SOCK=([^;]+);/.exec(agent)?.[1] ?? '';
    const pid = /SSH_AGENT_PID=(\d+);/.exec(agent)?.[1] ?? '';
    try {
      const repo = uniqueRepo('ssh');
      const run = await runAction({
        event: tagEvent('v1.0.0'),
        env: {SSH_AUTH_SOCK: sock},
        inputs: {
          ...creds,
          images: `${env.PI_REG_BASIC}/${repo}`,
          context: path.join(ROOT, 'test', 'fixture-ssh'),
          push: 'true',
          platforms: 'linux/amd64',
          ssh: 'default'
        }
      });
      expect(run.main.exitCode).toBe(0);
      expect((await imageContent(reg, repo, '1.0.0')).files.get('/ssh-ok')?.toString().trim()).toBe('agent-forwarded');
    } finally {
      process.kill(Number(pid));
    }
  });

  test('cache-from: with the local build cache pruned, the RUN steps come from the registry cache', async () => {
    const repo = uniqueRepo('cache-from');
    const cacheRef = `type=registry,ref=${env.PI_REG_BASIC}/${repo}:buildcache`;
    const inputs = {
      ...creds,
      images: `${env.PI_REG_BASIC}/${repo}`,
      context: fixture,
      target: 'other',
      'build-contexts': `extra=${extra}`,
      push: 'true',
      platforms: 'linux/amd64',
      'no-cache': 'true'
    };
    const first = await runAction({event: tagEvent('v1.0.0'), inputs: {...inputs, 'cache-to': `${cacheRef},mode=max`}});
    expect(first.main.exitCode).toBe(0);
    execFileSync('docker', ['buildx', 'prune', '--all', '--force'], {stdio: 'ignore'});
    const again = await runAction({
      event: tagEvent('v1.0.1'),
      inputs: {...inputs, 'no-cache': 'false', 'cache-from': cacheRef}
    });
    expect(again.main.exitCode).toBe(0);
    expect(again.main.stdout).toMatch(/importing cache manifest from .*buildcache/);
    const layers = async (tag: string) =>
      (await imageContent(reg, repo, tag)).layers.map(l => sha(l.toString('latin1'))).join();
    expect(await layers('1.0.1')).toBe(await layers('1.0.0'));
  });

  test('a cache export the builder refuses warns and the release still lands', async () => {
    const repo = uniqueRepo('cache-warn');
    const run = await runAction({
      event: tagEvent('v1.0.0'),
      inputs: {
        ...creds,
        images: `${env.PI_REG_BASIC}/${repo}`,
        context: app,
        push: 'true',
        platforms: 'linux/amd64',
        'cache-to': 'type=registry,ref=127.0.0.1:9/unreachable/cache:latest'
      }
    });
    expect(run.main.exitCode).toBe(0);
    expect(run.main.stdout).toMatch(/::warning::cache export failed/);
    expect((await getManifest(reg, repo, '1.0.0')).digest).toBe(run.main.outputs['digest']);
  });

  test('a bad input fails before anything runs, naming the input and the fix', async () => {
    const run = await runAction({
      event: tagEvent('v1.0.0'),
      inputs: {images: 'x/y', context: app, secrets: 'no-equals-sign', push: 'false'}
    });
    expect(run.main.exitCode).toBe(1);
    expect(errorLines(run.main.stdout).join('\n')).toContain(
      'secrets: "no-equals-sign…" is not id=value; write one id=value per line'
    );
    const bad = await runAction({
      event: tagEvent('v1.0.0'),
      inputs: {images: 'x/y', context: app, 'if-exists': 'sometimes'}
    });
    expect(errorLines(bad.main.stdout).join('\n')).toContain(
      'if-exists: "sometimes" is not one of overwrite, skip, fail'
    );
  });
});

describe('transient registry faults, injected by a proxy in front of the registry', () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy(env.PI_REG_BASIC);
  });
  afterAll(async () => {
    await proxy.close();
  });
  const inputs = (repo: string): Record<string, string> => ({
    ...creds,
    images: `${proxy.host}/${repo}`,
    context: app,
    push: 'true',
    platforms: 'linux/amd64,linux/arm64',
    retries: '5'
  });

  test('503s, 429s and reset connections are retried and the step lands the right digest', async () => {
    const repo = uniqueRepo('faults');
    proxy.setRules([
      {name: 'manifest-put-503', method: 'PUT', path: /\/manifests\//, fault: '503', times: 5},
      {name: 'blob-head-429', method: 'HEAD', path: /\/blobs\//, fault: '429', times: 2},
      {name: 'upload-reset', method: 'POST', path: /\/blobs\/uploads\/$/, fault: 'reset', times: 2}
    ]);
    const run = await runAction({event: tagEvent('v2.0.0'), inputs: inputs(repo)});
    expect(errorLines(run.main.stdout)).toEqual([]);
    expect(run.main.exitCode).toBe(0);
    expect(proxy.injected).toEqual({'manifest-put-503': 5, 'blob-head-429': 2, 'upload-reset': 2});
    // the builder pushes: a 503 its own retries did not absorb makes the step run the (cached) build again
    expect(run.main.stdout).toMatch(
      /the builder's push failed on a transient registry error \(.*PUT .*503.*\); trying again in [\d.]+ s \(1\/5, the build is cached\)/
    );
    const digest = run.main.outputs['digest'];
    for (const tag of ['2.0.0', '2.0', '2', 'latest']) expect((await getManifest(reg, repo, tag)).digest).toBe(digest);
  });

  test('a 401 is not retried: the step fails at once', async () => {
    const repo = uniqueRepo('fault-401');
    proxy.setRules([{name: 'manifest-put-401', method: 'PUT', path: /\/manifests\//, fault: '401', times: Infinity}]);
    const run = await runAction({event: tagEvent('v2.0.0'), inputs: inputs(repo)});
    expect(run.main.exitCode).toBe(1);
    // the builder pushes: the step neither retries its push nor runs the build again
    expect(builds(run.main.stdout)).toBe(1);
    expect(run.main.stdout).not.toMatch(/retry \d|trying again/);
  });

  test('a push that fails for good leaves the previous release tags on their old digests', async () => {
    const repo = uniqueRepo('half');
    proxy.setRules([]);
    const v1 = await runAction({event: tagEvent('v1.0.0'), inputs: inputs(repo)});
    expect(v1.main.exitCode).toBe(0);
    const old = v1.main.outputs['digest'];
    // the index of the new release never lands: every manifest PUT of an index fails
    proxy.setRules([
      {name: 'index-put-503', method: 'PUT', path: /\/manifests\/sha256:/, fault: '503', times: Infinity}
    ]);
    const v2 = await runAction({
      event: tagEvent('v1.0.1'),
      inputs: {...inputs(repo), retries: '1', 'build-args': 'MESSAGE=changed'}
    });
    expect(v2.main.exitCode).toBe(1);
    // the builder's push is tried once more (retries: 1), the build cached, then the step gives up
    expect(builds(v2.main.stdout)).toBe(2);
    expect(v2.main.stdout).toMatch(/trying again in [\d.]+ s \(1\/1, the build is cached\)/);
    for (const tag of ['1', '1.0', 'latest', '1.0.0'])
      expect({tag, digest: (await getManifest(reg, repo, tag)).digest}).toEqual({tag, digest: old});
    expect((await listTags(reg, repo)).filter(t => t === '1.0.1')).toEqual([]);
  });
});

describe('if-exists', () => {
  const repo = uniqueRepo('ifexists');
  const inputs = {
    ...creds,
    images: `${env.PI_REG_BASIC}/${repo}`,
    context: app,
    push: 'true',
    platforms: 'linux/amd64'
  };
  let first: RunResult;
  beforeAll(async () => {
    first = await runAction({event: tagEvent('v4.0.0'), inputs});
  });

  test('fail: stops before building when the release tag exists', async () => {
    const run = await runAction({
      event: tagEvent('v4.0.0'),
      inputs: {...inputs, 'if-exists': 'fail', 'build-args': 'MESSAGE=other'}
    });
    expect(run.main.exitCode).toBe(1);
    expect(builds(run.main.stdout)).toBe(0);
    expect(errorLines(run.main.stdout).join('\n')).toContain(
      `if-exists: fail: ${env.PI_REG_BASIC}/${repo}:4.0.0 already exists (${first.main.outputs['digest']})`
    );
  });

  test('skip: pushes nothing and reports the existing digest', async () => {
    const run = await runAction({
      event: tagEvent('v4.0.0'),
      inputs: {...inputs, 'if-exists': 'skip', 'build-args': 'MESSAGE=other'}
    });
    expect(run.main.exitCode).toBe(0);
    expect(builds(run.main.stdout)).toBe(0);
    expect(run.main.outputs['digest']).toBe(first.main.outputs['digest']);
    expect(run.main.summary).toContain('already exists (if-exists: skip)');
  });

  test('overwrite (the default): builds and moves the tag', async () => {
    const run = await runAction({event: tagEvent('v4.0.0'), inputs: {...inputs, 'build-args': 'MESSAGE=other'}});
    expect(run.main.exitCode).toBe(0);
    expect(run.main.outputs['digest']).not.toBe(first.main.outputs['digest']);
    expect((await getManifest(reg, repo, '4.0.0')).digest).toBe(run.main.outputs['digest']);
  });

  test('fail and skip let a new version through', async () => {
    const run = await runAction({event: tagEvent('v4.0.1'), inputs: {...inputs, 'if-exists': 'fail'}});
    expect(run.main.exitCode).toBe(0);
  });
});
