/**
 * The main step: inputs -> plan -> preflight (login, push rights, signing key) -> build -> publish -> sign ->
 * verify -> outputs. One core.group per phase, one line per decision. Every failure a user can fix is found
 * before the build.
 */
import * as core from '@actions/core';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {BuildPlan, buildArgs, buildxVersion, checkBuildxVersion, planSecrets, runBuild} from '../tools/buildx/buildx';
import * as cosign from '../tools/cosign/cosign';
import {
  buildxConfigDir,
  createDockerConfig,
  dockerLogin,
  loginHint,
  installDaemonCA,
  removeDaemonCA,
  removeDockerConfig
} from '../tools/docker/config';
import {CommandError, errorMessage, InputError, PhaseError} from '../errors';
import {Runner} from '../tools/exec';
import {Env, getInputs, Inputs, targetRepositories} from '../config/inputs';
import {metadataEnvExports, metadataOutputs, nowFromEnv, resolveMetadata} from '../meta/resolve';
import {Metadata} from '../meta/types';
import {checkPushAccess, deniedHintFromOutput} from './preflight';
import {readLayout} from '../oci-layout';
import {checkStaged, pointTags, Published, pushByDigest, Staged, Target} from './publish';
import {collectLegs, Leg, mergeLegs, parseSource, promote, removeStagingRecords, writeStagingRecords} from './fanout';
import {parseRunners, planMatrix} from '../plan/matrix';
import {stagingPrefix} from '../plan/staging';
import {chooseCosign} from '../tools/cosign/install';
import {parseRepository, Repository} from '../reference';
import {oidcAvailable, requestIdToken} from '../context/oidc';
import {readEventPayload} from '../context/github';
import {parseInsecureRegistries, RegistryAuth, resolveAuths, uncoveredImages} from '../config/registry-auth';
import {RegistryClient, RegistryError} from '../registry-client';
import {PostState, saveState} from '../hosts/github/state';
import {renderSummary} from './summary';

export interface Deps {
  env: Env;
  runner: Runner;
}

/** Registers a secret and each of its lines (multi-line secrets such as PEM keys are masked line by line). */
function mask(secret: string): void {
  if (!secret) return;
  core.setSecret(secret);
  for (const line of secret.split(/\r?\n/)) if (line.trim().length > 3) core.setSecret(line.trim());
}

type Timings = [string, number][];

async function phase<T>(timings: Timings, name: string, fn: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  try {
    return await core.group(name, fn);
  } finally {
    timings.push([name.toLowerCase(), Date.now() - t0]);
  }
}

