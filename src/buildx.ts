/**
 * `docker buildx build`: the argument list is built by a pure function from the plan, then run once. With push,
 * the image is written as an OCI layout (every platform, by digest) and publish.ts pushes it to every target
 * repository through the Registry API: one build for any number of registries, no tag moved by the build, and
 * it works with every buildx driver (the docker driver cannot push by digest).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {Runner} from './exec';

export interface BuildPlan {
  context: string;
  file: string;
  platforms: string[];
  buildArgs: string[];
  labels: string[];
  builder: string;
  /** write the image as an OCI layout directory here, for publish.ts to push ('' = not pushing) */
  ociLayout: string;
  /** when not pushing: tags to load locally */
  localTags: string[];
  metadataFile: string;
  iidFile: string;
}

/** One CSV field of an --output value: quoted when it holds a comma or a quote. */
function csvField(s: string): string {
  return /[",]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function buildArgs(plan: BuildPlan): string[] {
  const args = ['buildx', 'build'];
  if (plan.builder) args.push('--builder', plan.builder);
  if (plan.file) args.push('--file', plan.file);
  if (plan.platforms.length) args.push('--platform', plan.platforms.join(','));
  for (const a of plan.buildArgs) args.push('--build-arg', a);
  for (const l of plan.labels) args.push('--label', l);
  if (plan.ociLayout) {
    args.push('--output', `type=oci,${csvField(`dest=${plan.ociLayout}`)},tar=false`);
  } else {
    for (const t of plan.localTags) args.push('--tag', t);
  }
  args.push('--metadata-file', plan.metadataFile, '--iidfile', plan.iidFile);
  args.push(plan.context);
  return args;
}

export interface BuildResult {
  /** index or manifest digest of the image written to the OCI layout ('' when not pushing) */
  digest: string;
  imageId: string;
  metadata: Record<string, unknown>;
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
  if (/denied|unauthorized/i.test(output))
    return 'The registry refused the push: check that the account may push to every repository in images.';
  return '';
}

export async function runBuild(runner: Runner, plan: BuildPlan, env: Record<string, string>): Promise<BuildResult> {
  fs.mkdirSync(path.dirname(plan.metadataFile), {recursive: true});
  await runner.run('docker', buildArgs(plan), {env, stream: true, hint: buildHint});
  const metadata = parseMetadata(fs.existsSync(plan.metadataFile) ? fs.readFileSync(plan.metadataFile, 'utf8') : '');
  const imageId = fs.existsSync(plan.iidFile) ? fs.readFileSync(plan.iidFile, 'utf8').trim() : '';
  return {digest: plan.ociLayout ? digestFromMetadata(metadata) : '', imageId, metadata};
}
