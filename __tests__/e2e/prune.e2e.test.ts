/**
 * Retention (mode prune) over repositories the test builds with the real engine and signs with the real cosign, in
 * two registries at once: sha-* tags of different ages (SOURCE_DATE_EPOCH sets the image config's `created`), a
 * release tag sharing a digest with one of them, latest, signature tags. A dry run first, then for real; and a
 * registry of the test's own with deletes disabled.
 */
import {ChildProcess, execFileSync, spawn} from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {request} from 'undici';
import {branchEvent, errorLines, ROOT, runAction} from '../helpers/harness';
import {basicAccess, cosignKeyPair, registryAuthYaml, testEnv, tlsAccess, uniqueRepo} from '../helpers/env';
import {getManifest, listTags, RegistryAccess} from '../helpers/registry';
import {freePort} from '../helpers/token-registry';

const env = testEnv();
const basic: RegistryAccess = basicAccess(env);
const tls: RegistryAccess = tlsAccess(env);
const app = path.join(ROOT, 'test', 'fixture-app');
const KEY_PASSWORD = 'prune-key-Pw18';
const keys = cosignKeyPair(fs.mkdtempSync(path.join(os.tmpdir(), 'pi-keys-')), KEY_PASSWORD);
const DAY = 86_400;
const now = Math.floor(Date.now() / 1000);
const sig = (digest: string): string => `${digest.replace(':', '-')}.sig`;

describe('mode prune over two registries', () => {
  const repo = uniqueRepo('prune');
  const images = `${env.PI_REG_BASIC}/${repo}\n${env.PI_REG_TLS}/${repo}`;
  const auth = registryAuthYaml(env);
  // name, commit, age in days, extra tags
  const builds: [string, string, number, string][] = [
    ['a', 'a'.repeat(40), 40, ''],
    ['b', 'b'.repeat(40), 20, 'type=raw,value=1.0.0'],
    ['c', 'c'.repeat(40), 10, ''],
    ['d', 'd'.repeat(40), 2, 'type=raw,value=latest'],
    ['e', 'e'.repeat(40), 30, '']
  ];
  const digest: Record<string, string> = {};
  const prune = (dryRun: boolean): ReturnType<typeof runAction> =>
    runAction({
      event: branchEvent('main'),
      inputs: {
        images,
        'registry-auth': auth,
        mode: 'prune',
        'prune-match': '^sha-',
        'prune-keep': '1',
        'prune-older-than': '15d',
        'dry-run': String(dryRun)
      }
    });

  beforeAll(async () => {
    for (const [name, sha, age, extra] of builds) {
      const run = await runAction({
        event: branchEvent('main', sha),
        env: {SOURCE_DATE_EPOCH: String(now - age * DAY)},
        inputs: {
          images,
          context: app,
          push: 'true',
          platforms: 'linux/amd64',
          'build-args': `MESSAGE=prune-${name}`,
          tags: `type=sha\n${extra}`,
          'registry-auth': auth,
          'cosign-key': keys.key,
          'cosign-password': KEY_PASSWORD,
          'tlog-upload': 'false'
        }
      });
      if (run.main.exitCode !== 0) throw new Error(`build ${name} failed:\n${errorLines(run.main.stdout).join('\n')}`);
      digest[name] = run.main.outputs['digest'] ?? '';
    }
    if (new Set(Object.values(digest)).size !== 5) throw new Error(`expected 5 digests: ${JSON.stringify(digest)}`);
  });

  const everything = (): string[] =>
    [
      ...builds.map(([n]) => `sha-${n.repeat(7)}`),
      '1.0.0',
      'latest',
      // the docker driver's staging tag, on the last build's digest (Distribution 2.8 keeps it)
      'publish-image-staging',
      ...builds.map(([n]) => sig(digest[n] ?? ''))
    ].sort();
  const removed = (): string[] => ['sha-aaaaaaa', 'sha-eeeeeee', sig(digest['a'] ?? ''), sig(digest['e'] ?? '')];

  test('the repositories hold what the builds made', async () => {
    for (const r of [basic, tls]) {
      expect(await listTags(r, repo)).toEqual(everything());
      expect((await getManifest(r, repo, '1.0.0')).digest).toBe(digest['b']);
      expect((await getManifest(r, repo, 'latest')).digest).toBe(digest['d']);
    }
  });

  test('dry run: lists what would go and why each other tag stays, deletes nothing', async () => {
    const run = await prune(true);
    expect(errorLines(run.main.stdout)).toEqual([]);
    expect(run.main.exitCode).toBe(0);
    const want = [env.PI_REG_BASIC, env.PI_REG_TLS].flatMap(h => removed().map(t => `${h}/${repo}:${t}`));
    expect((JSON.parse(run.main.outputs['pruned'] ?? '') as string[]).sort()).toEqual(want.sort());
    const log = run.main.stdout;
    for (const h of [env.PI_REG_BASIC, env.PI_REG_TLS]) {
      const image = `${h}/${repo}`;
      expect(log).toContain(`would remove ${image}:sha-aaaaaaa (${digest['a']})`);
      expect(log).toContain(`keep ${image}:sha-ddddddd: one of the newest 1 (prune-keep)`);
      expect(log).toMatch(
        new RegExp(`keep ${image}:sha-ccccccc: (9|10)d old, not older than prune-older-than \\(15d\\)`)
      );
      expect(log).toContain(`keep ${image}:sha-bbbbbbb: same digest as 1.0.0, which stays`);
      expect(log).toContain(`keep ${image}:latest: not matched by prune-match (^sha-)`);
      expect(log).not.toContain(`deleted ${image}`);
    }
    expect(run.main.summary).toContain('Dry run: nothing was deleted');
    expect(run.main.summary).toContain('| `sha-bbbbbbb` |');
    for (const r of [basic, tls]) expect(await listTags(r, repo)).toEqual(everything());
  });

  test('for real: exactly the old, unshared sha-* tags go, with their signatures; the rest stays where it was', async () => {
    const run = await prune(false);
    expect(errorLines(run.main.stdout)).toEqual([]);
    expect(run.main.exitCode).toBe(0);
    expect(JSON.parse(run.main.outputs['pruned'] ?? '')).toHaveLength(8);
    // the staging tag is never pruned by name: it stays, or goes with its digest
    expect(run.main.outputs['pruned']).not.toContain('publish-image-staging');
    const left = everything().filter(t => !removed().includes(t) && t !== 'publish-image-staging');
    for (const r of [basic, tls]) {
      expect((await listTags(r, repo)).filter(t => t !== 'publish-image-staging')).toEqual(left);
      for (const n of ['a', 'e']) expect((await getManifest(r, repo, digest[n] ?? '')).status).toBe(404);
      for (const n of ['b', 'c', 'd'])
        expect((await getManifest(r, repo, `sha-${n.repeat(7)}`)).digest).toBe(digest[n]);
      expect((await getManifest(r, repo, '1.0.0')).digest).toBe(digest['b']);
      expect((await getManifest(r, repo, 'latest')).digest).toBe(digest['d']);
    }
    expect(run.main.summary).toMatch(/\| `sha-aaaaaaa` \| `sha256:[0-9a-f]{12}…` \| removed \|/);
    // a second run finds nothing more to do
    const again = await prune(false);
    expect(again.main.exitCode).toBe(0);
    expect(JSON.parse(again.main.outputs['pruned'] ?? '')).toEqual([]);
  });
});

