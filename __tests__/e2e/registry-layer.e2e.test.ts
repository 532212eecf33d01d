/**
 * The registry layer against real servers, tried as users of real registries would: a TLS registry trusted only
 * through /etc/docker/certs.d, a Distribution registry with token auth (two repositories, mounts with two scopes),
 * credentials from the job's Docker config through a real credential helper, faults injected by a proxy (a reset
 * mid-way through a blob, 500s from /v2/ and from the token service), a cross-origin upload location, and a real
 * forward proxy (tinyproxy).
 */
import {ChildProcess, execFileSync, spawn} from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
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
import {basicAccess, cosignKeyPair, cosignVerify, testEnv, tlsAccess, uniqueRepo} from '../helpers/env';
import {getManifest, listTags, RegistryAccess} from '../helpers/registry';
import {freePort, startTokenRegistry, TokenRegistry} from '../helpers/token-registry';
import {FaultProxy, startFaultProxy} from '../helpers/fault-proxy';

const env = testEnv();
const basic: RegistryAccess = basicAccess(env);
const context = path.join(ROOT, 'test', 'fixture-app');
const KEY_PASSWORD = 'cosign-pass-Rl9x';
const keys = cosignKeyPair(fs.mkdtempSync(path.join(os.tmpdir(), 'pi-keys-')), KEY_PASSWORD);
const signInputs = {'cosign-key': keys.key, 'cosign-password': KEY_PASSWORD, 'tlog-upload': 'false'};
/** A one-platform publish of the fixture to `images`, pushed. */
const pushInputs = (images: string): Record<string, string> => ({
  images,
  context,
  platforms: 'linux/amd64',
  push: 'true'
});
const retryLines = (log: string): string[] => log.split('\n').filter(l => /^retry \d+\/\d+ in /.test(l));

const ok = (run: RunResult): void => {
  expect(errorLines(run.main.stdout)).toEqual([]);
  expect(run.main.exitCode).toBe(0);
};

describe('a TLS registry trusted only through /etc/docker/certs.d (no ca-cert)', () => {
  const repo = uniqueRepo('certsd');
  let run: RunResult;
  beforeAll(async () => {
    if (!fs.existsSync(`/etc/docker/certs.d/${env.PI_REG_TLS}/ca.crt`))
      throw new Error(`test-env installs the TLS registry's CA in /etc/docker/certs.d/${env.PI_REG_TLS}/ca.crt`);
    run = await runAction({
      event: tagEvent('v1.2.0'),
      inputs: {
        ...pushInputs(`${env.PI_REG_TLS}/${repo}`),
        registry: env.PI_REG_TLS,
        username: env.PI_REG_TLS_USER,
        password: env.PI_REG_TLS_PASSWORD,
        ...signInputs
      }
    });
  });

  test('publishes and signs', () => {
    ok(run);
    expect(run.main.outputs['refs']).toContain(`${env.PI_REG_TLS}/${repo}:1.2.0`);
    expect(Object.keys(JSON.parse(run.main.outputs['signatures'] ?? '{}') as object)).toEqual([
      `${env.PI_REG_TLS}/${repo}@${run.main.outputs['digest']}`
    ]);
  });

  test('the registry holds the digest and the signature verifies', async () => {
    const digest = run.main.outputs['digest'] ?? '';
    expect((await getManifest(tlsAccess(env), repo, '1.2.0')).digest).toBe(digest);
    expect(cosignVerify(`${env.PI_REG_TLS}/${repo}@${digest}`, keys.pubPath, tlsAccess(env))).toContain(digest);
  });
});

