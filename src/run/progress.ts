/**
 * Progress of the step's own uploads (an OCI layout pushed, a copy between registries): bytes done of the total and
 * the throughput, per repository, one line every few seconds while bytes move, and a closing figure per repository.
 * A blob that is mounted or already there counts as done without bytes sent. A retried blob starts its count again.
 * Formatting is pure; the clock and the interval are injectable for tests.
 */
import {Readable, Transform} from 'node:stream';
import {humanSize} from './summary';

/** `<label>: 12.0 MiB of 512.0 MiB (2%), 45.6 MiB/s` (the throughput of the bytes sent so far). */
export function progressLine(label: string, done: number, total: number, sentBytes: number, elapsedMs: number): string {
  const pct = total > 0 ? Math.floor((done / total) * 100) : 100;
  const rate = elapsedMs > 0 && sentBytes > 0 ? `${humanSize(Math.round((sentBytes / elapsedMs) * 1000))}/s` : '';
  return `${label}: ${humanSize(done)} of ${humanSize(total)} (${pct}%)${rate ? `, ${rate}` : ''}`;
}

interface Entry {
  total: number;
  /** per blob: bytes read in its current attempt */
  sent: Map<string, number>;
  /** per blob that needed no bytes: its size */
  skipped: Map<string, number>;
  /** what was printed last, to print only on change */
  last: number;
  started: number;
}

export class TransferProgress {
  private readonly entries = new Map<string, Entry>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly log: (line: string) => void,
    private readonly o: {intervalMs?: number; now?: () => number} = {}
  ) {}

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  /** A repository with `total` bytes to bring (every blob, sent or not). */
  begin(label: string, total: number): void {
    this.entries.set(label, {total, sent: new Map(), skipped: new Map(), last: -1, started: this.now()});
    if (!this.timer && (this.o.intervalMs ?? 5000) > 0) {
      this.timer = setInterval(() => this.tick(), this.o.intervalMs ?? 5000);
      this.timer.unref();
    }
  }

  /** The body of one attempt of one blob, counted as it is read. */
  counted(label: string, digest: string, body: Readable): Readable {
    const e = this.entries.get(label);
    if (!e) return body;
    e.sent.set(digest, 0);
    // counted where the bytes pass (a 'data' listener would start the flow before the upload reads)
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        e.sent.set(digest, (e.sent.get(digest) ?? 0) + chunk.length);
        done(null, chunk);
      }
    });
    body.on('error', err => counter.destroy(err));
    return body.pipe(counter);
  }

  /** A blob that needs no bytes (mounted, or already there). */
  skipped(label: string, digest: string, size: number): void {
    this.entries.get(label)?.skipped.set(digest, size);
  }

  /** Bytes read for the repository's uploads (the current attempt of each blob). */
  sent(label: string): number {
    let n = 0;
    for (const v of this.entries.get(label)?.sent.values() ?? []) n += v;
    return n;
  }

  /** Bytes the repository holds of its total: sent, plus the blobs that needed none. */
  done(label: string): number {
    let n = this.sent(label);
    for (const v of this.entries.get(label)?.skipped.values() ?? []) n += v;
    return n;
  }

  /** One line per repository whose count moved since the last one. */
  tick(): void {
    for (const [label, e] of this.entries) {
      const done = this.done(label);
      if (done === e.last || done >= e.total) continue;
      e.last = done;
      this.log(progressLine(label, done, e.total, this.sent(label), this.now() - e.started));
    }
  }

  /** `; 512.0 MiB sent in 3.2 s (160.0 MiB/s)` for a repository's closing line ('' when nothing was sent). */
  closing(label: string): string {
    const e = this.entries.get(label);
    const sentBytes = this.sent(label);
    if (!e || sentBytes === 0) return '';
    const ms = Math.max(1, this.now() - e.started);
    return `; ${humanSize(sentBytes)} sent in ${(ms / 1000).toFixed(1)} s (${humanSize(Math.round((sentBytes / ms) * 1000))}/s)`;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
