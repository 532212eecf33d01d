import {execFileSync} from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  builderContextEnv,
  carryPlan,
  contextMetaFile,
  createDockerConfig,
  storeLogin
} from '../../../src/tools/docker/config';

const cred = {registry: 'ghcr.io', username: 'octo', password: 'p4ss'};
const auth = Buffer.from('octo:p4ss').toString('base64');

test.each<[string, object, object]>([
  ['an empty config', {}, {auths: {'ghcr.io': {auth}}}],
  [
    'a credsStore copied from the job: the login is pinned to the file for that registry only',
    {credsStore: 'pass', auths: {'quay.io': {}}},
    {credsStore: 'pass', auths: {'quay.io': {}, 'ghcr.io': {auth}}, credHelpers: {'ghcr.io': ''}}
  ],
  [
    'a helper for this very registry is overridden; other helpers stay',
    {credHelpers: {'ghcr.io': 'gcloud', 'gcr.io': 'gcloud'}},
    {auths: {'ghcr.io': {auth}}, credHelpers: {'ghcr.io': '', 'gcr.io': 'gcloud'}}
  ],
  [
    'helpers for other registries only: untouched',
    {credHelpers: {'gcr.io': 'gcloud'}},
    {credHelpers: {'gcr.io': 'gcloud'}, auths: {'ghcr.io': {auth}}}
  ]
])('storeLogin into %s', (_n, before, after) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-store-'));
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(before));
  storeLogin(dir, cred);
  expect(JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'))).toEqual(after);
  expect((fs.statSync(path.join(dir, 'config.json')).mode & 0o777).toString(8)).toBe('600');
  fs.rmSync(dir, {recursive: true});
});

describe("the private config carries the job's contexts, CLI plugins and buildx builders", () => {
  const dir = '/tmp/run/publish-image-x/docker-config';
  test.each<[string, Record<string, string>, string[], string[], string[]]>([
    ['nothing in the job config', {HOME: '/home/u'}, [], [], []],
    [
      'contexts copied, cli-plugins linked, from ~/.docker',
      {HOME: '/home/u'},
      ['config.json', 'contexts', 'cli-plugins'],
      [],
      ['copy /home/u/.docker/contexts -> contexts', 'link /home/u/.docker/cli-plugins -> cli-plugins']
    ],
    [
      'DOCKER_CONFIG names the job config; buildx state without its history (refs, activity)',
      {HOME: '/home/u', DOCKER_CONFIG: '/cfg'},
      ['contexts', 'buildx'],
      ['instances', 'current', 'defaults', 'refs', 'activity', 'certs'],
      [
        'copy /cfg/contexts -> contexts',
        'copy /cfg/buildx/instances -> buildx/instances',
        'copy /cfg/buildx/current -> buildx/current',
        'copy /cfg/buildx/defaults -> buildx/defaults',
        'copy /cfg/buildx/certs -> buildx/certs'
      ]
    ],
    [
      'BUILDX_CONFIG elsewhere: the builders come from there',
      {HOME: '/home/u', BUILDX_CONFIG: '/bx'},
      [],
      ['instances', 'current'],
      ['copy /bx/instances -> buildx/instances', 'copy /bx/current -> buildx/current']
    ]
  ])('%s', (_n, env, present, buildx, expected) => {
    expect(carryPlan(dir, env, present, buildx).map(s => `${s.op} ${s.from} -> ${path.relative(dir, s.to)}`)).toEqual(
      expected
    );
  });

  /** Every path below a directory with its content (files) or target (links): to see that nothing changed. */
  function tree(root: string): Record<string, string> {
    const out: Record<string, string> = {};
    const walk = (d: string): void => {
      for (const e of fs.readdirSync(d, {withFileTypes: true})) {
        const p = path.join(d, e.name);
        if (e.isSymbolicLink()) out[path.relative(root, p)] = `-> ${fs.readlinkSync(p)}`;
        else if (e.isDirectory()) walk(p);
        else out[path.relative(root, p)] = fs.readFileSync(p, 'utf8');
      }
    };
    walk(root);
    return out;
  }

  test('createDockerConfig on real files: copies and links what docker reads; the job config is never written', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-carry-'));
    const job = path.join(root, 'job');
    const meta = path.join(job, 'contexts', 'meta', 'ab12');
    fs.mkdirSync(meta, {recursive: true});
    fs.writeFileSync(path.join(meta, 'meta.json'), '{"Name":"pi-ctx"}');
    fs.mkdirSync(path.join(job, 'contexts', 'tls', 'ab12', 'docker'), {recursive: true});
    fs.writeFileSync(path.join(job, 'contexts', 'tls', 'ab12', 'docker', 'key.pem'), 'KEY', {mode: 0o600});
    fs.mkdirSync(path.join(job, 'cli-plugins'));
    fs.writeFileSync(path.join(job, 'cli-plugins', 'docker-buildx'), '#!/bin/sh\n', {mode: 0o755});
    fs.mkdirSync(path.join(job, 'buildx', 'instances'), {recursive: true});
    fs.writeFileSync(
      path.join(job, 'buildx', 'instances', 'builder-1'),
      '{"Name":"builder-1","Driver":"docker-container"}'
    );
    fs.writeFileSync(path.join(job, 'buildx', 'current'), '{"Key":"k","Name":"builder-1"}');
    fs.mkdirSync(path.join(job, 'buildx', 'refs', 'builder-1'), {recursive: true});
    fs.writeFileSync(path.join(job, 'buildx', 'refs', 'builder-1', 'r1'), 'history');
    fs.writeFileSync(path.join(job, 'config.json'), '{"currentContext":"pi-ctx"}');
    const before = tree(job);
    const mine = path.join(root, 'step');
    try {
      createDockerConfig(mine, {HOME: root, DOCKER_CONFIG: job});
      expect(tree(mine)).toEqual({
        'config.json': '{"currentContext":"pi-ctx"}',
        'contexts/meta/ab12/meta.json': '{"Name":"pi-ctx"}',
        'contexts/tls/ab12/docker/key.pem': 'KEY',
        'cli-plugins': `-> ${path.join(job, 'cli-plugins')}`,
        'buildx/instances/builder-1': '{"Name":"builder-1","Driver":"docker-container"}',
        'buildx/current': '{"Key":"k","Name":"builder-1"}'
      });
      expect((fs.statSync(path.join(mine, 'contexts/tls/ab12/docker/key.pem')).mode & 0o777).toString(8)).toBe('600');
      // what the step writes goes into its copies
      fs.writeFileSync(path.join(mine, 'buildx', 'current'), 'changed');
      fs.rmSync(path.join(mine, 'contexts'), {recursive: true});
      fs.rmSync(mine, {recursive: true});
      expect(tree(job)).toEqual(before);
    } finally {
      fs.rmSync(root, {recursive: true, force: true});
    }
  });
});

