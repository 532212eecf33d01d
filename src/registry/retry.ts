/**
 * One retry policy for every registry call, the /v2/ ping and the token service included: what is transient
 * (5xx, 429, 408, resets, timeouts), jittered exponential backoff capped per wait and in total, Retry-After
 * honoured up to the cap, and one log line per retry naming the call, its object and the reason.
 */
import {errorCode, RegistryError} from './errors';

export interface RetryPolicy {
  /** attempts after the first */
  retries: number;
  /** base of the exponential backoff, ms */
  baseMs: number;
  /** longest single wait, ms (Retry-After included) */
  capMs: number;
  /** longest total of the waits of one call, ms */
  totalMs: number;
}

export const DEFAULT_POLICY: RetryPolicy = {retries: 3, baseMs: 500, capMs: 10_000, totalMs: 60_000};

/** Connection-level failures a new attempt may get through. */
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT'
]);

export function isTransientStatus(status: number): boolean {
  return (status >= 500 && status !== 501 && status !== 505) || status === 429 || status === 408;
}

export function isTransientCode(code: string): boolean {
  return TRANSIENT_CODES.has(code);
}

/** Is a thrown error worth another attempt? */
export function isTransient(e: unknown): boolean {
  if (e instanceof RegistryError) return e.transient;
  return isTransientCode(errorCode(e));
}

/** `Retry-After` as seconds (delta-seconds or an HTTP date); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : Math.max(0, (t - now) / 1000);
}

/**
 * The wait before retry n (1-based): min(cap, base * 2^(n-1)) with jitter in [50%, 100%]; a Retry-After the
 * server gave replaces it, up to the cap. `random` is injectable for tests.
 */
export function backoffDelay(
  attempt: number,
  policy: Pick<RetryPolicy, 'baseMs' | 'capMs'>,
  retryAfterSeconds?: number,
  random: () => number = Math.random
): number {
  if (retryAfterSeconds !== undefined && Number.isFinite(retryAfterSeconds))
    return Math.min(Math.max(0, retryAfterSeconds * 1000), policy.capMs);
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

export interface RetryContext {
  /** 0 for the first attempt */
  attempt: number;
}

/** Seconds from a failure's Retry-After, if it carried one. */
function retryAfterOf(e: unknown): number | undefined {
  return e instanceof RegistryError ? e.retryAfterSeconds : undefined;
}

/**
 * Runs `fn` until it succeeds, fails for good, or the policy is spent. `what` names the call and its object
 * (e.g. "PUT reg/app blob sha256:..."); each retry logs one line with it and the reason.
 */
export async function withRetry<T>(
  what: string,
  policy: RetryPolicy,
  fn: (ctx: RetryContext) => Promise<T>,
  log: (line: string) => void = () => undefined,
  sleep: (ms: number) => Promise<void> = ms => new Promise(r => setTimeout(r, ms))
): Promise<T> {
  let waited = 0;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn({attempt});
    } catch (e) {
      if (!isTransient(e) || attempt >= policy.retries) throw e;
      const ms = backoffDelay(attempt + 1, policy, retryAfterOf(e));
      if (waited + ms > policy.totalMs) throw e;
      waited += ms;
      log(`retry ${attempt + 1}/${policy.retries} in ${(ms / 1000).toFixed(1)}s: ${what}: ${reasonOf(e)}`);
      await sleep(ms);
    }
  }
}

/** The reason a call failed, short: "500 UNAVAILABLE: ..." or "ECONNRESET". */
export function reasonOf(e: unknown): string {
  if (e instanceof RegistryError) return e.reason || e.message;
  const code = errorCode(e);
  const msg = e instanceof Error ? e.message : String(e);
  return code && !msg.includes(code) ? `${msg} (${code})` : msg;
}
