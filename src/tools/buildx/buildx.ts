/**
 * `docker buildx build`: the argument list is built by a pure function from the plan, then run once. With push,
 * BuildKit pushes the image itself to every target it can reach (`pushOutput`, chosen by src/plan/datapath.ts:
 * by digest, or under one staging tag on the docker driver, which cannot push by digest); only when it reaches
 * none is the image written as an OCI layout (every platform, by digest) for publish.ts to upload. No tag a user
 * asked for is moved by the build. A push failing on a transient registry error is retried (the build is cached).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {CommandError, InputError} from '../../errors';
import {Runner, tail} from '../exec';

export interface BuildPlan {
  context: string;
  file: string;
  platforms: string[];
  buildArgs: string[];
  buildContexts: string[];
  /** build secrets as buildx --secret values: id=...,src=<file> or id=...,env=<NAME> (never a secret value) */
  secrets: string[];
  ssh: string[];
  target: string;
  cacheFrom: string[];
  cacheTo: string[];
  noCache: boolean;
  noCacheFilters: string[];
  pull: boolean;
  provenance: string;
  sbom: string;
  attests: string[];
  /** level:key=value */
  annotations: string[];
  labels: string[];
  outputs: string[];
  network: string;
  addHosts: string[];
  shmSize: string;
  ulimit: string[];
  builder: string;
  /** write the image as an OCI layout directory here, for publish.ts to push ('' = not exporting) */
  ociLayout: string;
  /** the --output by which BuildKit pushes the image itself (type=image,...,push=true; '' = it does not push) */
  pushOutput?: string;
  /** load into the local image store under these tags */
  load: boolean;
  /** tags for a local image (when loading, or when neither pushing nor given outputs) */
  localTags: string[];
  metadataFile: string;
  iidFile: string;
}