describe('a registry with token auth: one image to two repositories, mounts with two scopes, signed', () => {
  const repoA = uniqueRepo('token-a');
  const repoB = uniqueRepo('token-b');
  let reg: TokenRegistry;
  let run: RunResult;
  let leg: RunResult;
  beforeAll(async () => {
    reg = await startTokenRegistry({pusher: {password: 'pusher-pass-2', actions: ['pull', 'push']}});
    // a build leg on the docker driver is uploaded by the step itself (its OCI layout): its mounts are the step's
    leg = await runAction({
      event: tagEvent('v2.0.0'),
      inputs: {
        images: `${reg.host}/${repoA}\n${reg.host}/${repoB}`,
        context,
        platforms: 'linux/amd64',
        push: 'true',
        mode: 'build',
        username: 'pusher',
        password: 'pusher-pass-2'
      }
    });
    run = await runAction({
      event: tagEvent('v2.0.0'),
      inputs: {
        images: `${reg.host}/${repoA}\n${reg.host}/${repoB}`,
        context,
        platforms: 'linux/amd64,linux/arm64',
        push: 'true',
        username: 'pusher',
        password: 'pusher-pass-2',
        ...signInputs
      }
    });
  });
  afterAll(async () => reg.stop());

  test('succeeds, both repositories signed', () => {
    ok(run);
    const signatures = Object.keys(JSON.parse(run.main.outputs['signatures'] ?? '{}') as object).sort();
    expect(signatures).toEqual(
      [
        `${reg.host}/${repoA}@${run.main.outputs['digest']}`,
        `${reg.host}/${repoB}@${run.main.outputs['digest']}`
      ].sort()
    );
  });

  test("the step's own upload (a build leg): the second repository mounted the blobs of the first, with a token for both scopes", () => {
    ok(leg);
    const line =
      leg.main.stdout.split('\n').find(l => l.startsWith(`${reg.host}/${repoB}@`) && l.includes('blobs (')) ?? '';
    expect(line).toMatch(/\(0 uploaded, [1-9]\d* mounted, 0 already there\)/);
    expect(reg.tokenRequests).toContain(`pusher repository:${repoB}:pull,push repository:${repoA}:pull`);
  });

  test('token requests carry a User-Agent', () => {
    expect(reg.userAgents.filter(u => u.startsWith('publish-image')).length).toBeGreaterThan(0);
  });
});

