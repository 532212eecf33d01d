/** The post step: the safety net for a cancelled or crashed main step. Never fails the job. */
import {commands} from './commands';
import {errorMessage} from '../../errors';
import {cleanup} from '../../run/cleanup';
import {Runner, stopRecordedChildren} from '../../tools/exec';
import {readChildrenFile, readState} from './state';

export async function post({env, runner}: {env: Record<string, string | undefined>; runner: Runner}): Promise<void> {
  try {
    // children a killed main step left (a `docker buildx build` still writing into RUNNER_TEMP): stopped first, so
    // that nothing writes into the folders removed below
    const pidFile = readChildrenFile(env);
    if (pidFile)
      for (const c of await stopRecordedChildren(pidFile)) commands.info(`stopped ${c}, left by the main step`);
    const state = readState(env);
    if (!state?.dockerConfig) return;
    if (!state.logout) commands.info(`logout: false: keeping the Docker config at ${state.dockerConfig}`);
    await commands.group('Clean-up', async () => {
      for (const p of await cleanup(runner, state)) commands.warning(p);
      if (state.logout) commands.info(`removed ${state.dockerConfig}`);
    });
  } catch (e) {
    commands.warning(`post step: ${errorMessage(e)}`);
  }
}
