/** The retention inputs (mode prune), parsed and checked: pure; parseConfig turns a message into an InputError. */

const UNITS: Record<string, number> = {m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000};

/** `30d`, `12h`, `90m`, `2w` -> ms; a message saying what is accepted otherwise. */
export function parseDuration(text: string): number | string {
  const m = /^(\d+)\s*([mhdw])$/.exec(text.trim());
  if (!m || Number(m[1]) === 0)
    return `"${text}" is not a duration; write a positive whole number and a unit: m (minutes), h (hours), d (days) or w (weeks), e.g. 30d or 12h`;
  return Number(m[1]) * (UNITS[m[2] ?? 'd'] ?? 0);
}

/** The prune-match regular expression, anchored as written (use ^ and $ to match whole names). */
export function compileMatch(text: string): RegExp | string {
  if (text.trim() === '') return 'mode prune needs a regular expression over tag names, e.g. ^sha- or ^pr-\\d+$';
  try {
    return new RegExp(text.trim());
  } catch (e) {
    return `"${text}" is not a regular expression (${(e as Error).message}); fix it, e.g. ^sha-[0-9a-f]{7}$`;
  }
}

/** prune-keep: a whole number, 0 or more. */
export function parseKeep(text: string): number | string {
  if (!/^\d+$/.test(text.trim()))
    return `"${text}" is not a whole number; write how many matching tags to keep, e.g. 10 (0 keeps none)`;
  return Number(text.trim());
}
