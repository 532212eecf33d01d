/**
 * Signing with cosign, by digest only, once per repository. Key mode: the private key reaches cosign through the
 * COSIGN_PRIVATE_KEY environment variable (`--key env://COSIGN_PRIVATE_KEY`) and its password through
 * COSIGN_PASSWORD. Keyless mode: the workflow's OIDC token reaches cosign as a file only this step can read.
 * Neither is ever in argv. Every signature is verified before the step ends.
 */
import {Runner} from '../exec';

export type SignMode = 'key' | 'keyless';

/**
 * Which flags a cosign takes. 2: `--tlog-upload=<bool>`, signatures as `sha256-<hex>.sig` tags. 3: a signing
 * config (service URLs from Sigstore's TUF) and Sigstore bundles stored as OCI referrers by default; `--tlog-upload`
 * is deprecated and refused next to that signing config, so it goes only with `--use-signing-config=false`, which
 * also lets `--fulcio-url`/`--rekor-url` name a private instance.
 */
export type CosignGeneration = 2 | 3;

/** A KMS or Vault key reference, passed to cosign as is (it names a key, it is not one). */
export function isKeyUri(key: string): boolean {
  return /^(awskms|gcpkms|azurekms|hashivault|k8s|pkcs11):\/\//.test(key.trim());
}

/** `--key` for the signing key: the PEM through COSIGN_PRIVATE_KEY, a KMS URI as is. */
export function keyRef(o: {keyUri?: string}): string {
  return o.keyUri ?? 'env://COSIGN_PRIVATE_KEY';
}

export interface SignOptions {
  mode: SignMode;
  tlogUpload: boolean;
  /** registry speaks plain HTTP (loopback test registries) */
  plainHttp: boolean;
  /** file with the registry's CA (ca-cert), for a registry with its own CA */
  caFile?: string;
  /** key=value annotations added to (and checked on) the signature */
  annotations?: string[];
  fulcioUrl?: string;
  rekorUrl?: string;
  /** key mode with a KMS key: its URI */
  keyUri?: string;
  /** keyless: file holding the OIDC token */
  identityTokenFile?: string;
  /** keyless verification: the certificate identity and issuer expected */
  certificateIdentity?: string;
  certificateOidcIssuer?: string;
  /** the flags of this cosign generation (default 2); set at run time from the cosign chosen */
  generation?: CosignGeneration;
}

/** DOCKER_CONFIG, COSIGN_PRIVATE_KEY, COSIGN_PASSWORD and the rest of the tools' environment. */
export type CosignEnv = Record<string, string>;

function registryFlags(o: SignOptions): string[] {
  return [
    ...(o.plainHttp ? ['--allow-insecure-registry', '--allow-http-registry'] : []),
    ...(o.caFile ? ['--registry-cacert', o.caFile] : [])
  ];
}

function annotationFlags(o: SignOptions): string[] {
  return (o.annotations ?? []).flatMap(a => ['-a', a]);
}

/** cosign 3: the signing config stays on unless the run needs what it refuses (no tlog, private service URLs). */
function tlogFlags(o: SignOptions): string[] {
  if (o.generation !== 3) return [`--tlog-upload=${o.tlogUpload}`];
  if (o.tlogUpload && !o.fulcioUrl && !o.rekorUrl) return [];
  return ['--use-signing-config=false', ...(o.tlogUpload ? [] : ['--tlog-upload=false'])];
}

export function signArgs(ref: string, o: SignOptions): string[] {
  const who =
    o.mode === 'key'
      ? ['--key', keyRef(o)]
      : ['--identity-token', o.identityTokenFile ?? '', ...(o.fulcioUrl ? ['--fulcio-url', o.fulcioUrl] : [])];
  return [
    'sign',
    '--yes',
    ...who,
    ...tlogFlags(o),
    ...(o.rekorUrl ? ['--rekor-url', o.rekorUrl] : []),
    ...annotationFlags(o),
    ...registryFlags(o),
    ref
  ];
}

