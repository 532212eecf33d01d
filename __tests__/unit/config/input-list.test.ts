/** List inputs, read as actions-toolkit's Util.getInputList reads them (SPEC §1.1). */
import {getList, ListOptions} from '../../../src/config/input-list';
import {vectors} from '../../helpers/vectors';

const META: ListOptions = {ignoreComma: true};

describe('getList', () => {
  test.each<[string, string, ListOptions, string[]]>([
    ['empty', '', META, []],
    ['blank', ' \n \n', META, []],
    ['one per line', 'a\nb\r\nc', META, ['a', 'b', 'c']],
    ['entries trimmed, blank lines dropped', '  a  \n\n   \n b', META, ['a', 'b']],
    ['fields of a line joined again', 'type=semver,pattern={{version}}', META, ['type=semver,pattern={{version}}']],
    ['a quote starting a field is consumed', 'type=match,"pattern=\\d{1,2}"', META, ['type=match,pattern=\\d{1,2}']],
    ['a quote inside a field is literal', 'type=raw,value="a,b"', META, ['type=raw,value="a,b"']],
    ['# at column 0 is a comment', 'a\n#comment\nb', META, ['a', 'b']],
    ['# inside an entry is kept (issue #546)', 'mylabel=foo#bar\n#comment', META, ['mylabel=foo#bar']],
    ['leading whitespace before a first-line comment (the whole input is trimmed)', '  #c\nfoo', META, ['foo']],
    ['an indented # further down is an entry', 'foo\n  #c', META, ['foo', '#c']],
    [
      'commas split without ignoreComma',
      'linux/amd64,linux/arm64\nlinux/arm/v7',
      {},
      ['linux/amd64', 'linux/arm64', 'linux/arm/v7']
    ],
    ['a quoted field keeps its comma without ignoreComma', '"a,b",c', {}, ['a,b', 'c']],
    ['no comments with comment: ""', '#a\nb', {comment: '', ...META}, ['#a', 'b']],
    [
      'quote: false reads quotes literally',
      'type=local,dest="x,y"',
      {ignoreComma: true, quote: false},
      ['type=local,dest="x,y"']
    ],
    ['trimWhitespace: false keeps spaces', ' a \n b', {ignoreComma: true, trimWhitespace: false}, [' a ', ' b']],
    ['a multi-line quoted entry', '"FOO=a\nb"\nBAR=c', META, ['FOO=a\nb', 'BAR=c']]
  ])('%s', (_name, raw, opts, expected) => {
    expect(getList(raw, opts)).toEqual(expected);
  });

  test.each<[string, string, ListOptions, RegExp]>([
    [
      'an unclosed quote, named',
      '"abc',
      {ignoreComma: true, name: 'tags'},
      /^tags: cannot read the list \(Quote Not Closed: .*\); a quoted entry must end with a closing quote/
    ],
    ['an unclosed quote, unnamed', 'a\n"b', {}, /^list: cannot read the list \(Quote Not Closed/]
  ])('%s', (_name, raw, opts, message) => {
    expect(() => getList(raw, opts)).toThrow(message);
  });
});

/** metadata-action's own getInputs rows (context.test.ts), through getList alone. */
describe('upstream getInputs rows', () => {
  const rows = vectors()
    .parserCases.filter(p => p.table === 'context.test/getInputs')
    .flatMap(p => {
      const input = p.input as Record<string, string>;
      const expected = p.expected as Record<string, unknown>;
      return ['images', 'tags', 'flavor', 'labels', 'annotations']
        .filter(k => input[k] !== undefined)
        .map(k => [`#${p.rowIndex} ${k}`, input[k] ?? '', expected[k]] as const);
    });

  test('every row is here', () => {
    expect(rows).toHaveLength(7);
  });

  test.each(rows)('%s', (_name, raw, expected) => {
    expect(getList(raw, META)).toEqual(expected);
  });
});
