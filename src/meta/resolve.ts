/**
 * The edge of the metadata engine: the event payload, the GitHub API facts, the clock; and the outputs it produces
 * (docker/metadata-action's `version`, `tags`, `tag-names`, `labels`, `annotations`, `json`).
 */
import {githubFactsWithoutApi} from '../context/github';
import {RunContext} from '../context/types';
import {errorMessage, InputError} from '../errors';
import {fetchCommitDate, fetchRepoFacts, proxyDispatcher} from '../context/github-api';
import {computeMetadata} from './engine';
import {Metadata, MetaInputs, MetaOptions, RepoFacts} from './types';
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
 * Everything metadata-action computes, for this run. Repository facts: the context's own when its CI tells them
 * (GitLab), else the GitHub API (GET /repos/{owner}/{repo}); when the API cannot be reached, the name and web
 * address GitHub's variables give (title, url and source labels stay right). The commit date: the context's,
 * else the API (asked only when a template uses {{commit_date}}), else now. An API failure is a warning.
 */
export async function resolveMetadata(args: {
  inputs: MetaInputs;
  ctx: RunContext;
  opts: MetaOptions;
  githubToken: string;
  now: Date;
  env: Env;
  /** for tests: the HTTP dispatcher (default: proxy-aware, from env) */
  dispatcher?: Dispatcher;
}): Promise<Metadata> {
  const {env, inputs, now, ctx} = args;
  const git = ctx.git;
  const warnings: string[] = [];
  let repo: RepoFacts = ctx.facts ?? {};
  let commitDate = ctx.commitDate;
  if (!ctx.facts && ctx.apiUrl && git.repository) {
    const apiUrl = ctx.apiUrl;
    const dispatcher = args.dispatcher ?? proxyDispatcher(env);
    const api = {apiUrl, repository: git.repository, token: args.githubToken, dispatcher};
    const askCommit = commitDate === undefined && git.sha !== '' && usesCommitDate(inputs);
    try {
      const [r, c] = await Promise.allSettled([
        fetchRepoFacts(api),
        askCommit ? fetchCommitDate({...api, sha: git.sha}) : Promise.resolve(undefined)
      ]);
      if (r.status === 'fulfilled') repo = r.value;
      else {
        repo = githubFactsWithoutApi(env, git.repository);
        warnings.push(
          `could not read repository facts from GITHUB_API_URL (${apiUrl}): ${errorMessage(r.reason)}; ` +
            'the description and licenses labels are left out (title, url and source come from the runner), ' +
            'and type=edge without branch= has no default branch'
        );
      }
      if (c.status === 'fulfilled') commitDate ??= c.value;
      else
        warnings.push(
          `could not read the date of commit ${git.sha} from GITHUB_API_URL (${apiUrl}): ${errorMessage(c.reason)}; ` +
            '{{commit_date}} uses the current time'
        );
    } finally {
      if (!args.dispatcher) await dispatcher.close();
    }
  }
  const meta = computeMetadata(inputs, git, repo, {now, commitDate: commitDate ?? now}, args.opts);
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
