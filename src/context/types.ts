/** The run's context, whichever CI (or none) runs it: what the engine knows of git, the repository and the run. */
import {GitContext, RepoFacts} from '../meta/types';
import type {DockerLogins} from '../registry/credentials';

export type CiKind = 'github' | 'gitlab' | 'local';

export interface RunContext {
  ci: CiKind;
  /** event, ref, sha, payload and repository, in GitHub's terms (other CIs are mapped onto them) */
  git: GitContext;
  /** repository facts known without an API call (GitLab's CI_PROJECT_*); undefined: ask the GitHub API */
  facts?: RepoFacts;
  /** the commit's date when the CI tells it (GitLab's CI_COMMIT_TIMESTAMP, git's committer date) */
  commitDate?: Date;
  /** the GitHub API that knows the repository facts (GitHub only) */
  apiUrl?: string;
  /** the build's run: staging records of build legs are bound to it */
  run: {id: string; attempt: string};
  /** how a keyless identity token is had: the runner's OIDC endpoint, a token in SIGSTORE_ID_TOKEN, or not at all */
  identity: 'github-oidc' | 'env-token' | 'none';
  /** whether the repository is private (undefined: not known) */
  repoPrivate?: boolean;
  /** settings the CI supplies when the user gives none (GitLab: images, registry, username, password) */
  defaults: Readonly<Record<string, string>>;
  /** where the step writes its working files: RUNNER_TEMP, else the system's temporary directory */
  tempDir: string;
  /** logins already in the job's Docker config (earlier steps); undefined: none known */
  dockerLogins?: DockerLogins;
  /** registries with certificates in /etc/docker/certs.d/<host:port>/ (trusted as docker trusts them) */
  certsDirs?: readonly string[];
}
