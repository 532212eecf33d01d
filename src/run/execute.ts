/**
 * execute(plan): carries out a Plan, phase by phase, one host.group per phase and one line per decision:
 * preflight (logins, push rights, signer) -> build -> push (or merge, promote) -> stage | sign+verify -> tag ->
 * outputs. Every failure a user can fix is found before the build; a failure anywhere before the tag phase leaves
 * every tag where it was; the summary says how the run ended, failure included.
 */
import * as fs from 'node:fs';
import {CommandError, errorMessage, PhaseError} from '../errors';
import {Host} from '../hosts/host';
import {readLayout} from '../oci-layout';
import {Plan} from '../plan/types';
import {RegistryClient, RegistryError} from '../registry';
import {checkBuildxVersion, runBuild} from '../tools/buildx/buildx';
import {detectBuildx, multiPlatformProblem} from '../tools/buildx/driver';
import {choosePaths, describePaths, PushDecision, withPushDecision} from '../plan/datapath';
import * as cosign from '../tools/cosign/cosign';
import {chooseCosign} from '../tools/cosign/install';
import {
  builderContextEnv,
  createDockerConfig,
  installDaemonCA,
  loginHint,
  privateBuildxDir,
  storeLogin
} from '../tools/docker/config';
import {Runner} from '../tools/exec';
import {identityToken} from '../context/oidc';
import {cleanup, PostState} from './cleanup';
import {collectLegs, Leg, mergeLegs, promote, removeStagingRecords, writeStagingRecords} from './fanout';
import {checkPushAccess, deniedHintFromOutput} from './preflight';
import {
  CancelledError,
  checkStaged,
  distinctRepos,
  dropStagingTag,
  pointTags,
  Published,
  pushByDigest,
  Staged
} from './publish';
import {legSignatureAnnotations} from '../plan/staging';
import {humanSize, renderSummary} from './summary';
import {checkScanner, GateOutcome, renderGateSummary, runGates} from './gate';
import {pruneRepository, PruneResult, renderPruneSummary} from './prune';

type Env = Record<string, string | undefined>;

export interface Deps {
  host: Host;
  runner: Runner;
  env: Env;
  /** aborted when the run is cancelled (SIGINT/SIGTERM): no phase starts after it, the tag phase rolls back */
  signal?: AbortSignal;
}

export type Timings = [string, number][];

/** Runs one phase inside a log group and records its time. */
export async function phase<T>(host: Host, timings: Timings, name: string, fn: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  try {
    return await host.group(name, fn);
  } finally {
    timings.push([name.toLowerCase(), Date.now() - t0]);
  }
}

interface Signer {
  bin: string;
  /** which flags this cosign takes */
  generation: cosign.CosignGeneration;
  /** key mode: the public key that verifies */
  publicKey: string;
  /** keyless: the identity and issuer the certificate must carry */
  identity?: {certificateIdentity: string; certificateOidcIssuer: string};
}

/** What a run produced, for outputs and the summary. */
export interface Outcome {
  published?: Published;
  signatures: Record<string, string>;
  verifyCommands: string[];
  /** why nothing was published, or how the run ended */
  reason: string;
  /** the digest pushed (untagged until the tag phase) */
  pushed?: string;
  /** the gates run so far (also when one failed) */
  gates?: GateOutcome[];
}

export function summaryOf(
  plan: Plan,
  o: Outcome,
  timings: Timings,
  failure?: {phase: string; message: string}
): string {
  return renderSummary({
    images: plan.meta.images,
    version: plan.meta.version.main ?? '',
    tags: plan.meta.tags,
    digest: o.published?.digest ?? '',
    platformDigests: o.published?.platformDigests ?? {},
    size: o.published?.size ?? 0,
    refs: o.published?.refs ?? [],
    signatures: o.signatures,
    verifyCommands: o.verifyCommands,
    notPushedReason: o.reason,
    timings,
    dryRun: plan.dryRun,
    failure: failure && {...failure, pushed: o.pushed},
    extra: plan.gate ? renderGateSummary(o.gates ?? [], plan.gate.severity) : ''
  });
}