describe('through a fault-injecting proxy, with the default retries', () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy(env.PI_REG_BASIC);
  });
  afterAll(async () => proxy.close());

  const publish = (repo: string, extra: Record<string, string> = {}): Promise<RunResult> =>
    runAction({
      event: tagEvent('v1.0.0'),
      inputs: {
        ...pushInputs(`${proxy.host}/${repo}`),
        ...extra,
        registry: proxy.host,
        username: env.PI_REG_BASIC_USER,
        password: env.PI_REG_BASIC_PASSWORD
      }
    });

  test('a connection reset mid-way through a blob body: a fresh upload session, and the image lands', async () => {
    const repo = uniqueRepo('reset-body');
    proxy.setRules([{name: 'cut', method: 'PUT', path: /\/blobs\/uploads\//, fault: 'reset-body', times: 1}]);
    // a build leg on the docker driver is uploaded by the step itself, from its OCI layout
    const run = await publish(repo, {mode: 'build', platforms: 'linux/amd64'});
    ok(run);
    expect(proxy.injected['cut']).toBe(1);
    const retries = retryLines(run.main.stdout);
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatch(
      new RegExp(
        `upload ${proxy.host}/${repo} blob sha256:[0-9a-f]{64}: .*(ECONNRESET|UND_ERR_SOCKET|other side closed)`
      )
    );
    // every upload session is used once: the cut one is not tried again, a new session (POST) replaces it
    const uploads = proxy.seen.filter(s => s.includes(`/v2/${repo}/blobs/uploads/`));
    const puts = uploads.filter(s => s.startsWith('PUT'));
    const posts = uploads.filter(s => s === `POST /v2/${repo}/blobs/uploads/`);
    expect(new Set(puts).size).toBe(puts.length);
    // one POST more: the preflight's push check opens an upload session and deletes it
    expect(posts.length).toBe(puts.length + 1);
    expect(uploads.filter(s => s.startsWith('DELETE'))).toHaveLength(1);
    expect(puts.length).toBeGreaterThan(1);
    const digest = run.main.outputs['digest'] ?? '';
    expect((await getManifest(basic, repo, digest)).digest).toBe(digest);
  });

  test('500 on /v2/ twice: the ping is retried, with one log line per retry', async () => {
    const repo = uniqueRepo('ping-500');
    proxy.setRules([{name: 'ping', method: 'GET', path: /^\/v2\/$/, fault: '500', times: 2}]);
    const run = await publish(repo);
    ok(run);
    expect(proxy.injected['ping']).toBe(2);
    const retries = retryLines(run.main.stdout);
    expect(retries).toHaveLength(2);
    expect(retries[0]).toMatch(
      new RegExp(`^retry 1/3 in \\d+\\.\\ds: GET ${proxy.host}/v2/: 500 UNKNOWN: injected 500$`)
    );
    expect(retries[1]).toMatch(/^retry 2\/3 in /);
    expect(await listTags(basic, repo)).toContain('1.0.0');
  });

  test('a cross-origin upload Location receives no credentials', async () => {
    // "storage": another origin (localhost instead of 127.0.0.1, another port) that authenticates by itself
    const auth = `Basic ${Buffer.from(`${env.PI_REG_BASIC_USER}:${env.PI_REG_BASIC_PASSWORD}`).toString('base64')}`;
    const storage = await startFaultProxy(env.PI_REG_BASIC, {upstreamAuth: auth});
    const port = storage.host.split(':')[1] ?? '';
    proxy.setRules([]);
    const redirecting = await startFaultProxy(env.PI_REG_BASIC, {
      location: l => (l.startsWith('/v2/') && l.includes('/blobs/uploads/') ? `http://localhost:${port}${l}` : l)
    });
    try {
      const repo = uniqueRepo('cross-origin');
      const run = await runAction({
        event: tagEvent('v1.0.0'),
        inputs: {
          ...pushInputs(`${redirecting.host}/${repo}`),
          registry: redirecting.host,
          username: env.PI_REG_BASIC_USER,
          password: env.PI_REG_BASIC_PASSWORD
        }
      });
      ok(run);
      const puts = storage.authSeen.filter(s => s.startsWith(`PUT /v2/${repo}/blobs/uploads/`));
      expect(puts.length).toBeGreaterThan(0);
      expect(puts.filter(s => !s.endsWith(' '))).toEqual([]);
      // while the registry's own origin did get them
      expect(
        redirecting.authSeen.filter(s => s.startsWith(`POST /v2/${repo}/blobs/uploads/ Basic `)).length
      ).toBeGreaterThan(0);
      expect((await getManifest(basic, repo, '1.0.0')).digest).toBe(run.main.outputs['digest']);
    } finally {
      await redirecting.close();
      await storage.close();
    }
  });
});

describe('500 from the token service twice', () => {
  let reg: TokenRegistry;
  let tokenProxy: FaultProxy | undefined;
  beforeAll(async () => {
    reg = await startTokenRegistry(
      {pusher: {password: 'pusher-pass-3', actions: ['pull', 'push']}},
      {
        realm: async tokenHost => {
          tokenProxy = await startFaultProxy(tokenHost);
          return `http://${tokenProxy.host}/token`;
        }
      }
    );
  });
  afterAll(async () => {
    await reg.stop();
    await tokenProxy?.close();
  });

  test('is survived with the default retries, each retry logged naming the token service', async () => {
    const repo = uniqueRepo('token-500');
    tokenProxy?.setRules([{name: 'token', method: 'GET', path: /^\/token/, fault: '500', times: 2}]);
    const run = await runAction({
      event: tagEvent('v1.0.0'),
      inputs: {
        ...pushInputs(`${reg.host}/${repo}`),
        username: 'pusher',
        password: 'pusher-pass-3'
      }
    });
    ok(run);
    expect(tokenProxy?.injected['token']).toBe(2);
    const retries = retryLines(run.main.stdout);
    expect(retries).toHaveLength(2);
    expect(retries[0]).toMatch(
      new RegExp(`token service http://${tokenProxy?.host ?? ''}/token for ${reg.host}.*: 500 UNKNOWN: injected 500$`)
    );
    expect(run.main.outputs['refs']).toContain(`${reg.host}/${repo}:1.0.0`);
  });
});

describe('logins made by earlier steps, in the job Docker config', () => {
  const user = env.PI_REG_BASIC_USER;
  const secret = env.PI_REG_BASIC_PASSWORD;
  const publishWith = (repo: string, extraEnv: Record<string, string>): Promise<RunResult> =>
    runAction({
      event: tagEvent('v1.0.0'),
      env: extraEnv,
      inputs: pushInputs(`${env.PI_REG_BASIC}/${repo}`)
    });

  test('docker login (auths): the push uses it, no input names credentials', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-job-docker-'));
    execFileSync('docker', ['--config', dir, 'login', '--username', user, '--password-stdin', env.PI_REG_BASIC], {
      input: secret,
      stdio: ['pipe', 'pipe', 'pipe']
    });
    const repo = uniqueRepo('job-auths');
    const run = await publishWith(repo, {DOCKER_CONFIG: dir});
    ok(run);
    expect(run.main.stdout).toContain(
      `${env.PI_REG_BASIC}: credentials from the job's Docker config (auths), as docker push would use them`
    );
    expect(run.main.stdout).toContain(`${env.PI_REG_BASIC}: credentials of "${user}" from the job's Docker config`);
    expect(await listTags(basic, repo)).toContain('1.0.0');
    expect(logWithoutMaskCommands(run.main.stdout + run.main.stderr)).not.toContain(secret);
    // the job's own login is left as it was: the step cleans up only what it made
    expect(
      Object.keys((JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as {auths: object}).auths)
    ).toEqual([env.PI_REG_BASIC]);
  });

  describe('a credential helper (credHelpers -> docker-credential-pass, the real one, with pass and GPG)', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-credhelper-'));
    const gnupg = path.join(root, 'gnupg');
    const store = path.join(root, 'password-store');
    const bin = path.join(root, 'bin');
    const dockerConfig = path.join(root, 'docker');
    const helperEnv = (): Record<string, string> => ({
      GNUPGHOME: gnupg,
      PASSWORD_STORE_DIR: store,
      PATH: `${bin}:${process.env['PATH'] ?? '/usr/bin:/bin'}`
    });
    let run: RunResult;
    const repo = uniqueRepo('credhelper');
    beforeAll(async () => {
      fs.mkdirSync(gnupg, {mode: 0o700});
      fs.mkdirSync(bin);
      fs.mkdirSync(dockerConfig);
      // test-env keeps `pass` off PATH (docker would make it every login's default store): it is put on ours
      const pass = ['/usr/lib/pass.publish-image-diverted', '/usr/bin/pass'].find(p => fs.existsSync(p)) ?? 'pass';
      fs.symlinkSync(pass, path.join(bin, 'pass'));
      const e = {...process.env, ...helperEnv()};
      execFileSync(
        'gpg',
        ['--batch', '--pinentry-mode', 'loopback', '--passphrase', '', '--quick-gen-key', 'pi-test@example.invalid'],
        {env: e, stdio: 'pipe'}
      );
      execFileSync('pass', ['init', 'pi-test@example.invalid'], {env: e, stdio: 'pipe'});
      execFileSync('docker-credential-pass', ['store'], {
        env: e,
        input: JSON.stringify({ServerURL: env.PI_REG_BASIC, Username: user, Secret: secret}),
        stdio: ['pipe', 'pipe', 'pipe']
      });
      fs.writeFileSync(
        path.join(dockerConfig, 'config.json'),
        JSON.stringify({credHelpers: {[env.PI_REG_BASIC]: 'pass'}})
      );
      run = await publishWith(repo, {...helperEnv(), DOCKER_CONFIG: dockerConfig});
    });
    afterAll(() => {
      execFileSync('gpgconf', ['--kill', 'gpg-agent'], {env: {...process.env, GNUPGHOME: gnupg}, stdio: 'pipe'});
    });

    test('the helper is asked through its protocol, and the image lands', async () => {
      ok(run);
      expect(run.main.stdout).toContain(
        `${env.PI_REG_BASIC}: credentials from the job's Docker config (credHelpers: pass), as docker push would use them`
      );
      expect(run.main.stdout).toContain(
        `${env.PI_REG_BASIC}: credentials of "${user}" from docker-credential-pass (credHelpers of ${dockerConfig}/config.json)`
      );
      expect((await getManifest(basic, repo, '1.0.0')).digest).toBe(run.main.outputs['digest']);
    });

    test("the helper's secret is masked and appears nowhere", () => {
      expect(run.main.stdout).toContain(`::add-mask::${secret}`);
      expect(leakedSecrets(run, [secret])).toEqual([]);
    });

    test("a credsStore in the job's config: the step's own login is what buildx and cosign use, and the store is left alone", async () => {
      const storeConfig = path.join(root, 'docker-store');
      fs.mkdirSync(storeConfig);
      fs.writeFileSync(path.join(storeConfig, 'config.json'), JSON.stringify({credsStore: 'pass'}));
      const before = fs.readdirSync(store, {recursive: true}).map(String).sort();
      const tlsRepo = uniqueRepo('credsstore-sign');
      const signed = await runAction({
        event: tagEvent('v1.0.0'),
        env: {...helperEnv(), DOCKER_CONFIG: storeConfig},
        inputs: {
          ...pushInputs(`${env.PI_REG_TLS}/${tlsRepo}`),
          registry: env.PI_REG_TLS,
          username: env.PI_REG_TLS_USER,
          password: env.PI_REG_TLS_PASSWORD,
          ...signInputs
        }
      });
      ok(signed);
      // cosign pushed the signature with the step's login (pass holds nothing for this registry)
      const digest = signed.main.outputs['digest'] ?? '';
      expect(cosignVerify(`${env.PI_REG_TLS}/${tlsRepo}@${digest}`, keys.pubPath, tlsAccess(env))).toContain(digest);
      expect(fs.readdirSync(store, {recursive: true}).map(String).sort()).toEqual(before);
      expect(JSON.parse(fs.readFileSync(path.join(storeConfig, 'config.json'), 'utf8'))).toEqual({credsStore: 'pass'});
    });
  });
});

