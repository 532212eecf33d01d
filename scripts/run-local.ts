/** `npm run run-local`: one real run of dist/ on a release tag, against the local registry, with a fresh cosign key. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {ROOT, runAction, tagEvent} from '../__tests__/helpers/harness';
import {cosignKeyPair, testEnv} from '../__tests__/helpers/env';

async function run(): Promise<void> {
  const env = testEnv();
  const tag = process.argv[2] ?? 'v1.0.0';
  const keys = cosignKeyPair(fs.mkdtempSync(path.join(os.tmpdir(), 'pi-local-keys-')), 'local-key-password');
  const image = `${env.PI_REG_BASIC}/demo/publish-image`;
  console.log(`publish-image: ${tag} -> ${image} (linux/amd64, linux/arm64), signed with a fresh key\n`);
  const r = await runAction({
    event: tagEvent(tag),
    inputs: {
      images: image,
      context: path.join(ROOT, 'test', 'fixture-app'),
      platforms: 'linux/amd64,linux/arm64',
      push: 'true',
      username: env.PI_REG_BASIC_USER,
      password: env.PI_REG_BASIC_PASSWORD,
      'cosign-key': keys.key,
      'cosign-password': 'local-key-password',
      'tlog-upload': 'false'
    }
  });
  process.stdout.write(r.main.stdout);
  process.stderr.write(r.main.stderr);
  console.log('\n--- outputs');
  for (const [k, v] of Object.entries(r.main.outputs))
    console.log(`${k}: ${v.includes('\n') ? `\n  ${v.split('\n').join('\n  ')}` : v}`);
  console.log(`\n--- post step: exit ${r.post?.exitCode}`);
  console.log(`public key to verify with: ${keys.pubPath}`);
  process.exitCode = r.main.exitCode || r.post?.exitCode || 0;
}

void run();
