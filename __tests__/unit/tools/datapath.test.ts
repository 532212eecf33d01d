import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {parseBuilderInspect, parseImageStore, parseInfo, usesDefaultBuilder} from '../../../src/tools/buildx/driver';
import {BuildPlan, buildArgs, isTransientPushFailure} from '../../../src/tools/buildx/buildx';
import {builderOutput, choosePaths, describePaths, STAGING_TAG, withPushDecision} from '../../../src/plan/datapath';
import {LoginPlan, Target} from '../../../src/plan/types';
import {parseRepository, Repository} from '../../../src/reference';

// captured from buildx 0.13.1 against dockerd 26.1 (containerd store)
const INSPECT_DOCKER = `Name:          default
Driver:        docker
Last Activity: 2026-12-07 12:14:12 +0000 UTC

Nodes:
Name:             default
Endpoint:         default
Status:           running
BuildKit version: v0.0.0+unknown
Platforms:        linux/amd64, linux/amd64/v2, linux/amd64/v3, linux/amd64/v4, linux/arm64
Labels:
 org.mobyproject.buildkit.worker.executor:             containerd
`;
// the shape docker/setup-buildx-action's builder prints
const INSPECT_CONTAINER = `Name:          builder-5c1c4b2b
Driver:        docker-container
Last Activity: 2026-12-07 12:14:12 +0000 UTC

Nodes:
Name:      builder-5c1c4b2b0
Endpoint:  unix:///var/run/docker.sock
Status:    running
Flags:     --allow-insecure-entitlement security.insecure --allow-insecure-entitlement network.host
BuildKit version: v0.17.2
`;

describe('the builder and the image store', () => {
  test.each([
    [INSPECT_DOCKER, {name: 'default', driver: 'docker'}],
    [INSPECT_CONTAINER, {name: 'builder-5c1c4b2b', driver: 'docker-container'}],
    ['Name: k\nDriver: kubernetes\n', {name: 'k', driver: 'kubernetes'}],
    ['Name: r\nDriver: remote\n', {name: 'r', driver: 'remote'}],
    ['', {name: '', driver: ''}]
  ])('inspect %#', (stdout, expected) => {
    expect(parseBuilderInspect(stdout)).toEqual(expected);
  });

  test.each([
    ['[["driver-type","io.containerd.snapshotter.v1"]]\n', 'containerd'],
    [
      '[["Backing Filesystem","extfs"],["Supports d_type","true"],["Using metacopy","false"],["Native Overlay Diff","true"],["userxattr","false"]]',
      'classic'
    ],
    ['null', 'classic'],
    [' Storage Driver: overlayfs\n  driver-type: io.containerd.snapshotter.v1\n', 'containerd'],
    [' Storage Driver: overlay2\n  Backing Filesystem: extfs\n', 'classic'],
    ['', 'unknown'],
    ['{}', 'unknown']
  ])('docker info %#', (stdout, expected) => {
    expect(parseImageStore(stdout)).toBe(expected);
  });

  // docker 26.1 with Debian's buildx, an official release, none, a broken plugin, and no engine (client part only)
  const DEBIAN = `[{"SchemaVersion":"0.1.0","Vendor":"Docker Inc.","Version":"0.13.1+ds1","ShortDescription":"Docker Buildx","Name":"buildx","Path":"/usr/libexec/docker/cli-plugins/docker-buildx"}]`;
  const RELEASE = `[{"Name":"compose","Version":"v2.29.1"},{"Name":"buildx","Version":"v0.19.3","Path":"/root/.docker/cli-plugins/docker-buildx"}]`;
  test.each([
    [`${DEBIAN}\t[["driver-type","io.containerd.snapshotter.v1"]]\n`, {buildx: '0.13.1', store: 'containerd'}],
    [`${RELEASE}\t[["Backing Filesystem","extfs"]]`, {buildx: '0.19.3', store: 'classic'}],
    ['[]\tnull', {buildx: '', store: 'classic'}],
    ['[{"Name":"buildx","Version":"v0.19.3","Err":"not executable"}]\tnull', {buildx: '', store: 'classic'}],
    [`${DEBIAN}\t`, {buildx: '0.13.1', store: 'unknown'}],
    ['Client: Docker Engine\n', {buildx: '', store: 'unknown'}]
  ])('docker info (plugins and store) %#', (stdout, expected) => {
    expect(parseInfo(stdout)).toEqual(expected);
  });

  describe('the default builder, as buildx picks it', () => {
    const dirs = (o: {current?: string; config?: string}): Record<string, string> => {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-default-builder-'));
      const bx = path.join(root, 'buildx');
      fs.mkdirSync(bx);
      if (o.current !== undefined) fs.writeFileSync(path.join(bx, 'current'), o.current);
      if (o.config !== undefined) fs.writeFileSync(path.join(root, 'config.json'), o.config);
      return {DOCKER_CONFIG: root, BUILDX_CONFIG: bx};
    };
    test.each([
      ['a fresh runner', '', {}, {}, true],
      ['a config with logins only', '', {config: '{"auths":{}}'}, {}, true],
      ['the default context chosen', '', {config: '{"currentContext":"default"}'}, {}, true],
      ['DOCKER_HOST alone (the default builder of that engine)', '', {}, {DOCKER_HOST: 'unix:///x.sock'}, true],
      ['a builder input', 'b', {}, {}, false],
      ['BUILDX_BUILDER', '', {}, {BUILDX_BUILDER: 'b'}, false],
      [
        'the default builder recorded by a build',
        '',
        {current: '{"Key":"unix:///var/run/docker.sock","Name":"","Global":false}'},
        {},
        true
      ],
      [
        'a builder selected (docker buildx use, setup-buildx-action)',
        '',
        {current: '{"Key":"unix:///var/run/docker.sock","Name":"b","Global":false}'},
        {},
        false
      ],
      ['an unreadable current', '', {current: '{'}, {}, false],
      ['a docker context chosen in the config', '', {config: '{"currentContext":"remote"}'}, {}, false],
      ['DOCKER_CONTEXT', '', {}, {DOCKER_CONTEXT: 'remote'}, false],
      ['an unreadable config', '', {config: '{'}, {}, false]
    ])('%s', (_name, builder, files, env, expected) => {
      expect(usesDefaultBuilder(builder, {...dirs(files), ...env})).toBe(expected);
    });
    test('without the step config and buildx state it cannot tell: inspect runs', () => {
      expect(usesDefaultBuilder('', {})).toBe(false);
    });
  });
});