describe('a real forward proxy (tinyproxy) for a registry that is not loopback', () => {
  // tinyproxy forwards requests for the host "piregistry" to the basic-auth registry (its Upstream rule), so the
  // registry is reachable only through the proxy, as a corporate registry is
  let proxyProc: ChildProcess;
  let proxyPort = 0;
  let proxyLog = '';
  const name = `piregistry:${env.PI_REG_BASIC.split(':')[1] ?? '5001'}`;
  beforeAll(async () => {
    proxyPort = await freePort();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-tinyproxy-'));
    fs.writeFileSync(
      path.join(dir, 'tinyproxy.conf'),
      [
        `Port ${proxyPort}`,
        'Listen 127.0.0.1',
        'Timeout 60',
        'LogLevel Connect',
        'MaxClients 50',
        'Allow 127.0.0.1',
        `Upstream http ${env.PI_REG_BASIC} "piregistry"`
      ].join('\n') + '\n'
    );
    proxyProc = spawn('tinyproxy', ['-d', '-c', path.join(dir, 'tinyproxy.conf')], {stdio: ['ignore', 'pipe', 'pipe']});
    proxyProc.stdout?.on('data', (d: Buffer) => (proxyLog += d.toString()));
    proxyProc.stderr?.on('data', (d: Buffer) => (proxyLog += d.toString()));
    // ready when it accepts connections
    for (let i = 0; i < 100; i++) {
      const up = await new Promise<boolean>(r => {
        const c = net.connect(proxyPort, '127.0.0.1', () => (c.end(), r(true)));
        c.on('error', () => r(false));
      });
      if (up) break;
      await new Promise(r => setTimeout(r, 50));
    }
  });
  afterAll(() => {
    proxyProc.kill();
  });

  const through = (
    repo: string,
    images: string,
    extraEnv: Record<string, string>,
    extraInputs: Record<string, string> = {}
  ): Promise<RunResult> =>
    runAction({
      event: tagEvent('v1.0.0'),
      env: extraEnv,
      inputs: {
        images,
        context,
        platforms: 'linux/amd64',
        push: 'true',
        'registry-auth': `- registry: ${images.split('/')[0] ?? ''}\n  username: ${env.PI_REG_BASIC_USER}\n  password: ${env.PI_REG_BASIC_PASSWORD}`,
        'insecure-registries': name,
        ...extraInputs
      }
    });

  test('HTTP_PROXY: every registry call goes through the proxy, and the image lands', async () => {
    const repo = uniqueRepo('proxied');
    proxyLog = '';
    const run = await through(repo, `${name}/${repo}`, {HTTP_PROXY: `http://127.0.0.1:${proxyPort}`});
    ok(run);
    expect(run.main.stdout).toContain(`${name}: through the proxy http://127.0.0.1:${proxyPort}`);
    for (const call of ['GET', 'POST', 'PUT'])
      expect(proxyLog).toMatch(new RegExp(`Request \\(file descriptor \\d+\\): ${call} http://${name}/v2/`));
    expect(proxyLog).toContain(`/v2/${repo}/manifests/1.0.0`);
    expect((await getManifest(basic, repo, '1.0.0')).digest).toBe(run.main.outputs['digest']);
  });

  test('a loopback registry bypasses the proxy, as docker does', async () => {
    const repo = uniqueRepo('loopback-direct');
    proxyLog = '';
    const run = await through(repo, `${env.PI_REG_BASIC}/${repo}`, {
      HTTP_PROXY: `http://127.0.0.1:${proxyPort}`,
      HTTPS_PROXY: `http://127.0.0.1:${proxyPort}`
    });
    ok(run);
    expect(proxyLog).not.toContain('/v2/');
    expect(await listTags(basic, repo)).toContain('1.0.0');
  });

  test('NO_PROXY names the host: the call goes direct (and here cannot resolve the name)', async () => {
    const repo = uniqueRepo('no-proxy');
    proxyLog = '';
    const run = await through(
      repo,
      `${name}/${repo}`,
      {
        HTTP_PROXY: `http://127.0.0.1:${proxyPort}`,
        NO_PROXY: 'piregistry'
      },
      {retries: '0'}
    );
    expect(run.main.exitCode).toBe(1);
    expect(proxyLog).not.toContain('/v2/');
    expect(errorLines(run.main.stdout).join('\n')).toContain(`${name} directly (no proxy)`);
  });

  test('a proxy that is down is named in the error, without its password', async () => {
    const repo = uniqueRepo('proxy-down');
    const closed = await freePort();
    const run = await through(
      repo,
      `${name}/${repo}`,
      {
        HTTP_PROXY: `http://proxyuser:proxy-secret-Kd8@127.0.0.1:${closed}`
      },
      {retries: '0'}
    );
    expect(run.main.exitCode).toBe(1);
    const error = errorLines(run.main.stdout).join('\n');
    expect(error).toContain(
      `The proxy http://proxyuser:***@127.0.0.1:${closed} (HTTPS_PROXY/HTTP_PROXY) could not be used to reach ${name}`
    );
    expect(leakedSecrets(run, ['proxy-secret-Kd8'])).toEqual([]);
  });
});
