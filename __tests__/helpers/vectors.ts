/** docker/metadata-action's own test cases, as data (test/conformance/metadata-action/vectors.json, vendored with its NOTICE). */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const VECTORS_DIR = path.resolve(__dirname, '..', '..', 'test', 'conformance', 'metadata-action');

export interface MetaCase {
  id: string;
  table: string;
  env: Record<string, string>;
  event: Record<string, unknown> | null;
  inputs: {
    images: string[];
    tags: string[];
    flavor: string[];
    labels: string[];
    annotations: string[];
    sepTags: string;
    sepLabels: string;
    sepAnnotations: string;
  };
  actionInputs: Record<string, string>;
  expected: Record<string, unknown>;
  derived?: {
    version: {main: string | null; partial: string[]; latest: boolean};
    tags: string[];
    tagNames: string[];
    labels: string[];
    annotations: string[];
    json: unknown;
  };
  mocks: {repo: Record<string, unknown>};
}

export interface ParserCase {
  table: string;
  rowIndex: number;
  input: unknown;
  expected: unknown;
  invalid: boolean;
  actual?: {throws: boolean; result?: unknown; error?: string};
}

export interface Vectors {
  globalMocks: {now: string; repo: Record<string, unknown>};
  cases: MetaCase[];
  parserCases: ParserCase[];
}

let cached: Vectors | undefined;
export function vectors(): Vectors {
  cached ??= JSON.parse(fs.readFileSync(path.join(VECTORS_DIR, 'vectors.json'), 'utf8')) as Vectors;
  return cached;
}

/** The cases README.md says cannot be replayed black-box. */
export const NOT_REPLAYABLE = new Set([
  'push/push17',
  'push/push21',
  'latest/latest01',
  'latest/latest02',
  'null/null01',
  'null/null02'
]);
export const NOT_REPLAYABLE_TABLES = new Set(['bakeFile', 'bakeFileTagsLabels']);
