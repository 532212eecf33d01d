import {parse} from 'csv-parse/sync';

/** The fields of one entry (`type=match,"pattern=\d{1,3}"`): second-level CSV, first record only. */
export function entryFields(entry: string): string[] {
  const records = parse(entry, {relaxColumnCount: true, skipEmptyLines: true, relaxQuotes: true}) as string[][];
  return (records[0] ?? []).map(f => f.toString());
}
