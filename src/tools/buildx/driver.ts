/**
 * Which buildx runs, which builder the build runs on and where the engine keeps images: read once in preflight.
 * One `docker info` answers two of them: the buildx plugin docker would run (`.ClientInfo.Plugins`, its version)
 * and the image store (`.DriverStatus`: the containerd snapshotter, `driver-type io.containerd.snapshotter.v1`, or
 * the classic store). The driver comes from `docker buildx inspect [builder]`, except where buildx itself would use
 * the default builder (no builder named, none selected: `BUILDX_BUILDER` unset, no `current` in the buildx state, no
 * docker context chosen), whose driver is always docker: that spares a buildx process (about 0.2 s) on the plainest
 * runner. The push path depends on driver and store (src/plan/datapath.ts), and several platforms need more than
 * the docker driver on the classic store (multiPlatformProblem). Parsing and the rules are pure.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {Runner} from '../exec';
import {buildxVersion} from './buildx';

/** docker, docker-container, remote, kubernetes, cloud (as buildx names them; anything else is kept as given) */
export type Driver = string;
export type ImageStore = 'containerd' | 'classic' | 'unknown';

export interface BuilderInfo {
  name: string;
  driver: Driver;
  store: ImageStore;
}

/** `docker buildx inspect` -> the builder's name and driver ('' when the output names none). */
export function parseBuilderInspect(stdout: string): {name: string; driver: Driver} {
  const field = (key: string): string => new RegExp(`^${key}:\\s*(\\S+)`, 'm').exec(stdout)?.[1] ?? '';
  return {name: field('Name'), driver: field('Driver')};
}

/**
 * The image store from `docker info`: the JSON of `.DriverStatus` ([["driver-type","io.containerd.snapshotter.v1"]])
 * or the text form (` driver-type: io.containerd.snapshotter.v1`). An engine that answers with any other storage
 * status is the classic store; an empty answer is unknown.
 */
export function parseImageStore(stdout: string): ImageStore {
  const text = stdout.trim();
  if (text === '' || text === 'null') return text === 'null' ? 'classic' : 'unknown';
  let pairs: unknown;
  try {
    pairs = JSON.parse(text);
  } catch {
    return /driver-type:\s*io\.containerd\.snapshotter\.v1/.test(text) ? 'containerd' : 'classic';
  }
  if (!Array.isArray(pairs)) return 'unknown';
  return pairs.some(p => Array.isArray(p) && p[0] === 'driver-type' && p[1] === 'io.containerd.snapshotter.v1')
    ? 'containerd'
    : 'classic';
}

/** The `docker info` format of detectBuildx: the client plugins, a tab, the storage driver status. */
export const INFO_FORMAT = '{{json .ClientInfo.Plugins}}\t{{json .DriverStatus}}';

/** `docker info --format INFO_FORMAT` -> the buildx plugin's version ('' when docker lists none) and the store. */
export function parseInfo(stdout: string): {buildx: string; store: ImageStore} {
  const [plugins = '', status = ''] = stdout.trim().split('\t');
  let buildx = '';
  try {
    const list = JSON.parse(plugins) as {Name?: string; Version?: string; Err?: unknown}[] | null;
    const b = (list ?? []).find(p => p.Name === 'buildx' && !p.Err);
    buildx = /^v?(\d+\.\d+\.\d+)/.exec(b?.Version ?? '')?.[1] ?? '';
  } catch {
    // not the format asked for: the version comes from `docker buildx version`
  }
  return {buildx, store: parseImageStore(status)};
}

/**
 * True when buildx would build on the default builder of the default context: no builder named, no `BUILDX_BUILDER`,
 * no builder selected in the buildx state (`current` names none), no docker context chosen (`DOCKER_CONTEXT`,
 * `currentContext`). That builder's driver is docker, so `docker buildx inspect` has nothing to add.
 */
