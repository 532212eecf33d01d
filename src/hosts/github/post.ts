/** The post step: log out and remove the step's Docker config, even when the main step failed. Never fails the job. */
import * as core from '@actions/core';
import {removeDaemonCA, removeDockerConfig} from '../../tools/docker/config';
import {errorMessage} from '../../errors';
import {Runner} from '../../tools/exec';
import {readState} from './state';

export async function post({env, runner}: {env: Record<string, string | undefined>; runner: Runner}): Promise<void> {
  try {
    const state = readState(env);
    if (!state?.dockerConfig) return;
    if (!state.logout) {
      core.info(`logout: false: keeping the Docker config at ${state.dockerConfig}`);
      return;
    }
    await core.group('Logout', async () => {
      for (const p of await removeDockerConfig(runner, state.dockerConfig, state.registries)) core.warning(p);
      for (const f of state.daemonCAs ?? []) await removeDaemonCA(runner, f);
      core.info(`removed ${state.dockerConfig}`);
    });
  } catch (e) {
    core.warning(`post step: ${errorMessage(e)}`);
  }
}
