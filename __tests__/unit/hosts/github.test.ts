import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {command, Commands, fileCommand} from '../../../src/hosts/github/commands';
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

describe('workflow commands, as the runner parses them', () => {
  test.each([
    ['warning', 'plain', {}, '::warning::plain'],
    ['warning', '100% done\r\nnext line', {}, '::warning::100%25 done%0D%0Anext line'],
    ['group', 'Build', {}, '::group::Build'],
    ['endgroup', '', {}, '::endgroup::'],
    ['add-mask', 'se:cr,et', {}, '::add-mask::se:cr,et'],
    ['set-output', 'v', {name: 'a:b,c%'}, '::set-output name=a%3Ab%2Cc%25::v'],
    ['notice', 'x', {title: 'T', file: 'f.ts'}, '::notice title=T,file=f.ts::x']
  ])('%s %j', (name, message, props, expected) => {
    expect(command(name, message, props)).toBe(expected);
  });

  test('the environment files take heredocs; a value holding the delimiter is refused', () => {
    expect(fileCommand('digest', 'a\nb', 'D')).toBe('digest<<D\na\nb\nD\n');
    expect(() => fileCommand('x', 'one D two', 'D')).toThrow(/delimiter/);
    expect(fileCommand('x', 'y')).toMatch(/^x<<ghadelimiter_[0-9a-f-]{36}\ny\nghadelimiter_[0-9a-f-]{36}\n$/);
  });

  test('outputs, state and environment go to their files, or to stdout on a runner without them', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-commands-'));
    const env = {GITHUB_OUTPUT: path.join(dir, 'out'), GITHUB_STATE: path.join(dir, 'state')};
    const lines: string[] = [];
    const c = new Commands(env, s => void lines.push(s));
    c.setOutput('digest', 'sha256:1');
    c.saveState('k', '{"a":1}');
    expect(fs.readFileSync(env.GITHUB_OUTPUT, 'utf8')).toMatch(/^digest<<(ghadelimiter_\S+)\nsha256:1\n\1\n$/);
    expect(fs.readFileSync(env.GITHUB_STATE, 'utf8')).toMatch(/^k<<(ghadelimiter_\S+)\n\{"a":1\}\n\1\n$/);
    const bare = new Commands({}, s => void lines.push(s));
    bare.setOutput('digest', 'sha256:2');
    expect(lines.join('')).toContain('::set-output name=digest::sha256:2');
    expect(bare.summary('# x')).toBe(false);
    expect(bare.isDebug()).toBe(false);
    expect(new Commands({RUNNER_DEBUG: '1'}).isDebug()).toBe(true);
  });
});
