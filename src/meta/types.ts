/**
 * Types of the metadata engine: the docker/metadata-action compatible rules that turn git context and the
 * `images` / `tags` / `flavor` / `labels` / `annotations` inputs into image references, labels and annotations.
 * Everything in src/meta is pure: the clock, the repository facts and the commit date are passed in.
 */

/** The list inputs, already split into entries (see src/input-list.ts). */
export interface MetaInputs {
  images: string[];
  tags: string[];
  flavor: string[];
  labels: string[];
  annotations: string[];
}

/** What the runner tells us about the triggering event, after metadata-action's own overrides. */
export interface GitContext {
  eventName: string;
  /** e.g. refs/tags/v1.2.3, refs/heads/main, refs/pull/7/merge ('' when unknown) */
  ref: string;
  /** full commit sha ('' when unknown) */
  sha: string;
  /** the event payload (GITHUB_EVENT_PATH), {} when absent */
  payload: Record<string, unknown>;
  /** owner/name from GITHUB_REPOSITORY ('' when unknown) */
  repository: string;
}

/** Repository facts from the GitHub REST API (GET /repos/{owner}/{repo}); every field may be missing. */
export interface RepoFacts {
  name?: string;
  description?: string | null;
  html_url?: string;
  default_branch?: string;
  license?: {spdx_id?: string | null} | null;
}

/** Knobs metadata-action reads from the environment (DOCKER_METADATA_*). */
export interface MetaOptions {
  /** DOCKER_METADATA_SHORT_SHA_LENGTH, default 7 */
  shortShaLength: number;
  /** DOCKER_METADATA_ANNOTATIONS_LEVELS split on ',', default ['manifest'] */
  annotationLevels: string[];
}

export interface Version {
  /** undefined when no tag rule produced a value */
  main?: string;
  partial: string[];
  latest: boolean;
}

export interface Metadata {
  version: Version;
  /** enabled image names, lower-cased, in input order */
  images: string[];
  /** full references (image:tag) per image in input order; bare tag names when there are no images */
  tags: string[];
  /** tag names without image: main, partials, latest */
  tagNames: string[];
  /** key=value, sorted as metadata-action sorts them */
  labels: string[];
  /** level:key=value for every level, level-major */
  annotations: string[];
  /** metadata-action's `json` output object */
  json: {tags: string[]; 'tag-names': string[]; labels: Record<string, string>; annotations: string[]};
  /** non-fatal notes the caller should log with core.warning (e.g. a semver rule that did not match) */
  warnings: string[];
}
