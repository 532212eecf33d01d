/**
 * A cancelled step, on the real engine: the main step gets SIGTERM (as a cancelled job's runner sends it) while its
 * `docker buildx build` runs a slow RUN step; or it is killed with SIGKILL there, and only the post step can clean up;
 * or the CLI gets SIGINT (Ctrl-C). Afterwards no process of the step is left (found by a marker in the environment
 * that every child inherits), nothing of it is under RUNNER_TEMP, and nothing was pushed or tagged.
 */
import {ChildProcess, spawn} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {errorLines, NODE, ROOT, runAction, RunResult, tagEvent} from '../helpers/harness';
import {basicAccess, testEnv, uniqueRepo} from '../helpers/env';
import {listTags} from '../helpers/registry';

const env = testEnv();
const reg = basicAccess(env);
const COMPILE_CACHE = 'publish-image-compile-cache';

/** A build context whose RUN step prints `marker`, then sleeps far longer than any test waits. */
function slowContext(marker: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-slow-'));
  fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${env.PI_BASE_IMAGE}\nRUN echo ${marker} && sleep 120\n`);
  return dir;
}

interface Proc {
  pid: number;
  cmdline: string;
}

/** Every live process whose environment holds PI_CANCEL_MARK=<mark>: the step and anything it started. */
function processesMarked(mark: string): Proc[] {
  const out: Proc[] = [];
  for (const n of fs.readdirSync('/proc').filter(d => /^\d+$/.test(d))) {
    try {
      if (/^State:\s+Z/m.test(fs.readFileSync(`/proc/${n}/status`, 'utf8'))) continue;
      if (!fs.readFileSync(`/proc/${n}/environ`, 'utf8').split('\0').includes(`PI_CANCEL_MARK=${mark}`)) continue;
      out.push({pid: Number(n), cmdline: fs.readFileSync(`/proc/${n}/cmdline`, 'utf8').split('\0').join(' ').trim()});
    } catch {
      // gone while we looked
    }
  }
  return out;
}

/** What is under a RUNNER_TEMP, but the compile cache of the bundle (code, kept for later steps on purpose). */
function entriesOf(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter(n => n !== COMPILE_CACHE) : [];
}

/** RUNNER_TEMP of a running process, from its environment. */
function runnerTempOf(pid: number): string {
  const kv = fs
    .readFileSync(`/proc/${pid}/environ`, 'utf8')
    .split('\0')
    .find(l => l.startsWith('RUNNER_TEMP='));
  return kv?.slice('RUNNER_TEMP='.length) ?? '';
}

/** Sends `signal` once the build prints `marker` (the RUN step runs); records what is left when the main exits. */
function signalDuringBuild(
  child: ChildProcess,
  marker: string,
  signal: NodeJS.Signals,
  mark: string,
  seen: {afterMain?: {procs: Proc[]; entries: string[]}; sent?: boolean}
): void {
  let out = '';
  let temp = '';
  child.stdout?.on('data', (d: Buffer) => {
    if (!temp && child.pid) temp = runnerTempOf(child.pid);
    out += d.toString();
    if (!seen.sent && new RegExp(`#\\d+ [\\d.]+ ${marker}`).test(out)) {
      seen.sent = true;
      child.kill(signal);
    }
  });
  child.on('exit', () => {
    seen.afterMain = {procs: processesMarked(mark).filter(p => p.pid !== child.pid), entries: entriesOf(temp)};
  });
}

const inputs = (repo: string, context: string): Record<string, string> => ({
  images: `${reg.host}/${repo}`,
  context,
  platforms: 'linux/amd64',
  push: 'true',
  username: reg.user,
  password: reg.password
});

interface Cancelled {
  repo: string;
  mark: string;
  seen: {afterMain?: {procs: Proc[]; entries: string[]}; sent?: boolean};
  /** the run (throws when it has not happened: no assertion passes on a missing run) */
  readonly run: RunResult;
}

/** A main step sent `signal` during its slow build, then its post step; what was seen when the main step exited. */
function cancelledRun(name: string, signal: NodeJS.Signals): Cancelled {
  const marker = `slow-${randomBytes(4).toString('hex')}`;
  let result: RunResult | undefined;
  const c: Cancelled = {
    repo: uniqueRepo(name),
    mark: randomBytes(6).toString('hex'),
    seen: {},
    get run(): RunResult {
      if (!result) throw new Error(`the ${signal} run did not happen`);
      return result;
    }
  };
  beforeAll(async () => {
    result = await runAction({
      event: tagEvent('v1.0.0'),
      env: {PI_CANCEL_MARK: c.mark},
      inputs: inputs(c.repo, slowContext(marker)),
      onMainSpawn: child => signalDuringBuild(child, marker, signal, c.mark, c.seen)
    });
  });
  return c;
}

