/**
 * plan(config, context, metadata): the whole run, decided before anything runs. Pure: no I/O, no clock, no
 * randomness (the working directory names come in with `id`). Each mode's plan is the same shape with the
 * phases it needs; problems found here are reported together, as the configuration's are.
 */
import * as path from 'node:path';
import {Config, parseSource, targetRepositories} from '../config/inputs';
import {emptyPasswords, plainHttpAllowed, RegistryAuth, resolveAuths, uncoveredImages} from '../config/registry-auth';
import {RunContext} from '../context/types';
import {ConfigError, InputError} from '../errors';
import {metadataOutputs} from '../meta/resolve';
import {Metadata} from '../meta/types';
import {apiHost, parseRepository, Repository} from '../reference';
import {BuildPlan, buildArgs, planSecrets} from '../tools/buildx/buildx';
import {isKeyUri, resolveSignMode, SignOptions} from '../tools/cosign/cosign';
import {choosePaths, withPushDecision} from './datapath';
import {planMatrix} from './matrix';
import {stagingPrefix} from './staging';
import {plainAnnotations, withoutEmptyDefaults} from '../meta/labels';
import {LoginPlan, Plan, SignPlan, Target, Vault} from './types';

export interface PlanInput {
  config: Config;
  ctx: RunContext;
  meta: Metadata;
  /** a unique name for this run's working directories (the host picks it) */
  id: string;
  /** DOCKER_METADATA_OUTPUT_* exports, computed by the caller from its environment */
  metaEnv?: Record<string, string>;
}

/** Where each credential comes from, for the log line (never its value). */
function credentialSource(a: RegistryAuth, c: Config): string {
  if (!a.username) return 'anonymous';
  if (c.registryAuthEntries.some(e => e.registry === a.registry && e.username === a.username)) return 'registry-auth';
  if (a.registry === 'ghcr.io' && !c.password && c.githubToken) return 'username + github-token';
  return 'username/password';
}

function signPlan(
  c: Config,
  ctx: RunContext,
  targets: Target[],
  logins: LoginPlan[],
  workDir: string
): SignPlan | undefined {
  const hasKey = c.cosignKey !== '';
  const identity = ctx.identity;
  const mode = resolveSignMode(c.sign, hasKey, identity !== 'none', ctx.repoPrivate);
  if (mode === 'none') return undefined;
  const reason =
    c.sign !== 'auto'
      ? `sign: ${c.sign}`
      : mode === 'key'
        ? 'sign: auto: cosign-key is given'
        : 'sign: auto: the job can mint an identity token and the repository is public';
  const keyUri = isKeyUri(c.cosignKey) ? c.cosignKey.trim() : undefined;
  const options: Omit<SignOptions, 'plainHttp' | 'caFile'> = {
    mode,
    tlogUpload: c.tlogUpload,
    annotations: c.signAnnotations,
    fulcioUrl: c.fulcioUrl || undefined,
    rekorUrl: c.rekorUrl || undefined,
    ...(mode === 'key' ? {keyUri} : {identityTokenFile: path.join(workDir, 'oidc-token')})
  };
  const byRepo = new Map(targets.map(t => [`${t.repo.registry}/${t.repo.path}`, t]));
  return {
    mode,
    reason,
    options,
    platforms: c.signPlatforms,
    repos: [...byRepo.values()].map(t => {
      const l = logins.find(x => x.registry === t.repo.registry);
      // cosign gets the trust the step has for the registry (system store, certs.d, ca-cert) in one bundle file
      const privateTrust = !!l?.caFile || (ctx.certsDirs ?? []).includes(apiHost(t.repo.registry));
      const trustFile = path.join(workDir, `trust-${t.repo.registry.replace(/[^a-z0-9.-]/gi, '_')}.crt`);
      return {
        image: t.image,
        registry: t.repo.registry,
        options: {...options, plainHttp: l?.plainHttp ?? false, caFile: privateTrust ? trustFile : undefined}
      };
    }),
    cosignVersion: c.cosignVersion,
    cosignReleaseUrl: c.cosignReleaseUrl,
    identity
  };
}

