/**
 * The mistakes users make, each run as the runner runs the step: the exact message, the phase the summary names,
 * that nothing was built or pushed when the cause is in the configuration, and a secret scan of everything the
 * run left (logs, outputs, state, summary, files).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {errorLines, leakedSecrets, ROOT, runAction, RunResult, tagEvent} from '../helpers/harness';
import {basicAccess, buildCount, cosignKeyPair, testEnv, tlsAccess, uniqueRepo} from '../helpers/env';
import {listTags} from '../helpers/registry';

const env = testEnv();
const reg = basicAccess(env);
const KEY_PASSWORD = 'key-password-Vb61';
const TAGGED_SECRET = 'tagged-secret-Hy52';
const keys = cosignKeyPair(fs.mkdtempSync(path.join(os.tmpdir(), 'pi-keys-')), KEY_PASSWORD);
const SECRETS = [
  env.PI_REG_BASIC_PASSWORD,
  env.PI_REG_TLS_PASSWORD,
  KEY_PASSWORD,
  TAGGED_SECRET,
  ...keys.key.split('\n').filter(l => l.length > 20 && !l.startsWith('-----'))
];

const base = (repo: string): Record<string, string> => ({
  images: `${env.PI_REG_BASIC}/${repo}`,
  context: path.join(ROOT, 'test', 'fixture-app'),
  platforms: 'linux/amd64',
  push: 'true',
  username: env.PI_REG_BASIC_USER,
  password: env.PI_REG_BASIC_PASSWORD
});

/** A context whose RUN step fails printing "Permission denied" (its own error, not a registry's refusal). */
function failingContext(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-failing-'));
  fs.writeFileSync(
    path.join(dir, 'Dockerfile'),
    [
      'FROM 127.0.0.1:5000/base/busybox:latest',
      'RUN echo ok > /ok',
      "RUN echo 'sh: can't create /root/x: Permission denied' >&2 && exit 1"
    ].join('\n') + '\n'
  );
  return dir;
}

interface Mistake {
  name: string;
  inputs: (repo: string) => Record<string, string>;
  /** the phase the summary names */
  phase: 'configuration' | 'preflight' | 'build';
  /** what the one ::error:: line must match (exactly() for the whole line) */
  error: RegExp;
  /** what the error line must not say */
  notError?: RegExp;
}

/** The whole line, literally. */
const exactly = (line: string): RegExp => new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);

const FROM_FORKS =
  "If it comes from a secret, check that the secret exists under that name; secrets are not passed to workflows run from forks, so skip the push there (push: ${{ github.event_name != 'pull_request' }})";

const mistakes: Mistake[] = [
  {
    name: 'a platform typo',
    inputs: r => ({...base(r), platforms: 'linux/amd64,linux/amd46'}),
    phase: 'configuration',
    error: exactly(
      '::error::platforms: "linux/amd46" is not a platform buildx knows; did you mean linux/amd64? (os/arch[/variant], e.g. linux/amd64,linux/arm64)'
    )
  },
  {
    name: 'tag rules that give no tag for a release',
    inputs: r => ({...base(r), tags: 'type=ref,event=pr'}),
    phase: 'configuration',
    error: exactly(
      '::error::tags: no tag rule gives a tag for this event (push refs/tags/v1.2.3), so the image would be pushed untagged; add a rule that matches it (e.g. type=sha or type=ref,event=branch), or set push: false for this event'
    )
  },
  {
    name: 'a top-level ca-cert for a registry registry-auth does not list',
    inputs: r => ({
      ...base(r),
      username: '',
      password: '',
      registry: 'registry.example:5443',
      'ca-cert': fs.readFileSync(env.PI_REG_TLS_CA, 'utf8'),
      'registry-auth': `- registry: ${env.PI_REG_BASIC}\n  username: ${env.PI_REG_BASIC_USER}\n  password: ${env.PI_REG_BASIC_PASSWORD}`
    }),
    phase: 'configuration',
    error: exactly(
      '::error::ca-cert: registry is registry.example:5443, which has no entry in registry-auth; put ca-cert inside its entry ("- registry: <host>" with username:, password: and ca-cert: under it)'
    )
  },
  {
    name: 'an empty password (a secret missing, or a fork)',
    inputs: r => ({...base(r), password: ''}),
    phase: 'configuration',
    error: exactly(
      `::error::password: the password for ${env.PI_REG_BASIC} (username ${env.PI_REG_BASIC_USER}) is empty. ${FROM_FORKS}`
    )
  },
  {
    name: 'a registry-auth password read as a YAML tag',
    inputs: r => ({
      ...base(r),
      username: '',
      password: '',
      'registry-auth': `- registry: ${env.PI_REG_BASIC}\n  username: ${env.PI_REG_BASIC_USER}\n  password: !${TAGGED_SECRET}`
    }),
    phase: 'configuration',
    error: exactly(
      `::error::registry-auth: a value starts with "!" (line 3, column 13), which YAML reads as a tag; quote the value (password: '\${{ secrets.NAME }}')`
    )
  },
  {
    name: 'an empty cosign-password for an encrypted key',
    inputs: r => ({...base(r), 'cosign-key': keys.key, 'cosign-password': ''}),
    phase: 'preflight',
    error:
      /^::error::cosign public-key failed with exit code 1:.*%0Acosign could not decrypt the key, and cosign-password is empty: if it comes from a secret, check that the secret exists under that name \(secrets are not passed to workflows run from forks\)\.%0Acommand: \S*cosign public-key --key env:\/\/COSIGN_PRIVATE_KEY$/
  },
  {
    name: 'a RUN step that fails printing "Permission denied"',
    inputs: r => ({...base(r), context: failingContext()}),
    phase: 'build',
    // the failing step first, its own last lines next, the command line last; no registry status invented
    error:
      /^::error::the build failed at \[3\/3\] RUN echo 'sh: can't create \/root\/x: Permission denied' >&2 && exit 1.*%0A.*Permission denied.*%0Acommand: docker buildx build /,
    notError: /403|refused/
  }
];

