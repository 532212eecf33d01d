import {parse} from 'csv-parse/sync';
import {InputError} from '../errors';

/**
 * The fields of one entry (`type=match,"pattern=\d{1,3}"`): second-level CSV, first record only, parsed as
 * metadata-action parses it (no relaxed quotes: a quote inside a field, as in `value=a"b`, is an error there too).
 */
export function entryFields(entry: string, input: string): string[] {
  let records: unknown[][];
  try {
    records = parse(entry, {relaxColumnCount: true, skipEmptyLines: true}) as unknown[][];
  } catch (e) {
    const reason = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ');
    throw new InputError(
      input,
      `${input}: "${entry}": cannot split the entry into fields (${reason}); ` +
        'a quote may only wrap a whole field, e.g. "pattern=\\d{1,3}", and a quote inside it is written twice ("")'
    );
  }
  return (records[0] ?? []).map(f => String(f));
}