/** Why the event runs code from outside the repository with its credentials, or undefined when it does not. */
export function untrustedEvent(git: RunContext['git']): string | undefined {
  if (git.eventName === 'pull_request_target')
    return "pull_request_target (the base repository's secrets and identity, for a pull request's code)";
  if (git.eventName !== 'pull_request' && git.eventName !== 'pull_request_review') return undefined;
  const pr = git.payload['pull_request'] as
    {head?: {repo?: {full_name?: string} | null}; base?: {repo?: {full_name?: string}}} | undefined;
  const head = pr?.head?.repo?.full_name;
  const base = pr?.base?.repo?.full_name ?? git.repository;
  if (pr?.head && pr.head.repo === null) return 'a pull request from a deleted fork';
  return head && base && head.toLowerCase() !== base.toLowerCase() ? `a pull request from the fork ${head}` : undefined;
}

export function plan({config: c, ctx, meta, id, metaEnv = {}}: PlanInput): Plan {
  const errors: InputError[] = [];
  const check = <T>(fn: () => T, fallback: T): T => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof InputError) {
        errors.push(e);
        return fallback;
      }
      throw e;
    }
  };
  const workDir = path.join(ctx.tempDir, `publish-image-${id}`);
  const dockerConfig = path.join(ctx.tempDir, `publish-image-docker-${id}`);
  const repos: Repository[] = check(() => targetRepositories(meta.images), []);
  const targets: Target[] = meta.images
    .map(image => ({image, repo: parseRepository(image)}))
    .filter((t): t is Target => typeof t.repo !== 'string');
  const wantsPush = c.push || c.mode !== 'publish';
  const pruning = c.mode === 'prune';
  const pushing = wantsPush && targets.length > 0 && c.mode !== 'plan' && !pruning;
  const building = c.mode === 'publish' || c.mode === 'build';
  if (wantsPush && c.mode !== 'plan' && meta.images.length === 0)
    errors.push(
      new InputError(
        'images',
        'images: push is true but no image is enabled; list at least one image (e.g. ghcr.io/owner/app)'
      )
    );
  const before = errors.length;
  const auths = check(() => resolveAuths(c, repos), []);
  // credentials that could not be resolved are reported once, not again as missing
  if (pushing && errors.length === before) {
    errors.push(...emptyPasswords(auths, c.registryAuth));
    // a registry logged in to by an earlier step (the job's Docker config) is covered as docker push would find it
    const job = ctx.dockerLogins;
    const missing = uncoveredImages(targets, auths).filter(m => !job?.registries[m.registry] && !job?.credsStore);
    if (missing.length)
      errors.push(
        new InputError(
          'registry-auth',
          missing.map(m => `images: no credentials for ${m.registry} (image ${m.image})`).join('\n') +
            "\nAdd them with registry/username/password or a registry-auth entry, or log in earlier in the job (docker/login-action; the job's Docker config is used as docker push uses it); an entry with no username (`- registry: <host>`) pushes anonymously."
        )
      );
  }
  // code from outside the repository, run with its secrets or identity: no push, no signature, unless opted in
  const untrusted = untrustedEvent(ctx.git);
  if (untrusted && pushing && !c.allowUntrustedEvents)
    errors.push(
      new InputError(
        'allow-untrusted-events',
        `allow-untrusted-events: this run is ${untrusted}: the code it builds may come from outside the repository, and pushing and signing it would use the repository's credentials, so nothing is pushed or signed. Set push: false for pull requests (push: \${{ github.event_name == 'push' }}), or allow-untrusted-events: true for a workflow that never builds the pull request's code`
      )
    );
  // a release with no tag is no release: only a build leg pushes untagged on purpose
  if (pushing && c.mode !== 'build' && meta.tagNames.length === 0)
    errors.push(
      new InputError(
        'tags',
        `tags: no tag rule gives a tag for this event (${ctx.git.eventName || 'no event'} ${ctx.git.ref || 'with no ref'}), so the image would be pushed untagged; add a rule that matches it (e.g. type=sha or type=ref,event=branch), or set push: false for this event`
      )
    );
  if (errors.length) throw new ConfigError(errors);

  const imageAnnotations = withoutEmptyDefaults(meta.annotations, c.annotations);
  const vault = new Vault();
  vault.setCosign(c.cosignKey, c.cosignPassword);
  // not pushing (e.g. a pull request from a fork, which gets no secrets): a login with no password is left out
  const usable = auths.filter(a => !(a.username && !a.password));
  const logins: LoginPlan[] = usable.map((a, i) => {
    if (a.password) vault.setPassword(a.registry, a.password);
    if (a.caCert) vault.setCaCert(a.registry, a.caCert);
    return {
      registry: a.registry,
      username: a.username,
      from: credentialSource(a, c),
      caFile: a.caCert ? path.join(workDir, `ca-${i}.crt`) : '',
      plainHttp: plainHttpAllowed(a.registry, c.insecureHosts) && !a.caCert
    };
  });
  // registries of the targets that no login names (pushing: false): still talked to the docker way
  const notes: string[] = [];
  const notices: string[] = [];
  for (const a of auths)
    if (!usable.includes(a))
      notes.push(`${a.registry}: the password of ${a.username} is empty; not pushing, so not logging in there`);
  const given = new Set(auths.map(a => a.registry));
  for (const r of new Set(targets.map(t => t.repo.registry))) {
    if (given.has(r)) continue;
    const kept =
      ctx.dockerLogins?.registries[r] ??
      (ctx.dockerLogins?.credsStore ? `credsStore: ${ctx.dockerLogins.credsStore}` : '');
    if (kept) notes.push(`${r}: credentials from the job's Docker config (${kept}), as docker push would use them`);
  }
  const run = ctx.run;
  const out: Plan = {
    mode: c.mode,
    dryRun: c.dryRun,
    ci: ctx.ci,
    meta,
    metaOutputs: metadataOutputs(meta, {tags: c.sepTags, labels: c.sepLabels, annotations: c.sepAnnotations}),
    metaEnv,
    targets,
    logins,
    pushing,
    building,
    tags: meta.tagNames,
    ifExists: c.ifExists,
    checks: [],
    notes,
    notices,
    workDir,
    dockerConfig,
    jobDockerConfig: ctx.dockerLogins?.file ?? '',
    logout: c.logout,
    retries: c.retries,
    insecure: c.insecureHosts,
    platforms: c.platforms,
    run,
    notPushedReason: pushing
      ? ''
      : c.mode === 'plan' || pruning
        ? `mode ${c.mode}`
        : c.push
          ? 'no image is enabled'
          : 'push is false',
    vault
  };

  if (c.mode === 'plan') {
    out.matrix = planMatrix(c.platforms, c.runnerLabels);
    return out;
  }
  if (pruning && c.pruneMatchRe) {
    out.prune = {
      match: c.pruneMatchRe,
      keep: c.pruneKeep,
      olderThanMs: c.pruneOlderThanMs,
      olderThan: c.pruneOlderThan
    };
    for (const l of logins)
      if (l.username)
        out.checks.push(`${l.registry}: credentials of ${l.username} (${l.from}) tried against the registry`);
    return out;
  }

  if (building) {
    const secrets = planSecrets(c.secrets, c.secretEnvs, c.secretFiles, workDir);
    for (const f of secrets.files) vault.setFile(f.path, f.value);
    const layout = path.join(workDir, 'oci-layout');
    const bp: BuildPlan = {
      context: c.context,
      file: c.file,
      platforms: c.platforms,
      buildArgs: c.buildArgs,
      buildContexts: c.buildContexts,
      secrets: secrets.args,
      ssh: c.ssh,
      target: c.target,
      cacheFrom: c.cacheFrom,
      cacheTo: c.cacheTo,
      noCache: c.noCache,
      noCacheFilters: c.noCacheFilters,
      pull: c.pull,
      provenance: c.provenance,
      sbom: c.sbom,
      attests: c.attests,
      annotations: imageAnnotations,
      labels: withoutEmptyDefaults(meta.labels, c.labels),
      outputs: c.outputs,
      network: c.network,
      addHosts: c.addHosts,
      shmSize: c.shmSize,
      ulimit: c.ulimit,
      builder: c.builder,
      ociLayout: '',
      load: c.load,
      localTags: pushing && !c.load ? [] : meta.tags,
      metadataFile: path.join(workDir, 'metadata.json'),
      iidFile: path.join(workDir, 'iid.txt')
    };
    if (pushing) {
      const decision = choosePaths(targets, logins, c.insecureHosts, 'docker');
      out.push = {layout, decision, assumedDriver: true};
      const planned = withPushDecision(bp, decision, layout);
      out.build = {plan: planned, argv: buildArgs(planned)};
    } else out.build = {plan: bp, argv: buildArgs(bp)};
  }
  if (c.mode === 'build')
    out.stage = {platform: c.platforms[0] ?? '', stagingPrefix: stagingPrefix(run.id, run.attempt)};
  if (c.mode === 'merge')
    out.merge = {stagingPrefix: stagingPrefix(run.id, run.attempt), annotations: plainAnnotations(imageAnnotations)};
  if (c.mode === 'promote') out.promote = parseSource(c.source);

  if (pushing && c.mode !== 'build' && (c.gate || c.scan))
    out.gate = {command: c.gate, scan: c.scan, severity: c.scanSeverity};
  if (pushing) {
    // a build leg signs its digest too (bound to the run and its platform): the merge trusts no record without it
    out.sign = signPlan(c, ctx, targets, logins, workDir);
    if (!out.sign && c.sign === 'auto' && ctx.identity !== 'none')
      notes.push('sign: auto: not signing keyless, as the repository is not public (set sign: keyless to sign anyway)');
  }

  // what preflight asks, in the order it asks
  for (const l of logins) {
    if (l.caFile) out.checks.push(`${l.registry}: trust the CA from ca-cert (daemon and this step)`);
    out.checks.push(
      l.username
        ? `${l.registry}: credentials of ${l.username} (${l.from}) tried against the registry, then stored in the step's Docker config`
        : `${l.registry}: anonymous`
    );
  }
  if (pushing) for (const t of targets) out.checks.push(`${t.image}: push right asked of the registry`);
  if (out.sign)
    out.checks.push(
      out.sign.mode === 'key'
        ? 'sign: the key opens with cosign-password (cosign public-key)'
        : `sign: keyless: identity token from ${out.sign.identity === 'github-oidc' ? "the runner's OIDC endpoint" : 'SIGSTORE_ID_TOKEN'}`
    );
  if (out.gate?.scan) out.checks.push('scan: trivy is on PATH');
  if (building) out.checks.push('buildx: version supports every input given');
  if (pushing && c.ifExists !== 'overwrite' && meta.version.main)
    out.checks.push(`if-exists: ${c.ifExists}: is ${meta.version.main} already in a target`);

  const registries = [...new Set(targets.map(t => t.repo.registry))];
  notes.unshift(
    `plan: mode ${c.mode}, ${registries.length} ${registries.length === 1 ? 'registry' : 'registries'}, ${meta.tagNames.length} tags, ` +
      `${c.platforms.length || 1} platform(s) (${c.platforms.join(', ') || "the builder's"}), ` +
      `push: ${pushing ? 'yes' : 'no'}, sign: ${out.sign ? out.sign.mode : 'no'}${c.dryRun ? ', dry run' : ''}`
  );
  return out;
}