describe.each(mistakes)('$name', m => {
  const repo = uniqueRepo('mistake');
  let run: RunResult;
  beforeAll(async () => {
    run = await runAction({event: tagEvent('v1.2.3'), inputs: m.inputs(repo)});
  });

  test('fails with the message that names the input and the fix', () => {
    expect(run.main.exitCode).toBe(1);
    const errors = errorLines(run.main.stdout);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(m.error);
    expect(errors[0]).not.toMatch(m.notError ?? /^$/);
  });

  test(`the summary says it failed in ${m.phase}, and what that left`, () => {
    expect(run.main.summary).toContain(`**Failed in ${m.phase}.**`);
    expect(run.main.summary).toContain(
      m.phase === 'configuration' || m.phase === 'preflight'
        ? 'Nothing was built, pushed or tagged'
        : 'No tag was moved: every tag is where it was.'
    );
  });

  test('nothing reached the registry; nothing was built when the cause is the configuration', async () => {
    expect(await listTags(reg, repo)).toEqual([]);
    expect(run.main.outputs['digest'] ?? '').toBe('');
    expect(buildCount(run.main.stdout)).toBe(m.phase === 'build' ? 1 : 0);
  });

  test('no secret in anything the run left', () => {
    expect(leakedSecrets(run, SECRETS)).toEqual([]);
  });

  test('the post step cleans up', () => {
    expect(run.post?.exitCode ?? 0).toBe(0);
  });
});

describe('warned, not failed', () => {
  test('an unknown input names the closest real one', async () => {
    const run = await runAction({
      event: tagEvent('v1.2.3'),
      inputs: {...base(uniqueRepo('unknown-input')), platform: 'linux/arm64', 'dry-run': 'true'}
    });
    expect(run.main.exitCode).toBe(0);
    expect(run.main.stdout).toContain('::warning::unknown input "platform": did you mean "platforms"? (it is ignored)');
  });

  test('a top-level ca-cert beside registry-auth is the CA of the entry that has none, and the push lands', async () => {
    const tls = tlsAccess(env);
    const repo = uniqueRepo('ca-beside');
    const run = await runAction({
      event: tagEvent('v1.2.3'),
      inputs: {
        ...base(repo),
        images: `${tls.host}/${repo}`,
        username: '',
        password: '',
        'ca-cert': fs.readFileSync(tls.caFile, 'utf8'),
        'registry-auth': `- registry: ${tls.host}\n  username: ${tls.user}\n  password: ${tls.password}`
      }
    });
    expect({exit: run.main.exitCode, errors: errorLines(run.main.stdout)}).toEqual({exit: 0, errors: []});
    expect(await listTags(tls, repo)).toEqual(['1', '1.2', '1.2.3', 'latest', 'publish-image-staging', 'sha-1a2b3c4']);
    expect(leakedSecrets(run, SECRETS)).toEqual([]);
  });
});

describe('untrusted events', () => {
  const prTarget = {
    name: 'pull_request_target',
    ref: 'refs/heads/main',
    sha: '7777777777777777777777777777777777777777',
    payload: {
      number: 7,
      pull_request: {
        number: 7,
        head: {sha: '7777777777777777777777777777777777777777', ref: 'feature', repo: {full_name: 'mallory/app'}},
        base: {ref: 'main', repo: {full_name: 'octo-org/Hello-World'}}
      },
      repository: {default_branch: 'main'}
    }
  };

  test('pull_request_target: nothing is built, pushed or signed without the opt-in, and the message names the event', async () => {
    const repo = uniqueRepo('prt');
    const run = await runAction({
      event: prTarget,
      inputs: {...base(repo), 'cosign-key': keys.key, 'cosign-password': KEY_PASSWORD}
    });
    expect(run.main.exitCode).toBe(1);
    expect(errorLines(run.main.stdout).join('\n')).toMatch(
      /^::error::allow-untrusted-events: this run is pull_request_target \(the base repository's secrets and identity, for a pull request's code\): .*nothing is pushed or signed/
    );
    expect(buildCount(run.main.stdout)).toBe(0);
    expect(await listTags(reg, repo)).toEqual([]);
    expect(run.main.summary).toContain('**Failed in configuration.**');
  });

  test('pull_request_target with allow-untrusted-events: true is published, as asked', async () => {
    const repo = uniqueRepo('prt-allowed');
    const run = await runAction({
      event: prTarget,
      inputs: {...base(repo), tags: 'type=ref,event=pr', 'allow-untrusted-events': 'true'}
    });
    expect({exit: run.main.exitCode, errors: errorLines(run.main.stdout)}).toEqual({exit: 0, errors: []});
    expect(await listTags(reg, repo)).toEqual(['pr-7', 'publish-image-staging']);
  });
});