const target = (image: string): Target => ({image, repo: parseRepository(image) as Repository});
const login = (registry: string, o: Partial<LoginPlan> = {}): LoginPlan => ({
  registry,
  username: 'u',
  from: 'username/password',
  caFile: '',
  plainHttp: false,
  ...o
});

describe('which path each target takes', () => {
  const ghcr = target('ghcr.io/o/app');
  const local = target('127.0.0.1:5000/o/app');
  const tls = target('reg.example:5443/o/app');
  const plain = target('reg.example:5000/o/app');
  test.each([
    [
      'docker driver: every target by the builder, under the staging tag',
      'docker',
      [ghcr, local],
      [],
      [],
      ['builder', 'builder'],
      false
    ],
    [
      'docker driver: a ca-cert registry too (the daemon is given the CA)',
      'docker',
      [tls],
      [login('reg.example:5443', {caFile: '/w/ca-0.crt'})],
      [],
      ['builder'],
      false
    ],
    ['docker-container: by digest', 'docker-container', [ghcr], [], [], ['builder'], true],
    [
      'docker-container: ca-cert only this step has',
      'docker-container',
      [ghcr, tls],
      [login('reg.example:5443', {caFile: '/w/ca-0.crt'})],
      [],
      ['builder', 'upload'],
      true
    ],
    ["remote: loopback is not the builder's", 'remote', [local], [], [], ['upload'], true],
    [
      "docker: insecure-registries is the step's setting",
      'docker',
      [plain, ghcr],
      [],
      ['reg.example:5000'],
      ['upload', 'builder'],
      false
    ]
  ])('%s', (_n, driver, targets, logins, insecure, vias, byDigest) => {
    const d = choosePaths(targets, logins, insecure, driver);
    expect(d.paths.map(p => p.via)).toEqual(vias);
    expect(d.byDigest).toBe(byDigest);
    expect(d.exportLayout).toBe(!vias.includes('builder'));
    expect(describePaths(d)).toHaveLength(targets.length);
  });

  test.each([
    ['docker', 'upload', true],
    ['docker-container', 'builder', false]
  ])('a build leg on the %s driver: %s', (driver, via, exportLayout) => {
    const d = choosePaths([ghcr], [], [], driver, {leg: true});
    expect(d.paths.map(p => p.via)).toEqual([via]);
    expect(d.exportLayout).toBe(exportLayout);
  });

  test('an image listed twice is one path', () => {
    expect(choosePaths([ghcr, ghcr], [], [], 'docker').paths).toHaveLength(1);
  });

  test('the log line names the path, the source of a copy and the reason', () => {
    const d = choosePaths([ghcr, tls], [login('reg.example:5443', {caFile: '/w/ca.crt'})], [], 'kubernetes');
    expect(describePaths(d)).toEqual([
      'push: ghcr.io/o/app: by the builder (the kubernetes builder pushes it by digest)',
      "push: reg.example:5443/o/app: uploaded by this step, copied from ghcr.io/o/app (ca-cert: this step trusts reg.example:5443's CA, the kubernetes builder does not)"
    ]);
    const none = choosePaths([local], [], [], 'remote');
    expect(describePaths(none)[0]).toMatch(
      /uploaded by this step, from the build's OCI layout \(127\.0\.0\.1:5000 is a loopback address/
    );
  });
});

