/**
 * The common case end to end: the bundled action, run as the runner runs it, against the real engine, a real
 * registry with basic auth, QEMU for arm64 and the real cosign. Assertions ask the registry what it holds.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  branchEvent,
  errorLines,
  filesBelow,
  logWithoutMaskCommands,
  pullRequestEvent,
  ROOT,
  runAction,
  RunResult,
  SHA,
  tagEvent
} from '../helpers/harness';
import {basicAccess, cosignKeyPair, cosignVerify, testEnv, uniqueRepo} from '../helpers/env';
import {getManifest, listTags, platforms} from '../helpers/registry';

const env = testEnv();
const reg = basicAccess(env);
const context = path.join(ROOT, 'test', 'fixture-app');
const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-keys-'));
const KEY_PASSWORD = 'key-pass-Zq81';
const keys = cosignKeyPair(keyDir, KEY_PASSWORD);

function baseInputs(repo: string): Record<string, string> {
  return {
    images: `${env.PI_REG_BASIC}/${repo}`,
    context,
    platforms: 'linux/amd64,linux/arm64',
    push: 'true',
    username: env.PI_REG_BASIC_USER,
    password: env.PI_REG_BASIC_PASSWORD,
    'build-args': 'MESSAGE=from-e2e'
  };
}

describe('release tag v1.2.3, two platforms, key signing', () => {
  const repo = uniqueRepo('release');
  let run: RunResult;
  beforeAll(async () => {
    run = await runAction({
      event: tagEvent('v1.2.3'),
      inputs: {...baseInputs(repo), 'cosign-key': keys.key, 'cosign-password': KEY_PASSWORD, 'tlog-upload': 'false'}
    });
  });

  test('the step succeeds', () => {
    expect(errorLines(run.main.stdout)).toEqual([]);
    expect(run.main.exitCode).toBe(0);
  });

  test('outputs name the five tags, the version and the digest', () => {
    const image = `${env.PI_REG_BASIC}/${repo}`;
    expect(run.main.outputs['tags']?.split('\n')).toEqual(
      ['1.2.3', '1.2', '1', 'sha-1a2b3c4', 'latest'].map(t => `${image}:${t}`)
    );
    expect(run.main.outputs['version']).toBe('1.2.3');
    expect(run.main.outputs['digest']).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(run.main.outputs['imageid']).toMatch(/^sha256:/);
    expect(JSON.parse(run.main.outputs['metadata'] ?? '{}')).toHaveProperty(
      ['containerimage.digest'],
      run.main.outputs['digest']
    );
    expect(run.main.outputs['labels']).toContain('org.opencontainers.image.version=1.2.3');
    expect(run.main.outputs['labels']).toContain(`org.opencontainers.image.revision=${SHA}`);
    expect(
      Object.keys(JSON.parse(run.main.outputs['platform-digests'] ?? '{}') as Record<string, string>).sort()
    ).toEqual(['linux/amd64', 'linux/arm64']);
  });

  test('every tag in the registry resolves to the digest output, whose index lists both platforms', async () => {
    const digest = run.main.outputs['digest'];
    expect(await listTags(reg, repo)).toEqual(expect.arrayContaining(['1', '1.2', '1.2.3', 'latest', 'sha-1a2b3c4']));
    for (const tag of ['1.2.3', '1.2', '1', 'latest', 'sha-1a2b3c4']) {
      const m = await getManifest(reg, repo, tag);
      expect({tag, status: m.status, digest: m.digest}).toEqual({tag, status: 200, digest});
    }
    const index = await getManifest(reg, repo, digest ?? '');
    expect(platforms(index)).toEqual(['linux/amd64', 'linux/arm64']);
  });

  test('the image config carries the OCI labels', async () => {
    const index = await getManifest(reg, repo, run.main.outputs['digest'] ?? '');
    const amd = index.json.manifests?.find(m => m.platform?.architecture === 'amd64');
    const manifest = await getManifest(reg, repo, amd?.digest ?? '');
    const {getBlob} = await import('../helpers/registry');
    const config = JSON.parse((await getBlob(reg, repo, manifest.json.config?.digest ?? '')).toString()) as {
      config: {Labels: Record<string, string>};
    };
    expect(config.config.Labels).toMatchObject({
      'org.opencontainers.image.version': '1.2.3',
      'org.opencontainers.image.revision': SHA
    });
    expect(config.config.Labels['org.opencontainers.image.created']).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  test('the digest is signed and cosign verify passes with the public key, and fails with another key', () => {
    const ref = `${env.PI_REG_BASIC}/${repo}@${run.main.outputs['digest']}`;
    const verify = (pub: string): string => cosignVerify(ref, pub, reg);
    expect(verify(keys.pubPath)).toContain(run.main.outputs['digest']);
    const other = cosignKeyPair(fs.mkdtempSync(path.join(os.tmpdir(), 'pi-other-')), 'x');
    expect(() => verify(other.pubPath)).toThrow();
    expect(JSON.parse(run.main.outputs['signatures'] ?? '{}')).toHaveProperty([ref]);
  });

  test('the job summary shows the digest and the platforms', () => {
    expect(run.main.summary).toContain(run.main.outputs['digest']);
    expect(run.main.summary).toContain('linux/arm64');
  });

  test('after the post step no credentials are left', () => {
    expect(run.post?.exitCode).toBe(0);
    const state = JSON.parse(run.main.state['publish-image'] ?? '{}') as {dockerConfig: string};
    expect(state.dockerConfig).toContain(run.runnerTemp);
    expect(fs.existsSync(state.dockerConfig)).toBe(false);
    for (const f of filesBelow(run.runnerTemp)) {
      const text = fs.readFileSync(f, 'utf8');
      expect({
        f,
        leaked:
          text.includes(env.PI_REG_BASIC_PASSWORD) ||
          text.includes(Buffer.from(`${reg.user}:${reg.password}`).toString('base64'))
      }).toEqual({f, leaked: false});
    }
  });
});

describe('branch push', () => {
  const repo = uniqueRepo('branch');
  let run: RunResult;
  beforeAll(async () => {
    run = await runAction({event: branchEvent('main'), inputs: {...baseInputs(repo), platforms: 'linux/amd64'}});
  });

  test('yields the branch tag and the sha tag, both on the digest', async () => {
    expect(errorLines(run.main.stdout)).toEqual([]);
    expect(run.main.exitCode).toBe(0);
    // plus the docker driver's staging tag, which Distribution 2.8 cannot delete alone (it points at the same digest)
    expect(await listTags(reg, repo)).toEqual(['main', 'publish-image-staging', 'sha-1a2b3c4']);
    for (const tag of ['main', 'sha-1a2b3c4'])
      expect((await getManifest(reg, repo, tag)).digest).toBe(run.main.outputs['digest']);
  });
});

describe('pull request, dry run', () => {
  test('computes pr-<number> and builds nothing', async () => {
    const repo = uniqueRepo('pr');
    const run = await runAction({event: pullRequestEvent(42), inputs: {...baseInputs(repo), 'dry-run': 'true'}});
    expect(run.main.exitCode).toBe(0);
    expect(run.main.outputs['tag-names']?.split('\n')).toEqual(['pr-42', 'sha-1a2b3c4']);
    expect(run.main.stdout).toContain('docker buildx build');
    expect(await listTags(reg, repo)).toEqual([]);
  });
});

describe('wrong password', () => {
  const repo = uniqueRepo('denied');
  const WRONG = 'wrong-password-Xk93';
  let run: RunResult;
  beforeAll(async () => {
    run = await runAction({event: tagEvent('v2.0.0'), inputs: {...baseInputs(repo), password: WRONG}});
  });

  test('fails with a message that names the registry and what to check', () => {
    expect(run.main.exitCode).toBe(1);
    const errors = errorLines(run.main.stdout).join('\n');
    expect(errors).toContain(env.PI_REG_BASIC);
    expect(errors).toMatch(/Check username and password/);
  });

  test('the password appears in no output, log or file', () => {
    expect(logWithoutMaskCommands(run.main.stdout + run.main.stderr + (run.post?.stdout ?? ''))).not.toContain(WRONG);
    for (const f of [...filesBelow(run.runnerTemp)])
      expect({f, leaked: fs.readFileSync(f, 'utf8').includes(WRONG)}).toEqual({f, leaked: false});
  });

  test('nothing is pushed', async () => {
    expect(run.main.stdout).not.toContain('docker buildx build');
    expect(await listTags(reg, repo)).toEqual([]);
  });
});

describe('debug logs (RUNNER_DEBUG=1)', () => {
  test('show every command and registry exchange, and still no secret', async () => {
    const repo = uniqueRepo('debug');
    const run = await runAction({
      event: branchEvent('main'),
      env: {RUNNER_DEBUG: '1'},
      inputs: {...baseInputs(repo), platforms: 'linux/amd64'}
    });
    expect(run.main.exitCode).toBe(0);
    const debug = run.main.stdout.split('\n').filter(l => l.startsWith('::debug::'));
    expect(debug.some(l => l.startsWith('::debug::run: docker info --format'))).toBe(true);
    expect(debug.some(l => /^::debug::exit 0 after \d+ ms: docker info/.test(l))).toBe(true);
    expect(
      debug.some(l => new RegExp(`^::debug::PUT http://${env.PI_REG_BASIC}/v2/${repo}/manifests/main -> 201`).test(l))
    ).toBe(true);
    expect(logWithoutMaskCommands(run.main.stdout)).not.toContain(env.PI_REG_BASIC_PASSWORD);
    expect(run.main.stdout).not.toMatch(/authorization|Basic [A-Za-z0-9+/=]{8,}/i);
  });
});
