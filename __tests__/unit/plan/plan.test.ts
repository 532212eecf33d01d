import {parseConfig} from '../../../src/config/inputs';
import {gitlabContext} from '../../../src/context/gitlab';
import {RunContext} from '../../../src/context/types';
import {computeMetadata} from '../../../src/meta/engine';
import {describePlan} from '../../../src/plan/describe';
import {plan} from '../../../src/plan/plan';
import {Plan} from '../../../src/plan/types';

const SHA = '90dd6032fac8bda1b6c4436a2e65de27961ed071';
const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
const ctx = (over: Partial<RunContext> = {}): RunContext => ({
  ci: 'github',
  git: {eventName: 'push', ref: 'refs/tags/v1.2.3', sha: SHA, payload: {}, repository: 'o/app'},
  facts: {name: 'app'},
  run: {id: '99', attempt: '2'},
  identity: 'none',
  defaults: {},
  tempDir: '/tmp/rt',
  ...over
});

function planOf(raw: Record<string, string>, c: RunContext = ctx()): Plan {
  const config = parseConfig({tags: 'type=semver,pattern={{version}}\ntype=sha', ...raw});
  const now = new Date('2026-01-01T00:00:00Z');
  const meta = computeMetadata(
    config,
    c.git,
    c.facts ?? {},
    {now, commitDate: now},
    {shortShaLength: 7, annotationLevels: ['manifest']}
  );
  return plan({config, ctx: c, meta, id: 'abc'});
}

const basic = {images: '127.0.0.1:5001/o/app', username: 'u', password: 'p4ss', push: 'true'};

describe('each mode plans its phases', () => {
  test.each<[string, Record<string, string>, Partial<Record<keyof Plan, unknown>>]>([
    [
      'publish with push',
      basic,
      {mode: 'publish', pushing: true, building: true, tags: ['1.2.3', 'sha-90dd603', 'latest']}
    ],
    [
      'publish without push',
      {...basic, push: 'false'},
      {pushing: false, building: true, notPushedReason: 'push is false'}
    ],
    [
      'build (a leg)',
      {...basic, mode: 'build', platforms: 'linux/arm64'},
      {pushing: true, building: true, stage: {platform: 'linux/arm64', stagingPrefix: 'pi-stage-99-2-'}}
    ],
    ['merge', {...basic, mode: 'merge'}, {pushing: true, building: false, merge: {stagingPrefix: 'pi-stage-99-2-'}}],
    [
      'plan (the matrix)',
      {...basic, mode: 'plan', platforms: 'linux/amd64,linux/arm64'},
      {pushing: false, building: false}
    ]
  ])('%s', (_name, raw, expected) => {
    expect(planOf(raw)).toMatchObject(expected);
  });

  test('publish: the builder pushes under the staging tag (docker driver assumed), no OCI layout is written', () => {
    const p = planOf(basic);
    expect(p.push?.layout).toBe('/tmp/rt/publish-image-abc/oci-layout');
    expect(p.push?.assumedDriver).toBe(true);
    expect(p.push?.decision.paths.map(x => x.via)).toEqual(['builder']);
    expect(p.build?.argv).toEqual(
      expect.arrayContaining([
        'buildx',
        'build',
        '--output',
        'type=image,name=127.0.0.1:5001/o/app:publish-image-staging,oci-mediatypes=true,push=true'
      ])
    );
    expect(p.build?.argv.join(' ')).not.toContain('type=oci');
    expect(p.dockerConfig).toBe('/tmp/rt/publish-image-docker-abc');
  });

  test('promote copies its source, builds nothing', () => {
    const src = `127.0.0.1:5001/o/src@sha256:${'a'.repeat(64)}`;
    const p = planOf({...basic, mode: 'promote', source: src});
    expect({building: p.building, build: p.build, promote: p.promote?.ref}).toEqual({
      building: false,
      build: undefined,
      promote: src
    });
  });

  test('plan mode gives the matrix', () => {
    expect(
      planOf({...basic, mode: 'plan', platforms: 'linux/amd64,linux/arm64'}).matrix?.include.map(l => l.platform)
    ).toEqual(['linux/amd64', 'linux/arm64']);
  });
});

