/**
 * The release notes of a version, from CHANGELOG.md: the text under its `## <version>` heading (also `## v1.2.3`,
 * `## [1.2.3]`, with an optional ` - date`), up to the next `## ` heading. The release workflow runs it with the
 * pushed tag and fails when the changelog has no section for it.
 *
 *   tsx scripts/release-notes.ts v1.2.3 [CHANGELOG.md]   -> the notes on stdout
 */
import * as fs from 'node:fs';

export function releaseNotes(changelog: string, tag: string): string | undefined {
  const version = tag.replace(/^v/, '');
  const esc = version.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const heading = new RegExp(`^##\\s+\\[?v?${esc}\\]?(\\s|$)`);
  const lines = changelog.split('\n');
  const start = lines.findIndex(l => heading.test(l));
  if (start < 0) return undefined;
  const rest = lines.slice(start + 1);
  const end = rest.findIndex(l => /^##\s/.test(l));
  const body = (end < 0 ? rest : rest.slice(0, end)).join('\n').trim();
  return body || undefined;
}

if (require.main === module) {
  const [tag, file = 'CHANGELOG.md'] = process.argv.slice(2);
  if (!tag || !/^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(tag)) {
    process.stderr.write(`release-notes: "${tag ?? ''}" is not a version tag (v1.2.3)\n`);
    process.exit(2);
  }
  const notes = releaseNotes(fs.readFileSync(file, 'utf8'), tag);
  if (!notes) {
    process.stderr.write(
      `release-notes: ${file} has no "## ${tag.replace(/^v/, '')}" section; add one before tagging\n`
    );
    process.exit(1);
  }
  process.stdout.write(`${notes}\n`);
}
