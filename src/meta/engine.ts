/**
 * The metadata engine: git context + rules -> version, tags, labels, annotations, exactly as docker/metadata-action
 * computes them. Pure: the clock, the commit date and the repository facts are arguments; warnings are returned.
 */
import * as semver from 'semver';
import {InputError} from '../errors';
import {Flavor, parseFlavor} from './flavor';
import {parseImages} from './images';
import {defaultOciEntries, mergeEntries} from './labels';
import {parseTags, TagRule} from './tags';
import {isRawStatement, renderGlobal, renderSchedule, renderWith, TemplateFacts} from './template';
import {GitContext, Metadata, MetaInputs, MetaOptions, RepoFacts, Version} from './types';

export interface Clock {
  now: Date;
  commitDate: Date;
}

export function sanitizeTag(tag: string): string {
  return tag.replace(/[^a-zA-Z0-9._-]+/g, '-');
}

type Pep440 = {
  valid(v: string): string | null;
  clean(v: string): string | null;
  explain(v: string): {is_prerelease: boolean; is_postrelease: boolean; is_devrelease: boolean} | null;
  major(v: string): number;
  minor(v: string): number;
  patch(v: string): number;
};
let pep440: Pep440 | undefined;
function pep(): Pep440 {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, for a fast start
  pep440 ??= require('@renovate/pep440') as Pep440;
  return pep440;
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
    const shortSha = ctx.sha.substring(0, opts.shortShaLength);
    this.facts = {ctx, now: clock.now, commitDate: clock.commitDate, shortSha};
  }

  global(s: string): string {
    return renderGlobal(s, this.facts);
  }

  /** latest for a tag type: its own rule under latest=auto, else the flavor's constant. */
  private latestFor(autoValue: boolean): boolean {
    return this.flavor.latest === 'auto' ? autoValue : this.flavor.latest === 'true';
  }

  private withAffixes(val: string, tag: TagRule): string {
    let v = val;
    if (Object.prototype.hasOwnProperty.call(tag.attrs, 'prefix')) v = `${this.global(tag.attrs['prefix'] ?? '')}${v}`;
    else if (this.flavor.prefix.length > 0) v = `${this.global(this.flavor.prefix)}${v}`;
    if (Object.prototype.hasOwnProperty.call(tag.attrs, 'suffix')) v = `${v}${this.global(tag.attrs['suffix'] ?? '')}`;
    else if (this.flavor.suffix.length > 0) v = `${v}${this.global(this.flavor.suffix)}`;
    return v;
  }

  private add(val: string, latest: boolean): void {
    if (val.length === 0) return;
    const v = sanitizeTag(val);
    if (this.version.main === undefined) this.version.main = v;
    else if (v !== this.version.main) this.version.partial.push(v);
    if (this.version.latest === undefined) this.version.latest = latest;
  }

  /** The string a semver/pep440/match rule works on: its value, or the tag name; undefined when it does not fire. */
  private subject(tag: TagRule): string | undefined {
    if (!/^refs\/tags\//.test(this.ctx.ref) && (tag.attrs['value'] ?? '').length === 0) return undefined;
    return (tag.attrs['value'] ?? '').length > 0
      ? this.global(tag.attrs['value'] ?? '')
      : this.ctx.ref.replace(/^refs\/tags\//g, '');
  }

  private matched(tag: TagRule, vraw: string): string {
    const m = tag.attrs['match'] ?? '';
    if (m.length === 0) return vraw;
    const found = vraw.match(m);
    if (found) {
      if (found[1] === undefined)
        throw new InputError('tags', `tags: "${tag.entry}": match=${m} needs a capture group, e.g. match=v(\\d.*)`);
      return found[1];
    }
    this.warnings.push(`${m} does not match ${vraw}.`);
    return vraw;
  }

  run(tags: readonly TagRule[]): Version {
    for (const tag of tags) {
      const enabled = this.global(tag.attrs['enable'] ?? 'true');
      if (enabled !== 'true' && enabled !== 'false') {
        throw new InputError(
          'tags',
          `tags: "${tag.entry}": enable must be exactly "true" or "false", got "${enabled}"`
        );
      }
      if (enabled === 'false') continue;
      this.apply(tag);
    }
    const partial = [...new Set(this.version.partial)];
    return {main: this.version.main, partial, latest: this.version.latest ?? false};
  }

  private apply(tag: TagRule): void {
    const ref = this.ctx.ref;
    switch (tag.type) {
      case 'schedule':
        if (/schedule/.test(this.ctx.eventName))
          this.add(
            this.withAffixes(renderSchedule(tag.attrs['pattern'] ?? '', this.facts), tag),
            this.latestFor(false)
          );
        return;
      case 'semver':
        return this.semver(tag);
      case 'pep440':
        return this.pep440(tag);
      case 'match':
        return this.match(tag);
      case 'edge': {
        if (!/^refs\/heads\//.test(ref)) return;
        const branch = (tag.attrs['branch'] ?? '') || this.repo.default_branch || '';
        if (branch !== ref.replace(/^refs\/heads\//g, '')) return;
        this.add(this.withAffixes('edge', tag), this.latestFor(false));
        return;
      }
      case 'ref':
        if (tag.attrs['event'] === 'branch' && /^refs\/heads\//.test(ref))
          this.add(this.withAffixes(ref.replace(/^refs\/heads\//g, ''), tag), this.latestFor(false));
        if (tag.attrs['event'] === 'tag' && /^refs\/tags\//.test(ref))
          this.add(this.withAffixes(ref.replace(/^refs\/tags\//g, ''), tag), this.latestFor(true));
        if (tag.attrs['event'] === 'pr' && /^refs\/pull\//.test(ref)) {
          this.add(
            this.withAffixes(ref.replace(/^refs\/pull\//g, '').replace(/\/merge$/g, ''), tag),
            this.latestFor(false)
          );
        }
        return;
      case 'raw':
        this.add(this.withAffixes(this.global(tag.attrs['value'] ?? ''), tag), this.latestFor(false));
        return;
      case 'sha': {
        if (!this.ctx.sha) return;
        const val = tag.attrs['format'] === 'short' ? this.facts.shortSha : this.ctx.sha;
        this.add(this.withAffixes(val, tag), this.latestFor(false));
        return;
      }
    }
  }

  private semver(tag: TagRule): void {
    const subject = this.subject(tag);
    if (subject === undefined) return;
    const vraw = this.matched(tag, subject).replace(/\//g, '-');
    if (!semver.valid(vraw)) {
      this.warnings.push(`${vraw} is not a valid semver. More info: https://semver.org/`);
      return;
    }
    const sver = semver.parse(vraw, {loose: true});
    if (!sver) return;
    const pattern = tag.attrs['pattern'] ?? '';
    if (semver.prerelease(vraw)) {
      const p = isRawStatement(pattern) ? pattern : '{{version}}';
      this.add(this.withAffixes(renderWith(p, sver), tag), this.latestFor(false));
    } else {
      this.add(this.withAffixes(renderWith(pattern, sver), tag), this.latestFor(true));
    }
  }

  private pep440(tag: TagRule): void {
    const subject = this.subject(tag);
    if (subject === undefined) return;
    const vraw = this.matched(tag, subject).replace(/\//g, '-');
    const p = pep();
    if (!p.valid(vraw)) {
      this.warnings.push(`${vraw} does not conform to PEP 440. More info: https://www.python.org/dev/peps/pep-0440`);
      return;
    }
    const pattern = tag.attrs['pattern'] ?? '';
    const ex = p.explain(vraw);
    if (ex && (ex.is_prerelease || ex.is_postrelease || ex.is_devrelease)) {
      const v = isRawStatement(pattern) ? vraw : (p.clean(vraw) ?? vraw);
      this.add(this.withAffixes(v, tag), this.latestFor(false));
      return;
    }
    const rendered = renderWith(pattern, {
      raw: () => vraw,
      version: () => p.clean(vraw),
      major: () => p.major(vraw),
      minor: () => p.minor(vraw),
      patch: () => p.patch(vraw)
    });
    this.add(this.withAffixes(rendered, tag), this.latestFor(true));
  }

  private match(tag: TagRule): void {
    const vraw = this.subject(tag);
    if (vraw === undefined) return;
    const pattern = tag.attrs['pattern'] ?? '';
    const re = /^\/(.+)\/(.*)$/.exec(pattern);
    const found = re ? vraw.match(new RegExp(re[1] ?? '', re[2])) : vraw.match(pattern);
    if (!found) {
      this.warnings.push(`${pattern} does not match ${vraw}.`);
      return;
    }
    const group = found[Number(tag.attrs['group'])];
    if (group === undefined) {
      this.warnings.push(`Group ${tag.attrs['group']} does not exist for ${pattern} pattern.`);
      return;
    }
    this.add(this.withAffixes(group, tag), this.latestFor(true));
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
  const labels = mergeEntries(
    defaults,
    inputs.labels.map(l => c.global(l))
  );
  const plainAnnotations = mergeEntries(
    defaults,
    inputs.annotations.map(a => c.global(a))
  );
  const annotations = opts.annotationLevels.flatMap(level => plainAnnotations.map(a => `${level}:${a}`));

  const labelMap: Record<string, string> = {};
  for (const l of labels) labelMap[l.slice(0, l.indexOf('='))] = l.slice(l.indexOf('=') + 1);
  return {
    version,
    images,
    tags,
    tagNames,
    labels,
    annotations,
    json: {tags, 'tag-names': tagNames, labels: labelMap, annotations},
    warnings: c.warnings
  };
}
