/**
 * Signing with the real cosign against the real registries: a wrong key password stops the step before the
 * build; platform manifests and annotations; keyless up to Fulcio, with loopback stand-ins for the runner's OIDC
 * endpoint and for Fulcio (no Sigstore is reachable here).
 */
import {execFileSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import {AddressInfo} from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import {errorLines, filesBelow, logWithoutMaskCommands, ROOT, runAction, RunResult, tagEvent} from '../helpers/harness';
import {basicAccess, buildCount, cosignKeyPair, cosignVerify, testEnv, uniqueRepo} from '../helpers/env';
import {listTags, RegistryAccess} from '../helpers/registry';

const env = testEnv();
const reg: RegistryAccess = {host: env.PI_REG_BASIC, user: env.PI_REG_BASIC_USER, password: env.PI_REG_BASIC_PASSWORD};
const app = path.join(ROOT, 'test', 'fixture-app');
const KEY_PASSWORD = 'signing-pass-Vb61';
const keys = cosignKeyPair(fs.mkdtempSync(path.join(os.tmpdir(), 'pi-keys-')), KEY_PASSWORD);
const base = (repo: string): Record<string, string> => ({
  images: `${env.PI_REG_BASIC}/${repo}`,
  context: app,
  push: 'true',
  username: env.PI_REG_BASIC_USER,
  password: env.PI_REG_BASIC_PASSWORD,
  'tlog-upload': 'false'
});
const builds = buildCount;

function verifyWithCli(ref: string, pub: string, extra: string[] = []): string {
  return cosignVerify(ref, pub, basicAccess(env), extra);
}

test('a wrong cosign-password fails before anything is built or pushed', async () => {
  const repo = uniqueRepo('badkey');
  const run = await runAction({
    event: tagEvent('v1.0.0'),
    inputs: {...base(repo), 'cosign-key': keys.key, 'cosign-password': 'not-the-key-password'}
  });
  expect(run.main.exitCode).toBe(1);
  expect(builds(run.main.stdout)).toBe(0);
  expect(errorLines(run.main.stdout).join('\n')).toMatch(/cosign-password is the password of cosign-key/);
  expect(await listTags(reg, repo)).toEqual([]);
});

test('sign: key is required to have a key', async () => {
  const run = await runAction({event: tagEvent('v1.0.0'), inputs: {...base(uniqueRepo('nokey')), sign: 'key'}});
  expect(errorLines(run.main.stdout).join('\n')).toContain('cosign-key: sign is key but no cosign-key was given');
});

describe('sign-platforms and sign-annotations', () => {
  const repo = uniqueRepo('platform-sigs');
  let run: RunResult;
  beforeAll(async () => {
    run = await runAction({
      event: tagEvent('v1.0.0'),
      inputs: {
        ...base(repo),
        platforms: 'linux/amd64,linux/arm64',
        'cosign-key': keys.key,
        'cosign-password': KEY_PASSWORD,
        'sign-platforms': 'true',
        'sign-annotations': 'team=platform\nrelease=v1.0.0'
      }
    });
  });

  test('the index and each platform manifest are signed, by digest', () => {
    expect(run.main.exitCode).toBe(0);
    const sigs = Object.keys(JSON.parse(run.main.outputs['signatures'] ?? '{}') as object);
    const pd = JSON.parse(run.main.outputs['platform-digests'] ?? '{}') as Record<string, string>;
    const image = `${env.PI_REG_BASIC}/${repo}`;
    expect(sigs.sort()).toEqual(
      [run.main.outputs['digest'], pd['linux/amd64'], pd['linux/arm64']].map(d => `${image}@${d}`).sort()
    );
    for (const ref of sigs)
      expect(verifyWithCli(ref, keys.pubPath, ['-a', 'team=platform'])).toContain('"team":"platform"');
  });

  test('verification checks the annotations', () => {
    const ref = `${env.PI_REG_BASIC}/${repo}@${run.main.outputs['digest']}`;
    expect(() => verifyWithCli(ref, keys.pubPath, ['-a', 'team=someone-else'])).toThrow();
  });

  test('cosign-verify-commands are ready to paste', () => {
    expect(run.main.outputs['cosign-verify-commands']?.split('\n')[0]).toMatch(
      /^cosign verify --key cosign\.pub --insecure-ignore-tlog=true -a team=platform -a release=v1\.0\.0 .*@sha256:/
    );
  });
});

describe('keyless, with loopback stand-ins for the runner OIDC endpoint and Fulcio', () => {
  const TOKEN = `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify({iss: 'https://token.actions.githubusercontent.com', aud: 'sigstore', job_workflow_ref: 'octo-org/Hello-World/.github/workflows/release.yml@refs/tags/v1.0.0', sub: 'repo:octo-org/Hello-World:ref:refs/tags/v1.0.0'})).toString('base64url')}.c2lnbmF0dXJlLW9mLXRoZS1zdGFuZC1pbg`;
  const REQUEST_TOKEN = 'runner-request-token-Ty55';
  const oidcRequests: {url: string; auth: string}[] = [];
  const fulcioRequests: {url: string; auth: string; body: string}[] = [];
  let oidc: http.Server;
  let fulcio: http.Server;
  let run: RunResult;
  const repo = uniqueRepo('keyless');

  beforeAll(async () => {
    oidc = http.createServer((req, res) => {
      oidcRequests.push({url: req.url ?? '', auth: req.headers.authorization ?? ''});
      res.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify({value: TOKEN}));
    });
    fulcio = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        fulcioRequests.push({url: req.url ?? '', auth: req.headers.authorization ?? '', body});
        res
          .writeHead(503, {'content-type': 'application/json'})
          .end('{"code":14,"message":"stand-in Fulcio issues no certificates"}');
      });
    });
    await Promise.all([oidc, fulcio].map(s => new Promise<void>(r => s.listen(0, '127.0.0.1', r))));
    const port = (s: http.Server): number => (s.address() as AddressInfo).port;
    run = await runAction({
      event: tagEvent('v1.0.0'),
      env: {
        ACTIONS_ID_TOKEN_REQUEST_URL: `http://127.0.0.1:${port(oidc)}/token?api-version=2.0`,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN
      },
      inputs: {
        ...base(repo),
        platforms: 'linux/amd64',
        sign: 'keyless',
        'fulcio-url': `http://127.0.0.1:${port(fulcio)}`
      }
    });
  });
  afterAll(async () => {
    await Promise.all([oidc, fulcio].map(s => new Promise<void>(r => s.close(() => r()))));
  });

  test('the token is asked of the runner endpoint, for the audience sigstore, with the request token', () => {
    expect(oidcRequests).toHaveLength(1);
    expect(oidcRequests[0]?.url).toMatch(/audience=sigstore/);
    expect(oidcRequests[0]?.auth).toBe(`Bearer ${REQUEST_TOKEN}`);
  });

  test('the token reaches cosign, which hands it to Fulcio', () => {
    expect(fulcioRequests.length).toBeGreaterThan(0);
    expect(fulcioRequests.some(r => r.body.includes(TOKEN) || r.auth.includes(TOKEN))).toBe(true);
  });

  test('Fulcio refusing fails the step with a clear message, and no tag moved', async () => {
    expect(run.main.exitCode).toBe(1);
    expect(errorLines(run.main.stdout).join('\n')).toMatch(/Fulcio did not issue a certificate: check fulcio-url/);
    // no release tag; the builder's push left its staging tag (Distribution 2.8 cannot delete a tag alone)
    expect((await listTags(reg, repo)).filter(t => !t.startsWith('sha256-'))).toEqual(['publish-image-staging']);
  });

  test('the token and the request token appear nowhere else: log, outputs, state, files', () => {
    const texts = [
      logWithoutMaskCommands(run.main.stdout + run.main.stderr),
      JSON.stringify(run.main.outputs),
      JSON.stringify(run.main.state),
      run.main.summary,
      ...filesBelow(run.runnerTemp).map(f => fs.readFileSync(f, 'utf8'))
    ];
    for (const secret of [TOKEN, REQUEST_TOKEN]) expect(texts.filter(t => t.includes(secret))).toEqual([]);
  });

  test('without id-token permission, keyless fails before the build and says what to add', async () => {
    const r = await runAction({event: tagEvent('v1.0.0'), inputs: {...base(uniqueRepo('no-oidc')), sign: 'keyless'}});
    expect(r.main.exitCode).toBe(1);
    expect(builds(r.main.stdout)).toBe(0);
    expect(errorLines(r.main.stdout).join('\n')).toContain('add `permissions: id-token: write` to the job');
  });
});

