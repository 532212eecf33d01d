import {dotenv, envName, helpText, parseArgs} from '../../../src/hosts/cli/args';
import {CliHost} from '../../../src/hosts/cli/host';
import {INPUTS} from '../../../src/config/spec';

describe('parseArgs', () => {
  test.each<[string, string[], Record<string, string>, Record<string, string>]>([
    ['--name VALUE', ['--images', 'ghcr.io/o/app'], {}, {images: 'ghcr.io/o/app'}],
    ['--name=VALUE', ['--images=ghcr.io/o/app'], {}, {images: 'ghcr.io/o/app'}],
    [
      'a repeated flag adds a line',
      ['--tags', 'type=sha', '--tags=type=ref,event=pr'],
      {},
      {tags: 'type=sha\ntype=ref,event=pr'}
    ],
    ['a boolean alone is true', ['--push', '--images', 'x'], {}, {push: 'true', images: 'x'}],
    ['a boolean takes true/false after it', ['--push', 'false'], {}, {push: 'false'}],
    ['--push=false', ['--push=false'], {}, {push: 'false'}],
    [
      'the environment fallback',
      [],
      {PUBLISH_IMAGE_COSIGN_PASSWORD: 'pw', PUBLISH_IMAGE_BUILD_ARGS: 'A=1'},
      {'cosign-password': 'pw', 'build-args': 'A=1'}
    ],
    [
      'a flag wins over the environment',
      ['--platforms', 'linux/arm64'],
      {PUBLISH_IMAGE_PLATFORMS: 'linux/amd64'},
      {platforms: 'linux/arm64'}
    ],
    [
      "action.yml's defaults when neither is given",
      [],
      {},
      {context: '.', retries: '3', mode: 'publish', logout: 'true'}
    ]
  ])('%s', (_name, argv, env, expected) => {
    expect(parseArgs(argv, env).raw).toMatchObject(expected);
  });

  test('the runner expression default of github-token is not a value outside GitHub', () => {
    expect(parseArgs([], {}).raw['github-token']).toBeUndefined();
  });

  test.each<[string[], RegExp]>([
    [['--platform', 'linux/amd64'], /unknown flag --platform: did you mean --platforms\?/],
    [['images'], /unexpected argument "images"/],
    [['--images'], /--images needs a value/]
  ])('%j is refused', (argv, message) => {
    expect(() => parseArgs(argv, {})).toThrow(message);
  });

  test('output files, help and debug', () => {
    expect(parseArgs(['--output-file', 'o.env', '--json=o.json', '--debug'], {})).toMatchObject({
      outputFile: 'o.env',
      jsonFile: 'o.json',
      debug: true,
      help: false
    });
    expect(parseArgs(['-h'], {}).help).toBe(true);
  });

  test('envName', () => {
    expect([envName('cosign-password'), envName('images')]).toEqual([
      'PUBLISH_IMAGE_COSIGN_PASSWORD',
      'PUBLISH_IMAGE_IMAGES'
    ]);
  });
});

test('dotenv: one line per output, multi-line values joined by commas, JSON kept on its line', () => {
  expect(
    dotenv({
      digest: 'sha256:abc',
      tags: 'r/app:1.2.3\nr/app:latest',
      'platform-digests': '{"linux/amd64":"sha256:1"}',
      imageid: ''
    })
  ).toBe(
    'PUBLISH_IMAGE_DIGEST=sha256:abc\nPUBLISH_IMAGE_TAGS=r/app:1.2.3,r/app:latest\nPUBLISH_IMAGE_PLATFORM_DIGESTS={"linux/amd64":"sha256:1"}\nPUBLISH_IMAGE_IMAGEID=\n'
  );
});

test('--help lists every input', () => {
  const text = helpText();
  for (const i of INPUTS) expect(text).toContain(`--${i.name} `);
});

test('the CLI host redacts masked secrets (and their lines) from every line it prints', () => {
  const out: string[] = [];
  const host = new CliHost(
    true,
    s => out.push(s),
    s => out.push(s)
  );
  host.mask('s3cret-pass');
  host.mask('-----BEGIN KEY-----\nAAAAline2\n-----END KEY-----');
  host.info('login with s3cret-pass');
  host.warning('key AAAAline2 leaked?');
  host.debug('s3cret-pass');
  expect(out.join('')).not.toMatch(/s3cret-pass|AAAAline2/);
  expect(out.join('')).toContain('login with ***');
});
