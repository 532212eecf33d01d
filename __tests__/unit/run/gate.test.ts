import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {parseConfig} from '../../../src/config/inputs';
import {gateEnv, onPath, renderGateSummary} from '../../../src/run/gate';
import {countsLine, findingLines, parseTrivyReport, TrivyReport, trivyArgs} from '../../../src/tools/trivy/trivy';

const REF = '127.0.0.1:5001/e2e/app@sha256:' + 'a'.repeat(64);

test.each<[string, {severity: string[]; plainHttp: boolean}, string[]]>([
  [
    'default severities, TLS registry',
    {severity: ['CRITICAL', 'HIGH'], plainHttp: false},
    [
      'image',
      '--exit-code',
      '1',
      '--severity',
      'CRITICAL,HIGH',
      '--ignore-unfixed',
      '--format',
      'json',
      '--output',
      '/w/r.json',
      REF
    ]
  ],
  [
    'plain HTTP registry: --insecure',
    {severity: ['CRITICAL'], plainHttp: true},
    [
      'image',
      '--exit-code',
      '1',
      '--severity',
      'CRITICAL',
      '--ignore-unfixed',
      '--format',
      'json',
      '--output',
      '/w/r.json',
      '--insecure',
      REF
    ]
  ]
])('trivyArgs: %s', (_, o, want) => {
  expect(trivyArgs(REF, {...o, reportFile: '/w/r.json'})).toEqual(want);
});

// the shape of trivy's `--format json` report (SchemaVersion 2), trimmed to the fields read
const REPORT = JSON.stringify({
  SchemaVersion: 2,
  ArtifactName: REF,
  ArtifactType: 'container_image',
  Results: [
    {
      Target: 'app (debian 12.5)',
      Class: 'os-pkgs',
      Type: 'debian',
      Vulnerabilities: [
        {
          VulnerabilityID: 'CVE-2024-0002',
          PkgName: 'libssl3',
          InstalledVersion: '3.0.11-1',
          FixedVersion: '3.0.13-1',
          Severity: 'HIGH',
          Title: 't2'
        },
        {
          VulnerabilityID: 'CVE-2024-0001',
          PkgName: 'zlib1g',
          InstalledVersion: '1:1.2.13',
          FixedVersion: '1:1.2.13.1',
          Severity: 'CRITICAL',
          Title: 't1'
        },
        {
          VulnerabilityID: 'CVE-2024-0003',
          PkgName: 'libc6',
          InstalledVersion: '2.36-9',
          FixedVersion: '2.36-9+deb12u4',
          Severity: 'HIGH'
        }
      ]
    },
    {
      Target: 'usr/local/bin/app',
      Class: 'lang-pkgs',
      Type: 'gobinary',
      Vulnerabilities: [
        {VulnerabilityID: 'GHSA-x', PkgName: 'golang.org/x/net', InstalledVersion: 'v0.1.0', Severity: 'weird'}
      ]
    },
    {Target: 'clean', Class: 'lang-pkgs', Type: 'npm'}
  ]
});

describe('parseTrivyReport', () => {
  test.each<[string, string, Partial<TrivyReport['counts']>, string[]]>([
    [
      'findings per severity, worst first, unknown severities as UNKNOWN',
      REPORT,
      {CRITICAL: 1, HIGH: 2, MEDIUM: 0, LOW: 0, UNKNOWN: 1},
      ['CVE-2024-0001', 'CVE-2024-0002', 'CVE-2024-0003', 'GHSA-x']
    ],
    ['no Results (a clean image)', JSON.stringify({SchemaVersion: 2, ArtifactName: REF}), {CRITICAL: 0, HIGH: 0}, []],
    ['Results without Vulnerabilities', JSON.stringify({Results: [{Target: 'x'}]}), {CRITICAL: 0}, []]
  ])('%s', (_, text, counts, ids) => {
    const r = parseTrivyReport(text) as TrivyReport;
    expect(r.counts).toMatchObject(counts);
    expect(r.findings.map(f => f.id)).toEqual(ids);
  });

  test.each<[string, RegExp]>([
    ['{not json', /not JSON/],
    ['[1,2]', /not a JSON object/],
    ['null', /not a JSON object/]
  ])('%j is refused', (text, msg) => expect(parseTrivyReport(text)).toMatch(msg));

  test('lines for the log and summary', () => {
    const r = parseTrivyReport(REPORT) as TrivyReport;
    expect(countsLine(r.counts, ['CRITICAL', 'HIGH'])).toBe('CRITICAL 1 · HIGH 2');
    expect(countsLine(r.counts)).toBe('CRITICAL 1 · HIGH 2 · MEDIUM 0 · LOW 0 · UNKNOWN 1');
    expect(findingLines(r, 2)).toEqual([
      'CRITICAL CVE-2024-0001 zlib1g 1:1.2.13 (fixed in 1:1.2.13.1) [app (debian 12.5)]',
      'HIGH CVE-2024-0002 libssl3 3.0.11-1 (fixed in 3.0.13-1) [app (debian 12.5)]',
      '... and 2 more'
    ]);
  });
});