describe('credentials: named, never their values', () => {
  test('the login says who and from where; the password is in the vault only', () => {
    const p = planOf(basic);
    expect(p.logins).toEqual([
      {registry: '127.0.0.1:5001', username: 'u', from: 'username/password', caFile: '', plainHttp: true}
    ]);
    expect(JSON.stringify(p)).not.toContain('p4ss');
    expect(describePlan(p).join('\n')).not.toContain('p4ss');
    expect(p.vault.password('127.0.0.1:5001')).toBe('p4ss');
  });

  test('a registry-auth entry with a CA: a CA file, TLS expected', () => {
    const p = planOf({
      images: '127.0.0.1:5443/o/app',
      push: 'true',
      'registry-auth': `- registry: 127.0.0.1:5443\n  username: u\n  password: p\n  ca-cert: |\n    ${CA.split('\n').join('\n    ')}`
    });
    expect(p.logins).toEqual([
      {
        registry: '127.0.0.1:5443',
        username: 'u',
        from: 'registry-auth',
        caFile: '/tmp/rt/publish-image-abc/ca-0.crt',
        plainHttp: false
      }
    ]);
  });

  test('problems found by the plan are reported together', () => {
    expect(() => planOf({images: 'ghcr.io/o/app\nquay.io/o/app', push: 'true', username: 'u', password: 'p'})).toThrow(
      /^registry: the images are in 2 registries/
    );
    expect(() => planOf({images: 'ghcr.io/o/app', push: 'true'})).toThrow(
      /images: no credentials for ghcr.io \(image ghcr.io\/o\/app\)/
    );
  });

  test.each<[string, Partial<RunContext>, string]>([
    [
      'an auths entry (docker/login-action)',
      {dockerLogins: {file: '/home/u/.docker/config.json', registries: {'ghcr.io': 'auths'}, credsStore: ''}},
      "ghcr.io: credentials from the job's Docker config (auths), as docker push would use them"
    ],
    [
      'a credential helper (amazon-ecr-login)',
      {dockerLogins: {file: '/c.json', registries: {'ghcr.io': 'credHelpers: ecr-login'}, credsStore: ''}},
      "ghcr.io: credentials from the job's Docker config (credHelpers: ecr-login), as docker push would use them"
    ],
    [
      'a credsStore, asked about every registry',
      {dockerLogins: {file: '/c.json', registries: {}, credsStore: 'pass'}},
      "ghcr.io: credentials from the job's Docker config (credsStore: pass), as docker push would use them"
    ]
  ])('a login made by an earlier step covers its registry: %s', (_n, over, note) => {
    const p = planOf({images: 'ghcr.io/o/app', push: 'true'}, ctx(over));
    expect(p.notes).toContain(note);
    expect(p.logins).toEqual([]);
    expect(p.jobDockerConfig).toBe(over.dockerLogins?.file);
  });

  test('a login of an earlier step for another registry does not cover this one', () => {
    const other = {dockerLogins: {file: '/c.json', registries: {'quay.io': 'auths'}, credsStore: ''}};
    expect(() => planOf({images: 'ghcr.io/o/app', push: 'true'}, ctx(other))).toThrow(
      /images: no credentials for ghcr.io \(image ghcr.io\/o\/app\)\nAdd them with registry\/username\/password or a registry-auth entry, or log in earlier in the job/
    );
  });
});