describe('the builder push argv', () => {
  test.each([
    [['ghcr.io/o/app'], false, `type=image,name=ghcr.io/o/app:${STAGING_TAG},oci-mediatypes=true,push=true`],
    [
      ['ghcr.io/o/app', 'docker.io/o/app'],
      false,
      `type=image,"name=ghcr.io/o/app:${STAGING_TAG},docker.io/o/app:${STAGING_TAG}",oci-mediatypes=true,push=true`
    ],
    [
      ['ghcr.io/o/app'],
      true,
      'type=image,name=ghcr.io/o/app,oci-mediatypes=true,push-by-digest=true,name-canonical=true,push=true'
    ],
    [
      ['ghcr.io/o/app', '127.0.0.1:5000/o/app'],
      true,
      'type=image,"name=ghcr.io/o/app,127.0.0.1:5000/o/app",oci-mediatypes=true,push-by-digest=true,name-canonical=true,push=true'
    ]
  ])('%j by digest: %s', (images, byDigest, expected) => {
    expect(builderOutput(images, byDigest)).toBe(expected);
  });

  const bp = {
    context: '.',
    file: '',
    platforms: ['linux/amd64', 'linux/arm64'],
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
    annotations: ['index:org.opencontainers.image.version=1.0'],
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
    metadataFile: '/w/metadata.json',
    iidFile: '/w/iid.txt'
  } satisfies BuildPlan;

  test('docker driver: one --output that pushes, the annotations kept, no layout, no --tag', () => {
    const d = choosePaths([target('ghcr.io/o/app')], [], [], 'docker');
    const argv = buildArgs(withPushDecision(bp, d, '/w/oci-layout'));
    expect(argv.filter(a => a.startsWith('type='))).toEqual([
      `type=image,name=ghcr.io/o/app:${STAGING_TAG},oci-mediatypes=true,push=true`
    ]);
    expect(argv).toEqual(
      expect.arrayContaining([
        '--annotation',
        'index:org.opencontainers.image.version=1.0',
        '--metadata-file',
        '/w/metadata.json'
      ])
    );
    expect(argv).not.toContain('--tag');
  });

  test('remote driver, loopback only: the OCI layout for the step to upload', () => {
    const d = choosePaths([target('127.0.0.1:5000/o/app')], [], [], 'remote');
    expect(buildArgs(withPushDecision(bp, d, '/w/oci-layout'))).toEqual(
      expect.arrayContaining(['--output', 'type=oci,dest=/w/oci-layout,tar=false'])
    );
  });
});

describe('a builder push failure worth another try', () => {
  test.each([
    // buildx 0.13.1 output, as captured
    'ERROR: failed to solve: failed to push 127.0.0.1:40123/o/app:publish-image-staging: unexpected status from PUT request to http://127.0.0.1:40123/v2/o/app/manifests/publish-image-staging: 500 Internal Server Error',
    'ERROR: failed to solve: failed to push ghcr.io/o/app: failed to copy: failed to do request: Put "https://ghcr.io/v2/o/app/blobs/uploads/x": read tcp 10.0.0.1:5555->140.82.1.1:443: read: connection reset by peer',
    'ERROR: failed to solve: failed to push r/o/app: unexpected status from HEAD request to https://r/v2/o/app/blobs/sha256:aa: 429 Too Many Requests',
    'ERROR: failed to solve: failed to push r/o/app: unexpected status from PUT request to https://r/v2/o/app/manifests/x: 503 Service Unavailable',
    // Distribution's MANIFEST_BLOB_UNKNOWN during a parallel blob link, as buildx 0.13.1 reports it
    'ERROR: failed to solve: failed to push 127.0.0.1:40351/e2e/a:publish-image-staging: failed commit on ref "manifest-sha256:4fe4": unexpected status from PUT request to http://127.0.0.1:40351/v2/e2e/a/manifests/sha256:4fe4: 400 Bad Request'
  ])('transient: %s', out => {
    expect(isTransientPushFailure(out)).toBe(true);
  });
  test.each([
    'ERROR: failed to solve: failed to push r/o/app: unexpected status from HEAD request to https://r/v2/o/app/blobs/sha256:aa: 401 Unauthorized',
    'ERROR: failed to solve: failed to push ghcr.io/o/app: denied: requested access to the resource is denied',
    'ERROR: failed to solve: process "/bin/sh -c make" did not complete successfully: exit code: 2',
    'ERROR: failed to solve: failed to push r/o/app: unexpected status from PUT request to https://r/v2/o/app/manifests/x: 501 Not Implemented',
    'ERROR: failed to solve: failed to push r/o/app: unexpected status from POST request to https://r/v2/o/app/blobs/uploads/: 400 Bad Request'
  ])('not transient: %s', out => {
    expect(isTransientPushFailure(out)).toBe(false);
  });
});