export async function main({env, runner}: Deps): Promise<void> {
  const inputs = getInputs(env);
  for (const s of [inputs.password, inputs.cosignKey, inputs.cosignPassword, inputs.githubToken]) mask(s);
  const timings: Timings = [];

  // --- metadata: tags, labels, annotations (pure engine, facts from the runner and the GitHub API)
  const meta = await phase(timings, 'Metadata', async () => {
    const m = await resolveMetadata({inputs, env, githubToken: inputs.githubToken, now: nowFromEnv(env)});
    for (const w of m.warnings) core.warning(w);
    core.info(`version: ${m.version.main ?? '(none)'}`);
    for (const t of m.tags) core.info(`tag: ${t}`);
    return m;
  });
  const metaOut = metadataOutputs(meta, {
    tags: inputs.sepTags,
    labels: inputs.sepLabels,
    annotations: inputs.sepAnnotations
  });
  for (const [k, v] of Object.entries(metaOut)) core.setOutput(k, v);
  for (const [k, v] of Object.entries(metadataEnvExports(metaOut, env))) core.exportVariable(k, v);
  const summarize = (
    reason: string,
    published?: Published,
    signatures: Record<string, string> = {},
    verifyCommands: string[] = []
  ): Promise<void> => writeSummary({meta, inputs, published, signatures, verifyCommands, timings, reason});

  if (inputs.mode === 'plan') {
    const matrix = planMatrix(inputs.platforms, parseRunners(inputs.runners));
    core.setOutput('matrix', JSON.stringify(matrix));
    core.info(`matrix: ${matrix.include.map(l => `${l.platform} on ${l.runner}`).join(', ')}`);
    await summarize(`mode plan: ${matrix.include.length} build legs`);
    return;
  }

  // --- plan
  const repos = targetRepositories(meta.images);
  const targets: Target[] = meta.images.map(image => ({image, repo: parseRepository(image) as Repository}));
  const auths = resolveAuths(inputs, repos);
  for (const a of auths) if (a.password !== inputs.password) mask(a.password);
  const insecure = parseInsecureRegistries(inputs.insecureRegistries);
  // build, merge and promote exist to push; publish pushes when asked
  const pushing = (inputs.push || inputs.mode !== 'publish') && targets.length > 0;
  const building = inputs.mode === 'publish' || inputs.mode === 'build';
  const repoPrivate = (readEventPayload(env['GITHUB_EVENT_PATH'])['repository'] as {private?: boolean} | undefined)
    ?.private;
  const signMode =
    pushing && inputs.mode !== 'build'
      ? cosign.resolveSignMode(inputs.sign, inputs.cosignKey !== '', oidcAvailable(env), repoPrivate)
      : 'none';
  const signing = signMode !== 'none';
  const run = {id: env['GITHUB_RUN_ID'] || 'local', attempt: env['GITHUB_RUN_ATTEMPT'] || '1'};
  if (pushing && inputs.sign === 'auto' && !signing && oidcAvailable(env))
    core.info('sign: auto: not signing keyless, as the repository is not public (set sign: keyless to sign anyway)');
  if ((inputs.push || inputs.mode !== 'publish') && targets.length === 0) {
    throw new InputError(
      'images',
      'images: push is true but no image is enabled; list at least one image (e.g. ghcr.io/owner/app)'
    );
  }
  if (pushing) {
    const missing = uncoveredImages(targets, auths);
    if (missing.length) {
      throw new InputError(
        'registry-auth',
        missing.map(m => `images: no credentials for ${m.registry} (image ${m.image})`).join('\n') +
          '\nAdd them with registry/username/password or a registry-auth entry; an entry with no username (`- registry: <host>`) pushes anonymously.'
      );
    }
  }
  const registries = [...new Set(repos.map(r => r.registry))];
  core.info(
    `plan: ${registries.length} ${registries.length === 1 ? 'registry' : 'registries'}, ${meta.tagNames.length} tags, ` +
      `${inputs.platforms.length || 1} platform(s) (${inputs.platforms.join(', ') || "the runner's"}), ` +
      `push: ${pushing ? 'yes' : 'no'}, sign: ${signing ? signMode : 'no'}${inputs.dryRun ? ', dry run' : ''}`
  );
  if (pushing && meta.tagNames.length === 0)
    core.notice('No tag rule matched this event: the image is pushed by digest only.');

  const runnerTemp = env['RUNNER_TEMP'] || os.tmpdir();
  fs.mkdirSync(runnerTemp, {recursive: true});
  const workDir = fs.mkdtempSync(path.join(runnerTemp, 'publish-image-'));
  const secrets = planSecrets(inputs.secrets, inputs.secretEnvs, inputs.secretFiles, workDir);
  for (const f of secrets.files) mask(f.value);
  const plan: BuildPlan = {
    context: inputs.context,
    file: inputs.file,
    platforms: inputs.platforms,
    buildArgs: inputs.buildArgs,
    buildContexts: inputs.buildContexts,
    secrets: secrets.args,
    ssh: inputs.ssh,
    target: inputs.target,
    cacheFrom: inputs.cacheFrom,
    cacheTo: inputs.cacheTo,
    noCache: inputs.noCache,
    noCacheFilters: inputs.noCacheFilters,
    pull: inputs.pull,
    provenance: inputs.provenance,
    sbom: inputs.sbom,
    attests: inputs.attests,
    annotations: meta.annotations,
    labels: meta.labels,
    outputs: inputs.outputs,
    network: inputs.network,
    addHosts: inputs.addHosts,
    shmSize: inputs.shmSize,
    ulimit: inputs.ulimit,
    builder: inputs.builder,
    ociLayout: pushing ? path.join(workDir, 'oci-layout') : '',
    load: inputs.load,
    localTags: pushing && !inputs.load ? [] : meta.tags,
    metadataFile: path.join(workDir, 'metadata.json'),
    iidFile: path.join(workDir, 'iid.txt')
  };

  if (inputs.dryRun) {
    try {
      await core.group('Plan (dry run)', () => {
        for (const a of auths)
          core.info(
            a.username
              ? `login: docker login --username ${a.username} --password-stdin ${a.registry}`
              : `login: ${a.registry} anonymously`
          );
        if (building) core.info(`build: docker ${buildArgs(plan).join(' ')}`);
        if (inputs.mode === 'merge')
          core.info(`merge: the legs tagged ${stagingPrefix(run.id, run.attempt)}* -> one index`);
        if (inputs.mode === 'promote') core.info(`promote: copy ${inputs.source} by digest`);
        if (pushing)
          for (const t of targets) core.info(`tag: ${t.image}:{${meta.tagNames.join(',')}} -> the pushed digest`);
        if (signing)
          for (const t of targets)
            core.info(
              `sign: cosign ${cosign.signArgs(`${t.image}@<digest>`, {...signOptions(inputs, signMode === 'keyless' ? 'keyless' : 'key'), identityTokenFile: '<oidc-token-file>', plainHttp: false}).join(' ')}`
            );
        return Promise.resolve();
      });
      await summarize('dry run');
    } finally {
      fs.rmSync(workDir, {recursive: true, force: true});
    }
    return;
  }

  // CA files for tools that take a path (cosign), readable by this step only
  const caFiles = new Map<string, string>();
  for (const a of auths.filter(x => x.caCert)) {
    const f = path.join(workDir, `ca-${caFiles.size}.crt`);
    fs.writeFileSync(f, a.caCert, {mode: 0o600});
    caFiles.set(a.registry, f);
  }
  const state: PostState = {
    dockerConfig: createDockerConfig(runnerTemp, env),
    registries: auths.filter(a => a.username).map(a => a.registry),
    logout: inputs.logout,
    daemonCAs: []
  };
  saveState(state);
  if (!inputs.logout) core.exportVariable('DOCKER_CONFIG', state.dockerConfig);
  const toolEnv: Record<string, string> = {DOCKER_CONFIG: state.dockerConfig, BUILDX_CONFIG: buildxConfigDir(env)};
  const client = new RegistryClient({
    credentials: new Map(
      auths.filter(a => a.username).map(a => [a.registry, {username: a.username, password: a.password}])
    ),
    caCerts: new Map(auths.filter(a => a.caCert).map(a => [a.registry, a.caCert])),
    insecure,
    env,
    retries: inputs.retries,
    log: s => core.info(s),
    debug: core.isDebug() ? s => core.debug(s) : undefined
  });
  try {
    const [signer, version] = await phase(timings, 'Preflight', () =>
      Promise.all([
        preflight({inputs, auths, targets, pushing, signing, signMode, env, workDir, client, runner, state, toolEnv}),
        building ? buildxVersion(runner, toolEnv) : Promise.resolve(undefined)
      ])
    );
    if (building) {
      checkBuildxVersion(version, plan);
      core.info(`docker buildx ${version ?? '(development build)'}`);
    }

    const existing =
      pushing && inputs.ifExists !== 'overwrite'
        ? await releaseTagDigest(client, targets, meta.version.main)
        : undefined;
    if (existing && inputs.ifExists === 'fail') {
      throw new PhaseError(
        'preflight',
        `if-exists: fail: ${existing.ref} already exists (${existing.digest}); nothing was built. Release tags are immutable here: bump the version, or set if-exists: overwrite.`
      );
    }
    if (existing && inputs.ifExists === 'skip') {
      core.notice(
        `${existing.ref} already exists (${existing.digest}): if-exists: skip, so nothing was built or pushed; digest is the existing one.`
      );
      core.setOutput('digest', existing.digest);
      for (const k of ['imageid', 'metadata', 'refs', 'cosign-verify-commands']) core.setOutput(k, '');
      core.setOutput('platform-digests', '{}');
      core.setOutput('signatures', '{}');
      await summarize(`${existing.ref} already exists (if-exists: skip); its digest is ${existing.digest}`);
      return;
    }
    for (const f of secrets.files) fs.writeFileSync(f.path, f.value, {mode: 0o600});
    const cosignEnv = {...toolEnv, COSIGN_PRIVATE_KEY: inputs.cosignKey, COSIGN_PASSWORD: inputs.cosignPassword};

    let staged: Staged | undefined;
    let legs: Leg[] = [];
    if (building) {
      const built = await phase(timings, 'Build', async () => {
        try {
          const b = await runBuild(runner, plan, toolEnv);
          for (const w of b.warnings) core.warning(w);
          return b;
        } catch (e) {
          const denied = e instanceof CommandError ? deniedHintFromOutput(e.stderrTail, targets, auths) : '';
          if (denied) throw new PhaseError('build', `${errorMessage(e)}\n${denied}`);
          throw e;
        }
      });
      core.setOutput('imageid', built.imageId);
      core.setOutput('metadata', JSON.stringify(built.metadata));
      if (pushing) {
        if (!built.digest)
          throw new Error(
            'buildx reported no digest for the pushed image (containerimage.digest is missing from its metadata file)'
          );
        const digest = built.digest;
        staged = await phase(timings, 'Push', async () => {
          await pushByDigest(client, targets, readLayout(plan.ociLayout, digest), plan.ociLayout, s => core.info(s));
          return checkStaged(client, targets, digest, inputs.platforms, s => core.info(s));
        });
      }
    } else if (inputs.mode === 'merge') {
      staged = await phase(timings, 'Merge', async () => {
        legs = await collectLegs(client, targets, run, s => core.info(s));
        const index = await mergeLegs(client, targets, legs, inputs.platforms, plainAnnotations(meta.annotations), s =>
          core.info(s)
        );
        return checkStaged(client, targets, index.digest, inputs.platforms, s => core.info(s));
      });
    } else if (inputs.mode === 'promote') {
      const source = parseSource(inputs.source);
      staged = await phase(timings, 'Promote', async () => {
        await promote(client, source, targets, s => core.info(s));
        return checkStaged(client, targets, source.digest, inputs.platforms, s => core.info(s));
      });
    }

    if (inputs.mode === 'build' && staged) {
      const st = staged;
      const leg = await phase(timings, 'Stage', () =>
        writeStagingRecords(
          client,
          targets,
          run,
          {
            platform: inputs.platforms[0] ?? Object.keys(st.platformDigests)[0] ?? 'unknown',
            digest: st.digest,
            mediaType: st.manifests[0]?.mediaType ?? ''
          },
          s => core.info(s)
        )
      );
      core.setOutput('digest', st.digest);
      core.setOutput('platform-digests', JSON.stringify(st.platformDigests));
      core.setOutput('refs', targets.map(t => `${t.image}@${st.digest}`).join('\n'));
      core.setOutput('signatures', '{}');
      core.setOutput('cosign-verify-commands', '');
      core.info(`leg staged as ${leg}: run mode: merge after the matrix to publish it`);
      await summarize(`mode build: leg ${st.digest} staged for the merge (no tag moved)`);
      return;
    }

    // Signed and verified by digest before any tag moves: a signature that fails leaves every tag where it was.
    const signatures: Record<string, string> = {};
    const verifyCommands: string[] = [];
    if (staged && signing && signer) {
      const st = staged;
      const digests = [
        st.digest,
        ...(inputs.signPlatforms ? Object.values(st.platformDigests).filter(d => d !== st.digest) : [])
      ];
      // once per repository; repositories in parallel (each is its own cosign process)
      const repos = [...new Map(targets.map(t => [`${t.repo.registry}/${t.repo.path}`, t])).values()];
      await phase(timings, 'Sign', async () => {
        const done = await Promise.all(
          repos.map(async t => {
            const o: cosign.SignOptions = {
              ...signer.options,
              plainHttp: await client.plainHttp(t.repo.registry),
              caFile: caFiles.get(t.repo.registry)
            };
            const out: [string, string, string][] = [];
            for (const digest of digests) {
              const ref = `${t.image}@${digest}`;
              await cosign.sign(runner, signer.bin, ref, o, cosignEnv);
              await cosign.verify(runner, signer.bin, ref, o, {...toolEnv, COSIGN_PUBLIC_KEY: signer.publicKey});
              core.info(`signed and verified ${ref}`);
              out.push([ref, `${t.image}:${digest.replace(':', '-')}.sig`, cosign.verifyCommand(ref, o)]);
            }
            return out;
          })
        );
        for (const [ref, sig, cmd] of done.flat()) {
          signatures[ref] = sig;
          verifyCommands.push(cmd);
        }
      });
    }

    const published = staged
      ? await phase(timings, 'Tag', () => pointTags(client, targets, staged, meta.tagNames, s => core.info(s)))
      : undefined;

    if (inputs.mode === 'merge' && published) {
      for (const w of await removeStagingRecords(client, targets, legs, s => core.info(s))) core.warning(w);
    }

    core.setOutput('digest', published?.digest ?? '');
    core.setOutput('platform-digests', JSON.stringify(published?.platformDigests ?? {}));
    core.setOutput('refs', (published?.refs ?? []).join('\n'));
    core.setOutput('signatures', JSON.stringify(signatures));
    core.setOutput('cosign-verify-commands', verifyCommands.join('\n'));
    const reason = pushing ? '' : inputs.push ? 'no image is enabled' : 'push is false';
    if (!published) core.notice(`No digest output: nothing was pushed (${reason}).`);
    await summarize(reason, published, signatures, verifyCommands);
  } finally {
    await client.close();
    fs.rmSync(workDir, {recursive: true, force: true});
    if (inputs.logout) {
      for (const p of await removeDockerConfig(runner, state.dockerConfig, state.registries)) core.warning(p);
      for (const f of state.daemonCAs) await removeDaemonCA(runner, f);
    }
  }
}

