/**
 * Entry point of both steps: the runner runs this file for `main` and again for `post` (with STATE_isPost set).
 * Each step loads only its own modules: the post step (clean-up) never loads the engine, the registry layer or
 * undici, so it starts in about half the time.
 */
import {isPost} from './state';

async function entrypoint(): Promise<void> {
  const env = process.env;
  if (isPost(env)) {
    const [{post}, {ExecRunner}, {commands}] = await Promise.all([
      import('./post'),
      import('../../tools/exec'),
      import('./commands')
    ]);
    await post({env, runner: new ExecRunner({debug: commands.isDebug() ? s => commands.debug(s) : undefined})});
    return;
  }
  const {mainStep} = await import('./main-step');
  await mainStep(env);
}

void entrypoint();
