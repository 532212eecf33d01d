/**
 * Global expressions (`{{branch}}`, `{{date 'YYYYMMDD' tz='Asia/Tokyo'}}`, ...), rendered by Handlebars as
 * metadata-action renders them, HTML escaping included: users' existing templates must give the same result.
 * Handlebars and moment-timezone are loaded on first use only.
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

/** `{{date 'format' tz='Zone'}}`: a hash key other than tz is an error, as upstream. */
export function dateHelper(at: Date): (format: unknown, options: HelperOptions) => string {
  return function (format: unknown, options: HelperOptions): string {
    let tz = 'UTC';
    for (const key of Object.keys(options.hash as Record<string, unknown>)) {
      if (key !== 'tz') throw new Error(`Unknown ${key} attribute`);
      tz = String((options.hash as Record<string, unknown>)[key]);
    }
    return momentTz()(at)
      .tz(tz)
      .format(format as string | undefined);
  };
}

export interface TemplateFacts {
  ctx: GitContext;
  now: Date;
  commitDate: Date;
  shortSha: string;
}

function payloadString(p: Record<string, unknown>, ...keys: string[]): string | undefined {
  let cur: unknown = p;
  for (const k of keys) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return typeof cur === 'string' || typeof cur === 'number' || typeof cur === 'boolean' ? String(cur) : undefined;
}

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

export function baseRef(ctx: GitContext): string {
  const tagBase = payloadString(ctx.payload, 'base_ref');
  if (/^refs\/tags\//.test(ctx.ref) && tagBase !== undefined) return tagBase.replace(/^refs\/heads\//g, '');
  const prBase = payloadString(ctx.payload, 'pull_request', 'base', 'ref');
  if (/^refs\/pull\//.test(ctx.ref) && prBase !== undefined) return prBase;
  return '';
}

/** Renders a string with every global expression. */
export function renderGlobal(template: string, f: TemplateFacts): string {
  if (!template.includes('{{')) return template;
  const {ctx} = f;
  return handlebars().compile(template)({
    branch: () => (/^refs\/heads\//.test(ctx.ref) ? ctx.ref.replace(/^refs\/heads\//g, '') : ''),
    tag: () => (/^refs\/tags\//.test(ctx.ref) ? ctx.ref.replace(/^refs\/tags\//g, '') : ''),
    sha: () => f.shortSha,
    base_ref: () => baseRef(ctx),
    is_default_branch: () => String(isDefaultBranch(ctx)),
    is_not_default_branch: () => String(!isDefaultBranch(ctx)),
    date: dateHelper(f.now),
    commit_date: dateHelper(f.commitDate)
  });
}

/** A schedule pattern knows only the date helpers. */
export function renderSchedule(pattern: string, f: TemplateFacts): string {
  return handlebars().compile(pattern)({date: dateHelper(f.now), commit_date: dateHelper(f.commitDate)});
}

/** Renders with a plain data object (a parsed version). */
export function renderWith(pattern: string, data: object): string {
  return handlebars().compile(pattern)(data);
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
