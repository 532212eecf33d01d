import {spawn} from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {ExecRunner, parsePidFile, stopRecordedChildren} from '../../../src/tools/exec';

test("tools run without the step's inputs in their environment (INPUT_*, PUBLISH_IMAGE_*), with what they are given", async () => {
  const saved = {...process.env};
  process.env['INPUT_PASSWORD'] = 'input-secret-Zq1';
  process.env['PUBLISH_IMAGE_COSIGN_PASSWORD'] = 'cli-secret-Zq2';
  process.env['PI_UNIT_KEPT'] = 'kept';
  try {
    const r = await new ExecRunner().run('env', [], {env: {GIVEN: 'given'}});
    const names = r.stdout.split('\n').map(l => l.split('=')[0]);
    expect(names).not.toContain('INPUT_PASSWORD');
    expect(names).not.toContain('PUBLISH_IMAGE_COSIGN_PASSWORD');
    expect(r.stdout).toContain('PI_UNIT_KEPT=kept');
    expect(r.stdout).toContain('GIVEN=given');
  } finally {
    process.env = saved;
  }
});

/** Whether a process is alive (and not a zombie). */
function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

async function waitFor(file: string): Promise<string> {
  while (!fs.existsSync(file) || !fs.readFileSync(file, 'utf8').trim()) await new Promise(r => setTimeout(r, 20));
  return fs.readFileSync(file, 'utf8').trim();
}

describe('children: stopped on a cancel, process group and all', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-exec-'));
  });
  afterEach(() => fs.rmSync(dir, {recursive: true, force: true}));

  test('stopChildren ends a running tool and the process it started; the pid file lists it while it runs', async () => {
    // in a directory that does not exist yet (RUNNER_TEMP before the step made anything in it)
    const pidFile = path.join(dir, 'temp', 'children.pids');
    const grandchild = path.join(dir, 'grandchild');
    const runner = new ExecRunner({pidFile});
    const running = runner.run('sh', ['-c', `sleep 300 & echo $! > ${grandchild}; wait`], {allowFailure: true});
    const gpid = Number(await waitFor(grandchild));
    const recorded = parsePidFile(fs.readFileSync(pidFile, 'utf8'));
    expect(recorded.map(c => c.comm)).toEqual(['sh']);
    expect(runner.running()).toEqual(recorded);
    expect(alive(gpid)).toBe(true);

    expect(await runner.stopChildren('SIGTERM')).toEqual(['sh']);
    expect((await running).exitCode).toBe(128 + 15);
    expect(alive(gpid)).toBe(false);
    expect(fs.existsSync(pidFile)).toBe(false);
    await expect(runner.run('true', [])).rejects.toThrow('cancelled (SIGTERM): true is not started');
  });

  test('a tool that ignores SIGTERM is killed after the grace time', async () => {
    const started = path.join(dir, 'started');
    const runner = new ExecRunner();
    const running = runner.run('sh', ['-c', `trap '' TERM; echo up > ${started}; while :; do sleep 1; done`], {
      allowFailure: true
    });
    await waitFor(started);
    await runner.stopChildren('SIGTERM', 200);
    expect((await running).exitCode).toBe(128 + 9);
  });

  test('stopRecordedChildren: the post step stops what a killed runner left, and only that', async () => {
    // a group left behind: its leader is gone, a member still runs (as a buildx plugin outliving the docker CLI)
    const member = path.join(dir, 'member');
    const leader = spawn('sh', ['-c', `sleep 300 & echo $! > ${member}`], {detached: true, stdio: 'ignore'});
    const mpid = Number(await waitFor(member));
    const pgid = leader.pid as number;
    // a live process group of another program whose pid the file names with another name: left alone
    const other = spawn('sleep', ['300'], {detached: true, stdio: 'ignore'});
    const pidFile = path.join(dir, 'left.pids');
    fs.writeFileSync(pidFile, `${pgid} docker\n${other.pid} docker\nnot a line\n`);
    try {
      expect(await stopRecordedChildren(pidFile)).toEqual([`docker (pid ${pgid})`]);
      expect(alive(mpid)).toBe(false);
      expect(alive(other.pid as number)).toBe(true);
      expect(fs.existsSync(pidFile)).toBe(false);
    } finally {
      other.kill('SIGKILL');
    }
  });

  test.each([
    [
      '123 docker\n456 docker-buildx\n',
      [
        {pid: 123, comm: 'docker'},
        {pid: 456, comm: 'docker-buildx'}
      ]
    ],
    ['1 init\n0 x\n-5 y\n\nabc\n', []],
    ['  77 sh  \n', [{pid: 77, comm: 'sh'}]]
  ])('parsePidFile(%j)', (text, expected) => {
    expect(parsePidFile(text)).toEqual(expected);
  });
});

test('a tool not on PATH: the error names it', async () => {
  await expect(new ExecRunner().run('no-such-tool-pi', [])).rejects.toThrow(
    'Unable to locate executable file: no-such-tool-pi'
  );
});