/** One CSV field of an --output value: quoted when it holds a comma or a quote. */
function csvField(s: string): string {
  return /[",]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const flag = (args: string[], name: string, value: string): void => {
  if (value !== '') args.push(name, value);
};
const each = (args: string[], name: string, values: readonly string[]): void => {
  for (const v of values) args.push(name, v);
};

export function buildArgs(plan: BuildPlan): string[] {
  const args = ['buildx', 'build'];
  flag(args, '--builder', plan.builder);
  flag(args, '--file', plan.file);
  if (plan.platforms.length) args.push('--platform', plan.platforms.join(','));
  flag(args, '--target', plan.target);
  each(args, '--build-arg', plan.buildArgs);
  each(args, '--build-context', plan.buildContexts);
  each(args, '--secret', plan.secrets);
  each(args, '--ssh', plan.ssh);
  each(args, '--cache-from', plan.cacheFrom);
  each(args, '--cache-to', plan.cacheTo);
  if (plan.noCache) args.push('--no-cache');
  each(args, '--no-cache-filter', plan.noCacheFilters);
  if (plan.pull) args.push('--pull');
  flag(args, '--provenance', plan.provenance);
  flag(args, '--sbom', plan.sbom);
  each(args, '--attest', plan.attests);
  each(args, '--label', plan.labels);
  each(args, '--annotation', plan.annotations);
  flag(args, '--network', plan.network);
  each(args, '--add-host', plan.addHosts);
  flag(args, '--shm-size', plan.shmSize);
  each(args, '--ulimit', plan.ulimit);
  if (plan.pushOutput) {
    args.push('--output', plan.pushOutput);
  } else if (plan.ociLayout) {
    args.push('--output', `type=oci,${csvField(`dest=${plan.ociLayout}`)},tar=false`);
  } else {
    each(args, '--output', plan.outputs);
    each(args, '--tag', plan.localTags);
    if (plan.load) args.push('--load');
  }
  args.push('--metadata-file', plan.metadataFile);
  // buildx refuses an image ID file next to a local or tar export (there is no image)
  if (
    plan.pushOutput ||
    plan.ociLayout ||
    !plan.outputs.some(o => /(^|,)type=(local|tar)(,|$)/.test(o) || !o.includes('='))
  )
    args.push('--iidfile', plan.iidFile);
  args.push(plan.context);
  return args;
}

/** The plan of the second, cached build that loads a pushed image into the local image store. */
export function loadPlan(plan: BuildPlan): BuildPlan {
  return {
    ...plan,
    ociLayout: '',
    pushOutput: '',
    outputs: [],
    cacheTo: [],
    load: true,
    metadataFile: `${plan.metadataFile}.load`,
    iidFile: `${plan.iidFile}.load`
  };
}

/** `docker buildx version` -> 0.13.1 (undefined for a development build). */
export function parseBuildxVersion(stdout: string): string | undefined {
  const m = /\sv?(\d+\.\d+\.\d+)/.exec(stdout);
  return m?.[1];
}

function atLeast(version: string, min: string): boolean {
  const a = version.split('.').map(Number);
  const b = min.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
}

/** The buildx version each input needs. */
export function versionRequirements(plan: BuildPlan): [string, string][] {
  const req: [string, string][] = [];
  if (plan.ociLayout && !plan.pushOutput) req.push(['push', '0.11.0']); // type=oci,tar=false
  if (plan.buildContexts.length) req.push(['build-contexts', '0.8.0']);
  if (plan.noCacheFilters.length) req.push(['no-cache-filters', '0.9.0']);
  if (plan.provenance) req.push(['provenance', '0.10.0']);
  if (plan.sbom) req.push(['sbom', '0.10.0']);
  if (plan.attests.length) req.push(['attests', '0.10.0']);
  if (plan.annotations.length) req.push(['annotations', '0.12.0']);
  return req;
}

/** Throws, naming the input and the version it needs, when buildx is too old for an input in use. */
export function checkBuildxVersion(version: string | undefined, plan: BuildPlan): void {
  if (!version) return;
  for (const [input, min] of versionRequirements(plan)) {
    if (!atLeast(version, min))
      throw new InputError(
        input,
        `${input}: needs docker buildx ${min} or later; this runner has ${version} (update buildx, e.g. with docker/setup-buildx-action)`
      );
  }
}

export interface BuildResult {
  /** index or manifest digest of the image pushed or written to the OCI layout ('' when not pushing) */
  digest: string;
  imageId: string;
  metadata: Record<string, unknown>;
  /** non-fatal problems (a cache export that failed) */
  warnings: string[];
}

export function parseMetadata(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  return JSON.parse(text) as Record<string, unknown>;
}

export function digestFromMetadata(metadata: Record<string, unknown>): string {
  const d = metadata['containerimage.digest'];
  return typeof d === 'string' ? d : '';
}

export function buildHint(output: string): string {
  if (/exec format error/i.test(output))
    return 'A RUN step for a foreign platform needs QEMU: register binfmt handlers (docker/setup-qemu-action) or build natively.';
  if (/multiple platforms feature is currently not supported for docker driver/i.test(output))
    return 'This builder cannot build several platforms: enable the containerd image store, or use a docker-container builder.';
  if (REGISTRY_DENIAL.test(output))
    return 'A registry refused the build access (a base image, a cache or a push): check the credentials for it.';
  return '';
}

/** A registry's refusal as buildx reports it (not a RUN step's own "Permission denied"). */
export const REGISTRY_DENIAL =
  /denied: requested access|(push|pull) access denied|insufficient_scope|unauthorized: authentication required|\b(401 Unauthorized|403 Forbidden)\b|failed to authorize|failed to fetch (anonymous )?token/i;

/** The step that failed, as buildx names it ("[2/3] RUN make"), and its error line. */
export function failedStep(output: string): {step: string; error: string} {
  const lines = output.split(/\r?\n/);
  const error =
    [...lines]
      .reverse()
      .find(l => /^ERROR: /.test(l.trim()))
      ?.trim()
      .slice('ERROR: '.length) ?? '';
  const step =
    [...lines]
      .reverse()
      .map(l => /^\s*>\s*(\[[^\]]+\]\s+.*?)\s*:?\s*$/.exec(l) ?? /^#\d+\s+(\[[^\]]+\]\s+.+?)\s*$/.exec(l))
      .find(m => m)?.[1] ?? '';
  return {step, error};
}

/** A failure that only concerns the cache export (the image itself was built). */
export function isCacheExportFailure(output: string): boolean {
  return /(error writing|failed to export|exporting) (layer |to )?cache|cache export feature is currently not supported|export cache|cache-to/i.test(
    output
  );
}

/**
 * A push by BuildKit that failed on a registry error worth another try: a 5xx (not 501/505), 429, 408, a reset or
 * closed connection, a timeout. Denials (401/403), unknown names and build errors are not.
 */
export function isTransientPushFailure(output: string): boolean {
  if (REGISTRY_DENIAL.test(output)) return false;
  if (!/push|export|upload|manifest|blob|registry|\/v2\//i.test(output)) return false;
  return /\b(500 Internal Server Error|502 Bad Gateway|503 Service Unavailable|504 Gateway Timeout|429 Too Many Requests|408 Request Timeout)\b|unexpected status(?: code)?:? (5(?!01|05)\d\d|429|408)\b|status (5(?!01|05)\d\d|429|408)\b|connection reset by peer|broken pipe|unexpected EOF|\bEOF\b|i\/o timeout|TLS handshake timeout|context deadline exceeded|server closed idle connection/i.test(
    output
  );
}

export interface BuildOptions {
  /** how many times a push failing on a transient registry error is tried again (the build is cached) */
  retries?: number;
  log?: (s: string) => void;
  /** waits between tries (ms), by try; default 1 s, 2 s, 4 s ... capped at 10 s */
  backoffMs?: (attempt: number) => number;
}

export async function runBuild(
  runner: Runner,
  plan: BuildPlan,
  env: Record<string, string>,
  o: BuildOptions = {}
): Promise<BuildResult> {
  fs.mkdirSync(path.dirname(plan.metadataFile), {recursive: true});
  const warnings: string[] = [];
  let current = plan;
  let res = await runner.run('docker', buildArgs(current), {env, stream: true, allowFailure: true});
  if (res.exitCode !== 0 && plan.cacheTo.length && isCacheExportFailure(res.stderr + res.stdout)) {
    // The cache is an optimisation: a cache backend that refuses (429, not supported) must not fail the release.
    warnings.push(
      `cache export failed (${plan.cacheTo.join(', ')}); building again without cache-to. ${lastLine(res.stderr)}`
    );
    current = {...plan, cacheTo: []};
    res = await runner.run('docker', buildArgs(current), {env, stream: true, allowFailure: true});
  }
  const retries = o.retries ?? 3;
  for (let attempt = 1; res.exitCode !== 0 && plan.pushOutput && attempt <= retries; attempt++) {
    const output = res.stderr + res.stdout;
    if (!isTransientPushFailure(output)) break;
    const wait = o.backoffMs?.(attempt) ?? Math.min(10_000, 1000 * 2 ** (attempt - 1));
    o.log?.(
      `the builder's push failed on a transient registry error (${lastErrorLine(output)}); trying again in ${(wait / 1000).toFixed(1)} s (${attempt}/${retries}, the build is cached)`
    );
    await new Promise(r => setTimeout(r, wait));
    res = await runner.run('docker', buildArgs(current), {env, stream: true, allowFailure: true});
  }
  if (res.exitCode !== 0) {
    const output = res.stderr + res.stdout;
    const {step} = failedStep(output);
    throw new CommandError(
      'docker',
      buildArgs(plan),
      res.exitCode,
      tail(res.stderr || res.stdout),
      buildHint(output),
      `the build failed${step ? ` at ${step}` : ''}`
    );
  }
  const metadata = parseMetadata(fs.existsSync(plan.metadataFile) ? fs.readFileSync(plan.metadataFile, 'utf8') : '');
  const imageId = fs.existsSync(plan.iidFile) ? fs.readFileSync(plan.iidFile, 'utf8').trim() : '';
  if ((plan.ociLayout || plan.pushOutput) && plan.load) {
    // buildx cannot export an OCI layout and load in one build with every driver: a second build, all cached.
    await runner.run('docker', buildArgs(loadPlan(plan)), {env, stream: true, hint: buildHint});
  }
  return {digest: plan.ociLayout || plan.pushOutput ? digestFromMetadata(metadata) : '', imageId, metadata, warnings};
}

function lastLine(s: string): string {
  return s.trim().split('\n').pop() ?? '';
}

function lastErrorLine(s: string): string {
  return failedStep(s).error || lastLine(s);
}

export async function buildxVersion(runner: Runner, env: Record<string, string>): Promise<string | undefined> {
  const r = await runner.run('docker', ['buildx', 'version'], {env, allowFailure: true});
  if (r.exitCode !== 0)
    throw new Error(
      `docker buildx is not available: ${r.stderr.trim() || r.stdout.trim()}. Install it (docker/setup-buildx-action).`
    );
  return parseBuildxVersion(r.stdout);
}

export interface SecretPlan {
  /** --secret values */
  args: string[];
  /** files to write (mode 0600) before the build, removed after */
  files: {path: string; value: string}[];
}

/**
 * Build secrets reach buildx as files or environment names, never as values in argv: `secrets` (id=value) are
 * written to files readable by this step only; `secret-envs` name variables; `secret-files` name files.
 */
export function planSecrets(
  secrets: readonly string[],
  secretEnvs: readonly string[],
  secretFiles: readonly string[],
  dir: string
): SecretPlan {
  const split = (s: string): [string, string] => [s.slice(0, s.indexOf('=')), s.slice(s.indexOf('=') + 1)];
  const plan: SecretPlan = {args: [], files: []};
  secrets.forEach((s, i) => {
    const [id, value] = split(s);
    const file = path.join(dir, `secret-${i}`);
    plan.files.push({path: file, value});
    plan.args.push(`id=${id},src=${file}`);
  });
  for (const s of secretEnvs) {
    const [id, name] = split(s);
    plan.args.push(`id=${id},env=${name}`);
  }
  for (const s of secretFiles) {
    const [id, file] = split(s);
    plan.args.push(`id=${id},src=${file}`);
  }
  return plan;
}
