/**
 * Typed registry failures: the HTTP status, the registry's own error codes and words, whether a retry may help,
 * and a hint naming what to check. Token services' messages are kept as they said them.
 */

export class RegistryError extends Error {
  /** seconds the server asked to wait (Retry-After) */
  retryAfterSeconds?: number;
  /** the short reason, for retry log lines ("500 UNAVAILABLE: ...", "ECONNRESET") */
  reason = '';

  constructor(
    message: string,
    public readonly status: number,
    public readonly transient: boolean,
    /** the registry's own words (errors[].code: message), or the token service's */
    public readonly detail = '',
    /** errors[].code of the registry's answer (BLOB_UPLOAD_INVALID, DENIED, ...) */
    public readonly codes: readonly string[] = [],
    /** what to check */
    public readonly hint = ''
  ) {
    super(hint && !message.includes(hint) ? `${message}. ${hint}` : message);
    this.name = 'RegistryError';
  }
}

/** The `errors[].code` values of a registry error body. */
export function registryErrorCodes(body: Buffer): string[] {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as {errors?: {code?: string}[]};
    return (parsed.errors ?? []).map(e => e.code ?? '').filter(Boolean);
  } catch {
    return [];
  }
}

/**
 * The registry's or token service's own words: `errors[].code: message` (Distribution), `details` / `error` /
 * `error_description` / `message` (token services: Harbor, GitLab, OAuth2), else the first 200 characters.
 */
export function registryErrorText(body: Buffer): string {
  const text = body.toString('utf8').trim();
  try {
    const parsed = JSON.parse(text) as {
      errors?: {code?: string; message?: string; detail?: unknown}[];
      details?: string;
      error?: string;
      error_description?: string;
      message?: string;
    };
    if (parsed.errors?.length) return parsed.errors.map(e => [e.code, e.message].filter(Boolean).join(': ')).join('; ');
    const words = [parsed.error, parsed.error_description ?? parsed.details ?? parsed.message].filter(
      (x): x is string => typeof x === 'string' && x !== ''
    );
    if (words.length) return words.join(': ');
  } catch {
    // not JSON
  }
  return text.slice(0, 200);
}

/** The low-level code of a network error (undici puts it on the error or its cause). */
export function errorCode(e: unknown): string {
  const x = e as {code?: string; cause?: {code?: string}};
  return x.code ?? x.cause?.code ?? '';
}

/** The actions a registry JWT grants on a repository (empty when the token is opaque). */
export function grantedActions(token: string, repoPath: string): string[] {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      access?: {type?: string; name?: string; actions?: string[]}[];
    };
    return (payload.access ?? [])
      .filter(a => a.type === 'repository' && a.name === repoPath)
      .flatMap(a => a.actions ?? []);
  } catch {
    return [];
  }
}
