/**
 * `publish-image` (dist/cli.js): the same engine outside GitHub Actions, for GitLab CI, Jenkins or any shell.
 * Exit 0 on success; non-zero with the error on stderr otherwise. SIGINT/SIGTERM stop the run and clean up.
 */
import * as fs from 'node:fs';
import {detectContext} from '../../context';
import {ConfigError, errorMessage} from '../../errors';
import {onCancel} from '../../run/cancel';
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
  // SIGINT/SIGTERM: the children are stopped, the run fails where it is (a tag phase puts back what it moved), and
  // the clean-up runs before the exit (the same code as the GitHub main step's)
  const cancel = onCancel(
    runner,
    () => host.state,
    {warn: s => host.warning(s), error: s => process.stderr.write(`error: ${host.redact(s)}\n`)},
    signal => (signal === 'SIGTERM' ? 143 : 130)
  );
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
  if (cancel.signal.aborted) {
    process.stderr.write(`error: ${host.redact(await cancel.finish())}\n`);
    code = cancel.signal.reason === 'SIGTERM' ? 143 : 130;
  }
  return code;
}

void cli(process.argv.slice(2), process.env).then(code => {
  // after a cancel, requests still in flight are not waited for
  if (code === 130 || code === 143) process.exit(code);
  process.exitCode = code;
});