describe('cosign-version: download from a loopback stand-in for the release host, checked SHA-256, tool cache', () => {
  const real = fs.readFileSync(execFileSync('sh', ['-c', 'command -v cosign']).toString().trim());
  const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
  let server: http.Server;
  const requests: string[] = [];
  const toolCache = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-toolcache-'));
  let url = '';
  beforeAll(async () => {
    // the stand-in serves this machine's cosign (a Debian build) as any release, and a checksums file that agrees
    // with it: the step must not believe that file
    server = http.createServer((req, res) => {
      requests.push(req.url ?? '');
      if (/^\/v[0-9.]+\/cosign-linux-amd64$/.test(req.url ?? '')) return void res.writeHead(200).end(real);
      if (/^\/v[0-9.]+\/cosign_checksums.txt$/.test(req.url ?? ''))
        return void res.writeHead(200).end(`${sha(real)}  cosign-linux-amd64\n`);
      res.writeHead(404).end();
    });
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>(r => server.close(() => r()));
  });
  // 9.9.9 is in no table: its SHA-256 comes from the workflow (cosign-sha256), as for any unlisted release
  const inputs = (repo: string, extra: Record<string, string> = {}): Record<string, string> => ({
    ...base(repo),
    platforms: 'linux/amd64',
    'cosign-key': keys.key,
    'cosign-password': KEY_PASSWORD,
    'cosign-version': '9.9.9',
    'cosign-sha256': sha(real),
    'cosign-release-url': url,
    ...extra
  });

  test('a listed release whose bytes differ from the SHA-256 embedded in the step is refused before the build, whatever the mirror publishes', async () => {
    requests.length = 0;
    const repo = uniqueRepo('cosign-table');
    const run = await runAction({
      event: tagEvent('v1.0.0'),
      env: {RUNNER_TOOL_CACHE: fs.mkdtempSync(path.join(os.tmpdir(), 'pi-tc-'))},
      inputs: inputs(repo, {'cosign-version': '2.5.0', 'cosign-sha256': ''})
    });
    expect(run.main.exitCode).toBe(1);
    expect(builds(run.main.stdout)).toBe(0);
    const errors = errorLines(run.main.stdout).join('\n');
    expect(errors).toContain('cosign-linux-amd64 2.5.0 from http://127.0.0.1');
    expect(errors).toContain(
      "does not match its SHA-256 in the step's table (want 1f6c194dd0891eb345b436bb71ff9f996768355f5e0ce02dde88567029ac2188"
    );
    // the mirror's own checksums file is never asked for
    expect(requests).toEqual(['/v2.5.0/cosign-linux-amd64']);
    expect(await listTags(reg, repo)).toEqual([]);
  });

  test('a cosign on PATH older than the minimum is not run with the key: the pinned release is fetched instead (and checked)', async () => {
    requests.length = 0;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-old-cosign-'));
    const marker = path.join(dir, 'ran-with-key');
    fs.writeFileSync(
      path.join(dir, 'cosign'),
      `#!/bin/sh\nif [ "$1" = version ]; then echo '{"gitVersion": "v2.2.0"}'; exit 0; fi\nenv > ${marker}\nexit 0\n`,
      {mode: 0o755}
    );
    const repo = uniqueRepo('cosign-old');
    const run = await runAction({
      event: tagEvent('v1.0.0'),
      env: {RUNNER_TOOL_CACHE: fs.mkdtempSync(path.join(os.tmpdir(), 'pi-tc-')), PATH: `${dir}:${process.env.PATH}`},
      inputs: inputs(repo, {'cosign-version': '', 'cosign-sha256': ''})
    });
    expect(run.main.exitCode).toBe(1);
    // the stand-in serves this machine's cosign as 2.5.0: not the release's bytes, so it is refused too
    expect(errorLines(run.main.stdout).join('\n')).toMatch(
      /cosign-linux-amd64 2\.5\.0 from http:\/\/127\.0\.0\.1:\d+ does not match its SHA-256 in the step's table/
    );
    expect(requests).toEqual(['/v2.5.0/cosign-linux-amd64']);
    expect(fs.existsSync(marker)).toBe(false);
    expect(builds(run.main.stdout)).toBe(0);
  });

  test('an unlisted release with a wrong cosign-sha256 is refused before the build', async () => {
    const repo = uniqueRepo('cosign-tampered');
    const run = await runAction({
      event: tagEvent('v1.0.0'),
      env: {RUNNER_TOOL_CACHE: fs.mkdtempSync(path.join(os.tmpdir(), 'pi-tc-'))},
      inputs: inputs(repo, {'cosign-sha256': 'f'.repeat(64)})
    });
    expect(run.main.exitCode).toBe(1);
    expect(builds(run.main.stdout)).toBe(0);
    expect(errorLines(run.main.stdout).join('\n')).toContain('cosign-linux-amd64 9.9.9 from http://127.0.0.1');
    expect(errorLines(run.main.stdout).join('\n')).toContain('does not match its SHA-256 in cosign-sha256');
    expect(await listTags(reg, repo)).toEqual([]);
  });

  test('the release is downloaded, checked and used; the second run takes it from the tool cache', async () => {
    requests.length = 0;
    const repo = uniqueRepo('cosign-dl');
    const first = await runAction({
      event: tagEvent('v1.0.0'),
      env: {RUNNER_TOOL_CACHE: toolCache},
      inputs: inputs(repo)
    });
    expect(errorLines(first.main.stdout)).toEqual([]);
    // the registry holds the signature the downloaded cosign made, next to the release tag
    const digest = first.main.outputs['digest'] ?? '';
    expect(await listTags(reg, repo)).toEqual(expect.arrayContaining(['1.0.0', `${digest.replace(':', '-')}.sig`]));
    expect(first.main.stdout).toMatch(
      /sign: cosign 9\.9\.9 downloaded from http:\/\/127\.0\.0\.1:\d+, SHA-256 checked against cosign-sha256 \(cosign on PATH is a development build, not 9\.9\.9\)/
    );
    expect(first.main.stdout).toMatch(/signed and verified /);
    expect(
      fs.statSync(path.join(toolCache, 'publish-image-cosign', '9.9.9', 'amd64', 'cosign')).mode & 0o111
    ).toBeTruthy();
    expect(requests).toEqual(['/v9.9.9/cosign-linux-amd64']);
    requests.length = 0;
    const second = await runAction({
      event: tagEvent('v1.0.1'),
      env: {RUNNER_TOOL_CACHE: toolCache},
      inputs: inputs(uniqueRepo('cosign-dl2'))
    });
    expect(second.main.exitCode).toBe(0);
    expect(second.main.stdout).toContain(
      'sign: cosign 9.9.9 from the tool cache, SHA-256 checked against cosign-sha256'
    );
    // nothing downloaded: the cached binary is checked against the SHA-256 the step has before it runs
    expect(requests).toEqual([]);
  });

  test('a cosign replaced in the tool cache is refused, removed and never run (it would get the key)', async () => {
    const bin = path.join(toolCache, 'publish-image-cosign', '9.9.9', 'amd64', 'cosign');
    const marker = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pi-fake-cosign-')), 'ran');
    fs.writeFileSync(bin, `#!/bin/sh\nenv > ${marker}\nexit 0\n`, {mode: 0o755});
    const repo = uniqueRepo('cosign-replaced');
    const run = await runAction({event: tagEvent('v1.0.2'), env: {RUNNER_TOOL_CACHE: toolCache}, inputs: inputs(repo)});
    expect(run.main.exitCode).toBe(1);
    expect(errorLines(run.main.stdout).join('\n')).toMatch(
      /cosign-version: the cosign 9\.9\.9 in the tool cache \(.*\) does not match its SHA-256 in cosign-sha256 .*it was removed and not run/
    );
    expect(fs.existsSync(marker)).toBe(false);
    expect(fs.existsSync(bin)).toBe(false);
    expect(builds(run.main.stdout)).toBe(0);
    expect(await listTags(reg, repo)).toEqual([]);
  });
});
