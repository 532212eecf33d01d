/**
 * Signing with cosign, by digest only, once per repository. The private key reaches cosign through the
 * COSIGN_PRIVATE_KEY environment variable (`--key env://COSIGN_PRIVATE_KEY`) and its password through
 * COSIGN_PASSWORD: neither is ever in argv. The signature is then verified with the public key derived from it.
 */
import {Runner} from './exec';

export interface SignOptions {
  tlogUpload: boolean;
  /** registry speaks plain HTTP (loopback test registries) */
  plainHttp: boolean;
  /** file with the registry's CA (ca-cert), for a registry with its own CA */
  caFile?: string;
}

/** DOCKER_CONFIG, COSIGN_PRIVATE_KEY, COSIGN_PASSWORD and the rest of the tools' environment. */
export type CosignEnv = Record<string, string>;

function registryFlags(o: SignOptions): string[] {
  return [
    ...(o.plainHttp ? ['--allow-insecure-registry', '--allow-http-registry'] : []),
    ...(o.caFile ? ['--registry-cacert', o.caFile] : [])
  ];
}

export function signArgs(ref: string, o: SignOptions): string[] {
  return [
    'sign',
    '--yes',
    '--key',
    'env://COSIGN_PRIVATE_KEY',
    `--tlog-upload=${o.tlogUpload}`,
    ...registryFlags(o),
    ref
  ];
}

export function verifyArgs(ref: string, o: SignOptions): string[] {
  return [
    'verify',
    '--key',
    'env://COSIGN_PUBLIC_KEY',
    ...(o.tlogUpload ? [] : ['--insecure-ignore-tlog=true']),
    ...registryFlags(o),
    ref
  ];
}

export function cosignHint(output: string): string {
  if (/decrypt|password|encrypted/i.test(output))
    return 'cosign could not decrypt the key: check that cosign-password is the password of cosign-key.';
  if (/UNAUTHORIZED|DENIED|401|403/.test(output))
    return 'The registry refused the signature upload: the account needs push rights on the repository.';
  if (/rekor|tlog|transparency/i.test(output))
    return 'The transparency log could not be reached: set tlog-upload: false for a private setup.';
  return '';
}

/** Derives the public key, which also proves the key and password are usable (run before anything is built). */
export async function publicKey(runner: Runner, env: CosignEnv): Promise<string> {
  const r = await runner.run('cosign', ['public-key', '--key', 'env://COSIGN_PRIVATE_KEY'], {env, hint: cosignHint});
  const pem = r.stdout.trim();
  if (!pem.includes('PUBLIC KEY')) throw new Error('cosign public-key printed no public key');
  return pem;
}

export async function sign(runner: Runner, ref: string, o: SignOptions, env: CosignEnv): Promise<void> {
  await runner.run('cosign', signArgs(ref, o), {env, hint: cosignHint});
}

export async function verify(
  runner: Runner,
  ref: string,
  o: SignOptions,
  env: Record<string, string>
): Promise<string> {
  const r = await runner.run('cosign', verifyArgs(ref, o), {
    env,
    hint: () => `The signature of ${ref} does not verify with the signing key's public key.`
  });
  return r.stdout;
}

/** The command a user can paste to verify, given the public key in cosign.pub. */
export function verifyCommand(ref: string, o: SignOptions): string {
  const shown = {...o, caFile: o.caFile ? 'ca.crt' : undefined};
  return ['cosign', ...verifyArgs(ref, shown).map(a => (a === 'env://COSIGN_PUBLIC_KEY' ? 'cosign.pub' : a))].join(' ');
}
