/**
 * The README's inputs and outputs reference, generated from action.yml (`npm run docs` rewrites it; a unit test
 * fails when they disagree).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {parse} from 'yaml';

interface ActionYml {
  inputs: Record<string, {description?: string; default?: string; required?: boolean}>;
  outputs: Record<string, {description?: string}>;
}

const cell = (s: string): string =>
  s
    .replace(/\s*\n\s*/g, ' ')
    .replace(/\|/g, '\\|')
    .trim();

export function renderReference(actionYml: string): string {
  const doc = parse(actionYml) as ActionYml;
  const out = ['### Inputs', '', '| input | default | description |', '|---|---|---|'];
  for (const [name, i] of Object.entries(doc.inputs)) {
    const def = i.default === undefined ? '' : `\`${cell(String(i.default)).replace(/`/g, "'")}\``;
    out.push(`| \`${name}\` | ${def} | ${cell(i.description ?? '')} |`);
  }
  out.push('', '### Outputs', '', '| output | description |', '|---|---|');
  for (const [name, o] of Object.entries(doc.outputs)) out.push(`| \`${name}\` | ${cell(o.description ?? '')} |`);
  return out.join('\n');
}

const START = '<!-- reference:start (generated from action.yml by `npm run docs`) -->';
const END = '<!-- reference:end -->';

export function withReference(readme: string, reference: string): string {
  const i = readme.indexOf(START);
  const j = readme.indexOf(END);
  if (i < 0 || j < i) throw new Error(`README.md has no ${START} ... ${END} section`);
  return `${readme.slice(0, i + START.length)}\n\n${reference}\n\n${readme.slice(j)}`;
}

if (require.main === module) {
  const root = path.resolve(__dirname, '..');
  const readmePath = path.join(root, 'README.md');
  const next = withReference(
    fs.readFileSync(readmePath, 'utf8'),
    renderReference(fs.readFileSync(path.join(root, 'action.yml'), 'utf8'))
  );
  fs.writeFileSync(readmePath, next);
  console.log('README.md reference updated from action.yml');
}
