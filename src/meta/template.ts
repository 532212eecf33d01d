/**
 * Global expressions (`{{branch}}`, `{{date 'YYYYMMDD' tz='Asia/Tokyo'}}`, ...), rendered by Handlebars as
 * metadata-action renders them, HTML escaping included: users' existing templates must give the same result.
 * A private Handlebars environment (Handlebars.create()) so nothing leaks globally; Handlebars and
 * moment-timezone are loaded on first use only, for a fast start.
 */
import type {HelperOptions} from 'handlebars';
import {GitContext} from './types';

type HB = typeof import('handlebars');
let hb: HB | undefined;
export function handlebars(): HB {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, for a fast start
  hb ??= (require('handlebars') as HB).create();
  return hb;
}

type Moment = typeof import('moment-timezone');
let moment: Moment | undefined;
function momentTz(): Moment {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, for a fast start
  moment ??= require('moment-timezone') as Moment;
  return moment;
}

/** An error in a template the user wrote (bad syntax, a helper called wrongly): the caller names the entry. */
export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

function isHelperOptions(v: unknown): v is HelperOptions {
  return typeof v === 'object' && v !== null && 'hash' in v && 'data' in v;
}

/**
 * `{{date 'format' tz='Zone'}}` (also `commit_date`): moment(at).tz(tz || 'UTC').format(format). As upstream, a
 * hash key other than tz is an error and an unquoted format (a path that resolves to undefined) gives moment's
 * default format. A zone moment does not know renders in UTC with a warning (upstream: the process's zone, which
 * is UTC on GitHub's runners, plus a console error).
 */
export function dateHelper(
  name: string,
  at: Date,
  warn: (message: string) => void = () => undefined
): (...args: unknown[]) => string {
  return (...args: unknown[]): string => {
    const options = args[args.length - 1];
    if (args.length < 2 || !isHelperOptions(options))
      throw new TemplateError(
        `{{${name}}} needs a format, e.g. {{${name} 'YYYYMMDD'}} or {{${name} 'YYYYMMDD-HHmm' tz='Europe/Paris'}}`
      );
    let tz = 'UTC';
    for (const [key, value] of Object.entries(options.hash as Record<string, unknown>)) {
      if (key !== 'tz') throw new TemplateError(`Unknown ${key} attribute in {{${name}}}; accepted: tz`);
      tz = String(value);
    }
    const m = momentTz();
    const format = args[0] as string | undefined;
    if (!m.tz.zone(tz)) {
      warn(`{{${name}}}: unknown time zone "${tz}", using UTC; write an IANA zone such as Europe/Paris`);
      return m.utc(at).format(format);
    }
    return m(at).tz(tz).format(format);
  };
}

export interface TemplateFacts {
  ctx: GitContext;
  now: Date;
  commitDate: Date;
  shortSha: string;
  /** collects non-fatal notes (e.g. an unknown time zone) */
  warn?: (message: string) => void;
}

function payloadString(p: Record<string, unknown>, ...keys: string[]): string | undefined {
  let cur: unknown = p;
  for (const k of keys) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return typeof cur === 'string' || typeof cur === 'number' || typeof cur === 'boolean' ? String(cur) : undefined;
}

/**
 * `{{is_default_branch}}`: the ref minus refs/heads/ (the whole ref for a tag or PR ref) against the payload's
 * repository.default_branch; events that always run on the default branch count as on it.
 */
export function isDefaultBranch(ctx: GitContext): boolean {
  const branch = ctx.ref.replace(/^refs\/heads\//g, '');
  if (branch.length === 0) return false;
  if (payloadString(ctx.payload, 'repository', 'default_branch') === branch) return true;
  return (
    /create/.test(ctx.eventName) ||
    /discussion/.test(ctx.eventName) ||
    /issues/.test(ctx.eventName) ||
    /schedule/.test(ctx.eventName)
  );
}

/** `{{base_ref}}`: a tag push's base_ref (minus refs/heads/), a pull request's base branch, else ''. */
export function baseRef(ctx: GitContext): string {
  const tagBase = payloadString(ctx.payload, 'base_ref');
  if (/^refs\/tags\//.test(ctx.ref) && tagBase !== undefined) return tagBase.replace(/^refs\/heads\//g, '');
  const prBase = payloadString(ctx.payload, 'pull_request', 'base', 'ref');
  if (/^refs\/pull\//.test(ctx.ref) && prBase !== undefined) return prBase;
  return '';
}

/** Compiles and renders; a Handlebars syntax error becomes a TemplateError. */
function render(template: string, data: object): string {
  try {
    return handlebars().compile(template)(data);
  } catch (e) {
    if (e instanceof TemplateError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    throw new TemplateError(`invalid template: ${msg.replace(/\n/g, ' ')}`);
  }
}

/** Renders a string with every global expression (tag values, prefixes, suffixes, enable, labels, annotations). */
export function renderGlobal(template: string, f: TemplateFacts): string {
  // Without a mustache Handlebars returns the text unchanged: skip loading it.
  if (!template.includes('{{')) return template;
  const {ctx} = f;
  return render(template, {
    branch: () => (/^refs\/heads\//.test(ctx.ref) ? ctx.ref.replace(/^refs\/heads\//g, '') : ''),
    tag: () => (/^refs\/tags\//.test(ctx.ref) ? ctx.ref.replace(/^refs\/tags\//g, '') : ''),
    sha: () => f.shortSha,
    base_ref: () => baseRef(ctx),
    is_default_branch: () => String(isDefaultBranch(ctx)),
    is_not_default_branch: () => String(!isDefaultBranch(ctx)),
    date: dateHelper('date', f.now, f.warn),
    commit_date: dateHelper('commit_date', f.commitDate, f.warn)
  });
}

/** A schedule pattern knows only the date helpers. */
export function renderSchedule(pattern: string, f: TemplateFacts): string {
  return render(pattern, {
    date: dateHelper('date', f.now, f.warn),
    commit_date: dateHelper('commit_date', f.commitDate, f.warn)
  });
}

/** Renders with a plain data object (a parsed version: semver's SemVer, pep440's helpers). */
export function renderWith(pattern: string, data: object): string {
  return render(pattern, data);
}

/** True when the pattern is exactly one `{{raw}}` mustache (with any spacing). */
export function isRawStatement(pattern: string): boolean {
  try {
    const ast = handlebars().parseWithoutProcessing(pattern);
    const only = ast.body.length === 1 ? ast.body[0] : undefined;
    if (only && only.type === 'MustacheStatement') {
      const parts = (only as unknown as {path: {parts?: string[]}}).path.parts ?? [];
      return parts.length === 1 && parts[0] === 'raw';
    }
  } catch {
    // not a template: not raw
  }
  return false;
}
