/** The post step: the safety net for a cancelled or crashed main step. Never fails the job. */
import * as core from '@actions/core';
import {errorMessage} from '../../errors';
import {cleanup} from '../../run/cleanup';
import {Runner} from '../../tools/exec';
import {readState} from './state';

export async function post({env, runner}: {env: Record<string, string | undefined>; runner: Runner}): Promise<void> {
  try {
    const state = readState(env);
    if (!state?.dockerConfig) return;
    if (!state.logout) core.info(`logout: false: keeping the Docker config at ${state.dockerConfig}`);
    await core.group('Clean-up', async () => {
      for (const p of await cleanup(runner, state)) core.warning(p);
      if (state.logout) core.info(`removed ${state.dockerConfig}`);
    });
  } catch (e) {
    core.warning(`post step: ${errorMessage(e)}`);
  }
}
