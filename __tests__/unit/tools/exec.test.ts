import {ExecRunner} from '../../../src/tools/exec';

test("tools run without the step's inputs in their environment (INPUT_*, PUBLISH_IMAGE_*), with what they are given", async () => {
  const saved = {...process.env};
  process.env['INPUT_PASSWORD'] = 'input-secret-Zq1';
  process.env['PUBLISH_IMAGE_COSIGN_PASSWORD'] = 'cli-secret-Zq2';
  process.env['PI_UNIT_KEPT'] = 'kept';
  try {
    const r = await new ExecRunner().run('env', [], {env: {GIVEN: 'given'}});
    const names = r.stdout.split('\n').map(l => l.split('=')[0]);
    expect(names).not.toContain('INPUT_PASSWORD');
    expect(names).not.toContain('PUBLISH_IMAGE_COSIGN_PASSWORD');
    expect(r.stdout).toContain('PI_UNIT_KEPT=kept');
    expect(r.stdout).toContain('GIVEN=given');
  } finally {
    process.env = saved;
  }
});