/** The release tag (the version) where it already exists in a target repository. */
async function releaseTagDigest(
  client: RegistryClient,
  targets: readonly Target[],
  version: string | undefined
): Promise<{ref: string; digest: string} | undefined> {
  if (!version) return undefined;
  for (const t of targets) {
    const m = await client.getManifest(t.repo, version, 'HEAD');
    if (m) return {ref: `${t.image}:${version}`, digest: m.digest};
  }
  return undefined;
}

interface PreflightArgs {
  inputs: Inputs;
  auths: RegistryAuth[];
  targets: Target[];
  pushing: boolean;
  signing: boolean;
  signMode: cosign.SignMode | 'none';
  env: Env;
  workDir: string;
  client: RegistryClient;
  runner: Runner;
  state: PostState;
  toolEnv: Record<string, string>;
}

/** Logins, push rights, the signer: everything that can be refused, before the build. */
async function preflight(a: PreflightArgs): Promise<Signer | undefined> {
  // credentials tried against every registry in parallel
  await Promise.all(
    a.auths.map(async auth => {
      if (auth.caCert) {
        const file = await installDaemonCA(a.runner, auth.registry, auth.caCert);
        if (file) {
          a.state.daemonCAs.push(file);
          saveState(a.state);
        }
        core.info(`${auth.registry}: trusting the CA from ca-cert (daemon and this step only)`);
      }
      if (!auth.username) {
        core.info(`${auth.registry}: anonymous`);
        return;
      }
      try {
        await a.client.ping(auth.registry);
      } catch (e) {
        if (e instanceof RegistryError && e.status === 401) {
          throw new PhaseError(
            'preflight',
            `${auth.registry} refused the credentials of "${auth.username}" (${e.detail || '401'}). ${loginHint(auth.registry, '401 unauthorized')}`
          );
        }
        throw e;
      }
    })
  );
  // one docker login at a time: they share the config file
  for (const auth of a.auths.filter(x => x.username)) {
    await dockerLogin(a.runner, a.state.dockerConfig, auth);
    core.info(`${auth.registry}: logged in as ${auth.username}`);
  }
  const [, signer] = await Promise.all([
    a.pushing ? checkPushAccess(a.client, a.targets, a.auths, s => core.info(s)) : undefined,
    a.signing ? prepareSigner(a) : undefined
  ]);
  return signer;
}