export function usesDefaultBuilder(builder: string, env: Record<string, string | undefined>): boolean {
  if (builder || env['BUILDX_BUILDER'] || env['DOCKER_CONTEXT']) return false;
  const buildxDir = env['BUILDX_CONFIG'];
  const configDir = env['DOCKER_CONFIG'];
  if (!buildxDir || !configDir) return false;
  // buildx records the builder in use in `current`; an empty name is the default builder (every build writes one)
  try {
    const current = JSON.parse(fs.readFileSync(path.join(buildxDir, 'current'), 'utf8')) as {Name?: string};
    if (current.Name) return false;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return false;
  }
  try {
    const cfg = JSON.parse(fs.readFileSync(path.join(configDir, 'config.json'), 'utf8')) as {currentContext?: string};
    return !cfg.currentContext || cfg.currentContext === 'default';
  } catch {
    return !fs.existsSync(path.join(configDir, 'config.json'));
  }
}

export interface BuildxFacts {
  /** the buildx version (undefined: a development build that names none) */
  version: string | undefined;
  /** the builder, when asked for (pushing) */
  builder?: BuilderInfo;
}

/**
 * The calls at once: `docker info` (buildx version and image store) and, unless buildx would use the default builder,
 * `docker buildx inspect`. `docker buildx version` runs only when docker lists no buildx plugin (it then says why).
 * A failure of `docker info` (a remote builder with no local engine) leaves the store unknown.
 */
export async function detectBuildx(
  runner: Runner,
  o: {
    builder: string;
    /** the tools' own variables (DOCKER_CONFIG, BUILDX_CONFIG, DOCKER_CONTEXT) */
    env: Record<string, string>;
    /** the step's environment (BUILDX_BUILDER, DOCKER_CONTEXT of the job) */
    stepEnv: Record<string, string | undefined>;
    driver: boolean;
  }
): Promise<BuildxFacts> {
  const {builder, env} = o;
  const inspectNeeded = o.driver && !usesDefaultBuilder(builder, {...o.stepEnv, ...env});
  const [info, inspect] = await Promise.all([
    runner.run('docker', ['info', '--format', INFO_FORMAT], {env, allowFailure: true}),
    inspectNeeded
      ? runner.run('docker', ['buildx', 'inspect', ...(builder ? [builder] : [])], {env, allowFailure: true})
      : undefined
  ]);
  const facts = parseInfo(info.stdout);
  const version = facts.buildx || (await buildxVersion(runner, env));
  if (!o.driver) return {version};
  if (!inspect) return {version, builder: {name: 'default', driver: 'docker', store: facts.store}};
  if (inspect.exitCode !== 0)
    throw new Error(
      `docker buildx inspect${builder ? ` ${builder}` : ''} failed: ${inspect.stderr.trim() || inspect.stdout.trim()}` +
        (builder
          ? ` (is "${builder}" a builder of this runner? create it first, e.g. with docker/setup-buildx-action)`
          : '')
    );
  const {name, driver} = parseBuilderInspect(inspect.stdout);
  return {
    version,
    builder: {
      name: name || builder || 'default',
      driver: driver || 'docker',
      store: info.exitCode === 0 ? facts.store : 'unknown'
    }
  };
}

/**
 * buildx's docker driver builds several platforms into one image only when the engine keeps images in the containerd
 * image store; on the classic store it cannot (and it refuses an OCI export), so that pair is refused in preflight.
 */
/** The problem with building `platforms` on this builder and engine, as the line a user can act on; '' when none. */
export function multiPlatformProblem(driver: string, store: ImageStore, platforms: readonly string[]): string {
  if (platforms.length < 2 || driver !== 'docker' || store !== 'classic') return '';
  return (
    `platforms: ${platforms.join(',')} needs a builder that can build several platforms: this one uses buildx's docker ` +
    `driver on an engine with the classic image store, which holds one platform per image. Add ` +
    `docker/setup-buildx-action (driver docker-container) before this step, or enable the containerd image store ` +
    `of the engine ("features": {"containerd-snapshotter": true} in /etc/docker/daemon.json), or build one platform. ` +
    `Nothing was built or pushed.`
  );
}
