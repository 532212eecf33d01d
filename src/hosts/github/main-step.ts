/** The main step: inputs and event -> the engine; a cancelled job stops the run's children and cleans up. */
import {randomBytes} from 'node:crypto';
import * as path from 'node:path';
import {closestInput, fromActionsEnv, unknownActionsInputs} from '../../config/inputs';
import {githubContext} from '../../context/github';
import {tempDirFrom} from '../../context';
import {CommandError, errorMessage} from '../../errors';
import {onCancel} from '../../run/cancel';
import {engine} from '../../run/main';
import {ExecRunner} from '../../tools/exec';
import {commands} from './commands';
import {GitHubHost} from './host';
import {markMainStarted, saveChildrenFile} from './state';

export async function mainStep(env: NodeJS.ProcessEnv): Promise<void> {
  const debug = commands.isDebug() ? (s: string) => commands.debug(s) : undefined;
  markMainStarted();
  // the running children, on disk: after a SIGKILL of this step the post step stops what it left
  const pidFile = path.join(tempDirFrom(env), `publish-image-${randomBytes(6).toString('hex')}.pids`);
  saveChildrenFile(pidFile);
  const runner = new ExecRunner({debug, pidFile});
  const host = new GitHubHost();
  // a cancelled job: the runner sends SIGINT, then SIGTERM; the run stops its children, rolls back a tag phase,
  // cleans up and exits non-zero
  const cancel = onCancel(
    runner,
    () => host.state,
    {warn: s => commands.warning(s), error: s => commands.setFailed(s)},
    () => 1
  );
  try {
    for (const name of unknownActionsInputs(env)) {
      const near = closestInput(name);
      host.warning(`unknown input "${name}"${near ? `: did you mean "${near}"?` : ''} (it is ignored)`);
    }
    await engine({
      host,
      runner,
      env,
      raw: fromActionsEnv(env),
      ctx: githubContext(env, tempDirFrom(env)),
      signal: cancel.signal
    });
  } catch (e) {
    // a tool the cancel stopped fails with its signal's exit code: that says nothing the cancel line does not
    if (cancel.signal.aborted && e instanceof CommandError) commands.info(`stopped: ${errorMessage(e)}`);
    else commands.setFailed(errorMessage(e));
  }
  if (cancel.signal.aborted) {
    commands.setFailed(await cancel.finish());
    // requests still in flight after a cancel are not waited for
    process.exit(1);
  }
  runner.close();
}
