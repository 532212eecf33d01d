/**
 * How the bytes reach each target: pushed by the builder itself (BuildKit streams the layers from its own store
 * to the registry), or uploaded by this step's registry client. Pure: the plan calls it with the driver it
 * assumes (docker, buildx's default), execute calls it again with the driver preflight detected.
 *
 * - docker driver (either image store): it cannot push by digest (buildx 0.13: "push-by-digest is currently not
 *   implemented for docker driver"), so BuildKit pushes under one fixed staging tag per repository,
 *   STAGING_TAG, reused by every run (at most one extra tag exists). The step then points the real tags at the
 *   digest and tries to delete the staging tag (registries that delete by tag, OCI distribution 1.1); where the
 *   registry cannot (Distribution 2.8 answers 400), the tag is kept and never reported, pruned or counted as a tag.
 * - other drivers (docker-container, remote, kubernetes, cloud): push by digest, no tag at all.
 * - the step's own upload: a target the builder cannot reach: a CA given in ca-cert that a non-docker builder does
 *   not have, plain HTTP to a non-loopback host allowed by insecure-registries (the step's setting, not the
 *   builder's), a loopback registry with a builder outside this runner's network. Such a target is copied from a
 *   target the builder pushed to, or, when the builder reaches none, from the OCI layout the build writes.
 */
import {isLoopbackHost} from '../reference';
import {BuildPlan} from '../tools/buildx/buildx';
import {Driver} from '../tools/buildx/driver';
import {LoginPlan, Target} from './types';

/** The one tag the docker driver's BuildKit pushes under, per repository; reused every run. */
export const STAGING_TAG = 'publish-image-staging';

export type PushVia = 'builder' | 'upload';

export interface TargetPath {
  image: string;
  via: PushVia;
  /** why, for the log and the dry run */
  reason: string;
}

export interface PushDecision {
  driver: Driver;
  paths: TargetPath[];
  /** the builder pushes to these images (under STAGING_TAG on the docker driver, by digest on others) */
  builderImages: string[];
  /** docker driver: BuildKit pushes under STAGING_TAG; other drivers push by digest */
  byDigest: boolean;
  /** no target is reachable by the builder: the build writes an OCI layout and the step uploads it */
  exportLayout: boolean;
}

export function choosePaths(
  targets: readonly Target[],
  logins: readonly LoginPlan[],
  insecure: readonly string[],
  driver: Driver
): PushDecision {
  const docker = driver === 'docker';
  const seen = new Set<string>();
  const paths: TargetPath[] = [];
  for (const t of targets) {
    if (seen.has(t.image)) continue;
    seen.add(t.image);
    const registry = t.repo.registry;
    const host = registry.replace(/:\d+$/, '');
    const login = logins.find(l => l.registry === registry);
    const loopback = isLoopbackHost(registry);
    let reason = '';
    if (login?.caFile && !docker) reason = `ca-cert: this step trusts ${registry}'s CA, the ${driver} builder does not`;
    else if (!loopback && insecure.some(h => h === registry || h === host))
      reason = `insecure-registries: plain HTTP to ${registry} is this step's setting, not the builder's`;
    else if (loopback && !docker)
      reason = `${registry} is a loopback address and the ${driver} builder runs outside this runner's network`;
    paths.push(
      reason
        ? {image: t.image, via: 'upload', reason}
        : {
            image: t.image,
            via: 'builder',
            reason: docker
              ? `the docker driver pushes it (under ${STAGING_TAG}: this driver cannot push by digest)`
              : `the ${driver} builder pushes it by digest`
          }
    );
  }
  const builderImages = paths.filter(p => p.via === 'builder').map(p => p.image);
  return {driver, paths, builderImages, byDigest: !docker, exportLayout: builderImages.length === 0};
}

/** The --output value of a build the builder pushes: every name in one exporter, so the layers go once per registry. */
export function builderOutput(images: readonly string[], byDigest: boolean): string {
  const names = byDigest ? images : images.map(i => `${i}:${STAGING_TAG}`);
  const name = `name=${names.join(',')}`;
  const field = /[",]/.test(name) ? `"${name.replace(/"/g, '""')}"` : name;
  return [
    'type=image',
    field,
    'oci-mediatypes=true',
    ...(byDigest ? ['push-by-digest=true', 'name-canonical=true'] : []),
    'push=true'
  ].join(',');
}

/** One log line per target: which path, and why. */
export function describePaths(d: PushDecision): string[] {
  const first = d.builderImages[0];
  return d.paths.map(p =>
    p.via === 'builder'
      ? `push: ${p.image}: by the builder (${p.reason})`
      : `push: ${p.image}: uploaded by this step, ${first ? `copied from ${first}` : "from the build's OCI layout"} (${p.reason})`
  );
}

/** The build plan for a decision: BuildKit pushes to the builder's targets, or the build writes the OCI layout. */
export function withPushDecision(bp: BuildPlan, d: PushDecision, layout: string): BuildPlan {
  return d.exportLayout
    ? {...bp, ociLayout: layout, pushOutput: ''}
    : {...bp, ociLayout: '', pushOutput: builderOutput(d.builderImages, d.byDigest)};
}
