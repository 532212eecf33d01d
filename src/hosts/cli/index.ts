/**
 * `publish-image` (dist/cli.js): the same engine outside GitHub Actions, for GitLab CI, Jenkins or any shell.
 * Exit 0 on success; non-zero with the error on stderr otherwise. SIGINT/SIGTERM stop the run and clean up.
 */
import * as fs from 'node:fs';
import {detectContext} from '../../context';
import {ConfigError, errorMessage} from '../../errors';
import {cleanup} from '../../run/cleanup';
import {engine} from '../../run/main';
import {ExecRunner} from '../../tools/exec';
import {dotenv, helpText, parseArgs, UsageError} from './args';
import {CliHost} from './host';

declare const PUBLISH_IMAGE_VERSION: string | undefined;

export async function cli(argv: readonly string[], env: Record<string, string | undefined>): Promise<number> {
  let opts;
  try {
    opts = parseArgs(argv, env);
  } catch (e) {
    process.stderr.write(`publish-image: ${errorMessage(e)}\n`);
    return e instanceof UsageError ? 2 : 1;
  }
  if (opts.help) {
    process.stdout.write(helpText());
    return 0;
  }
  if (opts.version) {
    process.stdout.write(
      `publish-image ${typeof PUBLISH_IMAGE_VERSION === 'string' ? PUBLISH_IMAGE_VERSION : 'dev'}\n`
    );
    return 0;
  }
  const host = new CliHost(opts.debug);
  const runner = new ExecRunner({debug: opts.debug ? s => host.debug(s) : undefined});
  const cancel = new AbortController();
  const stop = (signal: NodeJS.Signals): void => {
    if (cancel.signal.aborted) {
      // a second signal: clean up now and go
      const state = host.state;
      void (state ? cleanup(runner, state) : Promise.resolve([])).finally(() =>
        process.exit(signal === 'SIGINT' ? 130 : 143)
      );
      return;
    }
    host.warning(`${signal}: the run is cancelled; stopping and putting back what it moved`);
    cancel.abort(signal);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  let code = 0;
  try {
    const ctx = await detectContext(env, runner);
    await engine({host, runner, env, raw: opts.raw, ctx, signal: cancel.signal});
  } catch (e) {
    code = e instanceof ConfigError ? 2 : 1;
    process.stderr.write(`error: ${host.redact(errorMessage(e))}\n`);
  }
  try {
    if (opts.outputFile) fs.writeFileSync(opts.outputFile, host.redact(dotenv(host.outputs)), {mode: 0o644});
    if (opts.jsonFile) fs.writeFileSync(opts.jsonFile, host.redact(JSON.stringify(host.outputs, null, 2)) + '\n');
  } catch (e) {
    process.stderr.write(`error: could not write the outputs: ${errorMessage(e)}\n`);
    code ||= 1;
  }
  if (host.summaryText) process.stdout.write(`\n${host.redact(host.summaryText)}`);
  if (cancel.signal.aborted) code = 130;
  return code;
}

void cli(process.argv.slice(2), process.env).then(code => {
  // after a cancel, requests or tools still running are not waited for
  if (code === 130) process.exit(code);
  process.exitCode = code;
});
