/**
 * Staging records of mode: build, kept in the registry itself: a tiny OCI manifest per leg, tagged
 * `pi-stage-<run id>-<attempt>-<platform>` in every target repository, whose annotations say which digest the leg
 * pushed for which platform. The merge of the same run and attempt finds them by tag, and deletes them by digest
 * (each record is unique, so deleting it removes nothing else). Pure: building and reading records.
 */
import {sha256} from '../registry';
import {platformSlug} from './matrix';

export const RECORD_ARTIFACT_TYPE = 'application/vnd.publish-image.staging.v1';
export const EMPTY_JSON = Buffer.from('{}');
export const EMPTY_DESCRIPTOR = {mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(EMPTY_JSON), size: 2};
const A = 'dev.publish-image.staging';

export interface StagingRecord {
  run: string;
  platform: string;
  /** what the leg pushed (an index or a manifest) */
  digest: string;
  mediaType: string;
}

/**
 * The annotations a build leg signs its digest with, and the merge checks (cosign verify -a): a record only the
 * holder of the signing key (or the workflow's keyless identity) could have made, for this run, attempt and platform.
 */
export function legSignatureAnnotations(run: string, platform: string): string[] {
  return [`${A}.run=${run}`, `${A}.platform=${platform}`];
}

/** `pi-stage-<run>-<attempt>-` */
export function stagingPrefix(runId: string, attempt: string): string {
  return `pi-stage-${runId}-${attempt}-`;
}

export function stagingTag(runId: string, attempt: string, platform: string): string {
  return `${stagingPrefix(runId, attempt)}${platformSlug(platform)}`;
}

export function recordManifest(r: StagingRecord): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: RECORD_ARTIFACT_TYPE,
      config: EMPTY_DESCRIPTOR,
      layers: [EMPTY_DESCRIPTOR],
      annotations: {
        [`${A}.run`]: r.run,
        [`${A}.platform`]: r.platform,
        [`${A}.digest`]: r.digest,
        [`${A}.media-type`]: r.mediaType
      }
    })
  );
}

export function parseRecord(body: Buffer): StagingRecord | undefined {
  try {
    const j = JSON.parse(body.toString('utf8')) as {annotations?: Record<string, string>};
    const a = j.annotations ?? {};
    const [run, platform, digest, mediaType] = [
      a[`${A}.run`],
      a[`${A}.platform`],
      a[`${A}.digest`],
      a[`${A}.media-type`]
    ];
    if (!run || !platform || !digest || !mediaType) return undefined;
    return {run, platform, digest, mediaType};
  } catch {
    return undefined;
  }
}

export interface IndexEntryJson {
  mediaType: string;
  digest: string;
  size: number;
  platform?: {os: string; architecture: string; variant?: string};
  annotations?: Record<string, string>;
}

/** The merged index: every leg's manifests (and their attestations), with index annotations. */
export function mergedIndex(entries: readonly IndexEntryJson[], annotations: Record<string, string>): Buffer {
  const doc: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: entries
  };
  if (Object.keys(annotations).length) doc['annotations'] = annotations;
  return Buffer.from(JSON.stringify(doc));
}
