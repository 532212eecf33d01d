import * as fs from 'node:fs';
import * as path from 'node:path';
import {Readable} from 'node:stream';
import {
  IndexEntry,
  Manifest,
  MANIFEST_TYPES,
  platformString,
  RegistryClient,
  RegistryOptions,
  sha256
} from '../../../src/registry/client';
import {RegistryError} from '../../../src/registry/errors';
import {missingPlatforms} from '../../../src/run/publish';
import {
  certsDir,
  digestOf,
  errorBody,
  FakeRegistry,
  FakeTokenServer,
  makePki,
  Pki,
  Recorded,
  RegistryAuth,
  TestServer,
  tmpDir,
  removeTmpDirs
} from './servers';

afterAll(removeTmpDirs);

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

// ported from the old registry-client test
describe('platformString / missingPlatforms (ported)', () => {
  test.each([
    [{os: 'linux', architecture: 'arm64', variant: 'v8'}, 'linux/arm64/v8'],
    [undefined, 'unknown/unknown']
  ])('platformString(%j)', (p, s) => {
    expect(platformString(p)).toBe(s);
  });

  test('platformString without a variant', () => {
    expect(platformString({os: 'linux', architecture: 'amd64'})).toBe('linux/amd64');
  });

  const entry = (architecture: string, variant?: string, os = 'linux'): IndexEntry => ({
    digest: 'sha256:x',
    mediaType: 'm',
    size: 1,
    platform: {os, architecture, variant}
  });

  test.each<[string[], IndexEntry[], string[]]>([
    [['linux/amd64', 'linux/arm64'], [entry('amd64'), entry('arm64', 'v8')], []],
    [['linux/amd64', 'linux/arm64'], [entry('amd64'), entry('unknown', undefined, 'unknown')], ['linux/arm64']],
    [['linux/arm/v7'], [entry('arm', 'v6')], ['linux/arm/v7']]
  ])('missingPlatforms(%j)', (requested, entries, missing) => {
    expect(missingPlatforms(requested, entries)).toEqual(missing);
  });
});