describe('a registry that refuses deletes', () => {
  let registry: ChildProcess | undefined;
  let host = '';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-nodelete-'));

  beforeAll(async () => {
    const port = await freePort();
    host = `127.0.0.1:${port}`;
    const config = path.join(dir, 'config.yml');
    fs.writeFileSync(
      config,
      [
        'version: 0.1',
        'log: {level: warn}',
        'storage:',
        `  filesystem: {rootdirectory: ${path.join(dir, 'data')}}`,
        '  delete: {enabled: false}',
        `http: {addr: "${host}"}`
      ].join('\n')
    );
    registry = spawn('/usr/bin/docker-registry', ['serve', config], {stdio: 'ignore'});
    for (let i = 0; ; i++) {
      try {
        const r = await request(`http://${host}/v2/`);
        await r.body.dump();
        if (r.statusCode === 200) break;
      } catch {
        // not up yet
      }
      if (i > 100) throw new Error(`docker-registry on ${host} did not start`);
      await new Promise(r => setTimeout(r, 100));
    }
    for (const [tag, age] of [
      ['sha-old0000', 40],
      ['sha-new0000', 1]
    ] as const)
      execFileSync(
        'docker',
        ['buildx', 'build', '--push', '--build-arg', `MESSAGE=${tag}`, '-t', `${host}/e2e/nodelete:${tag}`, app],
        {env: {...process.env, SOURCE_DATE_EPOCH: String(now - age * DAY)}, stdio: 'pipe'}
      );
  });

  afterAll(() => {
    registry?.kill();
    fs.rmSync(dir, {recursive: true, force: true});
  });

  test('gets an error naming the cause and the fix; every tag stays', async () => {
    const run = await runAction({
      event: branchEvent('main'),
      inputs: {images: `${host}/e2e/nodelete`, mode: 'prune', 'prune-match': '^sha-', 'prune-keep': '1'}
    });
    expect(run.main.exitCode).not.toBe(0);
    const error = errorLines(run.main.stdout).join('\n');
    expect(error).toContain(`${host}/e2e/nodelete: the registry refused to delete a manifest (405 UNSUPPORTED`);
    expect(error).toContain('storage.delete.enabled: true');
    expect(error).toContain('dry-run: true');
    expect(run.main.stdout).toContain(`remove ${host}/e2e/nodelete:sha-old0000`);
    expect(await listTags({host}, 'e2e/nodelete')).toEqual(['sha-new0000', 'sha-old0000']);
  });
});
