/**
 * The platforms buildx accepts (containerd's platform forms: os/arch[/variant], Go's GOOS and GOARCH names and the
 * aliases containerd normalises), so a typo such as linux/amd46 fails before anything runs, with the closest value.
 */
const OS = [
  'aix',
  'android',
  'darwin',
  'dragonfly',
  'freebsd',
  'illumos',
  'ios',
  'js',
  'linux',
  'netbsd',
  'openbsd',
  'plan9',
  'solaris',
  'wasip1',
  'windows'
];
const ARCH = [
  '386',
  'amd64',
  'arm',
  'arm64',
  'loong64',
  'mips',
  'mips64',
  'mips64le',
  'mipsle',
  'ppc64',
  'ppc64le',
  'riscv64',
  's390x',
  'wasm'
];
/** containerd's normalised aliases */
const ARCH_ALIASES = ['x86_64', 'x86-64', 'aarch64', 'armhf', 'armel', 'i386', 'i686'];
const VARIANTS: Record<string, RegExp> = {
  arm: /^v[5-8]$/,
  arm64: /^v8(\.[0-9])?$|^v9(\.[0-9])?$/,
  amd64: /^v[1-4]$/,
  riscv64: /^rva2[023]u64$/
};

/** Levenshtein distance: how far a typo is from a valid value ("did you mean"). */
export function editDistance(a: string, b: string): number {
  const row = Array.from({length: b.length + 1}, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j] ?? 0;
      row[j] = Math.min(cur + 1, (row[j - 1] ?? 0) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length] ?? 0;
}

function closest(value: string, choices: readonly string[]): string {
  return [...choices].sort((x, y) => editDistance(value, x) - editDistance(value, y))[0] ?? '';
}

/** undefined when buildx accepts the platform; else why not, with the closest valid value. */
export function platformProblem(platform: string): string | undefined {
  if (platform === 'local') return undefined;
  const parts = platform.split('/');
  const [os = '', arch = '', variant] = parts;
  const fix = (suggestion: string): string =>
    `platforms: "${platform}" is not a platform buildx knows; did you mean ${suggestion}? (os/arch[/variant], e.g. linux/amd64,linux/arm64)`;
  if (parts.length < 2 || parts.length > 3 || !os || !arch)
    return `platforms: "${platform}" is not a platform; write os/arch[/variant], e.g. linux/amd64,linux/arm64`;
  if (!OS.includes(os)) return fix([closest(os, OS), ...parts.slice(1)].join('/'));
  if (!ARCH.includes(arch) && !ARCH_ALIASES.includes(arch))
    return fix([os, closest(arch, ARCH), ...parts.slice(2)].join('/'));
  if (variant !== undefined) {
    const re = VARIANTS[arch];
    if (!re) return fix(`${os}/${arch} (${arch} has no variants)`);
    if (!re.test(variant))
      return fix(
        `${os}/${arch}/${arch === 'arm' ? 'v7' : arch === 'arm64' ? 'v8' : arch === 'amd64' ? 'v2' : 'rva20u64'}`
      );
  }
  return undefined;
}