describe('sha256 / indexEntries / isIndex', () => {
  test('sha256 is the OCI digest of the bytes', () => {
    expect(sha256(Buffer.from(''))).toBe('sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  test('index entries of an index; none of a single manifest', () => {
    const manifests = [
      {digest: 'sha256:1', mediaType: OCI_MANIFEST, size: 2, platform: {os: 'linux', architecture: 'amd64'}}
    ];
    const index: Manifest = {digest: 'd', mediaType: OCI_INDEX, body: Buffer.from(JSON.stringify({manifests}))};
    const single: Manifest = {digest: 'd', mediaType: OCI_MANIFEST, body: Buffer.from('{}')};
    expect(RegistryClient.indexEntries(index)).toEqual(manifests);
    expect(RegistryClient.isIndex(index)).toBe(true);
    expect(RegistryClient.indexEntries(single)).toEqual([]);
    expect(RegistryClient.isIndex(single)).toBe(false);
    expect(MANIFEST_TYPES).toContain('application/vnd.docker.distribution.manifest.list.v2+json');
  });
});

describe('RegistryClient against a fake registry', () => {
  const closers: (() => Promise<void>)[] = [];
  const track = <T extends {close(): Promise<void>}>(x: T): T => {
    closers.push(() => x.close());
    return x;
  };
  const noCerts = tmpDir('client-no-certs');
  let lines: string[];

  beforeEach(() => {
    lines = [];
  });
  afterEach(async () => {
    while (closers.length) await closers.pop()?.();
  });

  const registry = async (auth?: RegistryAuth): Promise<FakeRegistry> => track(await FakeRegistry.start(auth));
  const tokenServer = async (): Promise<FakeTokenServer> => track(await FakeTokenServer.start());
  const client = (o: RegistryOptions = {}): RegistryClient =>
    track(
      new RegistryClient({
        retries: 3,
        backoffMs: 1,
        maxBackoffMs: 5,
        certsDir: noCerts,
        env: {},
        userAgent: 'publish-image/test',
        log: l => lines.push(l),
        ...o
      })
    );
  const creds = (registryHost: string, username = 'octo', password = 'p4ss') =>
    new Map([[registryHost, {username, password}]]);
  const basicOf = (u: string, p: string): string => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
  const repoOf = (reg: FakeRegistry, p = 'team/app') => ({registry: reg.host, path: p});
  const reqs = (reg: FakeRegistry | TestServer, method?: string, match?: RegExp): Recorded[] =>
    reg.requests.filter(r => (!method || r.method === method) && (!match || match.test(r.path)));
  const failing = async (p: Promise<unknown>): Promise<RegistryError> => {
    const e = await p.then(
      () => undefined,
      (x: unknown) => x
    );
    expect(e).toBeInstanceOf(RegistryError);
    return e as RegistryError;
  };

  /** a manifest naming a config and a layer (added to the repository unless said otherwise) */
  const image = (reg: FakeRegistry, repo: string, missing: string[] = []) => {
    const add = (bytes: string): string => (missing.includes(bytes) ? digestOf(bytes) : reg.addBlob(repo, bytes));
    const config = add('config-bytes');
    const layer = add('layer-bytes');
    const body = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: {mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: 12},
        layers: [{mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layer, size: 11}]
      })
    );
    return {config, layer, manifest: {digest: sha256(body), mediaType: OCI_MANIFEST, body} as Manifest};
  };

  describe('ping', () => {
    test('an open loopback registry over plain http: one GET /v2/ with the User-Agent', async () => {
      const reg = await registry();
      const c = client();
      await expect(c.ping(reg.host)).resolves.toBeUndefined();
      await expect(c.plainHttp(reg.host)).resolves.toBe(true);
      expect(reg.requests.map(r => `${r.method} ${r.path}`)).toEqual(['GET /v2/']);
      expect(reg.requests[0]?.headers['user-agent']).toBe('publish-image/test');
    });

    test('a /v2/ answering 500 twice is survived (retries 3), with one log line per retry', async () => {
      const reg = await registry();
      let n = 0;
      reg.intercept = req =>
        req.path === '/v2/' && n++ < 2 ? {status: 500, body: errorBody('UNAVAILABLE')} : undefined;
      const c = client({retries: undefined});
      expect(c.policy.retries).toBe(3);
      await expect(c.ping(reg.host)).resolves.toBeUndefined();
      expect(reqs(reg, 'GET', /^\/v2\/$/)).toHaveLength(3);
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(
        new RegExp(`^retry 1/3 in \\d+\\.\\ds: GET ${reg.host}/v2/: 500 UNAVAILABLE: unavailable$`)
      );
      expect(lines[1]).toMatch(new RegExp(`^retry 2/3 in \\d+\\.\\ds: GET ${reg.host}/v2/: 500 UNAVAILABLE`));
    });

    test('a /v2/ that keeps answering 500 fails after 1 + 3 attempts', async () => {
      const reg = await registry();
      reg.intercept = () => ({status: 503, body: 'down'});
      const e = await failing(client().ping(reg.host));
      expect(e.status).toBe(503);
      expect(e.message).toContain(`GET ${reg.host}/v2/: 503 down`);
      expect(reqs(reg)).toHaveLength(4);
      expect(lines).toHaveLength(3);
    });

    test('retries: 0 means one attempt', async () => {
      const reg = await registry();
      reg.intercept = () => ({status: 503, body: 'down'});
      await failing(client({retries: 0}).ping(reg.host));
      expect(reqs(reg)).toHaveLength(1);
      expect(lines).toEqual([]);
    });

    test('a Basic challenge is answered with the credentials, which then go with every request', async () => {
      const reg = await registry({kind: 'basic', username: 'octo', password: 'p4ss'});
      const c = client({credentials: creds(reg.host)});
      await c.ping(reg.host);
      expect(reg.requests.map(r => r.headers.authorization)).toEqual([undefined, basicOf('octo', 'p4ss')]);
      reg.addManifest('team/app', 'v1', OCI_MANIFEST, '{}');
      await c.getManifest(repoOf(reg), 'v1');
      expect(reg.requests).toHaveLength(3);
      expect(reg.requests[2]?.headers.authorization).toBe(basicOf('octo', 'p4ss'));
    });

    test('a refused password is a 401, not retried', async () => {
      const reg = await registry({kind: 'basic', username: 'octo', password: 'p4ss'});
      const e = await failing(client({credentials: creds(reg.host, 'octo', 'wrong')}).ping(reg.host));
      expect(e.status).toBe(401);
      expect(e.transient).toBe(false);
      expect(reg.requests).toHaveLength(2);
    });

    test('no credentials for a registry that asks for them: the error says where to put them', async () => {
      const reg = await registry({kind: 'basic', username: 'octo', password: 'p4ss'});
      const e = await failing(client().ping(reg.host));
      expect(e.status).toBe(401);
      expect(e.message).toContain(`no credentials for ${reg.host}: add them with registry/username/password`);
    });

    test('Bearer: a token without scope, asked with the account, Basic auth and the User-Agent', async () => {
      const tokens = await tokenServer();
      const reg = await registry({kind: 'bearer', tokens});
      await client({credentials: creds(reg.host)}).ping(reg.host);
      expect(tokens.requests).toEqual([
        expect.objectContaining({
          scopes: [],
          account: 'octo',
          authorization: basicOf('octo', 'p4ss'),
          userAgent: 'publish-image/test',
          service: 'fake-registry'
        })
      ]);
      expect(reg.requests.map(r => r.headers.authorization?.slice(0, 7))).toEqual([undefined, 'Bearer ']);
    });

    test('a token service answering 500 twice is survived; each retry logs a line naming the token service', async () => {
      const tokens = await tokenServer();
      tokens.failures = 2;
      const reg = await registry({kind: 'bearer', tokens});
      await expect(client({credentials: creds(reg.host)}).ping(reg.host)).resolves.toBeUndefined();
      expect(tokens.requests).toHaveLength(3);
      expect(lines).toHaveLength(2);
      for (const l of lines)
        expect(l).toMatch(new RegExp(`: token service ${tokens.server.origin}/token for ${reg.host} `));
    });

    test('a password the token service refuses: its own words are in the error', async () => {
      const tokens = await tokenServer();
      tokens.accounts = {octo: 'right'};
      const reg = await registry({kind: 'bearer', tokens});
      const e = await failing(client({credentials: creds(reg.host, 'octo', 'wrong')}).ping(reg.host));
      expect(e.status).toBe(401);
      expect(e.message).toContain('incorrect username or password (fake token service)');
      expect(tokens.requests).toHaveLength(1);
    });

    test('a registry that is not listening: a network error with the hint, retried as transient', async () => {
      const gone = await TestServer.start(() => ({status: 200}));
      const host = gone.host;
      await gone.close();
      const e = await failing(client().ping(host));
      expect(e.status).toBe(0);
      expect(e.message).toContain(`Could not connect to ${host} directly (no proxy): check the host name and port.`);
      expect(lines).toHaveLength(3);
    });
  });

  describe('referrers (cosign 3 bundles)', () => {
    const BUNDLE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
    const subject = `sha256:${'a'.repeat(64)}`;
    const entry = {mediaType: OCI_MANIFEST, digest: `sha256:${'b'.repeat(64)}`, size: 9, artifactType: BUNDLE};
    test.each<[string, (path: string) => {status: number; headers?: Record<string, string>; body?: object}]>([
      [
        'the Referrers API',
        p =>
          p === `/v2/team/app/referrers/${subject}`
            ? {status: 200, headers: {'content-type': OCI_INDEX}, body: {schemaVersion: 2, manifests: [entry]}}
            : {status: 404, body: errorBody('MANIFEST_UNKNOWN')}
      ],
      [
        'no API (404): the referrers tag schema sha256-<hex>',
        p =>
          p === `/v2/team/app/manifests/sha256-${'a'.repeat(64)}`
            ? {status: 200, headers: {'content-type': OCI_INDEX}, body: {schemaVersion: 2, manifests: [entry]}}
            : {status: 404, body: errorBody('NAME_UNKNOWN')}
      ]
    ])('%s', async (_n, route) => {
      const srv = track(await TestServer.start(req => (req.path === '/v2/' ? {status: 200} : route(req.path))));
      const got = await client().referrers({registry: srv.host, path: 'team/app'}, subject);
      expect(got).toEqual([entry]);
    });

    test('none at all: []', async () => {
      const srv = track(
        await TestServer.start(req =>
          req.path === '/v2/' ? {status: 200} : {status: 404, body: errorBody('MANIFEST_UNKNOWN')}
        )
      );
      await expect(client().referrers({registry: srv.host, path: 'team/app'}, subject)).resolves.toEqual([]);
    });
  });

  describe('Bearer tokens through the client', () => {
    test('a token per scope set, cached: a second pull sends it up front', async () => {
      const tokens = await tokenServer();
      const reg = await registry({kind: 'bearer', tokens});
      reg.addManifest('team/app', 'v1', OCI_MANIFEST, '{"a":1}');
      const c = client({credentials: creds(reg.host)});
      await c.getManifest(repoOf(reg), 'v1');
      await c.getManifest(repoOf(reg), 'v1');
      expect(tokens.requests.map(r => r.scopes)).toEqual([['repository:team/app:pull']]);
      expect(reg.requests.map(r => r.headers.authorization === undefined)).toEqual([true, false, false]);
      // a write needs push: a new token
      await c.checkPush(repoOf(reg));
      expect(tokens.requests.map(r => r.scopes)).toEqual([
        ['repository:team/app:pull'],
        ['repository:team/app:pull,push']
      ]);
    });

    test('a cross-repository mount asks for both scopes in one token and mounts', async () => {
      const tokens = await tokenServer();
      const reg = await registry({kind: 'bearer', tokens});
      const d = reg.addBlob('team/a', 'shared-layer');
      const c = client({credentials: creds(reg.host)});
      await expect(c.pushBlob(repoOf(reg, 'team/b'), d, 12, Buffer.from('shared-layer'), 'team/a')).resolves.toBe(
        'mounted'
      );
      expect(tokens.requests.map(r => r.scopes)).toContainEqual([
        'repository:team/b:pull,push',
        'repository:team/a:pull'
      ]);
      expect(reg.hasBlob('team/b', d)).toBe(true);
      expect(reqs(reg, 'PUT')).toHaveLength(0);
    });

    test('a token granting less than asked: 403 naming what was granted', async () => {
      const tokens = await tokenServer();
      tokens.grant = s => s.replace(/:pull,push$/, ':pull');
      const reg = await registry({kind: 'bearer', tokens});
      const e = await failing(client({credentials: creds(reg.host)}).checkPush(repoOf(reg)));
      expect(e.status).toBe(403);
      expect(e.message).toContain('the token service granted pull on team/app, not repository:team/app:pull,push');
    });
  });

  describe('pushBlob', () => {
    test('a blob already there is not sent again', async () => {
      const reg = await registry();
      const d = reg.addBlob('team/app', 'bytes');
      await expect(client().pushBlob(repoOf(reg), d, 5, Buffer.from('bytes'))).resolves.toBe('exists');
      expect(reg.requests.map(r => r.method)).toEqual(['HEAD']);
    });

    test('a monolithic upload: POST a session, PUT the bytes with the digest', async () => {
      const reg = await registry();
      const bytes = Buffer.from('layer-data');
      const d = digestOf(bytes);
      await expect(client().pushBlob(repoOf(reg), d, bytes.length, bytes)).resolves.toBe('uploaded');
      expect(reg.requests.map(r => `${r.method} ${r.path}`)).toEqual([
        `HEAD /v2/team/app/blobs/${d}`,
        'POST /v2/team/app/blobs/uploads/',
        expect.stringMatching(/^PUT \/v2\/team\/app\/blobs\/uploads\/[0-9a-f-]+$/)
      ]);
      const put = reqs(reg, 'PUT')[0];
      expect(put?.query.get('digest')).toBe(d);
      expect(put?.query.get('state')).toBe('opaque');
      expect(put?.body.equals(bytes)).toBe(true);
      expect(put?.headers['content-type']).toBe('application/octet-stream');
      expect(reg.hasBlob('team/app', d)).toBe(true);
    });

    test('a PUT answered 404 BLOB_UPLOAD_UNKNOWN restarts from a fresh upload session and succeeds', async () => {
      const reg = await registry();
      let puts = 0;
      reg.intercept = req => {
        if (req.method === 'PUT' && puts++ === 0) {
          // the registry forgot the session (a restart, another replica)
          reg.uploads.clear();
          return {status: 404, body: errorBody('BLOB_UPLOAD_UNKNOWN')};
        }
        return undefined;
      };
      const bytes = Buffer.from('layer-data');
      const d = digestOf(bytes);
      await expect(client().pushBlob(repoOf(reg), d, bytes.length, bytes)).resolves.toBe('uploaded');
      const posts = reqs(reg, 'POST');
      const sessions = reqs(reg, 'PUT').map(r => r.path);
      expect(posts).toHaveLength(2);
      expect(sessions).toHaveLength(2);
      expect(sessions[0]).not.toBe(sessions[1]);
      expect(reg.hasBlob('team/app', d)).toBe(true);
      expect(lines).toEqual([
        expect.stringMatching(/^retry 1\/3 .*: upload .* blob sha256:[0-9a-f]+: 404 BLOB_UPLOAD_UNKNOWN/)
      ]);
    });

    test('a streamed body is opened again for the new session', async () => {
      const reg = await registry();
      let puts = 0;
      reg.intercept = req =>
        req.method === 'PUT' && puts++ === 0 ? {status: 404, body: errorBody('BLOB_UPLOAD_UNKNOWN')} : undefined;
      const bytes = Buffer.from('streamed-layer');
      const open = jest.fn(() => Readable.from([bytes]));
      await expect(client().pushBlob(repoOf(reg), digestOf(bytes), bytes.length, open)).resolves.toBe('uploaded');
      expect(open).toHaveBeenCalledTimes(2);
      expect(reg.hasBlob('team/app', digestOf(bytes))).toBe(true);
    });

    test('a PUT answered 500 is retried from a fresh session too', async () => {
      const reg = await registry();
      let puts = 0;
      reg.intercept = req => (req.method === 'PUT' && puts++ < 2 ? {status: 500, body: 'oops'} : undefined);
      const bytes = Buffer.from('layer-data');
      await expect(client().pushBlob(repoOf(reg), digestOf(bytes), bytes.length, bytes)).resolves.toBe('uploaded');
      expect(reqs(reg, 'POST')).toHaveLength(3);
    });

    test('a PUT refused for good (DIGEST_INVALID) is not retried', async () => {
      const reg = await registry();
      const e = await failing(client().pushBlob(repoOf(reg), digestOf('other'), 5, Buffer.from('bytes')));
      expect(e.status).toBe(400);
      expect(e.codes).toEqual(['DIGEST_INVALID']);
      expect(reqs(reg, 'POST')).toHaveLength(1);
    });

    test.each([401, 403, 404])('a mount refused with %d falls back to an upload', async status => {
      const reg = await registry();
      reg.intercept = req =>
        req.method === 'POST' && req.query.has('mount') ? {status, body: errorBody('DENIED')} : undefined;
      const bytes = Buffer.from('layer-data');
      const d = reg.addBlob('team/a', bytes);
      await expect(client().pushBlob(repoOf(reg, 'team/b'), d, bytes.length, bytes, 'team/a')).resolves.toBe(
        'uploaded'
      );
      expect(reqs(reg, 'POST').map(r => r.query.has('mount'))).toEqual([true, false]);
      expect(reg.hasBlob('team/b', d)).toBe(true);
      expect(lines).toContain(
        `${reg.host}/team/b: mounting ${d} from team/a refused (${status}): uploading it instead`
      );
    });

    test('a token service that does not grant pull on the source: the mount is refused, the blob uploaded', async () => {
      const tokens = await tokenServer();
      tokens.grant = s => (s.startsWith('repository:team/a:') ? undefined : s);
      const reg = await registry({kind: 'bearer', tokens});
      const bytes = Buffer.from('layer-data');
      const d = reg.addBlob('team/a', bytes);
      await expect(
        client({credentials: creds(reg.host)}).pushBlob(repoOf(reg, 'team/b'), d, bytes.length, bytes, 'team/a')
      ).resolves.toBe('uploaded');
      expect(reg.hasBlob('team/b', d)).toBe(true);
    });

    test('a mount the registry declines with 202 continues in the session it opened', async () => {
      const reg = await registry();
      const bytes = Buffer.from('layer-data');
      const d = digestOf(bytes); // not in team/a: the registry opens an upload instead
      await expect(client().pushBlob(repoOf(reg, 'team/b'), d, bytes.length, bytes, 'team/a')).resolves.toBe(
        'uploaded'
      );
      expect(reqs(reg, 'POST')).toHaveLength(1);
      expect(reg.hasBlob('team/b', d)).toBe(true);
    });

    test('mountFrom the same repository is a plain upload', async () => {
      const reg = await registry();
      const bytes = Buffer.from('layer-data');
      await client().pushBlob(repoOf(reg), digestOf(bytes), bytes.length, bytes, 'team/app');
      expect(reqs(reg, 'POST').map(r => r.url)).toEqual(['/v2/team/app/blobs/uploads/']);
    });

    test('an upload Location on another origin gets no Authorization; the registry origin does', async () => {
      const reg = await registry({kind: 'basic', username: 'octo', password: 'p4ss'});
      const uploads = track(
        await TestServer.start(req =>
          req.headers.authorization
            ? {status: 400, body: 'credentials leaked'}
            : reg.completeUpload(req.path.replace('/upload/', ''), req.query.get('digest') ?? '', req.body)
        )
      );
      reg.uploadOrigin = uploads.origin;
      const bytes = Buffer.from('layer-data');
      const d = digestOf(bytes);
      await expect(client({credentials: creds(reg.host)}).pushBlob(repoOf(reg), d, bytes.length, bytes)).resolves.toBe(
        'uploaded'
      );
      expect(uploads.requests).toHaveLength(1);
      expect(uploads.requests[0]?.method).toBe('PUT');
      expect(uploads.requests[0]?.headers.authorization).toBeUndefined();
      expect(uploads.requests[0]?.headers['user-agent']).toBe('publish-image/test');
      const authorized = reg.requests.filter(r => r.headers.authorization === basicOf('octo', 'p4ss'));
      expect(authorized.map(r => r.method)).toEqual(['HEAD', 'POST']);
      expect(reg.hasBlob('team/app', d)).toBe(true);
    });

    test('a session without a Location is an error', async () => {
      const reg = await registry();
      reg.intercept = req => (req.method === 'POST' ? {status: 202} : undefined);
      await expect(client().pushBlob(repoOf(reg), digestOf('x'), 1, Buffer.from('x'))).rejects.toThrow(
        'the registry opened an upload without a Location'
      );
    });
  });

  describe('putManifest', () => {
    test('PUT by tag: the digest the registry names', async () => {
      const reg = await registry();
      const {manifest} = image(reg, 'team/app');
      await expect(client().putManifest(repoOf(reg), 'v1', manifest)).resolves.toBe(manifest.digest);
      const put = reqs(reg, 'PUT')[0];
      expect(put?.path).toBe('/v2/team/app/manifests/v1');
      expect(put?.headers['content-type']).toBe(OCI_MANIFEST);
      expect(reg.manifest('team/app', 'v1')?.body.equals(manifest.body)).toBe(true);
    });

    test('400 DIGEST_INVALID + MANIFEST_BLOB_UNKNOWN while every blob is there (HEAD 200): retried, and it lands', async () => {
      const reg = await registry();
      const {manifest, config, layer} = image(reg, 'team/app');
      let puts = 0;
      reg.intercept = req =>
        req.method === 'PUT' && puts++ === 0
          ? {status: 400, body: errorBody('DIGEST_INVALID', 'MANIFEST_BLOB_UNKNOWN')}
          : undefined;
      await expect(client().putManifest(repoOf(reg), 'v1', manifest)).resolves.toBe(manifest.digest);
      expect(reqs(reg, 'PUT')).toHaveLength(2);
      expect(
        reqs(reg, 'HEAD')
          .map(r => r.path)
          .sort()
      ).toEqual([`/v2/team/app/blobs/${config}`, `/v2/team/app/blobs/${layer}`].sort());
      expect(lines).toEqual([
        expect.stringMatching(/^retry 1\/3 .*: PUT .* manifest v1: 400 .*holds every blob the manifest names/)
      ]);
      expect(reg.manifest('team/app', 'v1')).toBeDefined();
    });

    test('MANIFEST_BLOB_UNKNOWN with a blob really missing (HEAD 404): fails at once naming it', async () => {
      const reg = await registry();
      const {manifest, layer, config} = image(reg, 'team/app', ['layer-bytes']);
      reg.intercept = req =>
        req.method === 'PUT' ? {status: 400, body: errorBody('DIGEST_INVALID', 'MANIFEST_BLOB_UNKNOWN')} : undefined;
      const e = await failing(client().putManifest(repoOf(reg), 'v1', manifest));
      expect(e.status).toBe(400);
      expect(e.transient).toBe(false);
      expect(e.codes).toEqual(['DIGEST_INVALID', 'MANIFEST_BLOB_UNKNOWN']);
      expect(e.message).toContain(`(not in team/app: ${layer})`);
      expect(e.message).not.toContain(config);
      expect(reqs(reg, 'PUT')).toHaveLength(1);
    });

    test('an index: its child manifests are looked up (HEAD manifests), the missing one named', async () => {
      const reg = await registry();
      const present = reg.addManifest('team/app', '', OCI_MANIFEST, '{"p":"amd64"}');
      const absent = digestOf('{"p":"arm64"}');
      const body = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_INDEX,
          manifests: [
            {mediaType: OCI_MANIFEST, digest: present, size: 14},
            {mediaType: OCI_MANIFEST, digest: absent, size: 14}
          ]
        })
      );
      reg.intercept = req =>
        req.method === 'PUT' ? {status: 400, body: errorBody('MANIFEST_BLOB_UNKNOWN')} : undefined;
      const e = await failing(
        client().putManifest(repoOf(reg), 'v1', {digest: sha256(body), mediaType: OCI_INDEX, body})
      );
      expect(e.message).toContain(`(not in team/app: ${absent})`);
      expect(e.message).not.toContain(present);
      expect(reqs(reg, 'HEAD', /\/manifests\//)).toHaveLength(2);
    });

    test('another 400 (MANIFEST_INVALID) fails without looking anything up', async () => {
      const reg = await registry();
      const {manifest} = image(reg, 'team/app');
      reg.intercept = req => (req.method === 'PUT' ? {status: 400, body: errorBody('MANIFEST_INVALID')} : undefined);
      const e = await failing(client().putManifest(repoOf(reg), 'v1', manifest));
      expect(e.codes).toEqual(['MANIFEST_INVALID']);
      expect(reqs(reg, 'HEAD')).toHaveLength(0);
      expect(reqs(reg, 'PUT')).toHaveLength(1);
    });
  });

  describe('reads, tags, deletes, push check', () => {
    test('getManifest: GET gives the body, its digest and media type; HEAD the header digest; 404 undefined', async () => {
      const reg = await registry();
      const d = reg.addManifest('team/app', 'v1', OCI_MANIFEST, '{"x":1}');
      const c = client();
      await expect(c.getManifest(repoOf(reg), 'v1')).resolves.toEqual({
        digest: d,
        mediaType: OCI_MANIFEST,
        body: Buffer.from('{"x":1}')
      });
      await expect(c.getManifest(repoOf(reg), 'v1', 'HEAD')).resolves.toMatchObject({
        digest: d,
        mediaType: OCI_MANIFEST
      });
      await expect(c.getManifest(repoOf(reg), 'nope')).resolves.toBeUndefined();
      expect(reg.requests[0]?.headers.accept).toBe(MANIFEST_TYPES.join(', '));
    });

    test('listTags follows the Link header through every page', async () => {
      const reg = await registry();
      for (const t of ['a', 'b', 'c', 'd', 'e']) reg.addManifest('team/app', t, OCI_MANIFEST, `{"t":"${t}"}`);
      reg.tagPageSize = 2;
      await expect(client().listTags(repoOf(reg))).resolves.toEqual(['a', 'b', 'c', 'd', 'e']);
      expect(reqs(reg, 'GET').map(r => r.url)).toEqual([
        '/v2/team/app/tags/list?n=1000',
        '/v2/team/app/tags/list?n=2&last=b',
        '/v2/team/app/tags/list?n=2&last=d'
      ]);
    });

    test('listTags of a repository that does not exist: []', async () => {
      const reg = await registry();
      await expect(client().listTags(repoOf(reg, 'team/none'))).resolves.toEqual([]);
    });

    test('deleteManifest: true when deleted, false when the registry does not allow deletes', async () => {
      const tokens = await tokenServer();
      const reg = await registry({kind: 'bearer', tokens});
      const d = reg.addManifest('team/app', 'v1', OCI_MANIFEST, '{"x":1}');
      const c = client({credentials: creds(reg.host)});
      await expect(c.deleteManifest(repoOf(reg), d)).resolves.toBe(true);
      expect(reg.manifest('team/app', 'v1')).toBeUndefined();
      expect(tokens.requests.map(r => r.scopes)).toEqual([['repository:team/app:delete']]);
      reg.deletes = false;
      await expect(c.deleteManifest(repoOf(reg), d)).resolves.toBe(false);
    });

    test('getBlob follows a storage redirect without the registry credentials', async () => {
      const reg = await registry({kind: 'basic', username: 'octo', password: 'p4ss'});
      const bytes = Buffer.from('blob-content');
      const d = reg.addBlob('team/app', bytes);
      const storage = track(
        await TestServer.start(req =>
          req.headers.authorization ? {status: 403, body: 'credentials leaked'} : {status: 200, body: bytes}
        )
      );
      reg.storageOrigin = storage.origin;
      const got = await client({credentials: creds(reg.host)}).getBlob(repoOf(reg), d);
      expect(got.equals(bytes)).toBe(true);
      expect(storage.requests).toHaveLength(1);
      expect(storage.requests[0]?.url).toBe(`/storage/${d}?signature=s`);
      expect(storage.requests[0]?.headers.authorization).toBeUndefined();
      expect(reqs(reg, 'GET').map(r => r.headers.authorization)).toEqual([undefined, basicOf('octo', 'p4ss')]);
    });

    test('getBlob checks the content against the digest', async () => {
      const reg = await registry();
      const d = reg.addBlob('team/app', 'good');
      reg.intercept = req => (req.method === 'GET' ? {status: 200, body: 'tampered'} : undefined);
      await expect(client({retries: 1}).getBlob(repoOf(reg), d)).rejects.toThrow('content does not match its digest');
      expect(reqs(reg, 'GET')).toHaveLength(2);
    });

    const readAll = async (r: NodeJS.ReadableStream): Promise<Buffer> => {
      const parts: Buffer[] = [];
      for await (const c of r) parts.push(c as Buffer);
      return Buffer.concat(parts);
    };

    test('blobStream streams the blob, with the redirect to storage taken without the registry credentials', async () => {
      const reg = await registry({kind: 'basic', username: 'octo', password: 'p4ss'});
      const bytes = Buffer.alloc(3 * 1024 * 1024, 7);
      const d = reg.addBlob('team/app', bytes);
      const storage = track(
        await TestServer.start(req =>
          req.headers.authorization ? {status: 403, body: 'credentials leaked'} : {status: 200, body: bytes}
        )
      );
      reg.storageOrigin = storage.origin;
      const stream = client({credentials: creds(reg.host)}).blobStream(repoOf(reg), d);
      expect(reqs(reg, 'GET')).toHaveLength(0); // opened when first read
      expect((await readAll(stream)).equals(bytes)).toBe(true);
      expect(storage.requests[0]?.headers.authorization).toBeUndefined();
    });

    test('blobStream fails at its end when the content does not match the digest, and on an error status', async () => {
      const reg = await registry();
      const d = reg.addBlob('team/app', 'good');
      reg.intercept = req => (req.method === 'GET' ? {status: 200, body: 'tampered'} : undefined);
      await expect(readAll(client().blobStream(repoOf(reg), d))).rejects.toThrow('content does not match its digest');
      reg.intercept = req =>
        req.method === 'GET' ? {status: 404, body: '{"errors":[{"code":"BLOB_UNKNOWN"}]}'} : undefined;
      await expect(readAll(client({retries: 1}).blobStream(repoOf(reg), d))).rejects.toThrow(/404 BLOB_UNKNOWN/);
    });

    test('hasBlob: HEAD 200 true, 404 false', async () => {
      const reg = await registry();
      const d = reg.addBlob('team/app', 'x');
      const c = client();
      await expect(c.hasBlob(repoOf(reg), d)).resolves.toBe(true);
      await expect(c.hasBlob(repoOf(reg), digestOf('y'))).resolves.toBe(false);
    });

    test('checkPush opens an upload session and cancels it', async () => {
      const reg = await registry();
      await client().checkPush(repoOf(reg));
      expect(reg.requests.map(r => r.method)).toEqual(['POST', 'DELETE']);
      expect(reg.uploads.size).toBe(0);
    });

    test('hasCredentials: the inputs, else nothing', async () => {
      const c = client({credentials: creds('reg.example')});
      await expect(c.hasCredentials('reg.example')).resolves.toBe(true);
      await expect(c.hasCredentials('other.example')).resolves.toBe(false);
    });

    test("the job's Docker config (auths) answers a Basic challenge; the password is masked", async () => {
      const reg = await registry({kind: 'basic', username: 'cfg-user', password: 'cfg-s3cret'});
      const dir = tmpDir('client-docker-config');
      const file = path.join(dir, 'config.json');
      fs.writeFileSync(
        file,
        JSON.stringify({auths: {[reg.host]: {auth: Buffer.from('cfg-user:cfg-s3cret').toString('base64')}}})
      );
      const masked: string[] = [];
      await client({dockerConfig: file, mask: s => masked.push(s)}).ping(reg.host);
      expect(masked).toContain('cfg-s3cret');
      expect(reg.requests[1]?.headers.authorization).toBe(basicOf('cfg-user', 'cfg-s3cret'));
      expect(lines.join('\n')).not.toContain('cfg-s3cret');
    });
  });

  describe('secrets', () => {
    test('the debug lines name each exchange, never the credentials', async () => {
      const reg = await registry({kind: 'basic', username: 'octo', password: 'p4ss'});
      const debug: string[] = [];
      await client({credentials: creds(reg.host), debug: l => debug.push(l)}).ping(reg.host);
      expect(debug).toEqual([`GET http://${reg.host}/v2/ -> 401`, `GET http://${reg.host}/v2/ -> 200`]);
      expect(debug.join('\n')).not.toContain(Buffer.from('octo:p4ss').toString('base64'));
      expect(lines.join('\n')).not.toContain('p4ss');
    });

    test("an identity token from the job's Docker config is exchanged at the token service (POST refresh_token)", async () => {
      const tokens = await tokenServer();
      const reg = await registry({kind: 'bearer', tokens});
      const file = path.join(tmpDir('client-identity'), 'config.json');
      fs.writeFileSync(file, JSON.stringify({auths: {[reg.host]: {identitytoken: 'refresh-s3cret'}}}));
      const masked: string[] = [];
      const c = client({dockerConfig: file, mask: s => masked.push(s)});
      await expect(c.hasCredentials(reg.host)).resolves.toBe(true);
      await c.ping(reg.host);
      expect(tokens.requests).toHaveLength(1);
      expect(tokens.requests[0]?.method).toBe('POST');
      expect(tokens.requests[0]?.form.get('grant_type')).toBe('refresh_token');
      expect(tokens.requests[0]?.form.get('refresh_token')).toBe('refresh-s3cret');
      expect(masked).toContain('refresh-s3cret');
      expect(lines.join('\n')).not.toContain('refresh-s3cret');
    });
  });

  describe('TLS', () => {
    let pki: Pki;
    beforeAll(() => {
      pki = makePki();
    });
    const tlsRegistry = async (): Promise<FakeRegistry> =>
      track(await FakeRegistry.start({kind: 'none'}, {key: pki.serverKey, cert: pki.serverCert}));

    test('a registry with a private CA in certs.d: https, and it answers', async () => {
      const reg = await tlsRegistry();
      const c = client({certsDir: certsDir({[reg.host]: {'ca.crt': pki.caCert}})});
      await expect(c.ping(reg.host)).resolves.toBeUndefined();
      await expect(c.plainHttp(reg.host)).resolves.toBe(false);
      expect(c.hasPrivateTrust(reg.host)).toBe(true);
      expect(c.caBundle(reg.host)).toContain(pki.caCert.trim());
    });

    test("the token service and the storage of a registry are reached with the registry's trust", async () => {
      const tls = {key: pki.serverKey, cert: pki.serverCert};
      const tokens = track(await FakeTokenServer.start(tls));
      const reg = track(await FakeRegistry.start({kind: 'bearer', tokens}, tls));
      const bytes = Buffer.from('blob-over-tls');
      const d = reg.addBlob('team/app', bytes);
      const storage = track(await TestServer.start(() => ({status: 200, body: bytes}), tls));
      reg.storageOrigin = storage.origin;
      // the CA is filed under the registry only, not under the token service's or the storage's host:port
      const c = client({credentials: creds(reg.host), certsDir: certsDir({[reg.host]: {'ca.crt': pki.caCert}})});
      await expect(c.ping(reg.host)).resolves.toBeUndefined();
      expect(tokens.requests).toHaveLength(1);
      await expect(c.getBlob(repoOf(reg), d)).resolves.toEqual(bytes);
      expect(storage.requests).toHaveLength(1);
    });

    test('the ca-cert input (caCerts) is enough too', async () => {
      const reg = await tlsRegistry();
      const c = client({caCerts: new Map([[reg.host, pki.caCert]])});
      await expect(c.ping(reg.host)).resolves.toBeUndefined();
    });

    test('without the CA: a certificate error naming certs.d/<host>/ca.crt and ca-cert, not retried, never plain http', async () => {
      const reg = await tlsRegistry();
      const c = client();
      const e = await failing(c.ping(reg.host));
      expect(e.message).toContain(`/etc/docker/certs.d/${reg.host}/ca.crt`);
      expect(e.message).toContain('or pass it in ca-cert');
      expect(e.transient).toBe(false);
      expect(lines).toEqual([]);
      await expect(c.plainHttp(reg.host)).resolves.toBe(false);
    });
  });
});
