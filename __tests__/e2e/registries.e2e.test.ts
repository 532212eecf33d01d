/**
 * Registries and credentials against the real registries: two registries in one step (basic auth, and TLS from a
 * private CA given in ca-cert), failures found before the build (wrong password, pull-only account on a
 * token-auth registry, missing credentials), and a scan of everything the step leaves for known secrets.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  errorLines,
  leakedSecrets,
  logWithoutMaskCommands,
  ROOT,
  runAction,
  RunResult,
  tagEvent
} from '../helpers/harness';
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
import {getManifest, listTags, platforms, RegistryAccess} from '../helpers/registry';
import {startTokenRegistry, TokenRegistry} from '../helpers/token-registry';

const env = testEnv();
const basic: RegistryAccess = basicAccess(env);
const tls: RegistryAccess = tlsAccess(env);
const context = path.join(ROOT, 'test', 'fixture-app');
const KEY_PASSWORD = 'cosign-pass-7Hq2';
const GITHUB_TOKEN = 'ghs_fakeTokenForSecretScan0123456789';
const keys = cosignKeyPair(fs.mkdtempSync(path.join(os.tmpdir(), 'pi-keys-')), KEY_PASSWORD);

const registryAuth = (tlsPassword?: string): string => registryAuthYaml(env, tlsPassword);

const builds = buildCount;
const certsDir = `/etc/docker/certs.d/${env.PI_REG_TLS}`;
const ourCAs = (): string[] =>
  fs.existsSync(certsDir) ? fs.readdirSync(certsDir).filter(f => f.startsWith('publish-image-')) : [];

describe('one step, two registries (basic auth, and TLS with ca-cert), signed', () => {
  const repo = uniqueRepo('two-registries');
  let run: RunResult;
  let casDuringRun: string[] = [];
  beforeAll(async () => {
    const watcher = setInterval(() => (casDuringRun = [...new Set([...casDuringRun, ...ourCAs()])]), 50);
    run = await runAction({
      event: tagEvent('v3.1.0'),
      inputs: {
        images: `${env.PI_REG_BASIC}/${repo}\n${env.PI_REG_TLS}/${repo}`,
        context,
        platforms: 'linux/amd64,linux/arm64',
        push: 'true',
        'registry-auth': registryAuth(),
        'cosign-key': keys.key,
        'cosign-password': KEY_PASSWORD,
        'tlog-upload': 'false',
        'github-token': GITHUB_TOKEN
      }
    });
    clearInterval(watcher);
  });

  test('succeeds, with one build', () => {
    expect(errorLines(run.main.stdout)).toEqual([]);
    expect(run.main.exitCode).toBe(0);
    expect(builds(run.main.stdout)).toBe(1);
  });

  test('both registries hold the same digest under every tag, with both platforms', async () => {
    const digest = run.main.outputs['digest'];
    for (const r of [basic, tls]) {
      const tags = await listTags(r, repo);
      // and the docker driver's staging tag, which Distribution 2.8 cannot delete alone
      expect(tags.filter(t => !t.endsWith('.sig'))).toEqual([
        '3',
        '3.1',
        '3.1.0',
        'latest',
        'publish-image-staging',
        'sha-1a2b3c4'
      ]);
      expect(tags.filter(t => t.endsWith('.sig'))).toEqual([`${digest?.replace(':', '-')}.sig`]);
      for (const tag of ['3.1.0', 'latest']) expect((await getManifest(r, repo, tag)).digest).toBe(digest);
      expect(platforms(await getManifest(r, repo, digest ?? ''))).toEqual(['linux/amd64', 'linux/arm64']);
    }
  });

  test('each repository is signed once, and verifies in the TLS registry with the CA', () => {
    const signatures = JSON.parse(run.main.outputs['signatures'] ?? '{}') as Record<string, string>;
    expect(Object.keys(signatures).sort()).toEqual(
      [
        `${env.PI_REG_BASIC}/${repo}@${run.main.outputs['digest']}`,
        `${env.PI_REG_TLS}/${repo}@${run.main.outputs['digest']}`
      ].sort()
    );
    const out = cosignVerify(`${env.PI_REG_TLS}/${repo}@${run.main.outputs['digest']}`, keys.pubPath, tlsAccess(env));
    expect(out).toContain(run.main.outputs['digest']);
  });

  test('the CA was given to the daemon for that host during the step, and removed after', () => {
    expect(casDuringRun.length).toBe(1);
    expect(ourCAs()).toEqual([]);
  });

  test('no secret appears in the log, the outputs, the state, the summary or any file left behind', () => {
    const secrets = [
      env.PI_REG_BASIC_PASSWORD,
      env.PI_REG_TLS_PASSWORD,
      KEY_PASSWORD,
      GITHUB_TOKEN,
      ...keys.key.split('\n').filter(l => l.length > 20 && !l.startsWith('-----'))
    ];
    expect(leakedSecrets(run, secrets)).toEqual([]);
  });
});

describe('failures before the build', () => {
  let tokenRegistry: TokenRegistry;
  beforeAll(async () => {
    tokenRegistry = await startTokenRegistry({
      puller: {password: 'puller-pass-1', actions: ['pull']},
      pusher: {password: 'pusher-pass-1', actions: ['pull', 'push']}
    });
  });
  afterAll(async () => {
    await tokenRegistry.stop();
  });

  const expectStoppedBeforeBuild = (run: RunResult): void => {
    expect(run.main.exitCode).toBe(1);
    expect(builds(run.main.stdout)).toBe(0);
  };

  test('a wrong password for one of two registries names that registry', async () => {
    const repo = uniqueRepo('wrong-tls');
    const run = await runAction({
      event: tagEvent('v1.0.0'),
      inputs: {
        images: `${env.PI_REG_BASIC}/${repo}\n${env.PI_REG_TLS}/${repo}`,
        context,
        push: 'true',
        'registry-auth': registryAuth('not-the-password-Zx1')
      }
    });
    expectStoppedBeforeBuild(run);
    expect(errorLines(run.main.stdout).join('\n')).toMatch(
      new RegExp(`${env.PI_REG_TLS}.*\\n?.*Check username and password for ${env.PI_REG_TLS}`)
    );
    expect(logWithoutMaskCommands(run.main.stdout)).not.toContain('not-the-password-Zx1');
    expect(await listTags(basic, repo)).toEqual([]);
  });

  test('an account that may pull but not push (token auth) is refused with the likely causes', async () => {
    const repo = uniqueRepo('pull-only');
    const run = await runAction({
      event: tagEvent('v1.0.0'),
      inputs: {
        images: `${tokenRegistry.host}/${repo}`,
        context,
        push: 'true',
        username: 'puller',
        password: 'puller-pass-1'
      }
    });
    expectStoppedBeforeBuild(run);
    const errors = errorLines(run.main.stdout).join('\n');
    expect(errors).toContain(`${tokenRegistry.host}/${repo}`);
    expect(errors).toMatch(/refused to let the account "puller" push/);
    expect(errors).toMatch(/may pull but not push/);
    expect(tokenRegistry.tokenRequests).toContain(`puller repository:${repo}:pull,push`);
  });

  test('the same registry accepts an account with push, through the token service', async () => {
    const repo = uniqueRepo('token-push');
    const run = await runAction({
      event: tagEvent('v1.0.0'),
      inputs: {
        images: `${tokenRegistry.host}/${repo}`,
        context,
        push: 'true',
        username: 'pusher',
        password: 'pusher-pass-1',
        platforms: 'linux/amd64'
      }
    });
    expect(errorLines(run.main.stdout)).toEqual([]);
    expect(run.main.exitCode).toBe(0);
    expect(run.main.outputs['refs']).toContain(`${tokenRegistry.host}/${repo}:1.0.0`);
  });

  test('a missing credential for one of two registries is named with the fix', async () => {
    const repo = uniqueRepo('missing-cred');
    const run = await runAction({
      event: tagEvent('v1.0.0'),
      inputs: {
        images: `${env.PI_REG_BASIC}/${repo}\n${env.PI_REG_TLS}/${repo}`,
        context,
        push: 'true',
        registry: env.PI_REG_BASIC,
        username: env.PI_REG_BASIC_USER,
        password: env.PI_REG_BASIC_PASSWORD
      }
    });
    expectStoppedBeforeBuild(run);
    const errors = errorLines(run.main.stdout).join('\n');
    expect(errors).toContain(`no credentials for ${env.PI_REG_TLS} (image ${env.PI_REG_TLS}/${repo})`);
    expect(errors).toContain('registry-auth');
  });

  test('logout: false keeps the Docker config for later steps and exports DOCKER_CONFIG', async () => {
    const repo = uniqueRepo('keep-login');
    const run = await runAction({
      event: tagEvent('v1.0.0'),
      inputs: {
        images: `${env.PI_REG_BASIC}/${repo}`,
        context,
        push: 'true',
        platforms: 'linux/amd64',
        username: basic.user ?? '',
        password: basic.password ?? '',
        logout: 'false'
      }
    });
    expect(run.main.exitCode).toBe(0);
    const dir = run.main.exportedEnv['DOCKER_CONFIG'] ?? '';
    expect(fs.existsSync(path.join(dir, 'config.json'))).toBe(true);
    expect(
      Object.keys((JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as {auths: object}).auths)
    ).toContain(env.PI_REG_BASIC);
    expect((fs.statSync(dir).mode & 0o777).toString(8)).toBe('700');
    fs.rmSync(dir, {recursive: true, force: true});
  });
});
