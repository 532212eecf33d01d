import {failureSummary, humanSize, renderSummary, SummaryData} from '../../../src/run/summary';

const data: SummaryData = {
  images: ['ghcr.io/o/app'],
  version: '1.2.3',
  tags: ['ghcr.io/o/app:1.2.3', 'ghcr.io/o/app:latest'],
  digest: 'sha256:aaa',
  platformDigests: {'linux/amd64': 'sha256:bbb', 'linux/arm64': 'sha256:ccc'},
  size: 5 * 1024 * 1024,
  refs: [],
  signatures: {'ghcr.io/o/app@sha256:aaa': 'ghcr.io/o/app:sha256-aaa.sig'},
  verifyCommands: ['cosign verify --key cosign.pub ghcr.io/o/app@sha256:aaa'],
  notPushedReason: '',
  timings: [['build', 12_300]],
  dryRun: false
};

test('a pushed image: digest, platforms, size, signature, timings', () => {
  const md = renderSummary(data);
  expect(md).toContain('| digest | `sha256:aaa` |');
  expect(md).toContain('| linux/arm64 | `sha256:ccc` |');
  expect(md).toContain('| size | 5.0 MiB |');
  expect(md).toContain('build 12.3s');
  expect(md).toContain('cosign verify --key cosign.pub ghcr.io/o/app@sha256:aaa');
});

test('nothing pushed says why', () => {
  expect(renderSummary({...data, digest: '', notPushedReason: 'push is false'})).toContain(
    '> Nothing was pushed: push is false'
  );
});

test('dry run says so', () => {
  expect(renderSummary({...data, digest: '', dryRun: true})).toContain('Dry run');
});

test('a configuration failure: what to fix, nothing built or pushed, no empty image table', () => {
  expect(failureSummary('configuration', 'platforms: "linux/amd46" is not a platform buildx knows', [])).toBe(
    [
      '## publish-image',
      '',
      '> **Failed in configuration.** Nothing was built, pushed or tagged. Fix the inputs named below and run again:',
      '',
      '```text',
      'platforms: "linux/amd46" is not a platform buildx knows',
      '```',
      '',
      ''
    ].join('\n')
  );
});

test('a failure in preflight: nothing was built, pushed or tagged', () => {
  const md = renderSummary({...data, digest: '', failure: {phase: 'preflight', message: 'no push right'}});
  expect(md).toContain('> **Failed in preflight.** Nothing was built, pushed or tagged:');
});

test('a failure in push: what was already done, and that no tag moved', () => {
  const md = renderSummary({
    ...data,
    digest: '',
    failure: {phase: 'push', message: 'PUT x: 503\n```evil```', pushed: 'sha256:ddd'}
  });
  expect(md).toContain('> **Failed in push.** No tag was moved: every tag is where it was.');
  expect(md).toContain('> Already done: pushed by digest `sha256:ddd` (untagged), signed and verified.');
  expect(md).toContain("'''evil'''");
  expect(md).toContain('| images | `ghcr.io/o/app` |');
});

test.each([
  [512, '512 B'],
  [2048, '2.0 KiB'],
  [3 * 1024 ** 3, '3.0 GiB']
])('humanSize(%d)', (n, s) => {
  expect(humanSize(n)).toBe(s);
});
