/**
 * The gate: a check run once per repository after the push and the signatures and before any tag of the run
 * moves (the Gate phase, a log group of its own). Either trivy (`scan: trivy`, an argument array) or the user's
 * command (`gate`, the one shell string this action runs: `sh -c <gate>`, and it is theirs). A non-zero exit fails
 * the step before the Tag phase, so no tag moves anywhere.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {PhaseError} from '../errors';
import {Host} from '../hosts/host';
import {GatePlan, Target} from '../plan/types';
import {RegistryClient} from '../registry';
import {Runner, tail} from '../tools/exec';
import {distinctRepos} from './publish';
import {countsLine, findingLines, parseTrivyReport, TrivyReport, trivyArgs} from '../tools/trivy/trivy';

export interface GateOutcome {
  name: 'trivy' | 'gate';
  image: string;
  exitCode: number;
  /** the last lines of its output, or trivy's findings */
  tail: string;
  report?: TrivyReport;
  ms: number;
}

/** The environment the gate command sees (merged over the step's own). */
export function gateEnv(
  image: string,
  digest: string,
  tagNames: readonly string[],
  dockerConfig: string
): Record<string, string> {
  return {
    PUBLISH_IMAGE_REF: `${image}@${digest}`,
    PUBLISH_IMAGE_DIGEST: digest,
    PUBLISH_IMAGE_REPOSITORY: image,
    PUBLISH_IMAGE_TAGS: tagNames.join(','),
    DOCKER_CONFIG: dockerConfig
  };
}

/** True when an executable `name` is on PATH. */
export function onPath(name: string, pathVar: string | undefined): boolean {
  for (const dir of (pathVar ?? '').split(path.delimiter).filter(Boolean)) {
    try {
      fs.accessSync(path.join(dir, name), fs.constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

/** Preflight of `scan`: the scanner must be installed before anything is built. */
export function checkScanner(gate: GatePlan | undefined, env: Record<string, string | undefined>): boolean {
  if (gate?.scan !== 'trivy') return false;
  if (!onPath('trivy', env['PATH']))
    throw new PhaseError(
      'preflight',
      'scan: trivy is not on PATH; install it in an earlier step with aquasecurity/setup-trivy (or drop scan: trivy); nothing was built'
    );
  return true;
}

/** Markdown for the job summary: one row per gate run, and the output of a failing one. */
export function renderGateSummary(outcomes: readonly GateOutcome[], severity: readonly string[]): string {
  if (!outcomes.length) return '';
  const out = ['### Gate', '', '| gate | image | result | findings |', '|---|---|---|---|'];
  for (const g of outcomes) {
    const findings = g.report ? countsLine(g.report.counts, severity) : '';
    out.push(
      `| ${g.name} | \`${g.image}\` | ${g.exitCode === 0 ? 'passed' : `failed (exit ${g.exitCode})`} | ${findings} |`
    );
  }
  for (const g of outcomes.filter(x => x.exitCode !== 0))
    out.push(
      '',
      `Output of ${g.name} on \`${g.image}\` (last lines):`,
      '',
      '```text',
      g.tail.replace(/```/g, "'''"),
      '```'
    );
  return out.join('\n') + '\n';
}

export interface GateRun {
  host: Host;
  runner: Runner;
  client: RegistryClient;
  gate: GatePlan;
  targets: readonly Target[];
  digest: string;
  tagNames: readonly string[];
  dockerConfig: string;
  workDir: string;
  /** every outcome so far, for the summary (also on failure) */
  outcomes: GateOutcome[];
}

async function runOne(g: GateRun, t: Target, name: GateOutcome['name']): Promise<GateOutcome> {
  const t0 = Date.now();
  const env = gateEnv(t.image, g.digest, g.tagNames, g.dockerConfig);
  const ref = env['PUBLISH_IMAGE_REF'] ?? '';
  const secs = (): string => ((Date.now() - t0) / 1000).toFixed(1);
  g.host.info(`${name === 'trivy' ? 'scan: trivy' : 'gate'} on ${ref}`);
  if (name === 'gate') {
    const r = await g.runner.run('sh', ['-c', g.gate.command], {env, stream: true, allowFailure: true});
    g.host.info(`gate: exit ${r.exitCode} after ${secs()}s`);
    return {name, image: t.image, exitCode: r.exitCode, tail: tail(`${r.stdout}\n${r.stderr}`), ms: Date.now() - t0};
  }
  const reportFile = path.join(g.workDir, `trivy-${g.outcomes.length}.json`);
  const trivyEnv: Record<string, string> = {...env};
  if (g.client.hasPrivateTrust(t.repo.registry)) {
    // trivy (Go) reads one CA bundle from SSL_CERT_FILE: the trust the step has for the registry
    const bundle = path.join(g.workDir, `trivy-ca-${g.outcomes.length}.pem`);
    fs.writeFileSync(bundle, g.client.caBundle(t.repo.registry), {mode: 0o600});
    trivyEnv['SSL_CERT_FILE'] = bundle;
  }
  const args = trivyArgs(ref, {
    severity: g.gate.severity,
    reportFile,
    plainHttp: await g.client.plainHttp(t.repo.registry)
  });
  const r = await g.runner.run('trivy', args, {env: trivyEnv, stream: true, allowFailure: true});
  let report: TrivyReport | undefined;
  let lines: string[] = [];
  if (fs.existsSync(reportFile)) {
    const parsed = parseTrivyReport(fs.readFileSync(reportFile, 'utf8'));
    if (typeof parsed === 'string') g.host.warning(`scan: ${parsed}`);
    else {
      report = parsed;
      lines = [`findings: ${countsLine(parsed.counts, g.gate.severity)}`, ...findingLines(parsed)];
      for (const l of lines) g.host.info(l);
    }
    fs.rmSync(reportFile, {force: true});
  }
  g.host.info(`scan: trivy exit ${r.exitCode} after ${secs()}s`);
  const out = lines.length ? lines.join('\n') : tail(`${r.stdout}\n${r.stderr}`);
  return {name, image: t.image, exitCode: r.exitCode, tail: out, report, ms: Date.now() - t0};
}

/** Runs the gates (trivy, then the command) for every repository in turn; the first failure throws, before any tag moves. */
export async function runGates(g: GateRun): Promise<void> {
  const names: GateOutcome['name'][] = [
    ...(g.gate.scan ? ['trivy' as const] : []),
    ...(g.gate.command ? ['gate' as const] : [])
  ];
  for (const t of distinctRepos(g.targets)) {
    for (const name of names) {
      const o = await runOne(g, t, name);
      g.outcomes.push(o);
      if (o.exitCode !== 0) {
        const what = name === 'trivy' ? 'scan: trivy' : 'gate';
        throw new PhaseError(
          'gate',
          `${what} failed with exit code ${o.exitCode} on ${t.image}@${g.digest}: no tag moved (the image stays pushed by digest only).\n` +
            `${o.tail}\n` +
            (name === 'trivy'
              ? 'Fix the findings (rebuild on patched packages), or change scan-severity.'
              : 'Fix what the gate reports, or change the gate command.')
        );
      }
      g.host.info(`${name} passed on ${t.image}@${g.digest}`);
    }
  }
}
