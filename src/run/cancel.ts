/**
 * Cancellation, whichever host runs the step: on SIGINT/SIGTERM the run is aborted (a tag phase puts back what it
 * moved), every child process group is stopped (a `docker buildx build` and the buildx plugin under it; no tool starts
 * afterwards), and the working folders and the step's Docker config are removed before the process exits non-zero.
 */
import {errorMessage} from '../errors';
import {ExecRunner} from '../tools/exec';
import {cleanup, PostState} from './cleanup';

export interface Cancellation {
  signal: AbortSignal;
  /** after a cancel: waits for the children to stop, cleans up, and returns the line that says so */
  finish(): Promise<string>;
}

/**
 * Listens for SIGINT and SIGTERM. The first stops the children at once (the run then fails where it is, and the host
 * calls finish()); a second one does not wait for the run any more: it finishes, prints the line and exits with
 * `exitCode(signal)`. `state()` gives what the run has made so far (the host's last saved PostState).
 */
export function onCancel(
  runner: ExecRunner,
  state: () => PostState | undefined,
  log: {warn: (line: string) => void; error: (line: string) => void},
  exitCode: (signal: NodeJS.Signals) => number
): Cancellation {
  const warn = log.warn;
  const cancel = new AbortController();
  let stopping: Promise<string[]> | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (cancel.signal.aborted) {
      void finish().then(line => {
        log.error(line);
        process.exit(exitCode(signal));
      });
      return;
    }
    warn(`${signal}: the run is cancelled; stopping its processes and putting back what it moved`);
    cancel.abort(signal);
    stopping = runner.stopChildren(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let finished: Promise<string> | undefined;
  const finish = (): Promise<string> =>
    (finished ??= (async () => {
      const stopped = await (stopping ?? runner.stopChildren(String(cancel.signal.reason) as NodeJS.Signals));
      const s = state();
      const problems = s ? await cleanup(runner, s) : [];
      for (const p of problems) warn(p);
      const what = stopped.length
        ? `stopped ${stopped.length} child process(es) (${[...new Set(stopped)].join(', ')})`
        : 'no child process was running';
      return `cancelled by ${String(cancel.signal.reason)}: ${what}; the step's working folders are removed${problems.length ? ' (see the warnings)' : ''}`;
    })().catch(e => `cancelled by ${String(cancel.signal.reason)}; clean-up: ${errorMessage(e)}`));
  return {signal: cancel.signal, finish};
}
