/** The edge of the metadata engine: payload, GitHub API facts, the clock; and the outputs it produces. */
import {commitDateFromPayload, metaOptionsFromEnv, readEventPayload, resolveGitContext} from './context';
import {errorMessage, InputError} from './errors';
import {fetchCommitDate, fetchRepoFacts} from './github-api';
import {computeMetadata} from './meta/engine';
import {Metadata, MetaInputs, RepoFacts} from './meta/types';

type Env = Record<string, string | undefined>;

/** "Now": SOURCE_DATE_EPOCH (reproducible builds) when set, else the clock. */
export function nowFromEnv(env: Env): Date {
  const raw = env['SOURCE_DATE_EPOCH'];
  if (raw === undefined || raw.trim() === '') return new Date();
  if (!/^\d+$/.test(raw.trim()))
    throw new InputError('SOURCE_DATE_EPOCH', `SOURCE_DATE_EPOCH: "${raw}" is not a number of seconds since 1970`);
  return new Date(Number(raw.trim()) * 1000);
}

export async function resolveMetadata(a: {
  inputs: MetaInputs;
  env: Env;
  githubToken: string;
  now: Date;
}): Promise<Metadata> {
  const {env} = a;
  const opts = metaOptionsFromEnv(env);
  const ctx = resolveGitContext(env, readEventPayload(env['GITHUB_EVENT_PATH']));
  const api = {
    apiUrl: env['GITHUB_API_URL'] || 'https://api.github.com',
    repository: ctx.repository,
    token: a.githubToken
  };
  const warnings: string[] = [];
  let repo: RepoFacts = {};
  let commitDate = commitDateFromPayload(ctx);
  if (ctx.repository) {
    const [r, c] = await Promise.allSettled([
      fetchRepoFacts(api),
      commitDate || !ctx.sha ? Promise.resolve(commitDate) : fetchCommitDate(api, ctx.sha)
    ]);
    if (r.status === 'fulfilled') repo = r.value;
    else
      warnings.push(
        `could not read repository facts from ${api.apiUrl} (${errorMessage(r.reason)}); continuing without the title, description, url and licenses labels`
      );
    if (c.status === 'fulfilled') commitDate = c.value;
  }
  const meta = computeMetadata(a.inputs, ctx, repo, {now: a.now, commitDate: commitDate ?? a.now}, opts);
  meta.warnings.unshift(...warnings);
  return meta;
}

/** The outputs metadata-action sets, under the same names. */
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

/** DOCKER_METADATA_OUTPUT_<NAME> for each output, unless DOCKER_METADATA_SET_OUTPUT_ENV is false. */
export function metadataEnvExports(outputs: Record<string, string>, env: Env): Record<string, string> {
  const raw = env['DOCKER_METADATA_SET_OUTPUT_ENV'];
  let enabled = true;
  if (raw !== undefined && raw !== '') {
    if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(raw)) enabled = true;
    else if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(raw)) enabled = false;
    else
      throw new InputError(
        'DOCKER_METADATA_SET_OUTPUT_ENV',
        `DOCKER_METADATA_SET_OUTPUT_ENV: "${raw}" is not a boolean; write true or false`
      );
  }
  if (!enabled) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(outputs))
    out[`DOCKER_METADATA_OUTPUT_${k.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`] = v;
  return out;
}
