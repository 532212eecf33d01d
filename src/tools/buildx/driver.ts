/**
 * Which builder the build runs on and where the engine keeps images: read once in preflight, from
 * `docker buildx inspect [builder]` (the driver) and `docker info --format '{{json .DriverStatus}}'` (the image
 * store: the containerd snapshotter, `driver-type io.containerd.snapshotter.v1`, or the classic store). The push path
 * depends on both (src/plan/datapath.ts), and several platforms need more than the docker driver on the classic store
 * (multiPlatformProblem). Parsing and the rule are pure.
 */
import {Runner} from '../exec';

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

/** Both calls at once; a failure of `docker info` (a remote builder with no local engine) leaves the store unknown. */
export async function detectBuilder(
  runner: Runner,
  builder: string,
  env: Record<string, string>
): Promise<BuilderInfo> {
  const [inspect, info] = await Promise.all([
    runner.run('docker', ['buildx', 'inspect', ...(builder ? [builder] : [])], {env, allowFailure: true}),
    runner.run('docker', ['info', '--format', '{{json .DriverStatus}}'], {env, allowFailure: true})
  ]);
  if (inspect.exitCode !== 0)
    throw new Error(
      `docker buildx inspect${builder ? ` ${builder}` : ''} failed: ${inspect.stderr.trim() || inspect.stdout.trim()}` +
        (builder
          ? ` (is "${builder}" a builder of this runner? create it first, e.g. with docker/setup-buildx-action)`
          : '')
    );
  const {name, driver} = parseBuilderInspect(inspect.stdout);
  return {
    name: name || builder || 'default',
    driver: driver || 'docker',
    store: info.exitCode === 0 ? parseImageStore(info.stdout) : 'unknown'
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
