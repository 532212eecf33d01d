/** Entry point of both steps: the runner runs this file for `main` and again for `post` (with STATE_isPost set). */
import * as core from '@actions/core';
import {closestInput, fromActionsEnv, unknownActionsInputs} from '../../config/inputs';
import {githubContext} from '../../context/github';
import {tempDirFrom} from '../../context';
import {errorMessage} from '../../errors';
import {engine} from '../../run/main';
import {ExecRunner} from '../../tools/exec';
import {GitHubHost} from './host';
import {post} from './post';
import {isPost, markMainStarted} from './state';

async function entrypoint(): Promise<void> {
  const env = process.env;
  const runner = new ExecRunner({debug: core.isDebug() ? s => core.debug(s) : undefined});
  if (isPost(env)) {
    await post({env, runner});
    return;
  }
  markMainStarted();
  const host = new GitHubHost();
  // a cancelled job: the runner sends SIGINT, then SIGTERM; the run stops, rolls back a tag phase, cleans up
  const cancel = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (cancel.signal.aborted) return;
    core.warning(`${signal}: the run is cancelled; stopping and putting back what it moved`);
    cancel.abort(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
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
    core.setFailed(errorMessage(e));
  }
  // requests or tools still running after a cancel are not waited for
  if (cancel.signal.aborted) process.exit(1);
}

void entrypoint();
