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
  try {
    for (const name of unknownActionsInputs(env)) {
      const near = closestInput(name);
      host.warning(`unknown input "${name}"${near ? `: did you mean "${near}"?` : ''} (it is ignored)`);
    }
    await engine({host, runner, env, raw: fromActionsEnv(env), ctx: githubContext(env, tempDirFrom(env))});
  } catch (e) {
    core.setFailed(errorMessage(e));
  }
}

void entrypoint();
