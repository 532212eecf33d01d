/**
 * Which cosign runs. cosign-version empty: the one on PATH when it is at least MIN_COSIGN (or, when there is none
 * or it is older, the pinned release). A version or range: the one on PATH when it satisfies it, else that release
 * (for a range: the newest release of the step's table that satisfies it), downloaded from cosign-release-url and
 * checked against the SHA-256 embedded in the step (releases.ts) or given in cosign-sha256, never against a file
 * from the same place. It is kept in the tool cache (and in the Actions cache, across runs, where the runner offers
 * it), and every copy taken from a cache is checked again before it runs: it runs with the signing key and its
 * password in its environment.
 *
 * Which flags cosign gets depends on its generation (cosign.ts): cosign 3 signs with a signing config and Sigstore
 * bundles by default. A development build (no version, as some distributions ship it) is judged by its help.
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
import {CosignGeneration} from './cosign';
import {COSIGN_RELEASES, CosignArch, MIN_COSIGN, releaseSha} from './releases';

/** The release used when cosign-version is empty and PATH has no usable cosign. */
export const PINNED_COSIGN = '2.5.0';
export const DEFAULT_RELEASE_URL = 'https://github.com/sigstore/cosign/releases/download';

type Env = Record<string, string | undefined>;

export function cosignArch(arch: string = process.arch): CosignArch {
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

/** The flags a cosign takes, by its version. */
export function generationOf(version: string): CosignGeneration {
  return semver.major(version) >= 3 ? 3 : 2;
}

/**
 * What `cosign sign --help` of a development build says it can do: whether it has every flag the step may pass
 * (`--registry-cacert` is the youngest), and whether it signs with a signing config by default (cosign 3).
 */
export function capabilitiesFromHelp(help: string): {usable: boolean; generation: CosignGeneration} {
  return {
    usable: /--registry-cacert\b/.test(help) && /--tlog-upload\b|--use-signing-config\b/.test(help),
    generation: /--use-signing-config=true\b/.test(help) ? 3 : 2
  };
}

/** The release to download for a requested version or range: a range takes the newest listed release it allows. */
export function releaseFor(requested: string): string {
  const exact = semver.valid(requested.replace(/^v/, ''));
  if (exact && semver.lt(exact, MIN_COSIGN))
    throw new InputError(
      'cosign-version',
      `cosign-version: ${exact} is older than ${MIN_COSIGN}, the oldest cosign the step runs (the first with --registry-cacert); use ${MIN_COSIGN} or later`
    );
  if (exact) return exact;
  if (!semver.validRange(requested))
    throw new InputError(
      'cosign-version',
      `cosign-version: "${requested}" is not a version or a range (e.g. 2.5.0, ^2.4, >=2.4.2 <3)`
    );
  const best = semver.maxSatisfying(Object.keys(COSIGN_RELEASES), requested);
  if (best) return best;
  throw new InputError(
    'cosign-version',
    `cosign-version: no release in the step's table of checked cosign releases (${Object.keys(COSIGN_RELEASES).join(', ')}) satisfies "${requested}"; give an exact version (and its SHA-256 in cosign-sha256)`
  );
}

/**
 * The SHA-256 a download of `release` must have: the embedded one, or cosign-sha256 for a release the table does
 * not list. Both given and different: refused (one of them is wrong, and the embedded one came with the step).
 */
export function expectedSha(release: string, arch: CosignArch, given: string): string {
  const embedded = releaseSha(release, arch);
  const want = given.trim().toLowerCase();
  if (embedded && want && embedded !== want)
    throw new InputError(
      'cosign-sha256',
      `cosign-sha256: ${want} is not the SHA-256 of cosign-linux-${arch} ${release} (the step has ${embedded} for it); remove cosign-sha256, or fix it`
    );
  if (embedded) return embedded;
  if (want) return want;
  throw new InputError(
    'cosign-sha256',
    `cosign-version: ${release} is not in the step's table of checked cosign releases (${Object.keys(COSIGN_RELEASES).join(', ')}); choose one of them, or give the SHA-256 of cosign-linux-${arch} ${release} (from its cosign_checksums.txt) in cosign-sha256`
  );
}

export function cacheKey(version: string, arch: string): string {
  return `publish-image-cosign-${version}-linux-${arch}`;
}

export interface CosignChoice {
  path: string;
  /** how it was found, for the log */
  how: string;
  /** which flags it takes */
  generation: CosignGeneration;
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

/**
 * What a cosign binary is (undefined when it does not run): its version, or for a development build what its help
 * says it can do. The flags follow what the binary says, not the name it was downloaded under.
 */
async function identify(
  runner: Runner,
  bin: string
): Promise<{version?: string; usable: boolean; generation: CosignGeneration; label: string} | undefined> {
  const r = await runner.run(bin, ['version', '--json'], {allowFailure: true}).catch(() => undefined);
  if (!r || r.exitCode !== 0) return undefined;
  const version = parseCosignVersion(r.stdout);
  if (version)
    return {version, usable: semver.gte(version, MIN_COSIGN), generation: generationOf(version), label: version};
  const help = await runner.run(bin, ['sign', '--help'], {allowFailure: true}).catch(() => undefined);
  const caps = capabilitiesFromHelp(help ? help.stdout + help.stderr : '');
  return {...caps, label: 'a development build'};
}

export async function chooseCosign(a: {
  requested: string;
  releaseUrl: string;
  /** cosign-sha256: for a release the embedded table does not list */
  sha256?: string;
  env: Env;
  runner: Runner;
}): Promise<CosignChoice> {
  const found = await identify(a.runner, 'cosign');
  const requested = a.requested.replace(/^v/, '');
  if (found?.usable && requested === '')
    return {
      path: 'cosign',
      how: found.version
        ? `cosign ${found.version} from PATH`
        : `cosign from PATH (a development build; its help shows cosign ${found.generation} flags)`,
      generation: found.generation
    };
  if (found?.usable && found.version && semver.satisfies(found.version, requested))
    return {
      path: 'cosign',
      how: `cosign ${found.version} from PATH satisfies ${a.requested}`,
      generation: found.generation
    };
  const release = releaseFor(requested || PINNED_COSIGN);
  const arch = cosignArch();
  const want = expectedSha(release, arch, a.sha256 ?? '');
  const source = releaseSha(release, arch) ? "the step's table" : 'cosign-sha256';
  const toolCache = a.env['RUNNER_TOOL_CACHE'] || path.join(os.tmpdir(), 'publish-image-tool-cache');
  const dir = path.join(toolCache, 'publish-image-cosign', release, arch);
  const bin = path.join(dir, 'cosign');
  const why = !found
    ? 'no cosign on PATH'
    : !found.usable
      ? `cosign on PATH is ${found.label}, older than the minimum ${MIN_COSIGN}`
      : `cosign on PATH is ${found.label}, not ${a.requested}`;
  const base = (a.releaseUrl || DEFAULT_RELEASE_URL).replace(/\/+$/, '');
  const file = `cosign-linux-${arch}`;
  // the binary checked, then asked what it is (a checked binary may still be a development build of that release)
  const checked = async (bin: string, how: string): Promise<CosignChoice> => {
    const what = await identify(a.runner, bin);
    return {path: bin, how, generation: what?.generation ?? generationOf(release)};
  };
  const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
  const cached = async (where: string): Promise<CosignChoice | undefined> => {
    if (!fs.existsSync(bin)) return undefined;
    const got = sha(fs.readFileSync(bin));
    if (got === want)
      return checked(bin, `cosign ${release} from the ${where}, SHA-256 checked against ${source} (${why})`);
    fs.rmSync(bin, {force: true});
    throw new PhaseError(
      'sign',
      `cosign-version: the cosign ${release} in the ${where} (${bin}) does not match its SHA-256 in ${source} (want ${want}, got ${got}); it was removed and not run. Something replaced it: check who can write the runner's tool cache`
    );
  };
  const fromToolCache = await cached('tool cache');
  if (fromToolCache) return fromToolCache;
  const key = cacheKey(release, arch);
  if (await restoreFromActionsCache(dir, key)) {
    const fromActions = await cached('Actions cache');
    if (fromActions) return fromActions;
  }
  const binary = await download(`${base}/v${release}/${file}`, a.env);
  const got = sha(binary);
  if (want !== got)
    throw new PhaseError(
      'sign',
      `cosign-version: ${file} ${release} from ${base} does not match its SHA-256 in ${source} (want ${want}, got ${got}); refusing to run it`
    );
  fs.mkdirSync(dir, {recursive: true});
  const tmp = `${bin}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, binary, {mode: 0o755});
  fs.renameSync(tmp, bin);
  await saveToActionsCache(dir, key);
  return checked(bin, `cosign ${release} downloaded from ${base}, SHA-256 checked against ${source} (${why})`);
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
