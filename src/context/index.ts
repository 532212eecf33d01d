/** Which CI runs the step, and its context: GitHub Actions, GitLab CI, or the local git repository. */
import * as os from 'node:os';
import {Runner} from '../tools/exec';
import {githubContext} from './github';
import {gitlabContext, isGitLab} from './gitlab';
import {localContext} from './local';
import {RunContext} from './types';

type Env = Record<string, string | undefined>;

export function tempDirFrom(env: Env): string {
  return env['RUNNER_TEMP'] || os.tmpdir();
}

export async function detectContext(env: Env, runner: Runner): Promise<RunContext> {
  const tempDir = tempDirFrom(env);
  if (env['GITHUB_ACTIONS'] === 'true') return githubContext(env, tempDir);
  if (isGitLab(env)) return gitlabContext(env, tempDir);
  return localContext(env, runner, tempDir);
}

export type {RunContext} from './types';
