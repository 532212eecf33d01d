/**
 * Generated from action.yml (`npm run docs` rewrites both; a unit test fails when they disagree):
 * the README's inputs and outputs reference, and src/config/spec.ts (every input with its default and kind, every
 * output), which the CLI host reads for its flags, defaults and --help.
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

/** src/config/spec.ts: the inputs and outputs of action.yml as data (the CLI's flags, defaults and help). */
export function renderSpec(actionYml: string): string {
  const doc = parse(actionYml) as ActionYml;
  const inputs = Object.entries(doc.inputs).map(([name, i]) => {
    const def = i.default === undefined ? '' : String(i.default);
    // `${{ ... }}` defaults are the runner's expressions: outside GitHub Actions there is no such value
    const value = def.includes('${{') ? '' : def;
    const kind = value === 'true' || value === 'false' ? 'boolean' : 'string';
    return {name, default: value, kind, description: cell(i.description ?? '')};
  });
  const outputs = Object.entries(doc.outputs).map(([name, o]) => ({name, description: cell(o.description ?? '')}));
  return [
    '// Generated from action.yml by `npm run docs`: do not edit.',
    '',
    "export interface InputSpec {name: string; default: string; kind: 'boolean' | 'string'; description: string}",
    'export interface OutputSpec {name: string; description: string}',
    '',
    `export const INPUTS: readonly InputSpec[] = ${JSON.stringify(inputs, null, 2)};`,
    '',
    `export const OUTPUTS: readonly OutputSpec[] = ${JSON.stringify(outputs, null, 2)};`,
    ''
  ].join('\n');
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
  fs.writeFileSync(
    path.join(root, 'src', 'config', 'spec.ts'),
    renderSpec(fs.readFileSync(path.join(root, 'action.yml'), 'utf8'))
  );
  console.log('README.md reference and src/config/spec.ts updated from action.yml');
}
