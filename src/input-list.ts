/**
 * List inputs as docker's actions read them (actions-toolkit's Util.getInputList): entries separated by newlines
 * or commas, CSV quoting to keep a comma inside an entry, `#` comments at the start of a line.
 */
import {parse} from 'csv-parse/sync';

export interface ListOptions {
  /** one entry per line: commas inside a line do not split it (tags, labels, cache-from, secrets...) */
  ignoreComma?: boolean;
  /** comment character at the start of a line (default '#'); '' disables comments */
  comment?: string;
  /** quote character (default '"'); false disables quoting */
  quote?: string | false;
  /** trim each entry (default true) */
  trimWhitespace?: boolean;
}

export function getList(raw: string, opts: ListOptions = {}): string[] {
  if (raw.trim() === '') return [];
  const comment = opts.comment ?? '#';
  const records = parse(raw, {
    columns: false,
    relaxQuotes: true,
    relaxColumnCount: true,
    skipEmptyLines: true,
    ...(comment ? {comment, comment_no_infix: true} : {}),
    quote: opts.quote === false ? null : (opts.quote ?? '"')
  }) as string[][];
  const out: string[] = [];
  for (const fields of records) {
    const items = opts.ignoreComma ? [fields.join(',')] : fields;
    for (const item of items) {
      const v = opts.trimWhitespace === false ? item : item.trim();
      if (v !== '') out.push(v);
    }
  }
  return out;
}
