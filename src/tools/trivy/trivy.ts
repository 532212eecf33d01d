/** `scan: trivy`: the trivy command line and its JSON report, as pure functions (the gate runs them). */

export const SEVERITIES = ['UNKNOWN', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const DEFAULT_SEVERITY: Severity[] = ['CRITICAL', 'HIGH'];

export interface TrivyOptions {
  severity: readonly string[];
  /** where trivy writes its JSON report */
  reportFile: string;
  /** the registry speaks plain HTTP (a loopback or insecure-registries host) */
  plainHttp: boolean;
}

/** `trivy image --exit-code 1 --severity ... --ignore-unfixed ... <ref>`: fails (exit 1) on any finding kept. */
export function trivyArgs(ref: string, o: TrivyOptions): string[] {
  return [
    'image',
    '--exit-code',
    '1',
    '--severity',
    o.severity.join(','),
    '--ignore-unfixed',
    '--format',
    'json',
    '--output',
    o.reportFile,
    ...(o.plainHttp ? ['--insecure'] : []),
    ref
  ];
}

export interface Finding {
  id: string;
  severity: string;
  pkg: string;
  installed: string;
  fixed: string;
  target: string;
  title: string;
}

export interface TrivyReport {
  /** findings per severity, every severity listed (0 when none) */
  counts: Record<Severity, number>;
  findings: Finding[];
}

interface RawReport {
  Results?: {
    Target?: string;
    Vulnerabilities?: {
      VulnerabilityID?: string;
      PkgName?: string;
      InstalledVersion?: string;
      FixedVersion?: string;
      Severity?: string;
      Title?: string;
    }[];
  }[];
}

/** Parses trivy's `--format json` report; a message when it is not one. */
export function parseTrivyReport(text: string): TrivyReport | string {
  let raw: RawReport;
  try {
    raw = JSON.parse(text) as RawReport;
  } catch (e) {
    return `the trivy report is not JSON (${(e as Error).message})`;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'the trivy report is not a JSON object';
  const counts = Object.fromEntries(SEVERITIES.map(s => [s, 0])) as Record<Severity, number>;
  const findings: Finding[] = [];
  for (const r of raw.Results ?? []) {
    for (const v of r.Vulnerabilities ?? []) {
      const severity = (SEVERITIES as readonly string[]).includes(v.Severity ?? '')
        ? (v.Severity as Severity)
        : 'UNKNOWN';
      counts[severity]++;
      findings.push({
        id: v.VulnerabilityID ?? '',
        severity,
        pkg: v.PkgName ?? '',
        installed: v.InstalledVersion ?? '',
        fixed: v.FixedVersion ?? '',
        target: r.Target ?? '',
        title: v.Title ?? ''
      });
    }
  }
  const rank = (s: string): number => SEVERITIES.indexOf(s as Severity);
  findings.sort((a, b) => rank(b.severity) - rank(a.severity) || a.id.localeCompare(b.id));
  return {counts, findings};
}

/** `CRITICAL 1 · HIGH 3` over the severities asked for (all five when none is given). */
export function countsLine(counts: Record<Severity, number>, asked: readonly string[] = []): string {
  const shown = [...SEVERITIES].reverse().filter(s => asked.length === 0 || asked.includes(s));
  return shown.map(s => `${s} ${counts[s]}`).join(' · ');
}

/** One line per finding, worst first: what the log and the summary show. */
export function findingLines(r: TrivyReport, max = 20): string[] {
  const lines = r.findings
    .slice(0, max)
    .map(
      f =>
        `${f.severity} ${f.id} ${f.pkg} ${f.installed}${f.fixed ? ` (fixed in ${f.fixed})` : ''}${f.target ? ` [${f.target}]` : ''}`
    );
  if (r.findings.length > max) lines.push(`... and ${r.findings.length - max} more`);
  return lines;
}
