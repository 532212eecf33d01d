/**
 * The edge of the metadata engine: the event payload, the GitHub API facts, the clock; and the outputs it produces
 * (docker/metadata-action's `version`, `tags`, `tag-names`, `labels`, `annotations`, `json`).
 */
import {commitDateFromPayload, metaOptionsFromEnv, readEventPayload, resolveGitContext} from '../context/github';
import {errorMessage, InputError} from '../errors';
import {DEFAULT_API_URL, fetchCommitDate, fetchRepoFacts, proxyDispatcher} from '../context/github-api';
import {computeMetadata} from './engine';
import {parseFlavor} from './flavor';
import {parseImages} from './images';
import {parseTags} from './tags';
import {Metadata, MetaInputs, RepoFacts} from './types';
import type {Dispatcher} from 'undici';

type Env = Record<string, string | undefined>;

/** "Now": SOURCE_DATE_EPOCH (whole seconds, as reproducible-build tools set it) when set, else the clock. */
export function nowFromEnv(env: Env): Date {
  const raw = (env['SOURCE_DATE_EPOCH'] ?? '').trim();
  if (raw === '') return new Date();
  const d = /^\d+$/.test(raw) ? new Date(Number(raw) * 1000) : undefined;
  if (!d || isNaN(d.getTime()))
    throw new InputError(
      'SOURCE_DATE_EPOCH',
      `SOURCE_DATE_EPOCH: "${raw}" is not a whole number of seconds since 1970-01-01T00:00:00Z, e.g. 1578616200`
    );
  return d;
}

/** Whether any rule, flavor, label or annotation uses {{commit_date}} (the only use of the commit's date). */
export function usesCommitDate(inputs: MetaInputs): boolean {
  return [inputs.tags, inputs.flavor, inputs.labels, inputs.annotations].some(list =>
    list.some(s => s.includes('commit_date'))
  );
}

/**
 * Everything metadata-action computes, for this run. The repository facts come from the API
 * (GET /repos/{owner}/{repo}, skipped without GITHUB_REPOSITORY); the commit date from the payload, else the
 * API (asked only when a template uses {{commit_date}}), else now. An API failure is a warning, not an error.
 */
export async function resolveMetadata(args: {
  inputs: MetaInputs;
  env: Env;
  githubToken: string;
  now: Date;
  /** for tests: the HTTP dispatcher (default: proxy-aware, from env) */
  dispatcher?: Dispatcher;
}): Promise<Metadata> {
  const {env, inputs, now} = args;
  // configuration errors first, before any request
  const opts = metaOptionsFromEnv(env);
  parseFlavor(inputs.flavor);
  parseTags(inputs.tags);
  parseImages(inputs.images);

  const ctx = resolveGitContext(env, readEventPayload(env['GITHUB_EVENT_PATH']));
  const apiUrl = env['GITHUB_API_URL'] || DEFAULT_API_URL;
  const warnings: string[] = [];
  let repo: RepoFacts = {};
  let commitDate = commitDateFromPayload(ctx);
  if (ctx.repository) {
    const dispatcher = args.dispatcher ?? proxyDispatcher(env);
    const api = {apiUrl, repository: ctx.repository, token: args.githubToken, dispatcher};
    const askCommit = commitDate === undefined && ctx.sha !== '' && usesCommitDate(inputs);
    try {
      const [r, c] = await Promise.allSettled([
        fetchRepoFacts(api),
        askCommit ? fetchCommitDate({...api, sha: ctx.sha}) : Promise.resolve(undefined)
      ]);
      if (r.status === 'fulfilled') repo = r.value;
      else
        warnings.push(
          `could not read repository facts from GITHUB_API_URL (${apiUrl}): ${errorMessage(r.reason)}; ` +
            'continuing without the title, description, url, source and licenses labels ' +
            '(and without the default branch that type=edge uses when it has no branch=)'
        );
      if (c.status === 'fulfilled') commitDate ??= c.value;
      else
        warnings.push(
          `could not read the date of commit ${ctx.sha} from GITHUB_API_URL (${apiUrl}): ${errorMessage(c.reason)}; ` +
            '{{commit_date}} uses the current time'
        );
    } finally {
      if (!args.dispatcher) await dispatcher.close();
    }
  }
  const meta = computeMetadata(inputs, ctx, repo, {now, commitDate: commitDate ?? now}, opts);
  meta.warnings.unshift(...warnings);
  return meta;
}

/** The outputs metadata-action sets, under the same names and with the same values (SPEC §8, no bake files). */
export function metadataOutputs(
  meta: Metadata,
  sep: {tags: string; labels: string; annotations: string}
): Record<string, string> {
  return {
    version: meta.version.main ?? '',
    tags: meta.tags.join(sep.tags),
    'tag-names': meta.tagNames.join(sep.tags),
    labels: meta.labels.join(sep.labels),
    annotations: meta.annotations.join(sep.annotations),
    json: JSON.stringify(meta.json)
  };
}

const TRUE = ['1', 't', 'T', 'true', 'TRUE', 'True'];
const FALSE = ['0', 'f', 'F', 'false', 'FALSE', 'False'];

/**
 * DOCKER_METADATA_OUTPUT_<NAME> for each output (name upper-cased, other characters than letters, digits and _
 * become _), unless DOCKER_METADATA_SET_OUTPUT_ENV is false (read as Go's ParseBool, as upstream; unset or empty:
 * true).
 */
export function metadataEnvExports(outputs: Record<string, string>, env: Env): Record<string, string> {
  const raw = env['DOCKER_METADATA_SET_OUTPUT_ENV'];
  if (raw) {
    if (FALSE.includes(raw)) return {};
    if (!TRUE.includes(raw))
      throw new InputError(
        'DOCKER_METADATA_SET_OUTPUT_ENV',
        `DOCKER_METADATA_SET_OUTPUT_ENV: "${raw}" is not a boolean; write true or false (or 1, 0, t, f, TRUE, FALSE)`
      );
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(outputs))
    out[`DOCKER_METADATA_OUTPUT_${k.replace(/\W/g, '_').toUpperCase()}`] = v;
  return out;
}
