/**
 * Large images (issue 14): 512 MiB of random data in 4 layers, the build cached, one platform, against the raw CLI
 * (`docker buildx build --push`) in the same run, alternating which goes first, several repetitions:
 * - fresh: the registry holds none of the blobs (a new registry process with empty storage per repetition);
 * - new repository: the blobs are in the same registry under another repository;
 * - re-push: the same content to the same repository again;
 * plus the step's peak RSS (VmHWM of its process) and three registries against one (fresh registries each time), for
 * the step and for the raw CLI (one build with three `--tag`s: what this machine allows three registries at all).
 * Writes bench/results/large.json and prints a markdown table for docs/benchmarks.md.
 */
import {ChildProcess, spawn, spawnSync} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import {NODE, ROOT, runAction, tagEvent} from '../__tests__/helpers/harness';

const REPS = Number(process.env['BENCH_REPS'] || 5);
const MIB = Number(process.env['BENCH_MIB'] || 512);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-bench-large-'));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

interface Registry {
  host: string;
  proc: ChildProcess;
  dir: string;
}

async function startRegistry(): Promise<Registry> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(work, 'reg-'));
  const cfg = path.join(dir, 'config.yml');
  fs.writeFileSync(
    cfg,
    [
      'version: 0.1',
      'log: {level: warn, accesslog: {disabled: true}}',
      'storage:',
      `  filesystem: {rootdirectory: ${dir}/storage}`,
      '  delete: {enabled: true}',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      '  secret: bench'
    ].join('\n') + '\n'
  );
  const proc = spawn('docker-registry', ['serve', cfg], {stdio: 'ignore'});
  const host = `127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`http://${host}/v2/`).then(
      r => r.ok,
      () => false
    );
    if (ok) return {host, proc, dir};
    await new Promise(r => setTimeout(r, 50));
  }
  throw new Error(`registry on ${host} did not start`);
}

async function stopRegistry(r: Registry): Promise<void> {
  await new Promise<void>(resolve => {
    r.proc.once('exit', () => resolve());
    r.proc.kill('SIGTERM');
  });
  fs.rmSync(r.dir, {recursive: true, force: true});
}

function context(): string {
  const dir = path.join(work, 'context');
  fs.mkdirSync(dir);
  const lines = ['FROM scratch'];
  for (let i = 0; i < 4; i++) {
    fs.writeFileSync(path.join(dir, `layer${i}`), randomBytes((MIB * 1024 * 1024) / 4));
    lines.push(`COPY layer${i} /layer${i}`);
  }
  fs.writeFileSync(path.join(dir, 'Dockerfile'), lines.join('\n') + '\n');
  return dir;
}

const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;

/** The step, main and post, as the runner runs it; its time and the main process's peak RSS (KiB). */
async function step(ctx: string, images: string[]): Promise<{ms: number; rssKiB: number; ok: boolean}> {
  let rss = 0;
  const t0 = process.hrtime.bigint();
  const r = await runAction({
    event: tagEvent('v1.2.3'),
    // the buildx state the raw CLI uses: the harness's fresh HOME per run would give buildx a new build-context
    // cache each time and send the whole 512 MiB context again (as on a fresh runner, for both alike)
    env: {BUILDX_CONFIG: process.env['BUILDX_CONFIG'] || path.join(os.homedir(), '.docker', 'buildx')},
    inputs: {
      images: images.join('\n'),
      context: ctx,
      platforms: 'linux/amd64',
      push: 'true',
      'github-token': '',
      // anonymous registries
      'registry-auth': [...new Set(images.map(i => i.split('/')[0]))].map(h => `- registry: ${h}`).join('\n')
    },
    onMainSpawn: child => {
      const read = (): void => {
        try {
          const m = /VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
          if (m) rss = Math.max(rss, Number(m[1]));
        } catch {
          // exited
        }
      };
      const timer = setInterval(read, 20);
      child.on('exit', () => clearInterval(timer));
    }
  });
  const t = ms(t0);
  if (r.main.exitCode !== 0) console.error(r.main.stdout.slice(-3000));
  return {ms: t, rssKiB: rss, ok: r.main.exitCode === 0 && r.post?.exitCode === 0};
}

function raw(ctx: string, ...images: string[]): {ms: number; ok: boolean} {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(
    'docker',
    ['buildx', 'build', '--platform', 'linux/amd64', ...images.flatMap(i => ['--tag', `${i}:latest`]), '--push', ctx],
    {
      stdio: ['ignore', 'ignore', 'pipe']
    }
  );
  return {ms: ms(t0), ok: r.status === 0};
}

