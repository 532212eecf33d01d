/** Two projects: `unit` (pure code, fast) and `e2e` (the bundled dist/ against the real engine, registries and cosign). */
const tsJest = ['ts-jest', {tsconfig: 'tsconfig.test.json'}];
module.exports = {
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      roots: ['<rootDir>/__tests__/unit'],
      testMatch: ['**/*.test.ts'],
      transform: {'^.+\\.ts$': tsJest}
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      roots: ['<rootDir>/__tests__/e2e'],
      testMatch: ['**/*.e2e.test.ts'],
      transform: {'^.+\\.ts$': tsJest}
    }
  ],
  // End-to-end tests run real builds: no practical time limit (an hour).
  testTimeout: 3_600_000
};
