/** The plan in words: what dry-run prints. Built from the same Plan that execute() runs, never separately. */
import {signArgs} from '../tools/cosign/cosign';
import {trivyArgs} from '../tools/trivy/trivy';
import {describePaths} from './datapath';
import {legSignatureAnnotations} from './staging';
import {Plan} from './types';

export function describePlan(p: Plan): string[] {
  const out: string[] = [...p.notes];
  for (const c of p.checks) out.push(`check: ${c}`);
  if (p.matrix) for (const l of p.matrix.include) out.push(`matrix: ${l.platform} on ${l.runner}`);
  if (p.build) out.push(`build: docker ${p.build.argv.join(' ')}`);
  if (p.push) {
    if (p.push.assumedDriver)
      out.push(
        `push: decided for buildx's docker driver; preflight reads the builder's driver (docker buildx inspect) and decides again (push-by-digest on docker-container, remote, kubernetes and cloud)`
      );
    out.push(...describePaths(p.push.decision));
  }
  if (p.merge) out.push(`merge: the legs tagged ${p.merge.stagingPrefix}* -> one index`);
  if (p.promote) out.push(`promote: copy ${p.promote.ref} by digest`);
  if (p.stage)
    out.push(`stage: ${p.stage.platform} as a record tagged ${p.stage.stagingPrefix}<platform> (no tag moves)`);
  if (p.pushing)
    out.push(
      `check: every target holds the digest with ${p.platforms.length ? p.platforms.join(', ') : 'its platforms'}`
    );
  if (p.merge)
    out.push(
      p.sign
        ? `merge: each leg's digest must carry this signer's signature for run ${p.run.id}-${p.run.attempt} and its platform (cosign verify -a ${legSignatureAnnotations(`${p.run.id}-${p.run.attempt}`, '<platform>').join(' -a ')})`
        : "merge: not signing: the legs' records are trusted as the registry holds them"
    );
  if (p.sign)
    for (const r of p.sign.repos) {
      const leg = p.stage
        ? {
            ...r.options,
            annotations: [
              ...(r.options.annotations ?? []),
              ...legSignatureAnnotations(`${p.run.id}-${p.run.attempt}`, p.stage.platform)
            ]
          }
        : r.options;
      out.push(
        `sign: cosign ${signArgs(`${r.image}@<digest>`, leg).join(' ')}${p.sign.platforms && !p.stage ? ' (and each platform digest)' : ''}`
      );
    }
  if (p.gate)
    for (const t of p.targets) {
      if (p.gate.scan)
        out.push(
          `gate: trivy ${trivyArgs(`${t.image}@<digest>`, {severity: p.gate.severity, reportFile: '<report>', plainHttp: false}).join(' ')}`
        );
      if (p.gate.command) out.push(`gate: sh -c ${JSON.stringify(p.gate.command)} for ${t.image}@<digest>`);
    }
  if (p.pushing && !p.stage)
    for (const t of p.targets) out.push(`tag: ${t.image}:{${p.tags.join(',')}} -> the pushed digest`);
  if (p.prune)
    for (const t of p.targets)
      out.push(
        `prune: ${t.image}: tags matching /${p.prune.match.source}/ beyond the newest ${p.prune.keep}` +
          (p.prune.olderThan ? ` and older than ${p.prune.olderThan}` : '') +
          `, unless a staying tag shares the digest; their cosign tags with them${p.dryRun ? '' : ' (deleted by digest)'}`
      );
  if (p.merge) out.push("cleanup: the legs' staging records are removed");
  out.push(
    p.logout
      ? `logout: ${p.dockerConfig} removed at the end`
      : `logout: false: DOCKER_CONFIG=${p.dockerConfig} kept for later steps`
  );
  return out;
}