async function writeSummary(a: {
  meta: Metadata;
  inputs: Inputs;
  published: Published | undefined;
  signatures: Record<string, string>;
  verifyCommands: string[];
  timings: Timings;
  reason: string;
}): Promise<void> {
  if (!process.env['GITHUB_STEP_SUMMARY']) return;
  const md = renderSummary({
    images: a.meta.images,
    version: a.meta.version.main ?? '',
    tags: a.meta.tags,
    digest: a.published?.digest ?? '',
    platformDigests: a.published?.platformDigests ?? {},
    size: a.published?.size ?? 0,
    refs: a.published?.refs ?? [],
    signatures: a.signatures,
    verifyCommands: a.verifyCommands,
    notPushedReason: a.reason,
    timings: a.timings,
    dryRun: a.inputs.dryRun
  });
  try {
    await core.summary.addRaw(md).write();
  } catch (e) {
    core.warning(`could not write the job summary: ${errorMessage(e)}`);
  }
}

/** The signing options every signature of this run shares. */
function signOptions(inputs: Inputs, mode: cosign.SignMode): Omit<cosign.SignOptions, 'plainHttp'> {
  return {
    mode,
    tlogUpload: inputs.tlogUpload,
    annotations: inputs.signAnnotations,
    fulcioUrl: inputs.fulcioUrl || undefined,
    rekorUrl: inputs.rekorUrl || undefined
  };
}

