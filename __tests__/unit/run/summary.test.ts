import {humanSize, renderSummary, SummaryData} from '../../../src/run/summary';

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

test.each([
  [512, '512 B'],
  [2048, '2.0 KiB'],
  [3 * 1024 ** 3, '3.0 GiB']
])('humanSize(%d)', (n, s) => {
  expect(humanSize(n)).toBe(s);
});
