import {
  BuildPlan,
  buildArgs,
  buildHint,
  failedStep,
  checkBuildxVersion,
  digestFromMetadata,
  isCacheExportFailure,
  loadPlan,
  parseBuildxVersion,
  planSecrets
} from '../../../src/tools/buildx/buildx';

const plan: BuildPlan = {
  context: '.',
  file: '',
  platforms: [],
  buildArgs: [],
  buildContexts: [],
  secrets: [],
  ssh: [],
  target: '',
  cacheFrom: [],
  cacheTo: [],
  noCache: false,
  noCacheFilters: [],
  pull: false,
  provenance: '',
  sbom: '',
  attests: [],
  annotations: [],
  labels: [],
  outputs: [],
  network: '',
  addHosts: [],
  shmSize: '',
  ulimit: [],
  builder: '',
  ociLayout: '',
  load: false,
  localTags: [],
  metadataFile: '/t/metadata.json',
  iidFile: '/t/iid'
};
const tail = ['--metadata-file', '/t/metadata.json', '--iidfile', '/t/iid', '.'];

test.each<[string, Partial<BuildPlan>, string[]]>([
  ['minimal', {}, ['buildx', 'build', ...tail]],
  [
    'local tags and load',
    {localTags: ['user/app:1', 'user/app:latest'], load: true},
    ['buildx', 'build', '--tag', 'user/app:1', '--tag', 'user/app:latest', '--load', ...tail]
  ],
  [
    'pushing: every platform into an OCI layout, no tag',
    {ociLayout: '/t/layout', platforms: ['linux/amd64', 'linux/arm64'], localTags: ['ignored:1']},
    [
      'buildx',
      'build',
      '--platform',
      'linux/amd64,linux/arm64',
      '--output',
      'type=oci,dest=/t/layout,tar=false',
      ...tail
    ]
  ],
  [
    'a layout path with a comma is one quoted CSV field',
    {ociLayout: '/t/a,b'},
    ['buildx', 'build', '--output', 'type=oci,"dest=/t/a,b",tar=false', ...tail]
  ],
  [
    'every build-push-action input in its flag',
    {
      builder: 'b1',
      file: 'x/Dockerfile',
      target: 'release',
      buildArgs: ['A=1'],
      buildContexts: ['src=../src'],
      secrets: ['id=npm,src=/t/secret-0'],
      ssh: ['default'],
      cacheFrom: ['type=gha'],
      cacheTo: ['type=gha,mode=max'],
      noCache: true,
      noCacheFilters: ['deps'],
      pull: true,
      provenance: 'mode=max',
      sbom: 'true',
      attests: ['type=sbom,generator=x'],
      labels: ['l=1'],
      annotations: ['manifest:a=1'],
      network: 'host',
      addHosts: ['db:10.0.0.5'],
      shmSize: '256m',
      ulimit: ['nofile=1024:1024'],
      outputs: ['type=local,dest=out']
    },
    [
      'buildx',
      'build',
      '--builder',
      'b1',
      '--file',
      'x/Dockerfile',
      '--target',
      'release',
      '--build-arg',
      'A=1',
      '--build-context',
      'src=../src',
      '--secret',
      'id=npm,src=/t/secret-0',
      '--ssh',
      'default',
      '--cache-from',
      'type=gha',
      '--cache-to',
      'type=gha,mode=max',
      '--no-cache',
      '--no-cache-filter',
      'deps',
      '--pull',
      '--provenance',
      'mode=max',
      '--sbom',
      'true',
      '--attest',
      'type=sbom,generator=x',
      '--label',
      'l=1',
      '--annotation',
      'manifest:a=1',
      '--network',
      'host',
      '--add-host',
      'db:10.0.0.5',
      '--shm-size',
      '256m',
      '--ulimit',
      'nofile=1024:1024',
      '--output',
      'type=local,dest=out',
      '--metadata-file',
      '/t/metadata.json',
      '.'
    ]
  ],
  [
    'no image ID file beside a tar export',
    {outputs: ['type=tar,dest=out.tar']},
    ['buildx', 'build', '--output', 'type=tar,dest=out.tar', '--metadata-file', '/t/metadata.json', '.']
  ]
])('%s', (_name, over, expected) => {
  expect(buildArgs({...plan, ...over})).toEqual(expected);
});

test('the load plan is a second build without the layout and the cache export', () => {
  const p = loadPlan({...plan, ociLayout: '/t/l', cacheTo: ['type=gha'], localTags: ['a:1'], load: true});
  expect(buildArgs(p)).toEqual([
    'buildx',
    'build',
    '--tag',
    'a:1',
    '--load',
    '--metadata-file',
    '/t/metadata.json.load',
    '--iidfile',
    '/t/iid.load',
    '.'
  ]);
});