interface Sample {
  case: string;
  who: 'step' | 'raw';
  ms: number;
  ok: boolean;
  rssKiB?: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

async function main(): Promise<void> {
  const ctx = context();
  const samples: Sample[] = [];
  // warm-up: the build is cached from here on, for both
  {
    const r = await startRegistry();
    raw(ctx, `${r.host}/warm/raw`);
    await step(ctx, [`${r.host}/warm/step`]);
    await stopRegistry(r);
  }
  for (let i = 0; i < REPS; i++) {
    const order: ('step' | 'raw')[] = i % 2 ? ['raw', 'step'] : ['step', 'raw'];
    const regs: Record<string, Registry> = {step: await startRegistry(), raw: await startRegistry()};
    for (const [name, repo] of [
      ['fresh', 'a/app'],
      ['new repository', 'b/app'],
      ['re-push', 'b/app']
    ] as const) {
      for (const who of order) {
        const image = `${(regs[who] as Registry).host}/${repo}`;
        if (who === 'step') {
          const s = await step(ctx, [image]);
          samples.push({case: name, who, ...s});
        } else samples.push({case: name, who, ...raw(ctx, image)});
      }
    }
    for (const r of Object.values(regs)) await stopRegistry(r);
    // one registry against three, each fresh, for the step and (the floor of this machine) for the raw CLI
    for (const who of order) {
      const one = await startRegistry();
      const three = [await startRegistry(), await startRegistry(), await startRegistry()];
      const runs: [string, Registry[]][] =
        i % 2
          ? [
              ['three', three],
              ['one', [one]]
            ]
          : [
              ['one', [one]],
              ['three', three]
            ];
      for (const [name, rs] of runs) {
        const images = rs.map(r => `${r.host}/c/app`);
        const s = who === 'step' ? await step(ctx, images) : raw(ctx, ...images);
        samples.push({case: `${name} registr${name === 'one' ? 'y' : 'ies'}`, who, ...s});
      }
      for (const r of [one, ...three]) await stopRegistry(r);
    }
    console.error(`bench: repetition ${i + 1}/${REPS} done`);
  }
  const by = (c: string, who: string): Sample[] => samples.filter(s => s.case === c && s.who === who && s.ok);
  const fmt = (xs: Sample[]): string =>
    xs.length
      ? `${(median(xs.map(s => s.ms)) / 1000).toFixed(2)} s (${(Math.min(...xs.map(s => s.ms)) / 1000).toFixed(2)}–${(Math.max(...xs.map(s => s.ms)) / 1000).toFixed(2)})`
      : 'n/a';
  const lines = [
    `| case | raw \`buildx --push\` | publish-image | ratio | difference | step peak RSS | failed (step/raw) |`,
    '|---|---|---|---|---|---|---|'
  ];
  for (const c of ['fresh', 'new repository', 're-push']) {
    const a = by(c, 'step');
    const b = by(c, 'raw');
    const ma = median(a.map(s => s.ms));
    const mb = median(b.map(s => s.ms));
    const rss = Math.max(...a.map(s => s.rssKiB ?? 0)) / 1024;
    const failed = `${samples.filter(s => s.case === c && s.who === 'step' && !s.ok).length}/${samples.filter(s => s.case === c && s.who === 'raw' && !s.ok).length}`;
    lines.push(
      `| ${c} | ${fmt(b)} | ${fmt(a)} | ${(ma / mb).toFixed(2)}× | ${((ma - mb) / 1000).toFixed(2)} s | ${rss.toFixed(0)} MiB | ${failed} |`
    );
  }
  const ratio = (a: Sample[], b: Sample[]): string =>
    `${(median(a.map(s => s.ms)) / median(b.map(s => s.ms))).toFixed(2)}×`;
  const [one, three, rawOne, rawThree] = [
    by('one registry', 'step'),
    by('three registries', 'step'),
    by('one registry', 'raw'),
    by('three registries', 'raw')
  ];
  lines.push(
    '',
    `| registries (fresh) | publish-image | raw \`buildx --push\` (three \`--tag\`s) | step / raw |`,
    '|---|---|---|---|',
    `| one | ${fmt(one)} | ${fmt(rawOne)} | ${ratio(one, rawOne)} |`,
    `| three | ${fmt(three)} | ${fmt(rawThree)} | ${ratio(three, rawThree)} |`,
    `| three / one | ${ratio(three, one)} | ${ratio(rawThree, rawOne)} | |`,
    '',
    `peak RSS over every step run: ${(Math.max(...samples.filter(s => s.who === 'step').map(s => s.rssKiB ?? 0)) / 1024).toFixed(0)} MiB`
  );
  const node = spawnSync(NODE, ['--version'], {encoding: 'utf8'}).stdout.trim();
  fs.mkdirSync(path.join(ROOT, 'bench', 'results'), {recursive: true});
  fs.writeFileSync(
    path.join(ROOT, 'bench', 'results', 'large.json'),
    JSON.stringify({date: new Date().toISOString(), reps: REPS, mib: MIB, node, samples}, null, 2) + '\n'
  );
  console.log(`node ${node}, ${REPS} repetitions, ${MIB} MiB in 4 layers\n\n${lines.join('\n')}`);
  fs.rmSync(work, {recursive: true, force: true});
}

main().catch(e => {
  console.error(e);
  fs.rmSync(work, {recursive: true, force: true});
  process.exit(1);
});
