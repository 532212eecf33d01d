/**
 * The metadata engine: git context + rules -> version, tags, labels, annotations, exactly as docker/metadata-action
 * computes them (SPEC §3-§8). Pure: the clock, the commit date and the repository facts are arguments; warnings
 * are returned, never logged.
 */
import * as semver from 'semver';
import {InputError} from '../errors';
import {Flavor, parseFlavor} from './flavor';
import {parseImages} from './images';
import {defaultOciEntries, keyValueObject, mergeEntries} from './labels';
import {MatchRule, parseTags, TagRule, VersionRule} from './tags';
import {isRawStatement, renderGlobal, renderSchedule, renderWith, TemplateError, TemplateFacts} from './template';
import {GitContext, Metadata, MetaInputs, MetaOptions, RepoFacts, Version} from './types';

export interface Clock {
  /** "now": the `created` label and `{{date}}` */
  now: Date;
  /** the commit's date: `{{commit_date}}` */
  commitDate: Date;
}

/** A run of characters a tag cannot hold becomes one `-` (no lower-casing, no truncation: as upstream). */
export function sanitizeTag(tag: string): string {
  return tag.replace(/[^a-zA-Z0-9._-]+/g, '-');
}

/** The short sha: the first DOCKER_METADATA_SHORT_SHA_LENGTH characters, the whole sha when that is longer. */
export function shortSha(sha: string, length: number): string {
  return length >= sha.length ? sha : sha.substring(0, length);
}

interface Pep440 {
  valid(v: string): string | null;
  clean(v: string): string | null;
  explain(v: string): {is_prerelease: boolean; is_postrelease: boolean; is_devrelease: boolean} | null;
  major(v: string): number;
  minor(v: string): number;
  patch(v: string): number;
}
let pep440: Pep440 | undefined;
function pep(): Pep440 {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, for a fast start
  pep440 ??= require('@renovate/pep440') as Pep440;
  return pep440;
}

/** Where a template comes from, for the message when it is wrong. */
interface Origin {
  input: string;
  entry: string;
}

class Computation {
  readonly warnings: string[] = [];
  private readonly version: {main?: string; partial: string[]; latest?: boolean} = {partial: []};
  private readonly facts: TemplateFacts;

  constructor(
    private readonly ctx: GitContext,
    private readonly repo: RepoFacts,
    private readonly flavor: Flavor,
    clock: Clock,
    opts: MetaOptions
  ) {
    this.facts = {
      ctx,
      now: clock.now,
      commitDate: clock.commitDate,
      shortSha: shortSha(ctx.sha, opts.shortShaLength),
      warn: m => this.warn(m)
    };
  }

  private warn(message: string): void {
    if (!this.warnings.includes(message)) this.warnings.push(message);
  }

  /** Renders a template written by the user; a template error names the input and quotes the entry. */
  private guarded(origin: Origin, render: () => string): string {
    try {
      return render();
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      throw new InputError(origin.input, `${origin.input}: "${origin.entry}": ${e.message}`);
    }
  }

  /** Global expressions (§4) in a tag value, prefix, suffix, enable, label or annotation. */
  global(template: string, origin: Origin): string {
    return this.guarded(origin, () => renderGlobal(template, this.facts));
  }

  /** latest for a rule: its own "latest in auto" under latest=auto, else the flavor's constant. */
  private latestFor(autoValue: boolean): boolean {
    return this.flavor.latest === 'auto' ? autoValue : this.flavor.latest === 'true';
  }

  /** The rule's own prefix/suffix when it has the attribute (even empty), else the flavor's. */
  private withAffixes(val: string, tag: TagRule): string {
    const own = {input: 'tags', entry: tag.entry};
    const fromFlavor = (k: 'prefix' | 'suffix') => ({input: 'flavor', entry: `${k}=${this.flavor[k]}`});
    let v = val;
    if (tag.attrs.prefix !== undefined) v = `${this.global(tag.attrs.prefix, own)}${v}`;
    else if (this.flavor.prefix.length > 0) v = `${this.global(this.flavor.prefix, fromFlavor('prefix'))}${v}`;
    if (tag.attrs.suffix !== undefined) v = `${v}${this.global(tag.attrs.suffix, own)}`;
    else if (this.flavor.suffix.length > 0) v = `${v}${this.global(this.flavor.suffix, fromFlavor('suffix'))}`;
    return v;
  }

