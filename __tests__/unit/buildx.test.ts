import {BuildPlan, buildArgs, buildHint, digestFromMetadata} from '../../src/buildx';

const plan: BuildPlan = {
  context: '.',
  file: '',
  platforms: [],
  buildArgs: [],
  labels: [],
  builder: '',
  ociLayout: '',
  localTags: [],
  metadataFile: '/t/metadata.json',
  iidFile: '/t/iid'
};

test.each<[string, Partial<BuildPlan>, string[]]>([
  ['minimal: load locally', {}, ['buildx', 'build', '--metadata-file', '/t/metadata.json', '--iidfile', '/t/iid', '.']],
  [
    'local tags when not pushing',
    {localTags: ['user/app:1', 'user/app:latest']},
    [
      'buildx',
      'build',
      '--tag',
      'user/app:1',
      '--tag',
      'user/app:latest',
      '--metadata-file',
      '/t/metadata.json',
      '--iidfile',
      '/t/iid',
      '.'
    ]
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
      '--metadata-file',
      '/t/metadata.json',
      '--iidfile',
      '/t/iid',
      '.'
    ]
  ],
  [
    'a layout path with a comma is one quoted CSV field',
    {ociLayout: '/t/a,b'},
    [
      'buildx',
      'build',
      '--output',
      'type=oci,"dest=/t/a,b",tar=false',
      '--metadata-file',
      '/t/metadata.json',
      '--iidfile',
      '/t/iid',
      '.'
    ]
  ],
  [
    'builder, file, build args and labels',
    {
      builder: 'b1',
      file: 'x/Dockerfile',
      buildArgs: ['A=1', 'B=two words'],
      labels: ['org.opencontainers.image.version=1.2.3']
    },
    [
      'buildx',
      'build',
      '--builder',
      'b1',
      '--file',
      'x/Dockerfile',
      '--build-arg',
      'A=1',
      '--build-arg',
      'B=two words',
      '--label',
      'org.opencontainers.image.version=1.2.3',
      '--metadata-file',
      '/t/metadata.json',
      '--iidfile',
      '/t/iid',
      '.'
    ]
  ]
])('%s', (_name, over, expected) => {
  expect(buildArgs({...plan, ...over})).toEqual(expected);
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
  ['push access denied, repository does not exist or may require authorization: denied', /may push/],
  ['something else', /^$/]
])('buildHint(%j)', (out, hint) => {
  expect(buildHint(out)).toMatch(hint);
});
