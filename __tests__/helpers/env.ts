/** The real test environment started by scripts/test-env: registries, their credentials, the base image. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {execFileSync} from 'node:child_process';
import {randomBytes} from 'node:crypto';

export interface TestEnv {
  PI_REG_OPEN: string;
  PI_REG_BASIC: string;
  PI_REG_BASIC_USER: string;
  PI_REG_BASIC_PASSWORD: string;
  PI_REG_TLS: string;
  PI_REG_TLS_USER: string;
  PI_REG_TLS_PASSWORD: string;
  PI_REG_TLS_CA: string;
  PI_BASE_IMAGE: string;
  PI_STATE_DIR: string;
  [k: string]: string;
}

export function testEnv(): TestEnv {
  const dir = process.env['PUBLISH_IMAGE_ENV_DIR'] || '/var/tmp/publish-image-env';
  const file = path.join(dir, 'env.json');
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: run scripts/test-env up first (npm test does)`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as TestEnv;
}

/** A repository name no other test uses. */
export function uniqueRepo(prefix: string): string {
  return `e2e/${prefix}-${randomBytes(4).toString('hex')}`;
}

/** A cosign key pair in a temp dir. */
export function cosignKeyPair(
  dir: string,
  password: string
): {key: string; pub: string; keyPath: string; pubPath: string} {
  execFileSync('cosign', ['generate-key-pair', '--output-key-prefix', path.join(dir, 'cosign')], {
    env: {...process.env, COSIGN_PASSWORD: password},
    stdio: 'pipe'
  });
  const keyPath = path.join(dir, 'cosign.key');
  const pubPath = path.join(dir, 'cosign.pub');
  return {key: fs.readFileSync(keyPath, 'utf8'), pub: fs.readFileSync(pubPath, 'utf8'), keyPath, pubPath};
}

/** The two credentialed registries, as the tests' own registry reader reaches them. */
export function basicAccess(e: TestEnv): {host: string; user: string; password: string} {
  return {host: e.PI_REG_BASIC, user: e.PI_REG_BASIC_USER, password: e.PI_REG_BASIC_PASSWORD};
}

export function tlsAccess(e: TestEnv): {host: string; user: string; password: string; caFile: string} {
  return {host: e.PI_REG_TLS, user: e.PI_REG_TLS_USER, password: e.PI_REG_TLS_PASSWORD, caFile: e.PI_REG_TLS_CA};
}

/** A registry-auth input for both registries, the TLS one with its CA (optionally a wrong TLS password). */
export function registryAuthYaml(e: TestEnv, tlsPassword = e.PI_REG_TLS_PASSWORD): string {
  const ca = fs.readFileSync(e.PI_REG_TLS_CA, 'utf8').trim().split('\n');
  return [
    `- registry: ${e.PI_REG_BASIC}`,
    `  username: ${e.PI_REG_BASIC_USER}`,
    `  password: ${e.PI_REG_BASIC_PASSWORD}`,
    `- registry: ${e.PI_REG_TLS}`,
    `  username: ${e.PI_REG_TLS_USER}`,
    `  password: ${tlsPassword}`,
    '  ca-cert: |',
    ...ca.map(l => `    ${l}`)
  ].join('\n');
}

/** The number of `docker buildx build` runs a step's log shows. */
export function buildCount(log: string): number {
  return log.split('\n').filter(l => l.includes('[command]') && / buildx build /.test(l)).length;
}

/**
 * `cosign verify` of a reference with a public key, as a user would run it, against one of the test registries
 * (credentials in a Docker config of its own; plain HTTP or the private CA as the registry needs). Throws when
 * the signature does not verify.
 */
export function cosignVerify(
  ref: string,
  pubPath: string,
  access: {host: string; user: string; password: string; caFile?: string},
  extra: string[] = []
): string {
  const cfg = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-verify-'));
  const auth = Buffer.from(`${access.user}:${access.password}`).toString('base64');
  fs.writeFileSync(path.join(cfg, 'config.json'), JSON.stringify({auths: {[access.host]: {auth}}}));
  const transport = access.caFile
    ? ['--registry-cacert', access.caFile]
    : ['--allow-insecure-registry', '--allow-http-registry'];
  try {
    return execFileSync(
      'cosign',
      ['verify', '--key', pubPath, '--insecure-ignore-tlog=true', ...transport, ...extra, ref],
      {env: {...process.env, DOCKER_CONFIG: cfg}, stdio: 'pipe'}
    ).toString();
  } finally {
    fs.rmSync(cfg, {recursive: true, force: true});
  }
}
