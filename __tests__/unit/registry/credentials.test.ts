import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  configKeys,
  CredentialResolver,
  DockerConfigFile,
  dockerLogins,
  fromAuthsEntry,
  helperServerUrl,
  jobDockerConfigPath,
  parseHelperOutput,
  readDockerConfig,
  registryOfKey
} from '../../../src/registry/credentials';
import {ExecRunner} from '../../../src/tools/exec';
import {tmpDir, removeTmpDirs} from './servers';

afterAll(removeTmpDirs);

const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('pure helpers', () => {
  test.each([
    ['docker.io', ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io']],
    ['ghcr.io', ['ghcr.io', 'https://ghcr.io', 'http://ghcr.io', 'https://ghcr.io/v1/', 'https://ghcr.io/v2/']],
    [
      'localhost:5000',
      [
        'localhost:5000',
        'https://localhost:5000',
        'http://localhost:5000',
        'https://localhost:5000/v1/',
        'https://localhost:5000/v2/'
      ]
    ]
  ])('configKeys(%j)', (registry, keys) => {
    expect(configKeys(registry)).toEqual(keys);
  });

  test.each([
    ['docker.io', 'https://index.docker.io/v1/'],
    ['ghcr.io', 'ghcr.io'],
    ['123.dkr.ecr.eu-west-1.amazonaws.com', '123.dkr.ecr.eu-west-1.amazonaws.com'],
    ['localhost:5000', 'localhost:5000']
  ])('helperServerUrl(%j) = %j', (registry, url) => {
    expect(helperServerUrl(registry)).toBe(url);
  });

  test.each<[string, NonNullable<DockerConfigFile['auths']>[string], ReturnType<typeof fromAuthsEntry>]>([
    ['auth: base64 user:password', {auth: b64('octo:p4ss')}, {username: 'octo', password: 'p4ss', source: ''}],
    ['a password holding colons', {auth: b64('octo:a:b:c')}, {username: 'octo', password: 'a:b:c', source: ''}],
    ['username and password fields', {username: 'u', password: 'p'}, {username: 'u', password: 'p', source: ''}],
    [
      'auth wins over the fields',
      {auth: b64('a:b'), username: 'u', password: 'p'},
      {username: 'a', password: 'b', source: ''}
    ],
    [
      'an identity token alone',
      {identitytoken: 'id-tok'},
      {username: '<token>', password: '', identityToken: 'id-tok', source: ''}
    ],
    [
      'an identity token with a username',
      {auth: b64('octo:'), identitytoken: 'id-tok'},
      {username: 'octo', password: '', identityToken: 'id-tok', source: ''}
    ],
    ['an empty entry (a credsStore login)', {}, undefined],
    ['auth without a colon', {auth: b64('nocolon')}, undefined],
    ['auth with an empty username', {auth: b64(':p')}, undefined]
  ])('fromAuthsEntry: %s', (_name, entry, expected) => {
    expect(fromAuthsEntry(entry)).toEqual(expected);
  });

  test.each<[string, ReturnType<typeof parseHelperOutput>]>([
    ['{"ServerURL":"ghcr.io","Username":"u","Secret":"s"}', {username: 'u', secret: 's'}],
    ['{"Username":"<token>","Secret":"refresh"}', {username: '<token>', secret: 'refresh'}],
    ['{"Secret":"s"}', {username: '', secret: 's'}],
    ['{"ServerURL":"ghcr.io","Username":"u","Secret":""}', undefined],
    ['{"Username":"u"}', undefined],
    // docker's Go decoder matches keys case-insensitively: so does the step
    ['{"username":"u","secret":"s"}', {username: 'u', secret: 's'}],
    ['credentials not found in native keychain', undefined],
    ['', undefined]
  ])('parseHelperOutput(%j)', (stdout, expected) => {
    expect(parseHelperOutput(stdout)).toEqual(expected);
  });

  test.each([
    ['https://index.docker.io/v1/', 'docker.io'],
    ['index.docker.io', 'docker.io'],
    ['registry-1.docker.io', 'docker.io'],
    ['docker.io', 'docker.io'],
    ['ghcr.io', 'ghcr.io'],
    ['https://GHCR.io/v2/', 'ghcr.io'],
    ['http://reg.example:5000/', 'reg.example:5000'],
    ['localhost:5000', 'localhost:5000']
  ])('registryOfKey(%j) = %j', (key, registry) => {
    expect(registryOfKey(key)).toBe(registry);
  });

  test.each<[Record<string, string | undefined>, string]>([
    [{DOCKER_CONFIG: '/cfg', HOME: '/home/u'}, '/cfg/config.json'],
    [{HOME: '/home/u'}, '/home/u/.docker/config.json'],
    [{DOCKER_CONFIG: '', HOME: '/home/u'}, '/home/u/.docker/config.json']
  ])('jobDockerConfigPath(%j) = %j', (env, file) => {
    expect(jobDockerConfigPath(env)).toBe(file);
  });

  test('readDockerConfig: the parsed file, or {} when missing or not JSON', () => {
    const dir = tmpDir('readcfg');
    fs.writeFileSync(path.join(dir, 'ok.json'), JSON.stringify({credsStore: 'desktop'}));
    fs.writeFileSync(path.join(dir, 'bad.json'), '{not json');
    expect(readDockerConfig(path.join(dir, 'ok.json'))).toEqual({credsStore: 'desktop'});
    expect(readDockerConfig(path.join(dir, 'bad.json'))).toEqual({});
    expect(readDockerConfig(path.join(dir, 'missing.json'))).toEqual({});
  });
});

describe('dockerLogins', () => {
  test('reads $DOCKER_CONFIG/config.json: auths, credHelpers and credsStore, Docker Hub as docker.io', () => {
    const dir = tmpDir('docker-config');
    fs.writeFileSync(
      path.join(dir, 'config.json'),
      JSON.stringify({
        auths: {
          'https://index.docker.io/v1/': {auth: b64('hub:pw')},
          'ghcr.io': {auth: b64('octo:pw')},
          'both.example': {auth: b64('x:y')},
          'store-only.example': {}
        },
        credHelpers: {
          '123.dkr.ecr.us-east-1.amazonaws.com': 'ecr-login',
          'https://GCR.io': 'gcloud',
          'both.example': 'pass'
        },
        credsStore: 'desktop'
      })
    );
    expect(dockerLogins({DOCKER_CONFIG: dir, HOME: '/nonexistent'})).toEqual({
      file: path.join(dir, 'config.json'),
      registries: {
        'docker.io': 'auths',
        'ghcr.io': 'auths',
        'both.example': 'credHelpers: pass',
        '123.dkr.ecr.us-east-1.amazonaws.com': 'credHelpers: ecr-login',
        'gcr.io': 'credHelpers: gcloud'
      },
      credsStore: 'desktop'
    });
  });

  test('falls back to $HOME/.docker/config.json', () => {
    const home = tmpDir('home');
    fs.mkdirSync(path.join(home, '.docker'));
    fs.writeFileSync(
      path.join(home, '.docker', 'config.json'),
      JSON.stringify({auths: {'quay.io': {auth: b64('q:p')}}})
    );
    expect(dockerLogins({HOME: home})).toEqual({
      file: path.join(home, '.docker', 'config.json'),
      registries: {'quay.io': 'auths'},
      credsStore: ''
    });
  });

  test('no config file: nothing', () => {
    expect(dockerLogins({DOCKER_CONFIG: tmpDir('empty-config')})).toEqual({file: '', registries: {}, credsStore: ''});
  });
});

describe('CredentialResolver with real credential helpers', () => {
  let bin: string;
  let calls: string;
  let oldPath: string | undefined;

  const script = (name: string, body: string): void => {
    const f = path.join(bin, `docker-credential-${name}`);
    fs.writeFileSync(f, `#!/bin/sh\n${body}\n`);
    fs.chmodSync(f, 0o755);
  };

  beforeAll(() => {
    bin = tmpDir('helpers');
    calls = path.join(bin, 'calls.log');
    // each records "<name> <args> <server URL from stdin>", then answers as the docker-credential-helpers protocol says
    const record = (name: string): string => `url=$(cat)\nprintf '%s %s %s\\n' '${name}' "$*" "$url" >> '${calls}'`;
    script(
      'fake',
      `${record('fake')}\n[ "$1" = get ] || exit 3\nprintf '{"ServerURL":"%s","Username":"helper-user","Secret":"helper-s3cret"}\\n' "$url"`
    );
    script('nokey', `${record('nokey')}\necho "credentials not found in native keychain"\nexit 1`);
    script(
      'tokenish',
      `${record('tokenish')}\nprintf '{"ServerURL":"%s","Username":"<token>","Secret":"refresh-s3cret"}' "$url"`
    );
    // exits 0 with an answer it cannot read (lower-case keys, which Go's decoder in docker would accept)
    script('garbled', `${record('garbled')}\nprintf 'user=helper-user secret=garbled-s3cret\\n'`);
    oldPath = process.env.PATH;
    process.env.PATH = `${bin}${path.delimiter}${oldPath ?? ''}`;
  });
  afterAll(() => {
    process.env.PATH = oldPath;
  });
  beforeEach(() => {
    fs.writeFileSync(calls, '');
  });

  const callsMade = (): string[] => fs.readFileSync(calls, 'utf8').split('\n').filter(Boolean);

  const configFile = (cfg: DockerConfigFile): string => {
    const dir = tmpDir('cfg');
    const f = path.join(dir, 'config.json');
    fs.writeFileSync(f, JSON.stringify(cfg));
    return f;
  };

  const resolver = (
    dockerConfig: string,
    inputs?: Map<string, {username: string; password: string}>
  ): {r: CredentialResolver; lines: string[]; masked: string[]} => {
    const lines: string[] = [];
    const masked: string[] = [];
    const r = new CredentialResolver({
      inputs,
      dockerConfig,
      runner: new ExecRunner(),
      log: l => lines.push(l),
      mask: s => masked.push(s)
    });
    return {r, lines, masked};
  };

  const cfg = (): string =>
    configFile({
      auths: {
        'auths.example': {auth: b64('auth-user:auth-s3cret')},
        'ident.example': {identitytoken: 'ident-s3cret'},
        'nokey.example': {auth: b64('shadowed:shadowed-s3cret')},
        'https://index.docker.io/v1/': {auth: b64('hub-user:hub-s3cret')}
      },
      credHelpers: {
        'helper.example': 'fake',
        'https://prefixed.example': 'fake',
        'nokey.example': 'nokey',
        'token.example': 'tokenish',
        'garbled.example': 'garbled',
        'absent.example': 'doesnotexist'
      }
    });

  test("credHelpers: the helper's username and secret, masked, never logged; the server URL goes on stdin", async () => {
    const {r, lines, masked} = resolver(cfg());
    await expect(r.get('helper.example')).resolves.toEqual({
      username: 'helper-user',
      password: 'helper-s3cret',
      source: 'credential helper fake'
    });
    expect(callsMade()).toEqual(['fake get helper.example']);
    expect(masked).toContain('helper-s3cret');
    expect(lines.join('\n')).toMatch(
      /helper\.example: credentials of "helper-user" from docker-credential-fake \(credHelpers of /
    );
    expect(lines.join('\n')).not.toContain('helper-s3cret');
  });

  test('a credHelpers key written as a URL is found too', async () => {
    const {r} = resolver(cfg());
    await expect(r.get('prefixed.example')).resolves.toMatchObject({username: 'helper-user'});
    expect(callsMade()).toEqual(['fake get prefixed.example']);
  });

  test('Docker Hub: the helper is asked about https://index.docker.io/v1/', async () => {
    const {r} = resolver(configFile({credHelpers: {'docker.io': 'fake'}}));
    await expect(r.get('docker.io')).resolves.toMatchObject({username: 'helper-user', password: 'helper-s3cret'});
    expect(callsMade()).toEqual(['fake get https://index.docker.io/v1/']);
  });

  test('"credentials not found in native keychain": anonymous, said in the log; credHelpers is authoritative (no auths fallback)', async () => {
    const {r, lines, masked} = resolver(cfg());
    await expect(r.get('nokey.example')).resolves.toBeUndefined();
    expect(callsMade()).toEqual(['nokey get nokey.example']);
    expect(lines).toEqual([
      expect.stringMatching(
        /^nokey\.example: docker-credential-nokey \(credHelpers of .*\) gave no credentials: credentials not found in native keychain$/
      )
    ]);
    expect(masked).toEqual([]);
  });

  test('a "<token>" username is an identity token', async () => {
    const {r, lines, masked} = resolver(cfg());
    await expect(r.get('token.example')).resolves.toEqual({
      username: '<token>',
      password: '',
      identityToken: 'refresh-s3cret',
      source: 'credential helper tokenish'
    });
    expect(masked).toContain('refresh-s3cret');
    expect(lines.join('\n')).toContain('(identity token)');
    expect(lines.join('\n')).not.toContain('refresh-s3cret');
  });

  test('a helper answer it cannot read is not echoed into the log (it may hold the secret)', async () => {
    const {r, lines} = resolver(cfg());
    await expect(r.get('garbled.example')).resolves.toBeUndefined();
    expect(callsMade()).toEqual(['garbled get garbled.example']);
    expect(lines.join('\n')).toContain('docker-credential-garbled');
    expect(lines.join('\n')).not.toContain('garbled-s3cret');
  });

  test('a helper that is not installed: anonymous, the log names it', async () => {
    const {r, lines} = resolver(cfg());
    await expect(r.get('absent.example')).resolves.toBeUndefined();
    expect(lines.join('\n')).toMatch(
      /absent\.example: docker-credential-doesnotexist \(credHelpers of .*\) gave no credentials/
    );
  });

  test('auths: decoded, the password masked and not logged', async () => {
    const file = cfg();
    const {r, lines, masked} = resolver(file);
    await expect(r.get('auths.example')).resolves.toEqual({
      username: 'auth-user',
      password: 'auth-s3cret',
      source: 'docker config'
    });
    expect(masked).toContain('auth-s3cret');
    expect(lines).toEqual([`auths.example: credentials of "auth-user" from the job's Docker config (${file})`]);
    expect(callsMade()).toEqual([]);
  });

  test('auths: an identity token is masked', async () => {
    const {r, masked, lines} = resolver(cfg());
    await expect(r.get('ident.example')).resolves.toMatchObject({username: '<token>', identityToken: 'ident-s3cret'});
    expect(masked).toContain('ident-s3cret');
    expect(lines.join('\n')).not.toContain('ident-s3cret');
  });

  test("auths: Docker Hub's https://index.docker.io/v1/ key serves docker.io", async () => {
    const {r} = resolver(cfg());
    await expect(r.get('docker.io')).resolves.toMatchObject({username: 'hub-user', password: 'hub-s3cret'});
  });

  test('credsStore answers for registries without a credHelpers entry', async () => {
    const {r, masked} = resolver(configFile({credsStore: 'fake', auths: {'store.example': {}}}));
    await expect(r.get('store.example')).resolves.toEqual({
      username: 'helper-user',
      password: 'helper-s3cret',
      source: 'credential helper fake'
    });
    expect(masked).toContain('helper-s3cret');
    expect(callsMade()).toEqual(['fake get store.example']);
  });

  test('credsStore without the credentials: the auths entry is used', async () => {
    const {r, lines} = resolver(configFile({credsStore: 'nokey', auths: {'auths.example': {auth: b64('a:b')}}}));
    await expect(r.get('auths.example')).resolves.toMatchObject({
      username: 'a',
      password: 'b',
      source: 'docker config'
    });
    expect(callsMade()).toEqual(['nokey get auths.example']);
    expect(lines[0]).toMatch(/docker-credential-nokey \(credsStore of .*\) gave no credentials/);
  });

  test('a credHelpers entry wins over credsStore', async () => {
    const {r} = resolver(configFile({credsStore: 'nokey', credHelpers: {'helper.example': 'fake'}}));
    await expect(r.get('helper.example')).resolves.toMatchObject({username: 'helper-user'});
    expect(callsMade()).toEqual(['fake get helper.example']);
  });

  test('inputs take precedence over the Docker config (no helper runs)', async () => {
    const {r, masked} = resolver(cfg(), new Map([['helper.example', {username: 'input-user', password: 'input-pw'}]]));
    await expect(r.get('helper.example')).resolves.toEqual({
      username: 'input-user',
      password: 'input-pw',
      source: 'inputs'
    });
    expect(callsMade()).toEqual([]);
    expect(masked).toEqual([]);
  });

  test('an inputs entry without a username means anonymous, even when the Docker config has credentials', async () => {
    const {r} = resolver(cfg(), new Map([['auths.example', {username: '', password: ''}]]));
    await expect(r.get('auths.example')).resolves.toBeUndefined();
  });

  test('each registry is resolved once (the helper runs once)', async () => {
    const {r} = resolver(cfg());
    const [a, b] = await Promise.all([r.get('helper.example'), r.get('helper.example')]);
    await r.get('helper.example');
    expect(a).toBe(b);
    expect(callsMade()).toEqual(['fake get helper.example']);
  });

  test('nothing: no Docker config, an unknown registry, no runner for a helper', async () => {
    await expect(new CredentialResolver({}).get('auths.example')).resolves.toBeUndefined();
    const {r} = resolver(cfg());
    await expect(r.get('unknown.example')).resolves.toBeUndefined();
    const noRunner = new CredentialResolver({dockerConfig: cfg()});
    await expect(noRunner.get('helper.example')).resolves.toBeUndefined();
    await expect(noRunner.get('auths.example')).resolves.toMatchObject({username: 'auth-user'});
    expect(callsMade()).toEqual([]);
  });
});
