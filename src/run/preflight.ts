/**
 * Before anything is built: every image's registry has credentials (or is deliberately anonymous), and the
 * account may push to each repository. The push right is asked of the registry itself: a blob upload is opened
 * (which needs the push scope, through the registry's own auth challenge) and cancelled at once.
 */
import {PhaseError} from '../errors';
import {REGISTRY_DENIAL} from '../tools/buildx/buildx';
import {RegistryClient, RegistryError} from '../registry';
import {Repository} from '../reference';

/** who pushes to a registry (never the password) */
export type Pusher = {registry: string; username: string};

export interface PushTarget {
  image: string;
  repo: Repository;
}

/** What a refusal most likely means, for this registry and this account. */
export function pushDeniedHint(t: PushTarget, auth: Pusher | undefined, status: number, detail: string): string {
  const who = auth?.username ? `the account "${auth.username}"` : 'anonymous access';
  const where = `${t.repo.registry}/${t.repo.path}`;
  if (status === 401 && auth?.username) {
    return `${t.image}: ${t.repo.registry} did not accept the credentials of "${auth.username}" for ${where}. Check username and password (a token needs write access).`;
  }
  if (status === 401)
    return `${t.image}: ${t.repo.registry} needs credentials to push; add them with registry/username/password or registry-auth.`;
  if (status === 404 || /NAME_UNKNOWN/.test(detail)) {
    return `${t.image}: the repository ${where} does not exist and ${who} cannot create it: create it first (some registries, ECR among them, do not create repositories on push).`;
  }
  const causes: string[] = [];
  if (t.repo.registry === 'docker.io') {
    const ns = t.repo.path.split('/')[0];
    causes.push(
      `on Docker Hub the repository must be in a namespace ${who} may push to: write it as <namespace>/<name>, e.g. myteam/app (here "${ns}")`
    );
  }
  if (t.repo.registry === 'ghcr.io') {
    causes.push('on GHCR the token needs packages: write (add `permissions: packages: write` to the job)');
    causes.push(
      "the package may belong to another repository or organisation: grant this repository write access in the package's settings"
    );
    causes.push('an organisation may restrict who can create packages');
  }
  if (t.repo.registry !== 'docker.io' && t.repo.registry !== 'ghcr.io') {
    causes.push(
      `the image names no project/namespace, or the project does not exist (e.g. ${t.repo.registry}/library/${t.repo.path.split('/').pop() ?? 'app'}; Harbor, GitLab and Nexus keep repositories in projects)`
    );
  }
  causes.push(`${who} may pull but not push to ${where}`);
  causes.push('the repository may not exist and the account may not be allowed to create it');
  return `${t.image}: ${t.repo.registry} refused to let ${who} push to ${where} (${status}${detail ? ` ${detail}` : ''}). Likely causes:\n${causes.map(c => `  - ${c}`).join('\n')}`;
}

/** The hint for `denied: requested access to the resource is denied` and friends, when a push fails after all. */
export function deniedHintFromOutput(output: string, targets: readonly PushTarget[], auths: readonly Pusher[]): string {
  if (!REGISTRY_DENIAL.test(output)) return '';
  return targets
    .map(t =>
      pushDeniedHint(
        t,
        auths.find(a => a.registry === t.repo.registry),
        403,
        ''
      )
    )
    .join('\n');
}

export async function checkPushAccess(
  client: RegistryClient,
  targets: readonly PushTarget[],
  auths: readonly Pusher[],
  log: (s: string) => void
): Promise<void> {
  const seen = new Set<string>();
  for (const t of targets) {
    const key = `${t.repo.registry}/${t.repo.path}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const auth = auths.find(a => a.registry === t.repo.registry);
    try {
      await client.checkPush(t.repo);
      log(`${t.image}: ${auth?.username ? `"${auth.username}"` : 'anonymous'} may push`);
    } catch (e) {
      if (e instanceof RegistryError && (e.status === 401 || e.status === 403 || e.status === 404)) {
        throw new PhaseError('preflight', pushDeniedHint(t, auth, e.status, e.detail));
      }
      throw e;
    }
  }
}