test('secrets: values go to files, never to argv', () => {
  const p = planSecrets(
    ['npm_token=s3cr3t=x', 'multi=line1\nline2'],
    ['gh=GITHUB_TOKEN'],
    ['cert=/etc/ssl/cert.pem'],
    '/w'
  );
  expect(p.args).toEqual([
    'id=npm_token,src=/w/secret-0',
    'id=multi,src=/w/secret-1',
    'id=gh,env=GITHUB_TOKEN',
    'id=cert,src=/etc/ssl/cert.pem'
  ]);
  expect(p.files).toEqual([
    {path: '/w/secret-0', value: 's3cr3t=x'},
    {path: '/w/secret-1', value: 'line1\nline2'}
  ]);
  expect(p.args.join(' ')).not.toContain('s3cr3t');
});

test.each([
  ['github.com/docker/buildx 0.13.1+ds1 0.13.1+ds1-3', '0.13.1'],
  ['github.com/docker/buildx v0.19.3 48d6a39', '0.19.3'],
  ['github.com/docker/buildx f117971 f117971', undefined]
])('parseBuildxVersion(%j)', (out, v) => {
  expect(parseBuildxVersion(out)).toBe(v);
});

test.each<[string, Partial<BuildPlan>, RegExp]>([
  [
    '0.11.2',
    {annotations: ['manifest:a=1']},
    /^annotations: needs docker buildx 0\.12\.0 or later; this runner has 0\.11\.2/
  ],
  ['0.9.1', {sbom: 'true'}, /^sbom: needs docker buildx 0\.10\.0/],
  ['0.10.4', {ociLayout: '/t/l'}, /^push: needs docker buildx 0\.11\.0/]
])('buildx %s is too old for %j', (version, over, message) => {
  expect(() => checkBuildxVersion(version, {...plan, ...over})).toThrow(message);
});

test.each<[string | undefined, Partial<BuildPlan>]>([
  ['0.13.1', {annotations: ['manifest:a=1'], ociLayout: '/t'}],
  ['0.12.0', {annotations: ['manifest:a=1']}],
  [undefined, {annotations: ['x']}]
])('buildx %s is enough for %j', (version, over) => {
  expect(() => checkBuildxVersion(version, {...plan, ...over})).not.toThrow();
});

test.each([
  [{'containerimage.digest': 'sha256:abc'}, 'sha256:abc'],
  [{}, ''],
  [{'containerimage.digest': 5}, '']
])('digestFromMetadata(%j)', (meta, digest) => {
  expect(digestFromMetadata(meta)).toBe(digest);
});

test.each([
  ['exec /bin/sh: exec format error', /QEMU/],
  ['push access denied, repository does not exist or may require authorization: denied', /A registry refused/],
  ['failed to authorize: failed to fetch oauth token: 401 Unauthorized', /A registry refused/],
  // a RUN step's own permission error is not a registry's refusal
  [
    '#6 0.112 sh: can\'t create /root/x: Permission denied\nERROR: failed to solve: process "/bin/sh -c echo > /root/x" did not complete successfully: exit code: 1',
    /^$/
  ],
  ['something else', /^$/]
])('buildHint(%j)', (out, hint) => {
  expect(buildHint(out)).toMatch(hint);
});

test.each<[string, {step: string; error: string}]>([
  [
    [
      '#6 [2/3] RUN touch /root/x && false',
      '#6 ERROR: process "/bin/sh -c touch /root/x && false" did not complete successfully: exit code: 1',
      '------',
      ' > [2/3] RUN touch /root/x && false:',
      '------',
      'ERROR: failed to solve: process "/bin/sh -c touch /root/x && false" did not complete successfully: exit code: 1'
    ].join('\n'),
    {
      step: '[2/3] RUN touch /root/x && false',
      error: 'failed to solve: process "/bin/sh -c touch /root/x && false" did not complete successfully: exit code: 1'
    }
  ],
  [
    'ERROR: failed to solve: failed to read dockerfile: open Dockerfile: no such file or directory',
    {step: '', error: 'failed to solve: failed to read dockerfile: open Dockerfile: no such file or directory'}
  ],
  ['', {step: '', error: ''}]
])('failedStep(%#)', (out, expected) => {
  expect(failedStep(out)).toEqual(expected);
});

test.each([
  ['ERROR: failed to solve: error writing layer blob: failed to export cache: 429 Too Many Requests', true],
  [
    'ERROR: Cache export feature is currently not supported for docker driver. Please switch to a different driver',
    true
  ],
  ['ERROR: failed to solve: process "/bin/sh -c make" did not complete successfully: exit code: 2', false]
])('isCacheExportFailure(%j) = %j', (out, yes) => {
  expect(isCacheExportFailure(out)).toBe(yes);
});
