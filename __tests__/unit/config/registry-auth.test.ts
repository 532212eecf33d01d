import {
  emptyPasswords,
  parseInsecureRegistries,
  parseRegistryAuth,
  plainHttpAllowed,
  resolveAuths,
  uncoveredImages
} from '../../../src/config/registry-auth';
import {pushDeniedHint} from '../../../src/run/preflight';

const base = {registry: '', username: '', password: '', caCert: '', registryAuth: '', githubToken: 'gh-token'};
const repo = (registry: string, p = 'o/app') => ({registry, path: p});

describe('parseRegistryAuth', () => {
  test('a YAML list, registries made canonical', () => {
    expect(
      parseRegistryAuth(`
- registry: ghcr.io
  username: octo
  password: p1
- registry: index.docker.io
  username: hubuser
  password: 12345
- registry: localhost:5000
`)
    ).toEqual([
      {registry: 'ghcr.io', username: 'octo', password: 'p1', caCert: ''},
      {registry: 'docker.io', username: 'hubuser', password: '12345', caCert: ''},
      {registry: 'localhost:5000', username: '', password: '', caCert: ''}
    ]);
  });

  test.each([
    ['registry: ghcr.io', /expected a YAML list/],
    ['- ghcr.io', /entry 1 is not a mapping/],
    [
      '- registry: ghcr.io\n  user: x',
      /entry 1 has an unknown key "user"; accepted: registry, username, password, ca-cert/
    ],
    ['- username: x', /entry 1 has no registry/],
    [
      '- registry: ../../etc/x',
      /^registry-auth: entry 1: "..\/..\/etc\/x" is not a registry host\[:port\] \(e.g. ghcr.io, registry.example.com:5000\); write the host only, without a path$/
    ],
    ['- registry: ghcr.io/owner', /entry 1: "ghcr.io\/owner" is not a registry host\[:port\]/],
    [
      '- registry: r.example:5000\n  ca-cert: /etc/ssl/my-ca.crt',
      /^registry-auth: the ca-cert of entry 1 \(r.example:5000\) is not a PEM certificate .*; pass the file content, not its path$/
    ],
    ['- registry: [unclosed\n  password: s3cret-value', /not valid YAML \(line \d+, column \d+\)/]
  ])('%j is refused with a message that names the fix', (yaml, message) => {
    expect(() => parseRegistryAuth(yaml)).toThrow(message);
  });

  test('an unquoted value starting with "!" (a password) is a YAML tag: the message gives the position and the fix, not the value', () => {
    let message = '';
    try {
      parseRegistryAuth('- registry: ghcr.io\n  username: octo\n  password: !s3cret-value');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe(
      `registry-auth: a value starts with "!" (line 3, column 13), which YAML reads as a tag; quote the value (password: '\${{ secrets.NAME }}')`
    );
  });

  test('a YAML error does not quote the text (it may hold a password)', () => {
    expect(() => parseRegistryAuth('- registry: [unclosed\n  password: s3cret-value')).toThrow(
      expect.objectContaining({message: expect.not.stringContaining('s3cret') as unknown}) as Error
    );
  });
});

describe('resolveAuths', () => {
  test('registry/username/password: the registry of the images when registry is empty', () => {
    expect(resolveAuths({...base, username: 'u', password: 'p'}, [repo('ghcr.io')])).toEqual([
      {registry: 'ghcr.io', username: 'u', password: 'p', caCert: ''}
    ]);
  });

  test('Docker Hub is the default registry', () => {
    expect(resolveAuths({...base, username: 'u', password: 'p'}, [])).toEqual([
      {registry: 'docker.io', username: 'u', password: 'p', caCert: ''}
    ]);
  });

  test('GHCR with an empty password falls back to github-token', () => {
    expect(resolveAuths({...base, registry: 'ghcr.io', username: 'octo'}, [])[0]?.password).toBe('gh-token');
  });

  test('single credentials and registry-auth together', () => {
    const auths = resolveAuths(
      {
        ...base,
        registry: 'ghcr.io',
        username: 'u',
        password: 'p',
        registryAuth: '- registry: docker.io\n  username: h\n  password: q'
      },
      []
    );
    expect(auths.map(a => a.registry)).toEqual(['ghcr.io', 'docker.io']);
  });

  test.each(['ghcr.io', 'registry.example.com:5000', '127.0.0.1:5443', '[::1]:5000', 'localhost'])(
    'registry %j is a host[:port]',
    registry => {
      expect(resolveAuths({...base, registry, username: 'u', password: 'p'}, [])[0]?.registry).toBe(registry);
    }
  );

  test('a registry input that is not a host[:port] is refused before it can become a path', () => {
    expect(() => resolveAuths({...base, registry: 'r.example/../../tmp', username: 'u', password: 'p'}, [])).toThrow(
      /^registry: "r.example\/..\/..\/tmp" is not a registry host\[:port\]/
    );
  });

  test('a top-level ca-cert beside registry-auth is the CA of the entries that carry none', () => {
    const auths = resolveAuths(
      {
        ...base,
        caCert: 'PEM-TOP',
        registryAuth: '- registry: a.example\n- registry: b.example\n  ca-cert: "-----BEGIN CERTIFICATE----- B"'
      },
      []
    );
    expect(auths.map(a => [a.registry, a.caCert])).toEqual([
      ['a.example', 'PEM-TOP'],
      ['b.example', '-----BEGIN CERTIFICATE----- B']
    ]);
  });

  test('a top-level ca-cert with registry beside registry-auth is the CA of that entry only', () => {
    const auths = resolveAuths(
      {...base, registry: 'b.example', caCert: 'PEM-TOP', registryAuth: '- registry: a.example\n- registry: b.example'},
      []
    );
    expect(auths.map(a => [a.registry, a.caCert])).toEqual([
      ['a.example', ''],
      ['b.example', 'PEM-TOP']
    ]);
  });

  test.each<[string, Partial<typeof base>, RegExp]>([
    [
      'ca-cert for a registry registry-auth does not name',
      {registry: 'c.example', caCert: 'PEM', registryAuth: '- registry: a.example'},
      /^ca-cert: registry is c.example, which has no entry in registry-auth; put ca-cert inside its entry \("- registry: <host>"/
    ],
    [
      'one registry at the top level and in registry-auth',
      {
        registry: 'ghcr.io',
        username: 'u',
        password: 'p',
        registryAuth: '- registry: ghcr.io\n  username: v\n  password: q'
      },
      /^registry-auth: ghcr.io is given twice \(in registry\/username\/password and in registry-auth\); keep one: move what is given at the top level into its registry-auth entry/
    ],
    [
      'a password without a username (registry-auth)',
      {registryAuth: '- registry: a.example\n  password: q'},
      /^registry-auth: a password for a.example was given without a username$/
    ],
    [
      'a password without a username (single)',
      {registry: 'a.example', password: 'q'},
      /^username: a password for a.example was given without a username$/
    ],
    [
      'several registries without registry',
      {username: 'u', password: 'p'},
      /^registry: the images are in 2 registries \(ghcr.io, docker.io\)/
    ],
    [
      'a registry twice',
      {registryAuth: '- registry: docker.io\n- registry: index.docker.io'},
      /^registry-auth: docker.io is given twice/
    ],
    [
      'username/password beside registry-auth without registry',
      {username: 'u', password: 'p', registryAuth: '- registry: ghcr.io'},
      /^registry: username\/password were given beside registry-auth/
    ]
  ])('%s', (_n, over, message) => {
    expect(() => resolveAuths({...base, ...over}, [repo('ghcr.io'), repo('docker.io')])).toThrow(message);
  });
});

describe('emptyPasswords', () => {
  const entry = (registry: string, username: string, password: string) => ({registry, username, password, caCert: ''});
  test.each<[string, ReturnType<typeof entry>[], string, unknown[]]>([
    ['all set', [entry('ghcr.io', 'u', 'p')], '', []],
    ['anonymous on purpose', [entry('localhost:5000', '', '')], '', []],
    [
      'single credentials',
      [entry('docker.io', 'me', '')],
      '',
      [
        "password: the password for docker.io (username me) is empty. If it comes from a secret, check that the secret exists under that name; secrets are not passed to workflows run from forks, so skip the push there (push: ${{ github.event_name != 'pull_request' }})"
      ]
    ],
    [
      'registry-auth entries, each named',
      [entry('a.example', 'x', ''), entry('b.example', 'y', 'ok'), entry('c.example', 'z', '')],
      '- registry: a.example',
      [
        expect.stringMatching(/^registry-auth: the password for a.example \(username x\) is empty/),
        expect.stringMatching(/^registry-auth: the password for c.example \(username z\) is empty/)
      ]
    ]
  ])('%s', (_n, auths, registryAuth, messages) => {
    const errors = emptyPasswords(auths, registryAuth);
    expect(errors.map(e => e.message)).toEqual(messages);
    for (const e of errors) expect(e.input).toBe(registryAuth ? 'registry-auth' : 'password');
  });
});

test('uncoveredImages lists images whose registry has no entry', () => {
  const targets = [
    {image: 'ghcr.io/o/app', repo: repo('ghcr.io')},
    {image: 'o/app', repo: repo('docker.io')}
  ];
  expect(uncoveredImages(targets, [{registry: 'ghcr.io', username: 'u', password: 'p', caCert: ''}])).toEqual([
    {image: 'o/app', registry: 'docker.io'}
  ]);
});

test.each([
  ['127.0.0.1:5000', [], true],
  ['localhost:5000', [], true],
  ['registry.internal:5000', [], false],
  ['registry.internal:5000', ['registry.internal:5000'], true],
  ['ghcr.io', ['registry.internal:5000'], false]
])('plainHttpAllowed(%j, %j) = %j', (host, insecure, allowed) => {
  expect(plainHttpAllowed(host, parseInsecureRegistries(insecure))).toBe(allowed);
});

describe('pushDeniedHint', () => {
  const auth = {registry: 'docker.io', username: 'me', password: 'x', caCert: ''};
  test.each<[string, {image: string; repo: {registry: string; path: string}}, number, RegExp]>([
    [
      'wrong credentials',
      {image: 'me/app', repo: repo('docker.io', 'me/app')},
      401,
      /did not accept the credentials of "me".*Check username and password/
    ],
    [
      'Docker Hub namespace',
      {image: 'app', repo: repo('docker.io', 'library/app')},
      403,
      /namespace .* e\.g\. myteam\/app \(here "library"\)/
    ],
    [
      'GHCR permissions',
      {image: 'ghcr.io/org/app', repo: repo('ghcr.io', 'org/app')},
      403,
      /packages: write[\s\S]*organisation/
    ],
    [
      'repository not created',
      {image: 'r.example/app', repo: repo('r.example', 'app')},
      404,
      /does not exist .* create it first/
    ],
    ['pull but not push', {image: 'r.example/app', repo: repo('r.example', 'app')}, 403, /may pull but not push/]
  ])('%s', (_n, target, status, message) => {
    expect(pushDeniedHint(target, {...auth, registry: target.repo.registry}, status, '')).toMatch(message);
  });
});
