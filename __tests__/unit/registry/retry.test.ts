import {RegistryError} from '../../../src/registry/errors';
import {
  backoffDelay,
  DEFAULT_POLICY,
  isTransient,
  isTransientCode,
  isTransientStatus,
  parseRetryAfter,
  reasonOf,
  RetryPolicy,
  withRetry
} from '../../../src/registry/retry';

const transient = (reason: string, retryAfterSeconds?: number): RegistryError => {
  const e = new RegistryError(`call: ${reason}`, 503, true);
  e.reason = reason;
  e.retryAfterSeconds = retryAfterSeconds;
  return e;
};

describe('isTransientStatus', () => {
  test.each([
    [500, true],
    [502, true],
    [503, true],
    [504, true],
    [429, true],
    [408, true],
    [501, false],
    [505, false],
    [400, false],
    [401, false],
    [403, false],
    [404, false],
    [200, false],
    [201, false]
  ])('%d -> %s', (status, expected) => {
    expect(isTransientStatus(status)).toBe(expected);
  });
});

describe('isTransientCode / isTransient', () => {
  test.each([
    ['ECONNRESET', true],
    ['ECONNREFUSED', true],
    ['ETIMEDOUT', true],
    ['EPIPE', true],
    ['UND_ERR_SOCKET', true],
    ['UND_ERR_CONNECT_TIMEOUT', true],
    ['UND_ERR_HEADERS_TIMEOUT', true],
    ['CERT_HAS_EXPIRED', false],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', false],
    ['ENOTFOUND', false],
    ['', false]
  ])('isTransientCode(%j) = %s', (code, expected) => {
    expect(isTransientCode(code)).toBe(expected);
  });

  test.each<[string, unknown, boolean]>([
    ['a transient RegistryError', new RegistryError('x', 503, true), true],
    ['a permanent RegistryError', new RegistryError('x', 503, false), false],
    ['an error with a transient code', Object.assign(new Error('reset'), {code: 'ECONNRESET'}), true],
    ['an error whose cause has the code', new Error('fetch failed', {cause: {code: 'UND_ERR_SOCKET'}}), true],
    ['an error with another code', Object.assign(new Error('x'), {code: 'ERR_INVALID_URL'}), false],
    ['a plain error', new Error('boom'), false]
  ])('isTransient(%s) = %s', (_name, e, expected) => {
    expect(isTransient(e)).toBe(expected);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
  test.each<[string | undefined, number | undefined]>([
    [undefined, undefined],
    ['', undefined],
    ['0', 0],
    ['120', 120],
    [' 7 ', 7],
    ['Wed, 21 Oct 2015 07:28:30 GMT', 30],
    ['Wed, 21 Oct 2015 07:30:00 GMT', 120],
    ['Wed, 21 Oct 2015 07:27:00 GMT', 0],
    ['soon', undefined]
  ])('%j -> %j', (value, seconds) => {
    expect(parseRetryAfter(value, now)).toBe(seconds);
  });
});

describe('backoffDelay', () => {
  const policy = {baseMs: 500, capMs: 10_000};
  test.each<[number, number | undefined, number, number]>([
    // attempt, retry-after, random, expected
    [1, undefined, 0, 250],
    [1, undefined, 1, 500],
    [2, undefined, 1, 1000],
    [3, undefined, 0, 1000],
    [3, undefined, 1, 2000],
    [3, undefined, 0.5, 1500],
    [5, undefined, 1, 8000],
    [6, undefined, 1, 10_000],
    [6, undefined, 0, 5000],
    [40, undefined, 1, 10_000],
    [2, 3, 0, 3000],
    [2, 0, 1, 0],
    [1, 60, 0, 10_000],
    [1, Infinity, 1, 500],
    [1, NaN, 1, 500]
  ])('attempt %d, retry-after %j, random %d -> %d ms', (attempt, after, r, expected) => {
    expect(backoffDelay(attempt, policy, after, () => r)).toBe(expected);
  });

  test('never exceeds capMs, whatever the attempt, the jitter or the Retry-After', () => {
    const caps = [1, 250, 2000, 10_000];
    for (const capMs of caps)
      for (let attempt = 1; attempt <= 64; attempt++)
        for (const r of [0, 0.25, 0.5, 0.999, 1])
          for (const after of [undefined, 0, 1, 5, 3600]) {
            const d = backoffDelay(attempt, {baseMs: 300, capMs}, after, () => r);
            expect(d).toBeGreaterThanOrEqual(0);
            expect(d).toBeLessThanOrEqual(capMs);
          }
  });

  test('the jitter keeps the wait between half the ceiling and the ceiling', () => {
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(4, {baseMs: 100, capMs: 10_000});
      expect(d).toBeGreaterThanOrEqual(400);
      expect(d).toBeLessThanOrEqual(800);
    }
  });
});

test('DEFAULT_POLICY: 3 retries, 500 ms base, 10 s per wait, 60 s in total', () => {
  expect(DEFAULT_POLICY).toEqual({retries: 3, baseMs: 500, capMs: 10_000, totalMs: 60_000});
});

describe('withRetry', () => {
  const fast: RetryPolicy = {retries: 3, baseMs: 1, capMs: 4, totalMs: 1000};
  const recorder = () => {
    const sleeps: number[] = [];
    const lines: string[] = [];
    return {
      sleeps,
      lines,
      log: (l: string) => lines.push(l),
      sleep: (ms: number) => {
        sleeps.push(ms);
        return Promise.resolve();
      }
    };
  };

  test('a first success: one call, no wait, no log line', async () => {
    const r = recorder();
    const fn = jest.fn(() => Promise.resolve('ok'));
    await expect(withRetry('GET x', fast, fn, r.log, r.sleep)).resolves.toBe('ok');
    expect(fn).toHaveBeenCalledTimes(1);
    expect(r.sleeps).toEqual([]);
    expect(r.lines).toEqual([]);
  });

  test('two transient failures are survived, with one log line per retry naming the call and the reason', async () => {
    const r = recorder();
    const attempts: number[] = [];
    const res = await withRetry(
      'PUT reg/app blob sha256:1',
      fast,
      ({attempt}) => {
        attempts.push(attempt);
        return attempt < 2 ? Promise.reject(transient('503 UNAVAILABLE: busy')) : Promise.resolve(attempt);
      },
      r.log,
      r.sleep
    );
    expect(res).toBe(2);
    expect(attempts).toEqual([0, 1, 2]);
    expect(r.sleeps).toHaveLength(2);
    expect(r.lines).toHaveLength(2);
    expect(r.lines[0]).toMatch(/^retry 1\/3 in \d+\.\ds: PUT reg\/app blob sha256:1: 503 UNAVAILABLE: busy$/);
    expect(r.lines[1]).toMatch(/^retry 2\/3 in \d+\.\ds: PUT reg\/app blob sha256:1: 503 UNAVAILABLE: busy$/);
  });

  test('a permanent failure is thrown at once', async () => {
    const r = recorder();
    const err = new RegistryError('denied', 403, false);
    const fn = jest.fn(() => Promise.reject(err));
    await expect(withRetry('x', fast, fn, r.log, r.sleep)).rejects.toBe(err);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(r.lines).toEqual([]);
  });

  test('after `retries` retries the last failure is thrown', async () => {
    const r = recorder();
    let n = 0;
    const fn = jest.fn(() => Promise.reject(transient(`503 try ${++n}`)));
    await expect(withRetry('x', {...fast, retries: 2}, fn, r.log, r.sleep)).rejects.toThrow('503 try 3');
    expect(fn).toHaveBeenCalledTimes(3);
    expect(r.lines).toHaveLength(2);
  });

  test('connection-level failures (ECONNRESET) are retried; the reason names the code', async () => {
    const r = recorder();
    const fn = jest
      .fn<Promise<string>, []>()
      .mockRejectedValueOnce(Object.assign(new Error('socket hang up'), {code: 'ECONNRESET'}))
      .mockResolvedValueOnce('ok');
    await expect(withRetry('GET r/v2/', fast, fn, r.log, r.sleep)).resolves.toBe('ok');
    expect(r.lines).toEqual([expect.stringMatching(/: GET r\/v2\/: socket hang up \(ECONNRESET\)$/)]);
  });

  test('a Retry-After is honoured up to the cap', async () => {
    const r = recorder();
    const fn = jest
      .fn<Promise<string>, []>()
      .mockRejectedValueOnce(transient('429 TOOMANYREQUESTS', 30))
      .mockRejectedValueOnce(transient('429 TOOMANYREQUESTS', 1))
      .mockResolvedValueOnce('ok');
    await withRetry('x', {retries: 3, baseMs: 1, capMs: 2000, totalMs: 60_000}, fn, r.log, r.sleep);
    expect(r.sleeps).toEqual([2000, 1000]);
    expect(r.lines[0]).toMatch(/^retry 1\/3 in 2\.0s: /);
  });

  test('it stops when the next wait would exceed the total budget', async () => {
    const r = recorder();
    const fn = jest.fn(() => Promise.reject(transient('503 busy', 1)));
    const policy: RetryPolicy = {retries: 10, baseMs: 1, capMs: 1000, totalMs: 2500};
    await expect(withRetry('x', policy, fn, r.log, r.sleep)).rejects.toThrow('503 busy');
    // 1000 + 1000 fit in 2500; a third 1000 would not
    expect(r.sleeps).toEqual([1000, 1000]);
    expect(fn).toHaveBeenCalledTimes(3);
  });

  test('the sum of the waits never exceeds totalMs', async () => {
    for (let i = 0; i < 20; i++) {
      const r = recorder();
      const policy: RetryPolicy = {retries: 50, baseMs: 100, capMs: 400, totalMs: 1500};
      await expect(withRetry('x', policy, () => Promise.reject(transient('500')), r.log, r.sleep)).rejects.toThrow();
      expect(r.sleeps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1500);
      expect(r.sleeps.length).toBeGreaterThanOrEqual(3);
      expect(r.sleeps.every(s => s <= 400)).toBe(true);
    }
  });

  test('the default sleep really waits (a small backoff)', async () => {
    const t0 = Date.now();
    const fn = jest.fn<Promise<string>, []>().mockRejectedValueOnce(transient('500', 0.05)).mockResolvedValueOnce('ok');
    await withRetry('x', {retries: 1, baseMs: 1, capMs: 1000, totalMs: 1000}, fn);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(40);
  });
});

describe('reasonOf', () => {
  const withReason = new RegistryError('GET x: 500 UNAVAILABLE: down', 500, true);
  withReason.reason = '500 UNAVAILABLE: down';
  test.each<[string, unknown, string]>([
    ['a RegistryError with a reason', withReason, '500 UNAVAILABLE: down'],
    ['a RegistryError without one', new RegistryError('GET x: 502', 502, true), 'GET x: 502'],
    [
      'a network error',
      Object.assign(new Error('socket hang up'), {code: 'ECONNRESET'}),
      'socket hang up (ECONNRESET)'
    ],
    [
      'a message naming its code',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {code: 'ECONNREFUSED'}),
      'connect ECONNREFUSED 127.0.0.1:1'
    ],
    ['a cause code', new Error('fetch failed', {cause: {code: 'UND_ERR_SOCKET'}}), 'fetch failed (UND_ERR_SOCKET)'],
    ['a string', 'weird', 'weird']
  ])('%s', (_name, e, expected) => {
    expect(reasonOf(e)).toBe(expected);
  });
});