export function verifyArgs(ref: string, o: SignOptions): string[] {
  const who =
    o.mode === 'key'
      ? ['--key', 'env://COSIGN_PUBLIC_KEY']
      : [
          '--certificate-identity',
          o.certificateIdentity ?? '',
          '--certificate-oidc-issuer',
          o.certificateOidcIssuer ?? ''
        ];
  return [
    'verify',
    ...who,
    ...(o.tlogUpload ? [] : ['--insecure-ignore-tlog=true']),
    ...(o.rekorUrl ? ['--rekor-url', o.rekorUrl] : []),
    ...annotationFlags(o),
    ...registryFlags(o),
    ref
  ];
}

export function cosignHint(output: string, passwordEmpty = false): string {
  if (/decrypt|password|encrypted/i.test(output))
    return passwordEmpty
      ? 'cosign could not decrypt the key, and cosign-password is empty: if it comes from a secret, check that the secret exists under that name (secrets are not passed to workflows run from forks).'
      : 'cosign could not decrypt the key: check that cosign-password is the password of cosign-key.';
  const fulcio =
    'Fulcio did not issue a certificate: check fulcio-url, and that the OIDC token is for the audience sigstore.';
  if (/fulcio|signingCert/i.test(output)) return fulcio;
  if (/UNAUTHORIZED|DENIED|\b40[13]\b/.test(output))
    return 'The registry refused the signature upload: the account needs push rights on the repository.';
  if (/x509|certificate signed by unknown authority|tls: failed to verify/i.test(output))
    return "cosign does not trust the registry's TLS certificate: put its CA in /etc/docker/certs.d/<host:port>/ca.crt or pass it in ca-cert (the step hands cosign the CAs it trusts).";
  if (/certificate/i.test(output)) return fulcio;
  if (/rekor|tlog|transparency/i.test(output))
    return 'The transparency log could not be reached: set rekor-url for a private Sigstore, or tlog-upload: false.';
  return '';
}

/** Derives the public key, which also proves the key and password are usable (run before anything is built). */
export async function publicKey(runner: Runner, bin: string, env: CosignEnv, keyUri?: string): Promise<string> {
  const r = await runner.run(bin, ['public-key', '--key', keyRef({keyUri})], {
    env,
    hint: out => cosignHint(out, !keyUri && !env['COSIGN_PASSWORD'])
  });
  const pem = r.stdout.trim();
  if (!pem.includes('PUBLIC KEY')) throw new Error('cosign public-key printed no public key');
  return pem;
}

export async function sign(runner: Runner, bin: string, ref: string, o: SignOptions, env: CosignEnv): Promise<void> {
  await runner.run(bin, signArgs(ref, o), {env, hint: cosignHint});
}

export async function verify(
  runner: Runner,
  bin: string,
  ref: string,
  o: SignOptions,
  env: Record<string, string>
): Promise<string> {
  const r = await runner.run(bin, verifyArgs(ref, o), {
    env,
    hint: () =>
      `The signature of ${ref} does not verify${o.mode === 'key' ? " with the signing key's public key" : ` for ${o.certificateIdentity}`}.`
  });
  return r.stdout;
}

/** The command a user can paste to verify (key mode: with the public key in cosign.pub). */
export function verifyCommand(ref: string, o: SignOptions): string {
  const shown = {...o, caFile: o.caFile ? 'ca.crt' : undefined};
  return [
    'cosign',
    ...verifyArgs(ref, shown).map(a =>
      a === 'env://COSIGN_PUBLIC_KEY' ? 'cosign.pub' : /[\s*?]/.test(a) ? `'${a}'` : a
    )
  ].join(' ');
}

/**
 * Which signing a run does. auto: key when a key is given; keyless when the workflow can mint an OIDC token and
 * the repository is public (keyless signatures go to a public transparency log); else none.
 */
export function resolveSignMode(
  sign: string,
  hasKey: boolean,
  oidcAvailable: boolean,
  repoPrivate: boolean | undefined
): SignMode | 'none' {
  if (sign === 'false') return 'none';
  if (sign === 'key' || sign === 'keyless') return sign;
  if (hasKey) return 'key';
  if (oidcAvailable && repoPrivate === false) return 'keyless';
  return 'none';
}