export interface Signer {
  options: Omit<cosign.SignOptions, 'plainHttp'>;
  /** key mode: the public key that verifies */
  publicKey: string;
  /** the cosign binary (PATH, tool cache, or downloaded) */
  bin: string;
}

/** Opens the key (key mode) or asks the runner for the OIDC token (keyless): before anything is built. */
async function prepareSigner(a: PreflightArgs): Promise<Signer> {
  const chosen = await chooseCosign({
    requested: a.inputs.cosignVersion,
    releaseUrl: a.inputs.cosignReleaseUrl,
    env: a.env,
    runner: a.runner
  });
  core.info(`sign: ${chosen.how}`);
  const bin = chosen.path;
  if (a.signMode === 'key') {
    const keyUri = cosign.isKeyUri(a.inputs.cosignKey) ? a.inputs.cosignKey.trim() : undefined;
    const pem = await cosign.publicKey(
      a.runner,
      bin,
      {...a.toolEnv, COSIGN_PRIVATE_KEY: keyUri ? '' : a.inputs.cosignKey, COSIGN_PASSWORD: a.inputs.cosignPassword},
      keyUri
    );
    core.info(keyUri ? `sign: key: ${keyUri} answers` : 'sign: key: cosign-key opens with cosign-password');
    return {options: {...signOptions(a.inputs, 'key'), keyUri}, publicKey: pem, bin};
  }
  const id = await requestIdToken(a.env);
  mask(id.token);
  const tokenFile = path.join(a.workDir, 'oidc-token');
  fs.writeFileSync(tokenFile, id.token, {mode: 0o600});
  core.info(`sign: keyless, as ${id.identity} (issuer ${id.issuer})`);
  return {
    options: {
      ...signOptions(a.inputs, 'keyless'),
      identityTokenFile: tokenFile,
      certificateIdentity: id.identity,
      certificateOidcIssuer: id.issuer
    },
    publicKey: '',
    bin
  };
}

/** level:key=value annotations -> the key=value of the index level (the manifest level when none is given). */
function plainAnnotations(leveled: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of leveled) {
    const m = /^(?:([a-z-]+(?:\[[^\]]*\])?):)?([^=]+)=(.*)$/s.exec(a);
    if (!m) continue;
    const level = m[1] ?? 'manifest';
    if (level.startsWith('index') || level === 'manifest') out[m[2] ?? ''] = m[3] ?? '';
  }
  return out;
}