export async function execute(plan: Plan, {host, runner, env, signal}: Deps, timings: Timings = []): Promise<void> {
  const state: PostState = {
    dockerConfig: plan.dockerConfig,
    registries: plan.logins.filter(l => l.username).map(l => l.registry),
    logout: plan.logout,
    daemonCAs: [],
    workDir: plan.workDir
  };
  fs.mkdirSync(plan.workDir, {recursive: true, mode: 0o700});
  createDockerConfig(plan.dockerConfig, env);
  host.saveState(state);
  if (!plan.logout) host.exportVariable('DOCKER_CONFIG', plan.dockerConfig);
  const toolEnv: Record<string, string> = {
    DOCKER_CONFIG: plan.dockerConfig,
    BUILDX_CONFIG: privateBuildxDir(plan.dockerConfig),
    ...builderContextEnv(plan.dockerConfig, plan.build?.plan.builder)
  };
  for (const l of plan.logins) if (l.caFile) fs.writeFileSync(l.caFile, plan.vault.caCert(l.registry), {mode: 0o600});
  const client = new RegistryClient({
    credentials: new Map(
      plan.logins
        .filter(l => l.username)
        .map(l => [l.registry, {username: l.username, password: plan.vault.password(l.registry)}])
    ),
    caCerts: new Map(plan.logins.filter(l => l.caFile).map(l => [l.registry, plan.vault.caCert(l.registry)])),
    insecure: plan.insecure,
    env,
    retries: plan.retries,
    // logins of earlier steps (auths, credHelpers, credsStore), for registries the inputs do not cover
    dockerConfig: plan.jobDockerConfig,
    runner,
    mask: s => host.mask(s),
    log: s => host.info(s),
    debug: host.isDebug() ? s => host.debug(s) : undefined
  });
  // cosign trusts what the step trusts (system store, /etc/docker/certs.d/<host>, ca-cert): one bundle per registry
  for (const r of plan.sign?.repos ?? [])
    if (r.options.caFile) fs.writeFileSync(r.options.caFile, client.caBundle(r.registry), {mode: 0o600});
  const outcome: Outcome = {signatures: {}, verifyCommands: [], reason: plan.notPushedReason};
  let current = 'preflight';
  const runName = `${plan.run.id}-${plan.run.attempt}`;
  const signEnv = (): Record<string, string> => ({
    ...toolEnv,
    COSIGN_PRIVATE_KEY: plan.vault.cosignKey,
    COSIGN_PASSWORD: plan.vault.cosignPassword
  });
  const step = <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    if (signal?.aborted) throw new CancelledError(String(signal.reason));
    current = name.toLowerCase();
    return phase(host, timings, name, fn);
  };
  try {
    await run();
  } catch (e) {
    outcome.reason = `failed in ${current}`;
    await host.summary(summaryOf(plan, outcome, timings, {phase: current, message: errorMessage(e)}));
    throw e;
  } finally {
    // a cancelled run does not wait for requests still in flight
    if (!signal?.aborted) await client.close();
    for (const p of await cleanup(runner, state)) host.warning(p);
  }

  async function run(): Promise<void> {
    const {signer, decision} = await step('Preflight', async () => {
      // the builder's driver and the engine's image store are read once, with the other preflight calls
      const [s, facts] = await Promise.all([
        preflight(),
        plan.build
          ? detectBuildx(runner, {builder: plan.build.plan.builder, env: toolEnv, stepEnv: env, driver: !!plan.push})
          : Promise.resolve(undefined)
      ]);
      const builder = facts?.builder;
      const version = facts?.version;
      let d: PushDecision | undefined;
      if (plan.push && builder) {
        host.info(`builder ${builder.name}: driver ${builder.driver}, image store ${builder.store}`);
        // several platforms on the docker driver and the classic store: refused here, before the build
        const problem = multiPlatformProblem(builder.driver, builder.store, plan.platforms);
        if (problem) throw new PhaseError('preflight', problem);
        d = choosePaths(plan.targets, plan.logins, plan.insecure, builder.driver, {leg: !!plan.stage});
        for (const line of describePaths(d)) host.info(line);
      }
      if (plan.build) {
        checkBuildxVersion(version, plan.build.plan);
        host.info(`docker buildx ${version ?? '(development build)'}`);
      }
      return {signer: s, decision: d};
    });
    if (plan.pushing && plan.ifExists !== 'overwrite') {
      const existing = await releaseTagDigest();
      if (existing && plan.ifExists === 'fail')
        throw new PhaseError(
          'preflight',
          `if-exists: fail: ${existing.ref} already exists (${existing.digest}); nothing was built. Release tags are immutable here: bump the version, or set if-exists: overwrite.`
        );
      if (existing) {
        host.notice(
          `${existing.ref} already exists (${existing.digest}): if-exists: skip, so nothing was built or pushed; digest is the existing one.`
        );
        host.setOutput('digest', existing.digest);
        for (const k of ['imageid', 'metadata', 'refs', 'cosign-verify-commands']) host.setOutput(k, '');
        host.setOutput('platform-digests', '{}');
        host.setOutput('signatures', '{}');
        outcome.reason = `${existing.ref} already exists (if-exists: skip); its digest is ${existing.digest}`;
        await host.summary(summaryOf(plan, outcome, timings));
        return;
      }
    }
    for (const [file, value] of plan.vault.files()) fs.writeFileSync(file, value, {mode: 0o600});

    if (plan.prune) {
      const rules = plan.prune;
      const results: PruneResult[] = [];
      const now = Date.now();
      host.info(
        `prune: tags matching /${rules.match.source}/, keeping the newest ${rules.keep}` +
          (rules.olderThan ? `, removing only those older than ${rules.olderThan}` : '') +
          (plan.dryRun ? ' (dry run: nothing is deleted)' : '')
      );
      try {
        await step('Prune', async () => {
          for (const t of distinctRepos(plan.targets))
            results.push(await pruneRepository(client, t, rules, {dryRun: plan.dryRun, now, log: s => host.info(s)}));
        });
      } finally {
        host.setOutput('pruned', JSON.stringify(results.flatMap(r => r.plan.remove.map(x => `${r.image}:${x.tag}`))));
      }
      await host.summary(renderPruneSummary(results));
      const n = results.reduce((a, r) => a + r.plan.remove.length, 0);
      host.info(
        `prune: ${n} tag(s) ${plan.dryRun ? 'would be removed' : 'removed'} from ${results.length} repositories`
      );
      return;
    }

    let staged: Staged | undefined;
    let legs: Leg[] = [];
    /** images the docker driver pushed under STAGING_TAG */
    let stagingPushed: string[] = [];
    const buildStarted = Date.now();
    if (plan.build) {
      const build = plan.build;
      const buildPlan = plan.push && decision ? withPushDecision(build.plan, decision, plan.push.layout) : build.plan;
      const built = await step('Build', async () => {
        try {
          const b = await runBuild(runner, buildPlan, toolEnv, {retries: plan.retries, log: s => host.info(s)});
          for (const w of b.warnings) host.warning(w);
          return b;
        } catch (e) {
          const denied = e instanceof CommandError ? deniedHintFromOutput(e.stderrTail, plan.targets, plan.logins) : '';
          if (denied) throw new PhaseError('build', `${errorMessage(e)}\n${denied}`);
          throw e;
        }
      });
      host.setOutput('imageid', built.imageId);
      // the builder pushed under the staging tag: the metadata names the images as they are published
      if (buildPlan.pushOutput && 'image.name' in built.metadata)
        built.metadata['image.name'] = distinctRepos(plan.targets)
          .flatMap(t => plan.tags.map(tag => `${t.image}:${tag}`))
          .join(',');
      host.setOutput('metadata', JSON.stringify(built.metadata));
      if (plan.push) {
        if (!built.digest)
          throw new Error(
            'buildx reported no digest for the pushed image (containerimage.digest is missing from its metadata file)'
          );
        const digest = built.digest;
        const layout = plan.push.layout;
        const d = decision ?? plan.push.decision;
        staged = await step('Push', async () => {
          if (d.exportLayout) {
            await pushByDigest(client, plan.targets, readLayout(layout, digest), layout, s => host.info(s));
          } else {
            // the builder pushed to its targets during the build; the others are copied from the first of them
            const from = plan.targets.find(t => t.image === d.builderImages[0]);
            const rest = plan.targets.filter(t => !d.builderImages.includes(t.image));
            if (from && rest.length)
              await promote(client, {repo: from.repo, digest, ref: `${from.image}@${digest}`}, rest, s => host.info(s));
          }
          const st = await checkStaged(client, plan.targets, digest, plan.platforms, s => host.info(s));
          if (!d.exportLayout)
            for (const image of d.builderImages)
              host.info(
                `${image}@${digest}: pushed by the builder (${humanSize(st.size)} in the build's ${((Date.now() - buildStarted) / 1000).toFixed(1)} s)`
              );
          return st;
        });
        if (!d.exportLayout && !d.byDigest) stagingPushed = d.builderImages;
      }
    } else if (plan.merge) {
      const merge = plan.merge;
      staged = await step('Merge', async () => {
        legs = await collectLegs(client, plan.targets, plan.run, s => host.info(s));
        await trustLegs(legs, signer);
        const index = await mergeLegs(client, plan.targets, legs, plan.platforms, merge.annotations, s => host.info(s));
        return checkStaged(client, plan.targets, index.digest, plan.platforms, s => host.info(s));
      });
    } else if (plan.promote) {
      const source = plan.promote;
      staged = await step('Promote', async () => {
        await promote(client, source, plan.targets, s => host.info(s));
        return checkStaged(client, plan.targets, source.digest, plan.platforms, s => host.info(s));
      });
    }

    if (staged) outcome.pushed = staged.digest;
    if (plan.stage && staged) {
      const st = staged;
      const stage = plan.stage;
      const legPlatform = stage.platform || (Object.keys(st.platformDigests)[0] ?? 'unknown');
      // the leg signs what it pushed, bound to this run and platform: the merge verifies it before using the record
      if (plan.sign && signer) {
        const sp = plan.sign;
        const sgn = signer;
        await step('Sign', () =>
          Promise.all(
            sp.repos.map(async r => {
              const o: cosign.SignOptions = {
                ...r.options,
                ...sgn.identity,
                generation: sgn.generation,
                annotations: [...(r.options.annotations ?? []), ...legSignatureAnnotations(runName, legPlatform)]
              };
              const ref = `${r.image}@${st.digest}`;
              await cosign.sign(runner, sgn.bin, ref, o, signEnv());
              await cosign.verify(runner, sgn.bin, ref, o, {...toolEnv, COSIGN_PUBLIC_KEY: sgn.publicKey});
              host.info(`signed and verified ${ref} as leg ${legPlatform} of run ${runName}`);
            })
          )
        );
      }
      const leg = await step('Stage', () =>
        writeStagingRecords(
          client,
          plan.targets,
          plan.run,
          {
            platform: legPlatform,
            digest: st.digest,
            mediaType: st.manifests[0]?.mediaType ?? ''
          },
          s => host.info(s)
        )
      );
      host.setOutput('digest', st.digest);
      host.setOutput('platform-digests', JSON.stringify(st.platformDigests));
      host.setOutput('refs', plan.targets.map(t => `${t.image}@${st.digest}`).join('\n'));
      host.setOutput('signatures', '{}');
      host.setOutput('cosign-verify-commands', '');
      host.info(`leg staged as ${leg}: run mode: merge after the matrix to publish it`);
      outcome.reason = `mode build: leg ${st.digest} staged for the merge (no tag moved)`;
      await host.summary(summaryOf(plan, outcome, timings));
      host.info(`staged ${plan.targets.map(t => `${t.image}@${st.digest}`).join(', ')}`);
      return;
    }

    // Signed and verified by digest before any tag moves: a signature that fails leaves every tag where it was.
    if (staged && plan.sign && signer) {
      const st = staged;
      const sp = plan.sign;
      const digests = [
        st.digest,
        ...(sp.platforms ? Object.values(st.platformDigests).filter(d => d !== st.digest) : [])
      ];
      const cosignEnv = signEnv();
      await step('Sign', async () => {
        // once per repository; repositories in parallel (each is its own cosign process)
        const done = await Promise.all(
          sp.repos.map(async r => {
            const o: cosign.SignOptions = {...r.options, ...signer.identity, generation: signer.generation};
            const out: [string, string, string][] = [];
            for (const digest of digests) {
              const ref = `${r.image}@${digest}`;
              await cosign.sign(runner, signer.bin, ref, o, cosignEnv);
              await cosign.verify(runner, signer.bin, ref, o, {...toolEnv, COSIGN_PUBLIC_KEY: signer.publicKey});
              host.info(`signed and verified ${ref}`);
              out.push([ref, await signatureOf(r.image, digest, signer.generation), cosign.verifyCommand(ref, o)]);
            }
            return out;
          })
        );
        for (const [ref, sig, cmd] of done.flat()) {
          outcome.signatures[ref] = sig;
          outcome.verifyCommands.push(cmd);
        }
      });
    }

    // The gate (scan, then the user's command) per repository, before any tag moves: a failure moves none.
    if (staged && plan.gate) {
      const st = staged;
      const gate = plan.gate;
      outcome.gates = [];
      const outcomes = outcome.gates;
      await step('Gate', () =>
        runGates({
          host,
          runner,
          client,
          gate,
          targets: plan.targets,
          digest: st.digest,
          tagNames: plan.tags,
          dockerConfig: plan.dockerConfig,
          workDir: plan.workDir,
          outcomes
        })
      );
    }

    const published = staged
      ? await step('Tag', () => pointTags(client, plan.targets, staged, plan.tags, s => host.info(s), signal))
      : undefined;
    outcome.published = published;
    if (published && staged && stagingPushed.length) {
      const st = staged;
      const ts = plan.targets.filter(t => stagingPushed.includes(t.image));
      await dropStagingTag(
        client,
        ts,
        {...st, manifests: ts.map(t => st.manifests[plan.targets.indexOf(t)] as (typeof st.manifests)[number])},
        plan.tags,
        s => host.info(s)
      );
    }
    if (plan.merge && published)
      for (const w of await removeStagingRecords(client, plan.targets, legs, s => host.info(s))) host.warning(w);

    host.setOutput('digest', published?.digest ?? '');
    host.setOutput('platform-digests', JSON.stringify(published?.platformDigests ?? {}));
    host.setOutput('refs', (published?.refs ?? []).join('\n'));
    host.setOutput('signatures', JSON.stringify(outcome.signatures));
    host.setOutput('cosign-verify-commands', outcome.verifyCommands.join('\n'));
    if (!published) host.notice(`No digest output: nothing was pushed (${plan.notPushedReason}).`);
    await host.summary(summaryOf(plan, outcome, timings));
    if (published)
      for (const t of distinctRepos(plan.targets).map(x => x.image))
        host.info(
          `published ${t}@${published.digest} (${plan.tags.length} ${plan.tags.length === 1 ? 'tag' : 'tags'})`
        );
    else host.info(`done: nothing pushed (${plan.notPushedReason})`);
  }

  /**
   * mode merge: a record is used only when the leg's digest carries a signature of this run's signer, bound to the
   * run and the record's platform (anyone who can push to the repository can write a record; only the signer can
   * sign). Without signing, the records are trusted as the registry holds them, and the log says so.
   */
  async function trustLegs(found: readonly Leg[], signer: Signer | undefined): Promise<void> {
    const first = plan.sign?.repos[0];
    if (!plan.sign || !signer || !first) {
      host.notice(
        `mode merge: not signing, so the legs' staging records are trusted as ${plan.targets[0]?.image ?? 'the registry'} holds them (anyone who can push there can add a leg); sign the legs and the merge (cosign-key or keyless) to have each leg verified`
      );
      return;
    }
    for (const leg of found) {
      const o: cosign.SignOptions = {
        ...first.options,
        ...signer.identity,
        generation: signer.generation,
        annotations: legSignatureAnnotations(runName, leg.platform)
      };
      const ref = `${first.image}@${leg.digest}`;
      try {
        await cosign.verify(runner, signer.bin, ref, o, {...toolEnv, COSIGN_PUBLIC_KEY: signer.publicKey});
      } catch (e) {
        throw new PhaseError(
          'merge',
          `mode merge: refusing the leg record ${first.image}:${leg.tag} (${leg.platform} ${leg.digest}): its digest carries no signature of this run's signer for run ${runName} and ${leg.platform}, so it was not made by a build leg of this run; nothing was merged, signed or tagged. Remove the record, and check who can push to the repository.\n${errorMessage(e)}`
        );
      }
      host.info(`leg ${leg.platform} ${leg.digest}: signed by this run's signer for run ${runName}`);
    }
  }

  /** The release tag (the version) where it already exists in a target repository. */
  async function releaseTagDigest(): Promise<{ref: string; digest: string} | undefined> {
    const version = plan.meta.version.main;
    if (!version) return undefined;
    for (const t of plan.targets) {
      const m = await client.getManifest(t.repo, version, 'HEAD');
      if (m) return {ref: `${t.image}:${version}`, digest: m.digest};
    }
    return undefined;
  }

  /**
   * Where a signature landed, for the outputs and the summary: cosign 2's `sha256-<hex>.sig` tag, or cosign 3's
   * Sigstore bundle, an OCI referrer of the digest (found through the Referrers API or the referrers tag schema).
   */
  async function signatureOf(image: string, digest: string, generation: cosign.CosignGeneration): Promise<string> {
    if (generation === 2) return `${image}:${digest.replace(':', '-')}.sig`;
    const t = plan.targets.find(x => x.image === image);
    const found = t ? await client.referrers(t.repo, digest).catch(() => []) : [];
    const bundle = found.find(e => /sigstore\.bundle/.test(e.artifactType ?? ''));
    return bundle
      ? `${image}@${bundle.digest} (Sigstore bundle, ${bundle.artifactType}, referrer of ${digest})`
      : `${image}: a Sigstore bundle referring to ${digest}`;
  }

  /** Logins, push rights, the signer: everything that can be refused, before the build. */
  async function preflight(): Promise<Signer | undefined> {
    // credentials tried against every registry in parallel
    await Promise.all(
      plan.logins.map(async l => {
        if (l.caFile) {
          const file = await installDaemonCA(runner, l.registry, plan.vault.caCert(l.registry));
          if (file) {
            state.daemonCAs.push(file);
            host.saveState(state);
          }
          host.info(`${l.registry}: trusting the CA from ca-cert (daemon and this step only)`);
        }
        if (!l.username) {
          host.info(`${l.registry}: anonymous`);
          return;
        }
        try {
          await client.ping(l.registry);
        } catch (e) {
          if (e instanceof RegistryError && e.status === 401) {
            throw new PhaseError(
              'preflight',
              `${l.registry} refused the credentials of "${l.username}" (${e.detail || '401'}). ${loginHint(l.registry, '401 unauthorized')}`
            );
          }
          throw e;
        }
      })
    );
    // the credentials that answered go into the step's own Docker config, for buildx and cosign
    for (const l of plan.logins.filter(x => x.username)) {
      storeLogin(plan.dockerConfig, {
        registry: l.registry,
        username: l.username,
        password: plan.vault.password(l.registry)
      });
      host.info(`${l.registry}: logged in as ${l.username} (${l.from})`);
    }
    if (checkScanner(plan.gate, env)) host.info('scan: trivy found on PATH');
    const [, signer] = await Promise.all([
      plan.pushing ? checkPushAccess(client, plan.targets, plan.logins, s => host.info(s)) : undefined,
      plan.sign ? prepareSigner() : undefined
    ]);
    return signer;
  }

  /** Opens the key (key mode) or gets the identity token (keyless): before anything is built. */
  async function prepareSigner(): Promise<Signer> {
    const sp = plan.sign;
    if (!sp) throw new Error('no signing in the plan');
    const chosen = await chooseCosign({
      requested: sp.cosignVersion,
      releaseUrl: sp.cosignReleaseUrl,
      sha256: sp.cosignSha256,
      env,
      runner
    });
    host.info(`sign: ${chosen.how}`);
    if (sp.mode === 'key') {
      const keyUri = sp.options.keyUri;
      const pem = await cosign.publicKey(
        runner,
        chosen.path,
        {
          ...toolEnv,
          COSIGN_PRIVATE_KEY: keyUri ? '' : plan.vault.cosignKey,
          COSIGN_PASSWORD: plan.vault.cosignPassword
        },
        keyUri
      );
      host.info(keyUri ? `sign: key: ${keyUri} answers` : 'sign: key: cosign-key opens with cosign-password');
      return {bin: chosen.path, generation: chosen.generation, publicKey: pem};
    }
    const id = await identityToken(sp.identity, env);
    host.mask(id.token);
    fs.writeFileSync(sp.options.identityTokenFile ?? '', id.token, {mode: 0o600});
    host.info(`sign: keyless, as ${id.identity} (issuer ${id.issuer})`);
    return {
      bin: chosen.path,
      generation: chosen.generation,
      publicKey: '',
      identity: {certificateIdentity: id.identity, certificateOidcIssuer: id.issuer}
    };
  }
}
