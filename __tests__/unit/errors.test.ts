import {CommandError, ConfigError, InputError} from '../../src/errors';

test.each<[string, string[], string, string, string]>([
  [
    'cosign',
    ['public-key', '--key', 'env://COSIGN_PRIVATE_KEY'],
    'Error: decrypt: encrypted: decryption failed',
    'check cosign-password',
    'cosign public-key failed with exit code 1:\nError: decrypt: encrypted: decryption failed\ncheck cosign-password\ncommand: cosign public-key --key env://COSIGN_PRIVATE_KEY'
  ],
  [
    'docker',
    ['buildx', 'build', '--push', '.'],
    '',
    '',
    'docker buildx build failed with exit code 1\ncommand: docker buildx build --push .'
  ],
  [
    'docker',
    ['--config', 'x', 'logout'],
    'boom',
    '',
    'docker failed with exit code 1:\nboom\ncommand: docker --config x logout'
  ]
])(
  'CommandError(%s %j): what failed, its last lines, the hint, then the command line',
  (cmd, args, tail, hint, message) => {
    expect(new CommandError(cmd, args, 1, tail, hint).message).toBe(message);
  }
);

test('ConfigError: one problem as is, several as a list', () => {
  expect(new ConfigError([new InputError('push', 'not a boolean')]).message).toBe('push: not a boolean');
  expect(
    new ConfigError([new InputError('push', 'not a boolean'), new InputError('platforms', 'platforms: bad')]).message
  ).toBe('2 problems in the configuration:\n- push: not a boolean\n- platforms: bad');
});
