/**
 * The CLI (dist/cli.js) as GitLab CI runs it: only CI_* variables (no GITHUB_*), the registry credentials from
 * CI_REGISTRY_*, a tag pipeline publishing two platforms with key signing to the test registry, outputs as a
 * dotenv file and a JSON file. Then a merge-request dry run and a wrong password.
 */
import {spawn} from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {NODE, ROOT} from '../helpers/harness';
import {basicAccess, cosignKeyPair, cosignVerify, testEnv, uniqueRepo} from '../helpers/env';
import {getBlob, getManifest, listTags, platforms} from '../helpers/registry';

const CLI = path.join(ROOT, 'dist', 'cli.js');
const env = testEnv();
const reg = basicAccess(env);
const SHA = '5f3c2a1b0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b';
const KEY_PASSWORD = 'cli-key-pass-77';
const keys = cosignKeyPair(fs.mkdtempSync(path.join(os.tmpdir(), 'pi-cli-keys-')), KEY_PASSWORD);

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  dir: string;
}

function gitlabEnv(repo: string, dir: string, extra: Record<string, string>): Record<string, string> {
  return {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: path.join(dir, 'home'),
    GITLAB_CI: 'true',
    CI: 'true',
    CI_COMMIT_SHA: SHA,
    CI_COMMIT_REF_NAME: 'main',
    CI_DEFAULT_BRANCH: 'main',
    CI_PROJECT_PATH: 'group/cli-app',
    CI_PROJECT_URL: 'https://gitlab.example.com/group/cli-app',
    CI_PROJECT_TITLE: 'CLI App',
    CI_PROJECT_DESCRIPTION: 'Published from a GitLab-like pipeline',
    CI_PIPELINE_ID: '31337',
    CI_REGISTRY: reg.host,
    CI_REGISTRY_IMAGE: `${reg.host}/${repo}`,
    CI_REGISTRY_USER: reg.user,
    CI_REGISTRY_PASSWORD: reg.password,
    ...extra
  };
}

function runCli(args: string[], e: Record<string, string>, dir: string): Promise<CliRun> {
  fs.mkdirSync(path.join(dir, 'home'), {recursive: true});
  return new Promise((resolve, reject) => {
    const p = spawn(NODE, [CLI, ...args], {env: e, cwd: dir, stdio: ['ignore', 'pipe', 'pipe']});
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', code => resolve({code: code ?? -1, stdout, stderr, dir}));
  });
}

describe('GitLab tag pipeline: two platforms, signed, outputs as dotenv and JSON', () => {
  const repo = uniqueRepo('cli-gitlab');
  const image = `${reg.host}/${repo}`;
  let run: CliRun;
  let dotenv: Record<string, string>;
  let json: Record<string, string>;
  beforeAll(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-cli-'));
    run = await runCli(
      [
        '--context',
        path.join(ROOT, 'test', 'fixture-app'),
        '--platforms=linux/amd64,linux/arm64',
        '--push',
        '--tags',
        'type=semver,pattern={{version}}',
        '--tags',
        'type=sha',
        '--tlog-upload=false',
        '--output-file',
        'publish.env',
        '--json',
        'publish.json'
      ],
      gitlabEnv(repo, dir, {
        CI_COMMIT_TAG: 'v2.4.6',
        PUBLISH_IMAGE_COSIGN_KEY: keys.key,
        PUBLISH_IMAGE_COSIGN_PASSWORD: KEY_PASSWORD
      }),
      dir
    );
    dotenv = Object.fromEntries(
      fs
        .readFileSync(path.join(dir, 'publish.env'), 'utf8')
        .trim()
        .split('\n')
        .map(l => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)])
    );
    json = JSON.parse(fs.readFileSync(path.join(dir, 'publish.json'), 'utf8')) as Record<string, string>;
  });

  test('exits 0 and ends with the published line', () => {
    expect({code: run.code, stderr: run.stderr}).toEqual({
      code: 0,
      stderr: expect.not.stringMatching(/error/) as unknown
    });
    expect(run.stdout).toMatch(new RegExp(`published ${image}@sha256:[a-f0-9]{64} \\(3 tags\\)`));
    expect(run.stdout).toContain('context: gitlab, push refs/tags/v2.4.6');
  });

  test('the registry holds the tags on the digest, with both platforms', async () => {
    const digest = dotenv['PUBLISH_IMAGE_DIGEST'] ?? '';
    expect(digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect((await listTags(reg, repo)).filter(t => !t.endsWith('.sig')).sort()).toEqual([
      '2.4.6',
      'latest',
      'publish-image-staging',
      'sha-5f3c2a1'
    ]);
    for (const t of ['2.4.6', 'latest', 'sha-5f3c2a1']) expect((await getManifest(reg, repo, t)).digest).toBe(digest);
    expect(platforms(await getManifest(reg, repo, digest)).sort()).toEqual(['linux/amd64', 'linux/arm64']);
  });

  test('the dotenv and JSON outputs agree, one line per output', () => {
    expect(json['digest']).toBe(dotenv['PUBLISH_IMAGE_DIGEST']);
    expect(dotenv['PUBLISH_IMAGE_VERSION']).toBe('2.4.6');
    expect(dotenv['PUBLISH_IMAGE_TAGS']).toBe([`${image}:2.4.6`, `${image}:sha-5f3c2a1`, `${image}:latest`].join(','));
    expect(JSON.parse(dotenv['PUBLISH_IMAGE_PLATFORM_DIGESTS'] ?? '{}')).toEqual(
      JSON.parse(json['platform-digests'] ?? '')
    );
    expect(json['tags']?.split('\n')).toHaveLength(3);
  });

  test('the revision and source labels come from CI_COMMIT_SHA and CI_PROJECT_URL', async () => {
    const digest = dotenv['PUBLISH_IMAGE_DIGEST'] ?? '';
    const index = await getManifest(reg, repo, digest);
    const amd64 = (index.json as {manifests: {digest: string; platform?: {architecture: string}}[]}).manifests.find(
      m => m.platform?.architecture === 'amd64'
    );
    const manifest = await getManifest(reg, repo, amd64?.digest ?? '');
    const config = JSON.parse(
      (await getBlob(reg, repo, (manifest.json as {config: {digest: string}}).config.digest)).toString()
    ) as {config: {Labels: Record<string, string>}};
    expect(config.config.Labels).toMatchObject({
      'org.opencontainers.image.revision': SHA,
      'org.opencontainers.image.source': 'https://gitlab.example.com/group/cli-app',
      'org.opencontainers.image.title': 'CLI App',
      'org.opencontainers.image.version': '2.4.6'
    });
  });

  test('the digest is signed with the key', () => {
    expect(() => cosignVerify(`${image}@${dotenv['PUBLISH_IMAGE_DIGEST'] ?? ''}`, keys.pubPath, reg)).not.toThrow();
  });

  test('no secret is echoed, and nothing of the run is left in the temp directory', () => {
    for (const s of [reg.password, KEY_PASSWORD, keys.key.split('\n')[1] ?? 'x'])
      expect(run.stdout + run.stderr).not.toContain(s);
    expect(fs.readFileSync(path.join(run.dir, 'publish.env'), 'utf8')).not.toContain(reg.password);
  });
});

