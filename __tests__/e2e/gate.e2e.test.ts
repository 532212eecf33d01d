/**
 * The gate, on the real engine, registries and cosign: it runs after the push and the signature and before any
 * tag moves; a failing gate leaves every tag where it was; `scan: trivy` without trivy stops in preflight.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {errorLines, ROOT, runAction, tagEvent} from '../helpers/harness';
import {basicAccess, buildCount, cosignKeyPair, registryAuthYaml, testEnv, tlsAccess, uniqueRepo} from '../helpers/env';
import {getManifest, listTags, RegistryAccess} from '../helpers/registry';
import {onPath} from '../../src/run/gate';

const env = testEnv();
const basic: RegistryAccess = basicAccess(env);
const tls: RegistryAccess = tlsAccess(env);
const app = path.join(ROOT, 'test', 'fixture-app');
const KEY_PASSWORD = 'gate-key-Pw18';
const keys = cosignKeyPair(fs.mkdtempSync(path.join(os.tmpdir(), 'pi-keys-')), KEY_PASSWORD);
const signing = {'cosign-key': keys.key, 'cosign-password': KEY_PASSWORD, 'tlog-upload': 'false'};

test('a passing gate runs once per repository, after the push and the signature, before the tags, and sees its environment', async () => {
  const repo = uniqueRepo('gate-pass');
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-gate-'));
  // from inside, with the step's DOCKER_CONFIG: the digest resolves and its signature verifies; the release tag is not there yet
  const gate = [
    'set -eu',
    `case "$PUBLISH_IMAGE_REPOSITORY" in ${env.PI_REG_TLS}/*) export SSL_CERT_FILE=${env.PI_REG_TLS_CA}; t="";; *) t="--allow-insecure-registry --allow-http-registry";; esac`,
    `f=${out}/$(echo "$PUBLISH_IMAGE_REPOSITORY" | tr -c 'a-z0-9\\n' _)`,
    'printf "%s\\n" "$PUBLISH_IMAGE_REF" "$PUBLISH_IMAGE_DIGEST" "$PUBLISH_IMAGE_REPOSITORY" "$PUBLISH_IMAGE_TAGS" "$DOCKER_CONFIG" > "$f.env"',
    `cosign verify --key ${keys.pubPath} --insecure-ignore-tlog=true $t "$PUBLISH_IMAGE_REF" > "$f.verify"`,
    'err=$(cosign triangulate $t "$PUBLISH_IMAGE_REPOSITORY:2.0.0" 2>&1 || true)',
    'case "$err" in *MANIFEST_UNKNOWN*) ;; *) echo "2.0.0: expected MANIFEST_UNKNOWN, got: $err"; exit 9;; esac',
    'echo "gate checked $PUBLISH_IMAGE_REPOSITORY"'
  ].join('\n');
  const run = await runAction({
    event: tagEvent('v2.0.0'),
    inputs: {
      images: `${env.PI_REG_BASIC}/${repo}\n${env.PI_REG_TLS}/${repo}`,
      context: app,
      push: 'true',
      'registry-auth': registryAuthYaml(env),
      ...signing,
      gate
    }
  });
  expect(errorLines(run.main.stdout)).toEqual([]);
  expect(run.main.exitCode).toBe(0);
  const digest = run.main.outputs['digest'] ?? '';
  expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  const tagNames = (run.main.outputs['tag-names'] ?? '').split('\n');
  expect(tagNames).toContain('2.0.0');
  for (const host of [env.PI_REG_BASIC, env.PI_REG_TLS]) {
    const image = `${host}/${repo}`;
    const f = path.join(out, image.replace(/[^a-z0-9\n]/g, '_'));
    const [ref, dg, repository, tags, dockerConfig] = fs.readFileSync(`${f}.env`, 'utf8').split('\n');
    expect({ref, dg, repository, tags}).toEqual({
      ref: `${image}@${digest}`,
      dg: digest,
      repository: image,
      tags: tagNames.join(',')
    });
    expect(dockerConfig).toBe(
      (JSON.parse(run.main.state['publish-image'] ?? '{}') as {dockerConfig?: string}).dockerConfig
    );
    expect(dockerConfig).toMatch(/publish-image-docker-/);
    // cosign verify's JSON: the signed payload names the digest
    expect(fs.readFileSync(`${f}.verify`, 'utf8')).toContain(`"docker-manifest-digest":"${digest}"`);
    // its output in its own group, after signing, before the Tag phase
    const log = run.main.stdout;
    const group = log.indexOf('::group::Gate');
    expect(group).toBeGreaterThan(log.indexOf('::group::Sign'));
    expect(group).toBeLessThan(log.indexOf('::group::Tag'));
    const start = log.indexOf(`gate on ${image}@${digest}`);
    expect(start).toBeGreaterThan(group);
    expect(log.indexOf(`gate checked ${image}`)).toBeGreaterThan(start);
    expect(log.indexOf(`gate passed on ${image}@${digest}`)).toBeGreaterThan(log.indexOf(`gate checked ${image}`));
  }
  // afterwards the tags moved
  for (const r of [basic, tls]) expect((await getManifest(r, repo, '2.0.0')).digest).toBe(digest);
  expect(run.main.summary).toContain(`| gate | \`${env.PI_REG_BASIC}/${repo}\` | passed |`);
  expect(run.main.summary).toContain(`| gate | \`${env.PI_REG_TLS}/${repo}\` | passed |`);
});

test('a failing gate (exit 3) fails the step, names it and its exit code, shows its tail; no tag moves', async () => {
  const repo = uniqueRepo('gate-fail');
  const common = {
    images: `${env.PI_REG_BASIC}/${repo}`,
    context: app,
    push: 'true',
    'registry-auth': registryAuthYaml(env),
    ...signing
  };
  const first = await runAction({event: tagEvent('v1.0.0'), inputs: common});
  expect(first.main.exitCode).toBe(0);
  const previous = first.main.outputs['digest'] ?? '';
  expect((await getManifest(basic, repo, 'latest')).digest).toBe(previous);
  const before = await listTags(basic, repo);

  const run = await runAction({
    event: tagEvent('v1.1.0'),
    inputs: {
      ...common,
      'build-args': 'MESSAGE=release-1.1.0',
      gate: 'echo "policy: 2 findings in $PUBLISH_IMAGE_REF"\necho "to stderr" >&2\nexit 3'
    }
  });
  expect(run.main.exitCode).not.toBe(0);
  const error = errorLines(run.main.stdout).join('\n');
  expect(error).toMatch(
    new RegExp(`gate failed with exit code 3 on ${env.PI_REG_BASIC}/${repo}@sha256:[0-9a-f]{64}: no tag moved`)
  );
  expect(error).toContain('policy: 2 findings in');
  expect(error).toContain('to stderr');
  const pushed = /@(sha256:[0-9a-f]{64}): no tag moved/.exec(error)?.[1] ?? '';
  expect(pushed).not.toBe(previous);
  // the new image is there by digest (pushed and signed), but no tag points at it
  expect((await getManifest(basic, repo, pushed)).status).toBe(200);
  expect((await getManifest(basic, repo, '1.1.0')).status).toBe(404);
  expect((await getManifest(basic, repo, '1.1')).status).toBe(404);
  expect((await getManifest(basic, repo, 'latest')).digest).toBe(previous);
  expect(await listTags(basic, repo)).toEqual([...before, `${pushed.replace(':', '-')}.sig`].sort());
  expect(run.main.stdout).not.toContain('::group::Tag');
  // the summary: the gate row and the tail
  expect(run.main.summary).toContain(`| gate | \`${env.PI_REG_BASIC}/${repo}\` | failed (exit 3) |`);
  expect(run.main.summary).toMatch(/```text\npolicy: 2 findings in [^\n]+\n\nto stderr\n```/);
});

test('scan: trivy without trivy on PATH stops in preflight, naming aquasecurity/setup-trivy; nothing is built', async () => {
  expect(onPath('trivy', process.env['PATH'])).toBe(false); // trivy cannot be installed on these machines
  const repo = uniqueRepo('gate-trivy');
  const run = await runAction({
    event: tagEvent('v1.0.0'),
    inputs: {
      images: `${env.PI_REG_BASIC}/${repo}`,
      context: app,
      push: 'true',
      'registry-auth': registryAuthYaml(env),
      scan: 'trivy'
    }
  });
  expect(run.main.exitCode).not.toBe(0);
  expect(errorLines(run.main.stdout).join('\n')).toContain(
    'scan: trivy is not on PATH; install it in an earlier step with aquasecurity/setup-trivy'
  );
  expect(buildCount(run.main.stdout)).toBe(0);
  expect(await listTags(basic, repo)).toEqual([]);
});