  /** setVersion: the first value is main and decides latest; later ones are partials. */
  private add(val: string, latest: boolean): void {
    if (val.length === 0) return;
    const v = sanitizeTag(val);
    if (this.version.main === undefined) this.version.main = v;
    else if (v !== this.version.main) this.version.partial.push(v);
    if (this.version.latest === undefined) this.version.latest = latest;
  }

  private produce(tag: TagRule, val: string, latestInAuto: boolean): void {
    this.add(this.withAffixes(val, tag), this.latestFor(latestInAuto));
  }

  run(tags: readonly TagRule[]): Version {
    for (const tag of tags) {
      const enabled = this.global(tag.attrs.enable, {input: 'tags', entry: tag.entry});
      if (enabled !== 'true' && enabled !== 'false')
        throw new InputError(
          'tags',
          `tags: "${tag.entry}": enable must be exactly "true" or "false", got "${enabled}"`
        );
      if (enabled === 'true') this.apply(tag);
    }
    return {main: this.version.main, partial: [...new Set(this.version.partial)], latest: this.version.latest ?? false};
  }

  private apply(tag: TagRule): void {
    const ref = this.ctx.ref;
    switch (tag.type) {
      case 'schedule': {
        if (!/schedule/.test(this.ctx.eventName)) return;
        const v = this.guarded({input: 'tags', entry: tag.entry}, () => renderSchedule(tag.attrs.pattern, this.facts));
        return this.produce(tag, v, false);
      }
      case 'semver':
        return this.semver(tag);
      case 'pep440':
        return this.pep440(tag);
      case 'match':
        return this.match(tag);
      case 'edge': {
        if (!/^refs\/heads\//.test(ref)) return;
        // upstream compares with the repository's default branch, which is undefined when it is unknown
        const branch = tag.attrs.branch.length > 0 ? tag.attrs.branch : this.repo.default_branch;
        if (branch !== ref.replace(/^refs\/heads\//g, '')) return;
        return this.produce(tag, 'edge', false);
      }
      case 'ref':
        if (tag.attrs.event === 'branch' && /^refs\/heads\//.test(ref))
          return this.produce(tag, ref.replace(/^refs\/heads\//g, ''), false);
        if (tag.attrs.event === 'tag' && /^refs\/tags\//.test(ref))
          return this.produce(tag, ref.replace(/^refs\/tags\//g, ''), true);
        if (tag.attrs.event === 'pr' && /^refs\/pull\//.test(ref))
          return this.produce(tag, ref.replace(/^refs\/pull\//g, '').replace(/\/merge$/g, ''), false);
        return;
      case 'raw':
        return this.produce(tag, this.global(tag.attrs.value, {input: 'tags', entry: tag.entry}), false);
      case 'sha':
        if (!this.ctx.sha) return;
        return this.produce(tag, tag.attrs.format === 'short' ? this.facts.shortSha : this.ctx.sha, false);
    }
  }

  /** The string a semver/pep440/match rule works on: its value, or the tag name; undefined when it does not fire. */
  private subject(tag: VersionRule | MatchRule): string | undefined {
    if (tag.attrs.value.length > 0) return this.global(tag.attrs.value, {input: 'tags', entry: tag.entry});
    if (!/^refs\/tags\//.test(this.ctx.ref)) return undefined;
    return this.ctx.ref.replace(/^refs\/tags\//g, '');
  }

  /** semver/pep440 `match=`: capture group 1 of the first match; no match: a warning, and the whole string. */
  private matched(tag: VersionRule, vraw: string): string {
    const m = tag.attrs.match;
    if (m.length === 0) return vraw;
    const found = vraw.match(m);
    if (!found) {
      this.warn(`${m} does not match ${vraw}.`);
      return vraw;
    }
    // upstream crashes with a TypeError here
    if (found[1] === undefined)
      throw new InputError('tags', `tags: "${tag.entry}": match=${m} needs a capture group, e.g. match=v(\\d.*)`);
    return found[1];
  }

  private semver(tag: VersionRule): void {
    const subject = this.subject(tag);
    if (subject === undefined) return;
    const vraw = this.matched(tag, subject).replace(/\//g, '-');
    if (!semver.valid(vraw)) {
      this.warn(`${vraw} is not a valid semver. More info: https://semver.org/`);
      return;
    }
    const sver = semver.parse(vraw, {loose: true});
    if (!sver) return;
    const origin = {input: 'tags', entry: tag.entry};
    if (semver.prerelease(vraw)) {
      // a pre-release is tagged with its full version, unless the pattern is exactly {{raw}}
      const p = isRawStatement(tag.attrs.pattern) ? tag.attrs.pattern : '{{version}}';
      this.produce(
        tag,
        this.guarded(origin, () => renderWith(p, sver)),
        false
      );
    } else {
      this.produce(
        tag,
        this.guarded(origin, () => renderWith(tag.attrs.pattern, sver)),
        true
      );
    }
  }

  private pep440(tag: VersionRule): void {
    const subject = this.subject(tag);
    if (subject === undefined) return;
    const vraw = this.matched(tag, subject).replace(/\//g, '-');
    const p = pep();
    if (!p.valid(vraw)) {
      this.warn(`${vraw} does not conform to PEP 440. More info: https://www.python.org/dev/peps/pep-0440`);
      return;
    }
    const ex = p.explain(vraw);
    if (ex && (ex.is_prerelease || ex.is_postrelease || ex.is_devrelease)) {
      this.produce(tag, isRawStatement(tag.attrs.pattern) ? vraw : (p.clean(vraw) ?? vraw), false);
      return;
    }
    const rendered = this.guarded({input: 'tags', entry: tag.entry}, () =>
      renderWith(tag.attrs.pattern, {
        raw: () => vraw,
        version: () => p.clean(vraw),
        major: () => p.major(vraw),
        minor: () => p.minor(vraw),
        patch: () => p.patch(vraw)
      })
    );
    this.produce(tag, rendered, true);
  }

  private match(tag: MatchRule): void {
    const vraw = this.subject(tag);
    if (vraw === undefined) return;
    const pattern = tag.attrs.pattern;
    const re = /^\/(.+)\/(.*)$/.exec(pattern);
    const found = re ? vraw.match(new RegExp(re[1] ?? '', re[2])) : vraw.match(pattern);
    if (!found) {
      this.warn(`${pattern} does not match ${vraw}.`);
      return;
    }
    // indexed by the attribute string, as upstream: group=01 is no group
    const group = (found as unknown as Record<string, string | undefined>)[tag.attrs.group];
    if (group === undefined) {
      this.warn(`Group ${tag.attrs.group} does not exist for ${pattern} pattern.`);
      return;
    }
    this.produce(tag, group, true);
  }

  /** Labels or annotations: the OCI defaults, then the user's entries rendered, last value per key, sorted. */
  entries(input: 'labels' | 'annotations', extra: readonly string[], defaults: readonly string[]): string[] {
    return mergeEntries(
      defaults,
      extra.map(e => this.global(e, {input, entry: e}))
    );
  }
}

export function computeMetadata(
  inputs: MetaInputs,
  ctx: GitContext,
  repo: RepoFacts,
  clock: Clock,
  opts: MetaOptions
): Metadata {
  const flavor = parseFlavor(inputs.flavor);
  const rules = parseTags(inputs.tags);
  const images = parseImages(inputs.images)
    .filter(i => i.enable)
    .map(i => i.name.toLowerCase());
  const c = new Computation(ctx, repo, flavor, clock, opts);
  const version = c.run(rules);

  const tagNames: string[] = [];
  if (version.main) {
    tagNames.push(version.main, ...version.partial);
    // the flavor's prefix/suffix are literal here (not rendered), then sanitised, as upstream
    if (version.latest)
      tagNames.push(
        sanitizeTag(`${flavor.prefixLatest ? flavor.prefix : ''}latest${flavor.suffixLatest ? flavor.suffix : ''}`)
      );
  }
  const tags = images.length ? images.flatMap(i => tagNames.map(t => `${i}:${t}`)) : [...tagNames];

  const defaults = defaultOciEntries({
    repo,
    version: version.main ?? '',
    created: clock.now.toISOString(),
    revision: ctx.sha
  });
  const labels = c.entries('labels', inputs.labels, defaults);
  const plainAnnotations = c.entries('annotations', inputs.annotations, defaults);
  const annotations = opts.annotationLevels.flatMap(level => plainAnnotations.map(a => `${level}:${a}`));
  return {
    version,
    images,
    tags,
    tagNames,
    labels,
    annotations,
    json: {tags, 'tag-names': tagNames, labels: keyValueObject(labels), annotations},
    warnings: c.warnings
  };
}
