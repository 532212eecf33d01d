/**
 * The run plan: everything a run will do, decided before anything runs, from the configuration, the context and
 * the metadata. `dry-run` prints it (src/plan/describe.ts) and src/run/execute.ts carries it out, so what is
 * printed is what runs. Secret values never sit in the plan itself: they are in its Vault, which prints and
 * serialises as nothing.
 */
import {Config, Source} from '../config/inputs';
import {CiKind} from '../context/types';
import {Metadata} from '../meta/types';
import {Repository} from '../reference';
import {BuildPlan} from '../tools/buildx/buildx';
import {SignMode, SignOptions} from '../tools/cosign/cosign';
import {PushDecision} from './datapath';
import {MatrixLeg} from './matrix';

export type Mode = Config['mode'];

/** One image the run publishes to: the name as the metadata engine gives it, and its parsed repository. */
export interface Target {
  /** the image name as the metadata engine gives it (lower-cased, user's spelling of the registry) */
  image: string;
  repo: Repository;
}

/** A registry the run talks to, and how: who logs in (never the password), its CA, plain HTTP. */
export interface LoginPlan {
  registry: string;
  /** '' = anonymous */
  username: string;
  /** where the credential comes from, for the log: the inputs, a registry-auth entry, github-token */
  from: string;
  /** a CA was given for it (ca-cert or the entry's ca-cert): trusted by the daemon and this step */
  caFile: string;
  /** Docker's rule: loopback or insecure-registries, with no CA given, may speak plain HTTP */
  plainHttp: boolean;
}

/** The secret values a run needs, kept out of the plan's printable part. */
export class Vault {
  readonly #passwords = new Map<string, string>();
  readonly #caCerts = new Map<string, string>();
  readonly #files = new Map<string, string>();
  #cosign = {key: '', password: ''};

  setPassword(registry: string, password: string): void {
    this.#passwords.set(registry, password);
  }
  password(registry: string): string {
    return this.#passwords.get(registry) ?? '';
  }
  setCaCert(registry: string, pem: string): void {
    this.#caCerts.set(registry, pem);
  }
  caCert(registry: string): string {
    return this.#caCerts.get(registry) ?? '';
  }
  /** files holding secrets (build secrets), written 0600 before the build */
  setFile(path: string, value: string): void {
    this.#files.set(path, value);
  }
  files(): [string, string][] {
    return [...this.#files.entries()];
  }
  setCosign(key: string, password: string): void {
    this.#cosign = {key, password};
  }
  get cosignKey(): string {
    return this.#cosign.key;
  }
  get cosignPassword(): string {
    return this.#cosign.password;
  }
  /** every value, for masking */
  values(): string[] {
    return [...this.#passwords.values(), ...this.#files.values(), this.#cosign.key, this.#cosign.password].filter(
      v => v !== ''
    );
  }
  toJSON(): string {
    return '[vault]';
  }
}

/** What signing will do: the mode and why, and each repository's `cosign sign` argv (digest filled in at run time). */
export interface SignPlan {
  mode: SignMode;
  /** why this mode (sign: auto decides) */
  reason: string;
  /** the options every signature shares; per-repository CA and plain HTTP are in `repos` */
  options: Omit<SignOptions, 'plainHttp' | 'caFile'>;
  /** sign each platform's manifest too (sign-platforms) */
  platforms: boolean;
  /** one entry per repository: cosign runs once per repository */
  repos: {image: string; registry: string; options: SignOptions}[];
  /** cosign-version as given ('' = cosign on PATH); a range is met by PATH's cosign or the pinned release */
  cosignVersion: string;
  cosignReleaseUrl: string;
  /** keyless: where the identity token is had, and the file it is written to */
  identity: 'github-oidc' | 'env-token' | 'none';
}

export interface Plan {
  mode: Mode;
  dryRun: boolean;
  ci: CiKind;
  /** tags, labels, annotations, version */
  meta: Metadata;
  /** metadata-action's outputs, known now (digests come at run time) */
  metaOutputs: Record<string, string>;
  /** DOCKER_METADATA_OUTPUT_* variables (GitHub host) */
  metaEnv: Record<string, string>;
  targets: Target[];
  /** one per registry of the targets (and of registry-auth) */
  logins: LoginPlan[];
  /** the run pushes (publish with push, build, merge, promote) */
  pushing: boolean;
  /** the run builds (publish, build) */
  building: boolean;
  /** the build (publish, build) */
  build?: {plan: BuildPlan; argv: string[]};
  /**
   * how the bytes reach the registries: decided here for the driver the plan assumes (docker, buildx's default,
   * unless `builder` names another), and again by execute for the driver preflight detects (src/plan/datapath.ts)
   */
  push?: {layout: string; decision: PushDecision; assumedDriver: boolean};
  /** mode merge: the index's annotations (key=value of the index level) */
  merge?: {stagingPrefix: string; annotations: Record<string, string>};
  promote?: Source;
  /** mode build: the leg's platform, staged under a record */
  stage?: {platform: string; stagingPrefix: string};
  /** mode plan: the job matrix */
  matrix?: {include: MatrixLeg[]};
  sign?: SignPlan;
  /** checks run per repository after the push and signing, before any tag moves (scan first, then the command) */
  gate?: GatePlan;
  /** mode prune: the retention rules applied to every target repository */
  prune?: RetentionPlan;
  /** tag names moved to the digest, in every target */
  tags: string[];
  ifExists: Config['ifExists'];
  /** what preflight asks before anything is built, in words */
  checks: string[];
  /** one line per decision the plan made */
  notes: string[];
  /** plan-time notices (e.g. no tag rule matched) */
  notices: string[];
  /** the step's working directory (secrets, layout, CA files, token file): removed at the end */
  workDir: string;
  /** the step's own Docker config directory (kept for later steps with logout: false) */
  dockerConfig: string;
  /** the job's Docker config, where earlier steps' logins are ('' = none) */
  jobDockerConfig: string;
  logout: boolean;
  retries: number;
  insecure: string[];
  platforms: string[];
  run: {id: string; attempt: string};
  /** why nothing is pushed, when nothing is ('' when pushing) */
  notPushedReason: string;
  vault: Vault;
}

export interface GatePlan {
  /** the user's `sh -c` command ('' = none) */
  command: string;
  /** trivy, or '' */
  scan: '' | 'trivy';
  severity: string[];
}

export interface RetentionPlan {
  match: RegExp;
  keep: number;
  /** only matching tags older than this (ms) may go */
  olderThanMs?: number;
  /** prune-older-than as written ('' = no age limit) */
  olderThan: string;
}
