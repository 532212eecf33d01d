import {Readable} from 'node:stream';
import {progressLine, TransferProgress} from '../../../src/run/progress';

const MiB = 1024 * 1024;

describe('progress lines', () => {
  test.each([
    ['r/app', 12 * MiB, 512 * MiB, 12 * MiB, 1000, 'r/app: 12.0 MiB of 512.0 MiB (2%), 12.0 MiB/s'],
    ['r/app', 256 * MiB, 512 * MiB, 128 * MiB, 2000, 'r/app: 256.0 MiB of 512.0 MiB (50%), 64.0 MiB/s'],
    ['r/app', 0, 512 * MiB, 0, 5000, 'r/app: 0 B of 512.0 MiB (0%)'],
    ['r/app', 10, 0, 10, 0, 'r/app: 10 B of 0 B (100%)']
  ])('%s %d of %d', (label, done, total, sent, ms, expected) => {
    expect(progressLine(label, done, total, sent, ms)).toBe(expected);
  });
});

describe('TransferProgress', () => {
  const drain = async (r: Readable): Promise<number> => {
    let n = 0;
    for await (const c of r) n += (c as Buffer).length;
    return n;
  };

  test('counts bytes as the upload reads them, skipped blobs as done, one line per change, a closing figure', async () => {
    let now = 0;
    const lines: string[] = [];
    const p = new TransferProgress(s => lines.push(s), {intervalMs: 0, now: () => now});
    p.begin('r/app', 4 * MiB);
    p.skipped('r/app', 'sha256:a', MiB);
    const body = p.counted('r/app', 'sha256:b', Readable.from([Buffer.alloc(MiB), Buffer.alloc(MiB)]));
    expect(await drain(body)).toBe(2 * MiB);
    now = 2000;
    p.tick();
    p.tick(); // nothing moved: no second line
    expect(lines).toEqual(['r/app: 3.0 MiB of 4.0 MiB (75%), 1.0 MiB/s']);
    expect(p.closing('r/app')).toBe('; 2.0 MiB sent in 2.0 s (1.0 MiB/s)');
    p.stop();
  });

  test('a retried blob counts again from zero; a finished repository prints no progress line', async () => {
    const lines: string[] = [];
    const p = new TransferProgress(s => lines.push(s), {intervalMs: 0, now: () => 1000});
    p.begin('r/app', 2 * MiB);
    await drain(p.counted('r/app', 'sha256:b', Readable.from([Buffer.alloc(MiB)])));
    await drain(p.counted('r/app', 'sha256:b', Readable.from([Buffer.alloc(2 * MiB)])));
    expect(p.sent('r/app')).toBe(2 * MiB);
    p.tick();
    expect(lines).toEqual([]);
  });

  test("a source's failure fails the counted stream", async () => {
    const p = new TransferProgress(() => undefined, {intervalMs: 0});
    p.begin('r/app', 1);
    const failing = new Readable({
      read() {
        this.destroy(new Error('reset'));
      }
    });
    await expect(drain(p.counted('r/app', 'sha256:c', failing))).rejects.toThrow('reset');
  });

  test('nothing sent: no closing figure; an unknown repository passes the body through', () => {
    const p = new TransferProgress(() => undefined, {intervalMs: 0});
    p.begin('r/app', 1);
    expect(p.closing('r/app')).toBe('');
    const r = Readable.from([]);
    expect(p.counted('other', 'sha256:d', r)).toBe(r);
  });
});