test.each<[string, string, {context?: boolean; instance?: boolean}, Record<string, string>]>([
  [
    'a builder that names a context: the tools run in that context',
    'pi-ctx',
    {context: true},
    {DOCKER_CONTEXT: 'pi-ctx'}
  ],
  ['a buildx builder of that name exists: buildx takes it', 'pi-ctx', {context: true, instance: true}, {}],
  ['no context of that name', 'pi-ctx', {}, {}],
  ['default', 'default', {context: true}, {}],
  ['no builder', '', {context: true}, {}]
])('builderContextEnv: %s', (_n, builder, has, expected) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-bctx-'));
  try {
    if (has.context) {
      fs.mkdirSync(path.dirname(contextMetaFile(dir, builder || 'x')), {recursive: true});
      fs.writeFileSync(contextMetaFile(dir, builder || 'x'), '{}');
    }
    if (has.instance) {
      fs.mkdirSync(path.join(dir, 'buildx', 'instances'), {recursive: true});
      fs.writeFileSync(path.join(dir, 'buildx', 'instances', builder), '{}');
    }
    expect(builderContextEnv(dir, builder)).toEqual(expected);
  } finally {
    fs.rmSync(dir, {recursive: true, force: true});
  }
});

test('contextMetaFile: where docker keeps a context (sha256 of its name), as `docker context create` writes it', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-ctxmeta-'));
  try {
    execFileSync('docker', ['context', 'create', 'pi-unit-ctx', '--docker', 'host=unix:///nonexistent.sock'], {
      env: {PATH: process.env['PATH'], HOME: dir, DOCKER_CONFIG: dir},
      stdio: 'pipe'
    });
    expect(JSON.parse(fs.readFileSync(contextMetaFile(dir, 'pi-unit-ctx'), 'utf8'))).toMatchObject({
      Name: 'pi-unit-ctx'
    });
  } finally {
    fs.rmSync(dir, {recursive: true, force: true});
  }
});
