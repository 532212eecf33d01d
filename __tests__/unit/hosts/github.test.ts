import {neutralizeCommands} from '../../../src/hosts/github/host';

test.each([
  ['plain text', 'plain text'],
  ['::error::x', '\u200b::error::x'],
  ['  ::add-mask::x', '\u200b  ::add-mask::x'],
  ['##[group]x', '\u200b##[group]x'],
  ['denied\n::stop-commands::t\nok', 'denied\n\u200b::stop-commands::t\nok'],
  ['a ::error:: in the middle', 'a ::error:: in the middle']
])('neutralizeCommands(%j)', (text, expected) => {
  expect(neutralizeCommands(text)).toBe(expected);
});
