/** The workflow's OIDC token, asked of the runner (ACTIONS_ID_TOKEN_REQUEST_URL / _TOKEN), for keyless signing. */
import {request} from 'undici';
import {policyDispatcher} from '../registry/transport';
import {PhaseError} from '../errors';

type Env = Record<string, string | undefined>;

export function oidcAvailable(env: Env): boolean {
  return !!env['ACTIONS_ID_TOKEN_REQUEST_URL'] && !!env['ACTIONS_ID_TOKEN_REQUEST_TOKEN'];
}

export interface IdToken {
  token: string;
  issuer: string;
  /** the workflow identity Fulcio puts in the certificate (https://github.com/owner/repo/.github/workflows/x.yml@ref) */
  identity: string;
}

export function tokenClaims(token: string): Record<string, unknown> {
  try {
    return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

export async function requestIdToken(env: Env, audience = 'sigstore'): Promise<IdToken> {
  if (!oidcAvailable(env)) {
    throw new PhaseError(
      'sign',
      'sign: keyless signing needs the workflow OIDC token, and this job cannot request one: add `permissions: id-token: write` to the job (pull requests from forks never get one).'
    );
  }
  const url = new URL(env['ACTIONS_ID_TOKEN_REQUEST_URL'] ?? '');
  url.searchParams.set('audience', audience);
  const res = await request(url, {
    headers: {
      authorization: `Bearer ${env['ACTIONS_ID_TOKEN_REQUEST_TOKEN']}`,
      accept: 'application/json',
      'user-agent': 'publish-image'
    },
    headersTimeout: 15_000,
    dispatcher: policyDispatcher(env)
  });
  const text = await res.body.text();
  if (res.statusCode !== 200)
    throw new PhaseError(
      'sign',
      `sign: the runner refused an OIDC token (${res.statusCode}); check \`permissions: id-token: write\`.`
    );
  const value = (JSON.parse(text) as {value?: string}).value ?? '';
  if (!value) throw new PhaseError('sign', 'sign: the runner answered without an OIDC token');
  const claims = tokenClaims(value);
  const server = (env['GITHUB_SERVER_URL'] || 'https://github.com').replace(/\/+$/, '');
  const ref =
    typeof claims['job_workflow_ref'] === 'string' ? claims['job_workflow_ref'] : (env['GITHUB_WORKFLOW_REF'] ?? '');
  return {
    token: value,
    issuer: typeof claims['iss'] === 'string' ? claims['iss'] : 'https://token.actions.githubusercontent.com',
    identity: `${server}/${ref}`
  };
}

/**
 * The identity token for keyless signing: asked of the GitHub runner, or read from SIGSTORE_ID_TOKEN (GitLab's
 * `id_tokens:` with `aud: sigstore`, or any CI that mints one). The certificate identity is the token's own:
 * GitHub's job_workflow_ref, GitLab's ci_config_ref_uri, else its subject.
 */
export async function identityToken(source: 'github-oidc' | 'env-token' | 'none', env: Env): Promise<IdToken> {
  if (source === 'github-oidc' || source === 'none') return requestIdToken(env);
  const token = (env['SIGSTORE_ID_TOKEN'] ?? '').trim();
  const claims = tokenClaims(token);
  const iss = typeof claims['iss'] === 'string' ? claims['iss'] : '';
  if (!token || !iss)
    throw new PhaseError(
      'sign',
      'sign: SIGSTORE_ID_TOKEN is not an OIDC token (no issuer); in GitLab CI declare it with `id_tokens: SIGSTORE_ID_TOKEN: {aud: sigstore}`.'
    );
  const configRef = claims['ci_config_ref_uri'];
  const identity =
    typeof configRef === 'string' ? `https://${configRef}` : typeof claims['sub'] === 'string' ? claims['sub'] : '';
  return {token, issuer: iss, identity};
}
