/** Entry point of both steps: the runner runs this file for `main` and again for `post` (with STATE_isPost set). */
import * as core from '@actions/core';
import {errorMessage} from '../../errors';
import {ExecRunner} from '../../tools/exec';
import {main} from '../../run/execute';
import {post} from './post';
import {isPost, markMainStarted} from './state';

async function entrypoint(): Promise<void> {
  const env = process.env;
  const runner = new ExecRunner();
  if (isPost(env)) {
    await post({env, runner});
    return;
  }
  markMainStarted();
  try {
    await main({env, runner});
  } catch (e) {
    core.setFailed(errorMessage(e));
  }
}

void entrypoint();
