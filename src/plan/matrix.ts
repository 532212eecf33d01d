/** mode: plan — `platforms` as a job matrix, one native runner per platform. Pure. */
import {InputError} from '../errors';

/** GitHub-hosted runners by platform; `runners` overrides any of them. */
export const DEFAULT_RUNNERS: Record<string, string> = {
  'linux/amd64': 'ubuntu-24.04',
  'linux/386': 'ubuntu-24.04',
  'linux/arm64': 'ubuntu-24.04-arm',
  'linux/arm/v7': 'ubuntu-24.04-arm',
  'linux/arm/v6': 'ubuntu-24.04-arm'
};

export interface MatrixLeg {
  platform: string;
  runner: string;
  /** the platform as a name part: linux/arm/v7 -> linux-arm-v7 */
  slug: string;
}

export function platformSlug(platform: string): string {
  return platform.replace(/[^A-Za-z0-9._-]+/g, '-');
}

/** Parses `runners`: one `platform=runner-label` per line. */
export function parseRunners(lines: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf('=');
    if (i <= 0 || i === l.length - 1)
      throw new InputError(
        'runners',
        `runners: "${l}" is not platform=runner-label; write e.g. linux/arm64=ubuntu-24.04-arm`
      );
    out[l.slice(0, i).trim()] = l.slice(i + 1).trim();
  }
  return out;
}

export function planMatrix(platforms: readonly string[], runners: Record<string, string>): {include: MatrixLeg[]} {
  if (platforms.length === 0)
    throw new InputError(
      'platforms',
      'platforms: mode plan needs the platforms to split into legs, e.g. linux/amd64,linux/arm64'
    );
  return {
    include: platforms.map(platform => {
      const runner = runners[platform] ?? DEFAULT_RUNNERS[platform];
      if (!runner)
        throw new InputError(
          'runners',
          `runners: no runner is known for ${platform}; add a line ${platform}=<runner label>`
        );
      return {platform, runner, slug: platformSlug(platform)};
    })
  };
}
