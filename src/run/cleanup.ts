/** What a run leaves to clean, and the clean-up itself: logout, the step's Docker config, daemon CA files. */
import * as fs from 'node:fs';
import {errorMessage} from '../errors';
import {removeDaemonCA, removeDockerConfig} from '../tools/docker/config';
import {Runner} from '../tools/exec';

/** Never holds a secret: handed to the post step (GitHub) through its state. */
export interface PostState {
  /** private DOCKER_CONFIG directory ('' when none was made) */
  dockerConfig: string;
  registries: string[];
  logout: boolean;
  /** CA files this step installed for the daemon */
  daemonCAs: string[];
  /** the working directory (secrets, layout, CA and token files) */
  workDir?: string;
}

/** Removes what the run left; returns problems as warnings (a clean-up never fails the run). */
export async function cleanup(runner: Runner, state: PostState): Promise<string[]> {
  const problems: string[] = [];
  try {
    if (state.workDir) fs.rmSync(state.workDir, {recursive: true, force: true});
    if (state.logout && state.dockerConfig) {
      problems.push(...removeDockerConfig(state.dockerConfig));
      for (const f of state.daemonCAs) await removeDaemonCA(runner, f);
    }
  } catch (e) {
    problems.push(`clean-up: ${errorMessage(e)}`);
  }
  return problems;
}
