/**
 * Which cosign runs. cosign-version empty: the one on PATH (or, when there is none, the pinned release). A
 * version or range: the one on PATH when it satisfies it, else that release, downloaded from cosign-release-url,
 * checked against the release's published SHA-256, and kept in the tool cache (and in the Actions cache, across
 * runs, where the runner offers it) so that a second run does not download it again.
 */
import {createHash} from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as semver from 'semver';
import {fetch} from 'undici';
import {policyDispatcher} from '../../registry/transport';
import {InputError, PhaseError} from '../../errors';
import {Runner} from '../exec';
import {ActionsCache, loadActionsCache} from './actions-cache';

/** The release used when cosign-version is a range, or when no cosign is installed. */
export const PINNED_COSIGN = '2.5.0';
export const DEFAULT_RELEASE_URL = 'https://github.com/sigstore/cosign/releases/download';

type Env = Record<string, string | undefined>;

export function cosignArch(arch: string = process.arch): string {
  if (arch === 'x64') return 'amd64';
  if (arch === 'arm64') return 'arm64';
  throw new PhaseError(
    'sign',
    `cosign-version: no cosign release is published for this runner's architecture (${arch}); install cosign on PATH`
  );
}

/** `cosign version --json` -> 2.5.0 (undefined for a development build, as some distributions ship). */
export function parseCosignVersion(stdout: string): string | undefined {
  let v: string;
  try {
    v = (JSON.parse(stdout) as {gitVersion?: string}).gitVersion ?? '';
  } catch {
    v = /GitVersion:\s*(\S+)/.exec(stdout)?.[1] ?? '';
  }
  return semver.valid(v.replace(/^v/, '')) ?? undefined;
}

/** The release to download for a requested version or range. */
export function releaseFor(requested: string): string {
  const exact = semver.valid(requested.replace(/^v/, ''));
  if (exact) return exact;
  if (!semver.validRange(requested))
    throw new InputError(
      'cosign-version',
      `cosign-version: "${requested}" is not a version or a range (e.g. 2.5.0, ^2.4, >=2.2 <3)`
    );
  if (semver.satisfies(PINNED_COSIGN, requested)) return PINNED_COSIGN;
  throw new InputError(
    'cosign-version',
    `cosign-version: the pinned release ${PINNED_COSIGN} does not satisfy "${requested}"; give an exact version to download`
  );
}

/** The SHA-256 the checksums file publishes for a file name. */
export function checksumFor(checksums: string, file: string): string | undefined {
  for (const line of checksums.split('\n')) {
    const m = /^([a-f0-9]{64})\s+\*?(\S+)$/.exec(line.trim());
    if (m && m[2] === file) return m[1];
  }
  return undefined;
}

export function cacheKey(version: string, arch: string): string {
  return `publish-image-cosign-${version}-linux-${arch}`;
}

export interface CosignChoice {
  path: string;
  /** how it was found, for the log */
  how: string;
}

async function download(url: string, env: Env): Promise<Buffer> {
  const res = await fetch(url, {dispatcher: policyDispatcher(env), redirect: 'follow'});
  if (!res.ok)
    throw new PhaseError(
      'sign',
      `cosign-version: GET ${url}: ${res.status}; check cosign-version and cosign-release-url`
    );
  return Buffer.from(await res.arrayBuffer());
}

export async function chooseCosign(a: {
  requested: string;
  releaseUrl: string;
  env: Env;
  runner: Runner;
}): Promise<CosignChoice> {
  const onPath = await a.runner.run('cosign', ['version', '--json'], {allowFailure: true}).catch(() => undefined);
  const found = onPath && onPath.exitCode === 0;
  const version = found ? parseCosignVersion(onPath.stdout) : undefined;
  if (found && a.requested === '') return {path: 'cosign', how: `cosign ${version ?? '(development build)'} from PATH`};
  if (found && version && semver.satisfies(version, a.requested.replace(/^v/, '')))
    return {path: 'cosign', how: `cosign ${version} from PATH satisfies ${a.requested}`};
  const release = releaseFor(a.requested || PINNED_COSIGN);
  const arch = cosignArch();
  const toolCache = a.env['RUNNER_TOOL_CACHE'] || path.join(os.tmpdir(), 'publish-image-tool-cache');
  const dir = path.join(toolCache, 'publish-image-cosign', release, arch);
  const bin = path.join(dir, 'cosign');
  const why = found ? `cosign on PATH is ${version ?? 'a development build'}, not ${a.requested}` : 'no cosign on PATH';
  const base = (a.releaseUrl || DEFAULT_RELEASE_URL).replace(/\/+$/, '');
  const file = `cosign-linux-${arch}`;
  // the published SHA-256, asked for on every run: a cached binary is checked against it before it ever runs
  // (it is run with the signing key and its password in its environment)
  const checksums = download(`${base}/v${release}/cosign_checksums.txt`, a.env).then(b => {
    const want = checksumFor(b.toString('utf8'), file);
    if (!want)
      throw new PhaseError(
        'sign',
        `cosign-version: cosign_checksums.txt of ${release} lists no ${file}; refusing to run an unchecked binary`
      );
    return want;
  });
  checksums.catch(() => undefined);
  const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
  const cached = async (where: string): Promise<CosignChoice | undefined> => {
    if (!fs.existsSync(bin)) return undefined;
    const want = await checksums;
    const got = sha(fs.readFileSync(bin));
    if (got === want) return {path: bin, how: `cosign ${release} from the ${where}, SHA-256 checked (${why})`};
    fs.rmSync(bin, {force: true});
    throw new PhaseError(
      'sign',
      `cosign-version: the cosign ${release} in the ${where} (${bin}) does not match its published SHA-256 (want ${want}, got ${got}); it was removed and not run. Something replaced it: check who can write the runner's tool cache`
    );
  };
  const fromToolCache = await cached('tool cache');
  if (fromToolCache) return fromToolCache;
  const key = cacheKey(release, arch);
  if (await restoreFromActionsCache(dir, key)) {
    const fromActions = await cached('Actions cache');
    if (fromActions) return fromActions;
  }
  const [binary, want] = await Promise.all([download(`${base}/v${release}/${file}`, a.env), checksums]);
  const got = sha(binary);
  if (want !== got)
    throw new PhaseError(
      'sign',
      `cosign-version: ${file} ${release} from ${base} does not match its published SHA-256 (want ${want}, got ${got}); refusing to run it`
    );
  fs.mkdirSync(dir, {recursive: true});
  const tmp = `${bin}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, binary, {mode: 0o755});
  fs.renameSync(tmp, bin);
  await saveToActionsCache(dir, key);
  return {path: bin, how: `cosign ${release} downloaded from ${base}, SHA-256 checked (${why})`};
}

function actionsCache(): ActionsCache | undefined {
  const c = loadActionsCache();
  return c.isFeatureAvailable() ? c : undefined;
}

async function restoreFromActionsCache(dir: string, key: string): Promise<boolean> {
  try {
    return !!(await actionsCache()?.restoreCache([dir], key));
  } catch {
    return false;
  }
}

async function saveToActionsCache(dir: string, key: string): Promise<void> {
  try {
    await actionsCache()?.saveCache([dir], key);
  } catch {
    // another job saved it first, or the cache service is unavailable: the tool cache still has it
  }
}
