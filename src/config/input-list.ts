/**
 * List inputs as docker's actions read them (actions-toolkit's Util.getInputList, used by metadata-action and
 * build-push-action): entries separated by newlines or commas, CSV quoting to keep a comma or a newline inside an
 * entry, `#` comments at the start of a line. Pure: the caller reads the raw input.
 */
import {parse} from 'csv-parse/sync';
import {InputError} from '../errors';

export interface ListOptions {
  /** One entry per line: commas do not split a line, its CSV fields are joined again with `,` (tags, labels, build-args...). */
  ignoreComma?: boolean;
  /** Comment character, only at the start of a line (`foo#bar` is kept); default '#', '' for no comments. */
  comment?: string;
  /** Quote character; default '"', false to read quotes literally (e.g. `outputs`, whose values carry their own quoting). */
  quote?: string | false;
  /** Trim the whole input and each entry (default true); false keeps whitespace, e.g. for secrets. */
  trimWhitespace?: boolean;
  /** The input's name, for the message when the list cannot be read. */
  name?: string;
}

/**
 * Splits a list input into entries. Same results as actions-toolkit's getInputList (with metadata-action's
 * `comment: '#', commentNoInfix: true`), except that an entry left empty by trimming is dropped and a quoted
 * field keeps its commas even when it is alone on its line.
 */
export function getList(raw: string, opts: ListOptions = {}): string[] {
  const trim = opts.trimWhitespace !== false;
  // core.getInput trims the whole value before the toolkit parses it: a leading `  # note` is still a comment.
  const input = trim ? raw.trim() : raw;
  if (input === '') return [];
  const comment = opts.comment ?? '#';
  let records: string[][];
  try {
    records = parse(input, {
      columns: false,
      relaxQuotes: true,
      relaxColumnCount: true,
      skipEmptyLines: true,
      ...(comment ? {comment, comment_no_infix: true} : {}),
      quote: opts.quote === false ? null : (opts.quote ?? '"')
    }) as string[][];
  } catch (e) {
    const name = opts.name ?? 'list';
    throw new InputError(
      name,
      `${name}: cannot read the list (${e instanceof Error ? e.message : String(e)}); ` +
        'a quoted entry must end with a closing quote, and a quote inside it is written twice ("")'
    );
  }
  const out: string[] = [];
  for (const fields of records) {
    for (const item of opts.ignoreComma ? [fields.join(',')] : fields) {
      const v = trim ? item.trim() : item;
      if (v !== '') out.push(v);
    }
  }
  return out;
}