describe('SIGTERM to the main step during the build', () => {
  const c = cancelledRun('cancel-term', 'SIGTERM');

  test('the main step stops its build and exits non-zero with a line that says so', () => {
    expect(c.seen.sent).toBe(true);
    expect(c.run.main.exitCode).not.toBe(0);
    expect(errorLines(c.run.main.stdout).join('\n')).toMatch(
      /::error::cancelled by SIGTERM: stopped 1 child process\(es\) \(docker\); the step's working folders are removed/
    );
  });

  test('when the main step has exited, none of its processes is left and nothing of it under RUNNER_TEMP', () => {
    expect(c.seen.afterMain?.procs).toEqual([]);
    expect(c.seen.afterMain?.entries).toEqual([]);
  });

  test('the post step succeeds; nothing of the step is left; nothing was pushed or tagged', async () => {
    expect(c.run.post?.exitCode).toBe(0);
    expect(processesMarked(c.mark)).toEqual([]);
    expect(entriesOf(path.join(c.run.runnerTemp, 'temp'))).toEqual([]);
    expect(await listTags(reg, c.repo)).toEqual([]);
  });
});

describe('SIGKILL of the main step during the build: the post step stops what it left', () => {
  const c = cancelledRun('cancel-kill', 'SIGKILL');

  test('the killed main step left its docker buildx build running (what the post step has to stop)', () => {
    expect(c.seen.sent).toBe(true);
    expect(c.seen.afterMain?.procs.map(p => p.cmdline).join('\n')).toMatch(/buildx build/);
  });

  test('after the post step no process of the step is left, nothing of it under RUNNER_TEMP, nothing pushed', async () => {
    expect(c.run.post?.exitCode).toBe(0);
    expect(c.run.post?.stdout).toMatch(/stopped docker \(pid \d+\), left by the main step/);
    expect(processesMarked(c.mark)).toEqual([]);
    expect(entriesOf(path.join(c.run.runnerTemp, 'temp'))).toEqual([]);
    expect(await listTags(reg, c.repo)).toEqual([]);
  });
});

describe('SIGINT to the CLI during the build', () => {
  const repo = uniqueRepo('cancel-cli');
  const marker = `slow-${randomBytes(4).toString('hex')}`;
  const mark = randomBytes(6).toString('hex');
  let code = -1;
  let stderr = '';
  let left: Proc[] = [];
  let tmp = '';
  beforeAll(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-cancel-cli-'));
    tmp = path.join(dir, 'tmp');
    fs.mkdirSync(tmp);
    fs.mkdirSync(path.join(dir, 'home'));
    const context = slowContext(marker);
    const child = spawn(
      NODE,
      [path.join(ROOT, 'dist', 'cli.js'), '--context', context, '--platforms', 'linux/amd64', '--push'],
      {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          PATH: process.env['PATH'] ?? '/usr/bin:/bin',
          HOME: path.join(dir, 'home'),
          // the CLI's working folders go to os.tmpdir()
          TMPDIR: tmp,
          PI_CANCEL_MARK: mark,
          GITLAB_CI: 'true',
          CI: 'true',
          CI_COMMIT_SHA: '5f3c2a1b0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b',
          CI_COMMIT_REF_NAME: 'main',
          CI_COMMIT_TAG: 'v1.0.0',
          CI_DEFAULT_BRANCH: 'main',
          CI_PROJECT_PATH: 'group/cancel-app',
          CI_PROJECT_URL: 'https://gitlab.example.com/group/cancel-app',
          CI_PIPELINE_ID: '4242',
          CI_REGISTRY: reg.host,
          CI_REGISTRY_IMAGE: `${reg.host}/${repo}`,
          CI_REGISTRY_USER: reg.user,
          CI_REGISTRY_PASSWORD: reg.password
        }
      }
    );
    let out = '';
    let sent = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!sent && new RegExp(`#\\d+ [\\d.]+ ${marker}`).test(out)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    code = await new Promise<number>(resolve =>
      child.on('exit', c => {
        left = processesMarked(mark).filter(p => p.pid !== child.pid);
        resolve(c ?? -1);
      })
    );
  });

  test('exits 130 with the line that says what it stopped', () => {
    expect(code).toBe(130);
    expect(stderr).toMatch(/error: cancelled by SIGINT: stopped 1 child process\(es\) \(docker\)/);
  });

  test('leaves no process and no working folder; nothing was pushed', async () => {
    expect(left).toEqual([]);
    expect(entriesOf(tmp)).toEqual([]);
    expect(await listTags(reg, repo)).toEqual([]);
  });
});
