/**
 * Every docker/metadata-action test case replayed in-process through the pure engine, under upstream's mocks
 * (now = commit date = 2020-01-10T00:30:00Z, the octocat repository), compared with what upstream's code computed.
 */
import {metaOptionsFromEnv, resolveGitContext} from '../../../src/context/github';
import {computeMetadata} from '../../../src/meta/engine';
import {parseFlavor} from '../../../src/meta/flavor';
import {parseImages} from '../../../src/meta/images';
import {parseTag, parseTags} from '../../../src/meta/tags';
import {isRawStatement} from '../../../src/meta/template';
import {fromActionsEnv, parseConfig} from '../../../src/config/inputs';
import {vectors} from '../../helpers/vectors';

const v = vectors();
const now = new Date(v.globalMocks.now);

describe('meta cases (derived by upstream code)', () => {
  const cases = v.cases.filter(c => c.derived);
  test('all 131 cases are here', () => {
    expect(v.cases).toHaveLength(131);
    expect(cases).toHaveLength(131);
  });

  test.each(cases.map(c => [c.id, c] as const))('%s', (_id, c) => {
    const env = {...c.env};
    const ctx = resolveGitContext(env, c.event ?? {});
    const meta = computeMetadata(c.inputs, ctx, c.mocks.repo, {now, commitDate: now}, metaOptionsFromEnv(env));
    const d = c.derived!;
    expect({
      version: {...meta.version, main: meta.version.main ?? null},
      tags: meta.tags,
      tagNames: meta.tagNames,
      labels: meta.labels,
      annotations: meta.annotations,
      json: meta.json
    }).toEqual({
      version: d.version,
      tags: d.tags,
      tagNames: d.tagNames,
      labels: d.labels,
      annotations: d.annotations.map(a => `manifest:${a}`),
      json: d.json
    });
  });
});

describe('parser tables', () => {
  const rows = (table: string) => v.parserCases.filter(p => p.table === table);
  const valid = (table: string) =>
    rows(table)
      .filter(p => !p.invalid || p.actual?.throws === false)
      .map(p => [p.rowIndex, p] as const);
  const invalid = (table: string) =>
    rows(table)
      .filter(p => p.invalid && p.actual?.throws !== false)
      .map(p => [p.rowIndex, p] as const);

  test('66 rows, every one replayed below: 50 valid, 16 invalid', () => {
    const tables = [...new Set(v.parserCases.map(p => p.table))];
    expect([v.parserCases.length, tables.flatMap(valid).length, tables.flatMap(invalid).length]).toEqual([66, 50, 16]);
  });

  test.each(valid('tag.test/parse'))('tag parse #%d', (_i, p) => {
    const t = parseTag(p.input as string);
    expect({type: t.type, attrs: t.attrs}).toEqual(p.expected);
  });
  test.each(invalid('tag.test/parse'))('tag parse #%d throws', (_i, p) => {
    expect(() => parseTag(p.input as string)).toThrow(/^tags: /);
  });
  test.each(valid('tag.test/transform'))('tag transform #%d', (_i, p) => {
    expect(parseTags(p.input as string[]).map(t => ({type: t.type, attrs: t.attrs}))).toEqual(p.expected);
  });
  test.each(valid('flavor.test/transform'))('flavor #%d', (_i, p) => {
    expect(parseFlavor(p.input as string[])).toEqual(p.expected);
  });
  test.each(invalid('flavor.test/transform'))('flavor #%d throws', (_i, p) => {
    expect(() => parseFlavor(p.input as string[])).toThrow(/^flavor: /);
  });
  test.each(valid('image.test/transform'))('images #%d', (_i, p) => {
    expect(parseImages(p.input as string[])).toEqual(p.actual?.result ?? p.expected);
  });
  test.each(invalid('image.test/transform'))('images #%d throws', (_i, p) => {
    expect(() => parseImages(p.input as string[])).toThrow(/^images: /);
  });
  test.each(valid('meta.test/isRawStatement'))('isRawStatement #%d', (_i, p) => {
    expect(isRawStatement(p.input as string)).toBe(p.expected);
  });
  test.each(valid('context.test/getInputs'))('getInputs #%d', (_i, p) => {
    const env: Record<string, string> = {};
    for (const [k, val] of Object.entries(p.input as Record<string, string>)) env[`INPUT_${k.toUpperCase()}`] = val;
    const i = parseConfig(fromActionsEnv(env));
    const e = p.expected as Record<string, unknown>;
    expect({
      images: i.images,
      tags: i.tags,
      flavor: i.flavor,
      labels: i.labels,
      annotations: i.annotations,
      sepTags: i.sepTags,
      sepLabels: i.sepLabels,
      sepAnnotations: i.sepAnnotations
    }).toEqual({
      images: e['images'],
      tags: e['tags'],
      flavor: e['flavor'],
      labels: e['labels'],
      annotations: e['annotations'],
      sepTags: e['sepTags'],
      sepLabels: e['sepLabels'],
      sepAnnotations: e['sepAnnotations']
    });
  });
});
