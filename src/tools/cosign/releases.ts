/**
 * The SHA-256 of every cosign release binary the step may download, per architecture: the values of each release's
 * cosign_checksums.txt, as sigstore/cosign-installer embeds them in its action.yml (its `bootstrap_*_sha` lines,
 * release by release in that repository's history). A download, and every copy taken from the tool cache or the
 * Actions cache, must match one of these before it runs: the checksum never comes from the place the binary came
 * from. A release not listed here needs its SHA-256 in `cosign-sha256` (from the workflow, which the user controls).
 *
 * To add a release: take `cosign-linux-amd64` and `cosign-linux-arm64` from its cosign_checksums.txt (verify the
 * file's signature as the release notes describe), and add a row; __tests__/unit/tools/cosign-install.test.ts
 * checks the table's shape.
 */

/**
 * The oldest cosign the step runs: the first with `--registry-cacert` (2.4.2), which hands cosign the trust the step
 * has for a registry with a private CA. Every other flag the step passes is older.
 */
export const MIN_COSIGN = '2.4.2';

export type CosignArch = 'amd64' | 'arm64';

export const COSIGN_RELEASES: Readonly<Record<string, Readonly<Record<CosignArch, string>>>> = {
  '2.4.2': {
    amd64: 'e7f5bd99a790703333e8f8e8e6c91d5e646f3d7041e4cf935b56587de20cec3f',
    arm64: '9ab2a932190161d67b9fcda81777e28086b2152c7d506a0e2f83dbb3fd7e2b1c'
  },
  '2.4.3': {
    amd64: 'caaad125acef1cb81d58dcdc454a1e429d09a750d1e9e2b3ed1aed8964454708',
    arm64: 'bd0f9763bca54de88699c3656ade2f39c9a1c7a2916ff35601caf23a79be0629'
  },
  '2.5.0': {
    amd64: '1f6c194dd0891eb345b436bb71ff9f996768355f5e0ce02dde88567029ac2188',
    arm64: '080a998f9878f22dafdb9ad54d5b2e2b8e7a38c53527250f9d89a6763a28d545'
  },
  '2.5.1': {
    amd64: 'd86013612a132b67a2b60bc4ae4a09dbb1cd7ddcb7491dfd54ef2cdb7cb9180c',
    arm64: '8b0acceb2dcd64eb85a90a302acf585da8734c9cf518088f2b11354012d27091'
  },
  '2.5.2': {
    amd64: 'bcfeae05557a9f313ee4392d2f335d0ff69ebbfd232019e3736fb04999fe1734',
    arm64: '2cbcea1873ad76274c3f241ef175d204654e3aac3e73e6ec4504e5227015cb0a'
  },
  '2.5.3': {
    amd64: '783b5d6c74105401c63946c68d9b2a4e1aab3c8abce043e06b8510b02b623ec9',
    arm64: 'bffabe4cf183122b7de3111257a863c99e7dc6cf1093bfd7bf961de1795589b8'
  },
  '2.6.0': {
    amd64: 'ea5c65f99425d6cfbb5c4b5de5dac035f14d09131c1a0ea7c7fc32eab39364f9',
    arm64: 'e09684650882fd721ed22b716ffc399ee11426cd4d1c9b4fec539cba8bf46b86'
  },
  '3.0.2': {
    amd64: '46dbdcb5467a3dfec2526923d0b3365e40c8d9dc00ec23d5aca3437449e8cbfd',
    arm64: '17fd784737ca54d7d8a343c82da6c5d6dbdee971e66644d923d1b057fb97d7ed'
  },
  '3.0.3': {
    amd64: '052363a0e23e2e7ed53641351b8b420918e7e08f9c1d8a42a3dd3877a78a2e10',
    arm64: '81398231362031e3c7afd6a7508c57049460cd7e02736f1ebe89a452102253e5'
  },
  '3.0.5': {
    amd64: 'db15cc99e6e4837daabab023742aaddc3841ce57f193d11b7c3e06c8003642b2',
    arm64: 'd098f3168ae4b3aa70b4ca78947329b953272b487727d1722cb3cb098a1a20ab'
  },
  '3.0.6': {
    amd64: 'c956e5dfcac53d52bcf058360d579472f0c1d2d9b69f55209e256fe7783f4c74',
    arm64: 'bedac92e8c3729864e13d4a17048007cfafa79d5deca993a43a90ffe018ef2b8'
  }
};

/** The embedded SHA-256 of a release for an architecture, if the table has it. */
export function releaseSha(version: string, arch: CosignArch): string | undefined {
  return COSIGN_RELEASES[version]?.[arch];
}