test('gateEnv: what the gate command sees', () => {
  expect(gateEnv('127.0.0.1:5001/e2e/app', 'sha256:ab', ['1.2.3', 'latest'], '/tmp/cfg')).toEqual({
    PUBLISH_IMAGE_REF: '127.0.0.1:5001/e2e/app@sha256:ab',
    PUBLISH_IMAGE_DIGEST: 'sha256:ab',
    PUBLISH_IMAGE_REPOSITORY: '127.0.0.1:5001/e2e/app',
    PUBLISH_IMAGE_TAGS: '1.2.3,latest',
    DOCKER_CONFIG: '/tmp/cfg'
  });
});

test('onPath finds executables only', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-onpath-'));
  fs.writeFileSync(path.join(dir, 'trivy'), '', {mode: 0o644});
  expect(onPath('trivy', `${dir}${path.delimiter}/nonexistent`)).toBe(false);
  fs.chmodSync(path.join(dir, 'trivy'), 0o755);
  expect(onPath('trivy', `/nonexistent${path.delimiter}${dir}`)).toBe(true);
  expect(onPath('trivy', '')).toBe(false);
  fs.rmSync(dir, {recursive: true});
});

test('renderGateSummary: a row per gate run, the tail of the failing one, findings counts', () => {
  const report = parseTrivyReport(REPORT) as TrivyReport;
  const md = renderGateSummary(
    [
      {
        name: 'trivy',
        image: 'r/a',
        exitCode: 0,
        tail: '',
        report: {...report, findings: [], counts: {...report.counts, CRITICAL: 0, HIGH: 0}},
        ms: 1
      },
      {name: 'gate', image: 'r/a', exitCode: 3, tail: 'policy says no\n```', ms: 1}
    ],
    ['CRITICAL', 'HIGH']
  );
  expect(md).toContain('| trivy | `r/a` | passed | CRITICAL 0 · HIGH 0 |');
  expect(md).toContain('| gate | `r/a` | failed (exit 3) |  |');
  expect(md).toContain("```text\npolicy says no\n'''\n```");
});

describe('gate and prune inputs', () => {
  test.each<[string, Record<string, string>, object]>([
    ['defaults', {}, {gate: '', scan: '', scanSeverity: ['CRITICAL', 'HIGH'], pruneMatchRe: undefined, pruneKeep: 10}],
    [
      'gate and scan',
      {gate: 'exit 0', scan: 'trivy', 'scan-severity': 'critical, medium'},
      {gate: 'exit 0', scan: 'trivy', scanSeverity: ['CRITICAL', 'MEDIUM']}
    ],
    ['gate on merge', {mode: 'merge', gate: 'true', platforms: 'linux/amd64'}, {gate: 'true'}],
    [
      'prune',
      {mode: 'prune', 'prune-match': '^sha-', 'prune-keep': '3', 'prune-older-than': '30d'},
      {mode: 'prune', pruneMatchRe: /^sha-/, pruneKeep: 3, pruneOlderThan: '30d', pruneOlderThanMs: 30 * 86_400_000}
    ],
    ['prune without age limit', {mode: 'prune', 'prune-match': '.'}, {pruneOlderThanMs: undefined, pruneKeep: 10}]
  ])('%s', (_, inputs, want) => expect(parseConfig(inputs)).toMatchObject(want));

  test.each<[Record<string, string>, RegExp]>([
    [{scan: 'grype'}, /^scan: "grype" is not a scanner this action runs; write trivy/],
    [
      {'scan-severity': 'HIGH,SEVERE'},
      /^scan-severity: "SEVERE" is not a severity; write a comma-separated list of UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL$/
    ],
    [
      {mode: 'build', platforms: 'linux/amd64', gate: 'true'},
      /^gate: mode build moves no tag, so there is nothing to gate; put it on the step that tags/
    ],
    [{mode: 'prune', 'prune-match': '^a', scan: 'trivy'}, /^scan: mode prune moves no tag/],
    [{mode: 'prune'}, /^prune-match: mode prune needs a regular expression over tag names/],
    [{mode: 'prune', 'prune-match': 'sha-('}, /^prune-match: "sha-\(" is not a regular expression .*; fix it/],
    [
      {mode: 'prune', 'prune-match': '^a', 'prune-older-than': '30'},
      /^prune-older-than: "30" is not a duration; write a positive whole number and a unit/
    ],
    [{mode: 'prune', 'prune-match': '^a', 'prune-keep': '-2'}, /^prune-keep: "-2" is not a whole number/],
    [{'prune-match': '^a'}, /^prune-match: only mode prune takes prune-match \(mode is publish\); set mode: prune/],
    [{'prune-older-than': '1d'}, /^prune-older-than: only mode prune takes prune-older-than/]
  ])('%j is refused, naming the input and the fix', (inputs, msg) => expect(() => parseConfig(inputs)).toThrow(msg));
});
