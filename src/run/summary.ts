/** The job summary: one readable table of what landed, or why nothing did. Pure: returns markdown. */

export interface SummaryData {
  images: string[];
  version: string;
  tags: string[];
  digest: string;
  platformDigests: Record<string, string>;
  size: number;
  refs: string[];
  signatures: Record<string, string>;
  verifyCommands: string[];
  notPushedReason: string;
  timings: [string, number][];
  dryRun: boolean;
  /** how a failed run ended: the phase and the error */
  failure?: {phase: string; message: string; pushed?: string};
  /** more markdown at the end (the gate's table) */
  extra?: string;
}

const esc = (s: string): string => s.replace(/\|/g, '\\|');

export function humanSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = bytes;
  let u = -1;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

const FAILURE_LEAD: Record<string, string> = {
  tag: 'What moved and what was put back:',
  configuration: 'Nothing was built, pushed or tagged. Fix the inputs named below and run again:',
  metadata: 'Nothing was built, pushed or tagged:',
  preflight: 'Nothing was built, pushed or tagged:',
  gate: 'No tag was moved: every tag is where it was, and the image stays pushed by digest only.',
  prune: 'Tags deleted before the failure are listed in the log (deleted ...); the others are where they were:'
};

/** The summary of a run stopped before its plan existed (a configuration or metadata problem). */
export function failureSummary(phase: string, message: string, timings: [string, number][]): string {
  return renderSummary({
    images: [],
    version: '',
    tags: [],
    digest: '',
    platformDigests: {},
    size: 0,
    refs: [],
    signatures: {},
    verifyCommands: [],
    notPushedReason: '',
    timings,
    dryRun: false,
    failure: {phase, message}
  });
}

export function renderSummary(d: SummaryData): string {
  const out: string[] = ['## publish-image', ''];
  if (d.failure) {
    out.push(
      `> **Failed in ${esc(d.failure.phase)}.** ${FAILURE_LEAD[d.failure.phase] ?? 'No tag was moved: every tag is where it was.'}`,
      ...(d.failure.pushed
        ? [
            '>',
            `> Already done: pushed by digest \`${d.failure.pushed}\` (untagged)${Object.keys(d.signatures).length ? ', signed and verified' : ''}.`
          ]
        : []),
      '',
      '```text',
      ...d.failure.message.replace(/```/g, "'''").split('\n').slice(0, 30),
      '```',
      ''
    );
  } else if (d.dryRun) out.push('> Dry run: nothing was built, pushed or signed.', '');
  else if (!d.digest) out.push(`> Nothing was pushed: ${d.notPushedReason}`, '');
  // a run stopped before its plan existed has no image facts to show
  if (d.failure && !d.images.length) return out.join('\n') + '\n';
  out.push('| | |', '|---|---|');
  out.push(`| version | \`${esc(d.version || '(none)')}\` |`);
  out.push(`| images | ${d.images.map(i => `\`${esc(i)}\``).join('<br>') || '(none)'} |`);
  out.push(`| tags | ${d.tags.map(t => `\`${esc(t)}\``).join('<br>') || '(none)'} |`);
  if (d.digest) {
    out.push(`| digest | \`${d.digest}\` |`);
    for (const [p, dg] of Object.entries(d.platformDigests)) out.push(`| ${esc(p)} | \`${dg}\` |`);
    out.push(`| size | ${humanSize(d.size)} |`);
  }
  for (const [ref, sig] of Object.entries(d.signatures)) out.push(`| signed | \`${esc(ref)}\` → \`${esc(sig)}\` |`);
  if (d.timings.length)
    out.push(`| time | ${d.timings.map(([p, ms]) => `${p} ${(ms / 1000).toFixed(1)}s`).join(' · ')} |`);
  if (d.verifyCommands.length) {
    out.push('', 'Verify:', '', '```sh', ...d.verifyCommands, '```');
  }
  if (d.extra) out.push('', d.extra);
  return out.join('\n') + '\n';
}
