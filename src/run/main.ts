/**
 * The engine, whichever host runs it: settings -> Config (validated once, every problem together) -> metadata
 * -> plan -> dry-run prints the plan, or execute() runs it.
 */
import {randomBytes} from 'node:crypto';
import {Config, parseConfig, RawInputs} from '../config/inputs';
import {metaOptionsFromEnv} from '../context/github';
import {RunContext} from '../context/types';
import {ConfigError, errorMessage, InputError} from '../errors';
import {Host} from '../hosts/host';
import {metadataEnvExports, nowFromEnv, resolveMetadata} from '../meta/resolve';
import {MetaOptions} from '../meta/types';
import {describePlan} from '../plan/describe';
import {plan as makePlan} from '../plan/plan';
import {Plan} from '../plan/types';
import {Runner} from '../tools/exec';
import {certsDirHosts, dockerLogins} from '../registry';
import {execute, phase, summaryOf, Timings} from './execute';
import {failureSummary} from './summary';

type Env = Record<string, string | undefined>;

export interface EngineArgs {
  host: Host;
  runner: Runner;
  env: Env;
  /** the settings by input name, as the host read them */
  raw: RawInputs;
  ctx: RunContext;
  /** aborted on SIGINT/SIGTERM */
  signal?: AbortSignal;
}

/** The configuration and the environment's knobs, every problem reported together. */
export function configure(raw: RawInputs, env: Env): {config: Config; now: Date; opts: MetaOptions} {
  const errors: InputError[] = [];
  let config: Config | undefined;
  try {
    config = parseConfig(raw);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    errors.push(...e.errors);
  }
  const knob = <T>(fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      errors.push(e);
      return undefined;
    }
  };
  const now = knob(() => nowFromEnv(env));
  const opts = knob(() => metaOptionsFromEnv(env));
  knob(() => metadataEnvExports({}, env));
  if (errors.length || !config || !now || !opts) throw new ConfigError(errors);
  return {config, now, opts};
}

export async function engine(args: EngineArgs): Promise<Plan> {
  const timings: Timings = [];
  let stage = 'configuration';
  let p: Plan;
  try {
    p = await planned(args, timings, s => (stage = s));
  } catch (e) {
    // nothing ran yet: the summary says what to fix, and that nothing was built, pushed or tagged
    await args.host.summary(failureSummary(stage, errorMessage(e), timings));
    throw e;
  }
  // a dry run prints the plan; a prune's dry run also lists, from the registries, what would go
  if (!p.matrix && (!p.dryRun || p.prune)) await execute(p, args, timings);
  return p;
}

/** Settings -> Config -> metadata -> Plan; a matrix or a dry run ends here, with its summary. */
async function planned(args: EngineArgs, timings: Timings, at: (stage: string) => void): Promise<Plan> {
  const {host, env, raw} = args;
  const {config, now, opts} = configure({...args.ctx.defaults, ...raw}, env);
  // what the machine already has, as docker would find it: earlier logins, and CAs in /etc/docker/certs.d
  const ctx: RunContext = {
    ...args.ctx,
    dockerLogins: args.ctx.dockerLogins ?? dockerLogins(env),
    certsDirs: args.ctx.certsDirs ?? certsDirHosts()
  };
  for (const s of [config.password, config.cosignKey, config.cosignPassword, config.githubToken]) host.mask(s);

  at('metadata');
  const meta = await phase(host, timings, 'Metadata', async () => {
    const m = await resolveMetadata({inputs: config, ctx, opts, githubToken: config.githubToken, now, env});
    for (const w of m.warnings) host.warning(w);
    host.info(
      `context: ${ctx.ci}, ${ctx.git.eventName || 'no event'} ${ctx.git.ref || '(no ref)'}${ctx.git.sha ? ` at ${ctx.git.sha.slice(0, 12)}` : ''}`
    );
    host.info(`version: ${m.version.main ?? '(none)'}`);
    for (const t of m.tags) host.info(`tag: ${t}`);
    return m;
  });
  const metaOutputsEnv = (o: Record<string, string>): Record<string, string> => metadataEnvExports(o, env);
  at('configuration');
  const p = makePlan({config, ctx, meta, id: randomBytes(6).toString('hex')});
  p.metaEnv = metaOutputsEnv(p.metaOutputs);
  for (const s of p.vault.values()) host.mask(s);
  for (const [k, v] of Object.entries(p.metaOutputs)) host.setOutput(k, v);
  for (const [k, v] of Object.entries(p.metaEnv)) host.exportVariable(k, v);
  for (const n of p.notes) host.info(n);
  for (const n of p.notices) host.notice(n);

  if (p.matrix) {
    host.setOutput('matrix', JSON.stringify(p.matrix));
    host.info(`matrix: ${p.matrix.include.map(l => `${l.platform} on ${l.runner}`).join(', ')}`);
    await host.summary(
      summaryOf(
        p,
        {signatures: {}, verifyCommands: [], reason: `mode plan: ${p.matrix.include.length} build legs`},
        timings
      )
    );
    return p;
  }
  if (p.dryRun) {
    await host.group('Plan (dry run)', () => {
      for (const line of describePlan(p)) host.info(line);
      return Promise.resolve();
    });
    if (!p.prune) await host.summary(summaryOf(p, {signatures: {}, verifyCommands: [], reason: 'dry run'}, timings));
  }
  return p;
}