describe('signing', () => {
  test.each<[string, Record<string, string>, Partial<RunContext>, string | undefined]>([
    ['a key signs with the key', {'cosign-key': 'PEM'}, {}, 'key'],
    [
      'keyless when the job can mint a token and the repository is public',
      {},
      {identity: 'github-oidc', repoPrivate: false},
      'keyless'
    ],
    ['no keyless for a private repository under auto', {}, {identity: 'github-oidc', repoPrivate: true}, undefined],
    ['sign: false', {sign: 'false', 'cosign-key': 'PEM'}, {}, undefined]
  ])('%s', (_name, raw, c, mode) => {
    expect(planOf({...basic, ...raw}, ctx(c)).sign?.mode).toBe(mode);
  });

  test('dry-run prints the sign argv that runs: CA file and plain-HTTP flags included', () => {
    const tls = planOf({
      images: '127.0.0.1:5443/o/app',
      push: 'true',
      'cosign-key': 'PEM',
      'registry-auth': `- registry: 127.0.0.1:5443\n  username: u\n  password: p\n  ca-cert: |\n    ${CA.split('\n').join('\n    ')}`
    });
    expect(describePlan(tls)).toContain(
      'sign: cosign sign --yes --key env://COSIGN_PRIVATE_KEY --tlog-upload=true --registry-cacert /tmp/rt/publish-image-abc/trust-127.0.0.1_5443.crt 127.0.0.1:5443/o/app@<digest>'
    );
    // a registry trusted through /etc/docker/certs.d: cosign gets the same trust
    const certsD = planOf(
      {...basic, images: 'registry.example:5443/o/app', 'cosign-key': 'PEM', 'cosign-password': 'x'},
      ctx({certsDirs: ['registry.example:5443']})
    );
    expect(describePlan(certsD)).toContain(
      'sign: cosign sign --yes --key env://COSIGN_PRIVATE_KEY --tlog-upload=true --registry-cacert /tmp/rt/publish-image-abc/trust-registry.example_5443.crt registry.example:5443/o/app@<digest>'
    );
    expect(describePlan(planOf({...basic, 'cosign-key': 'awskms://alias/k'}))).toContain(
      'sign: cosign sign --yes --key awskms://alias/k --tlog-upload=true --allow-insecure-registry --allow-http-registry 127.0.0.1:5001/o/app@<digest>'
    );
  });

  test('GitLab keyless: the identity token comes from SIGSTORE_ID_TOKEN', () => {
    const g = gitlabContext(
      {
        GITLAB_CI: 'true',
        CI_COMMIT_TAG: 'v1.2.3',
        CI_COMMIT_SHA: SHA,
        CI_PROJECT_VISIBILITY: 'public',
        SIGSTORE_ID_TOKEN: 't'
      },
      '/tmp/rt'
    );
    const p = planOf({...basic, sign: 'keyless'}, g);
    expect(p.sign).toMatchObject({
      mode: 'keyless',
      identity: 'env-token',
      options: {identityTokenFile: '/tmp/rt/publish-image-abc/oidc-token'}
    });
    expect(p.checks).toContain('sign: keyless: identity token from SIGSTORE_ID_TOKEN');
  });
});

test('no tag rule gives a tag: a publish fails before anything runs; a build leg pushes untagged on purpose', () => {
  expect(() => planOf({...basic, tags: 'type=ref,event=pr'})).toThrow(
    /^tags: no tag rule gives a tag for this event \(push refs\/tags\/v1.2.3\), so the image would be pushed untagged/
  );
  expect(planOf({...basic, tags: 'type=ref,event=pr', mode: 'build', platforms: 'linux/amd64'}).pushing).toBe(true);
});

test('the dry-run lines follow the plan, phase by phase', () => {
  const lines = describePlan(planOf({...basic, 'cosign-key': 'PEM'}));
  const kinds = lines.map(l => l.split(':')[0]);
  expect(kinds.filter((k, i) => kinds.indexOf(k) === i)).toEqual([
    'plan',
    'check',
    'build',
    'push',
    'sign',
    'tag',
    'logout'
  ]);
  expect(lines).toContain('tag: 127.0.0.1:5001/o/app:{1.2.3,sha-90dd603,latest} -> the pushed digest');
});

test('an empty password: pushing fails before anything runs, naming the registry and the fork case; not pushing logs out of it', () => {
  expect(() => planOf({...basic, password: ''})).toThrow(
    /^password: the password for 127.0.0.1:5001 \(username u\) is empty\. If it comes from a secret, check that the secret exists under that name; secrets are not passed to workflows run from forks/
  );
  const p = planOf({...basic, password: '', push: 'false'});
  expect(p.logins).toEqual([]);
  expect(p.notes).toContain('127.0.0.1:5001: the password of u is empty; not pushing, so not logging in there');
});

