import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {storeLogin} from '../../../src/tools/docker/config';

const cred = {registry: 'ghcr.io', username: 'octo', password: 'p4ss'};
const auth = Buffer.from('octo:p4ss').toString('base64');

test.each<[string, object, object]>([
  ['an empty config', {}, {auths: {'ghcr.io': {auth}}}],
  [
    'a credsStore copied from the job: the login is pinned to the file for that registry only',
    {credsStore: 'pass', auths: {'quay.io': {}}},
    {credsStore: 'pass', auths: {'quay.io': {}, 'ghcr.io': {auth}}, credHelpers: {'ghcr.io': ''}}
  ],
  [
    'a helper for this very registry is overridden; other helpers stay',
    {credHelpers: {'ghcr.io': 'gcloud', 'gcr.io': 'gcloud'}},
    {auths: {'ghcr.io': {auth}}, credHelpers: {'ghcr.io': '', 'gcr.io': 'gcloud'}}
  ],
  [
    'helpers for other registries only: untouched',
    {credHelpers: {'gcr.io': 'gcloud'}},
    {credHelpers: {'gcr.io': 'gcloud'}, auths: {'ghcr.io': {auth}}}
  ]
])('storeLogin into %s', (_n, before, after) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-store-'));
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(before));
  storeLogin(dir, cred);
  expect(JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'))).toEqual(after);
  expect((fs.statSync(path.join(dir, 'config.json')).mode & 0o777).toString(8)).toBe('600');
  fs.rmSync(dir, {recursive: true});
});
