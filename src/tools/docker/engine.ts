/**
 * What the engine and builder can publish, decided before anything is built. buildx's docker driver builds several
 * platforms into one image only when the engine keeps images in the containerd image store; on the classic store it
 * cannot (and it refuses an OCI export), so a multi-platform request on that pair would fail after the build, or
 * never say what to do. Pure: the driver and store come from preflight (`docker buildx inspect`, `docker info`).
 */

/** The classic store, the containerd image store, or not known (a remote builder with no local engine). */
export type ImageStore = 'containerd' | 'classic' | 'unknown';

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