describe('gate and prune', () => {
  test('a gate runs after signing and before the tags; dry-run prints it for every repository', () => {
    const p = planOf({
      ...basic,
      images: '127.0.0.1:5001/o/app\n127.0.0.1:5001/o/mirror',
      gate: 'test -n "$PUBLISH_IMAGE_REF"',
      scan: 'trivy',
      'scan-severity': 'CRITICAL'
    });
    expect(p.gate).toEqual({command: 'test -n "$PUBLISH_IMAGE_REF"', scan: 'trivy', severity: ['CRITICAL']});
    expect(p.checks).toContain('scan: trivy is on PATH');
    const lines = describePlan(p);
    const gate = lines.filter(l => l.startsWith('gate: '));
    expect(gate).toEqual([
      'gate: trivy image --exit-code 1 --severity CRITICAL --ignore-unfixed --format json --output <report> 127.0.0.1:5001/o/app@<digest>',
      'gate: sh -c "test -n \\"$PUBLISH_IMAGE_REF\\"" for 127.0.0.1:5001/o/app@<digest>',
      'gate: trivy image --exit-code 1 --severity CRITICAL --ignore-unfixed --format json --output <report> 127.0.0.1:5001/o/mirror@<digest>',
      'gate: sh -c "test -n \\"$PUBLISH_IMAGE_REF\\"" for 127.0.0.1:5001/o/mirror@<digest>'
    ]);
    expect(lines.indexOf(gate[0] ?? '')).toBeLessThan(lines.findIndex(l => l.startsWith('tag: ')));
  });

  test('no gate without push', () => {
    expect(planOf({...basic, push: 'false', gate: 'true'}).gate).toBeUndefined();
  });

  test('mode prune: no build, no push, no tag; the rules, printed per repository', () => {
    const p = planOf({
      ...basic,
      push: '',
      mode: 'prune',
      'prune-match': '^sha-',
      'prune-keep': '3',
      'prune-older-than': '30d'
    });
    expect({build: p.build, pushing: p.pushing, sign: p.sign, reason: p.notPushedReason}).toEqual({
      build: undefined,
      pushing: false,
      sign: undefined,
      reason: 'mode prune'
    });
    expect(p.prune).toEqual({match: /^sha-/, keep: 3, olderThanMs: 30 * 86_400_000, olderThan: '30d'});
    expect(describePlan(p).filter(l => /^(prune|tag|build|push): /.test(l))).toEqual([
      'prune: 127.0.0.1:5001/o/app: tags matching /^sha-/ beyond the newest 3 and older than 30d, unless a staying tag shares the digest; their cosign tags with them (deleted by digest)'
    ]);
  });
});

describe('untrusted events', () => {
  const git = (eventName: string, payload: Record<string, unknown>): Partial<RunContext> => ({
    git: {eventName, ref: 'refs/pull/7/merge', sha: SHA, payload, repository: 'o/app'}
  });
  const fork = {
    pull_request: {number: 7, head: {repo: {full_name: 'mallory/app'}}, base: {repo: {full_name: 'o/app'}}}
  };
  const same = {pull_request: {number: 7, head: {repo: {full_name: 'o/app'}}, base: {repo: {full_name: 'o/app'}}}};
  const tags = 'type=ref,event=pr';

  test.each<[string, Partial<RunContext>, RegExp]>([
    [
      'pull_request_target',
      git('pull_request_target', same),
      /this run is pull_request_target \(the base repository's secrets/
    ],
    [
      'a fork pull request',
      git('pull_request', fork),
      /this run is a pull request from the fork mallory\/app: the code it builds/
    ],
    [
      'a pull request from a deleted fork',
      git('pull_request', {pull_request: {head: {repo: null}}}),
      /from a deleted fork/
    ]
  ])('%s: a push is refused, naming the event and the opt-in', (_n, over, message) => {
    expect(() => planOf({...basic, tags}, ctx(over))).toThrow(message);
    expect(() => planOf({...basic, tags}, ctx(over))).toThrow(
      /^allow-untrusted-events: .*allow-untrusted-events: true/
    );
  });

  test.each<[string, Record<string, string>, Partial<RunContext>]>([
    ['a pull request from the repository itself', {}, git('pull_request', same)],
    ['a fork pull request that only builds (push: false)', {push: 'false'}, git('pull_request', fork)],
    ['a fork pull request, opted in', {'allow-untrusted-events': 'true'}, git('pull_request', fork)]
  ])('%s: allowed', (_n, raw, over) => {
    expect(() => planOf({...basic, tags, ...raw}, ctx(over))).not.toThrow();
  });
});