describe('GitLab merge request pipeline, dry run', () => {
  test('plans pr-<iid> and builds nothing', async () => {
    const repo = uniqueRepo('cli-mr');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-cli-'));
    const run = await runCli(
      ['--dry-run', '--tags', 'type=ref,event=pr', '--json', 'out.json'],
      gitlabEnv(repo, dir, {CI_MERGE_REQUEST_IID: '58', CI_MERGE_REQUEST_SOURCE_BRANCH_NAME: 'feature'}),
      dir
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`tag: ${reg.host}/${repo}:pr-58`);
    expect(run.stdout).toContain('▸ Plan (dry run)');
    expect(run.stdout).toMatch(/build: docker buildx build /);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'out.json'), 'utf8'))).toMatchObject({
      'tag-names': 'pr-58',
      version: 'pr-58'
    });
    expect(await listTags(reg, repo).catch(() => [])).toEqual([]);
  });
});

describe('a wrong password', () => {
  test('exits non-zero, names the registry, never shows the password', async () => {
    const repo = uniqueRepo('cli-badpw');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-cli-'));
    const run = await runCli(
      ['--context', path.join(ROOT, 'test', 'fixture-app'), '--push'],
      gitlabEnv(repo, dir, {CI_COMMIT_BRANCH: 'main', CI_REGISTRY_PASSWORD: 'not-the-password-9'}),
      dir
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(`^error: ${reg.host.replace(/\./g, '\\.')} refused the credentials of "${reg.user}"`, 'm')
    );
    expect(run.stdout + run.stderr).not.toContain('not-the-password-9');
    expect(run.stdout).not.toContain('▸ Build');
  });
});

describe('usage', () => {
  test('--help lists the inputs; a mistyped flag exits 2 with the closest name', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-cli-'));
    const help = await runCli(['--help'], {PATH: process.env['PATH'] ?? ''}, dir);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--cosign-password');
    const bad = await runCli(['--platform', 'linux/amd64'], {PATH: process.env['PATH'] ?? ''}, dir);
    expect({code: bad.code, stderr: bad.stderr.trim()}).toEqual({
      code: 2,
      stderr: 'publish-image: unknown flag --platform: did you mean --platforms? (publish-image --help lists them)'
    });
  });

  test('configuration errors are reported together, before anything runs, exit 2', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-cli-'));
    const run = await runCli(
      ['--retries', 'lots', '--mode', 'ship'],
      {PATH: process.env['PATH'] ?? '', HOME: dir},
      dir
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: 2 problems in the configuration:\n- retries: .*\n- mode: /);
  });
});
