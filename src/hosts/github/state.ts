/** What the main step hands to the post step (GITHUB_STATE), read lazily. Never holds a secret. */
import {commands} from './commands';
import {PostState} from '../../run/cleanup';

const KEY = 'publish-image';

export function isPost(env: Record<string, string | undefined>): boolean {
  return env['STATE_isPost'] === 'true';
}

export function markMainStarted(): void {
  commands.saveState('isPost', 'true');
}

const CHILDREN = 'publish-image-children';

/** Where the main step keeps the pids of its running children (for the post step, after a SIGKILL of the main). */
export function saveChildrenFile(file: string): void {
  commands.saveState(CHILDREN, file);
}

export function readChildrenFile(env: Record<string, string | undefined>): string {
  return env[`STATE_${CHILDREN}`] ?? '';
}

export function saveState(s: PostState): void {
  commands.saveState(KEY, JSON.stringify(s));
}

export function readState(env: Record<string, string | undefined>): PostState | undefined {
  const raw = env[`STATE_${KEY}`];
  if (!raw) return undefined;
  return JSON.parse(raw) as PostState;
}
