/**
 * Runs the storage, API, integration (sandbox) and security tests against PostgreSQL (TEST_DATABASE_URL, default: the local server).
 * Each test file works in a schema of its own, dropped afterwards.
 */
import { spawnSync } from 'node:child_process';

const url = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const result = spawnSync(process.execPath, ['--test', '--test-timeout=120000', '--test-reporter=spec', 'test/db/**/*.test.ts', 'test/api/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/security/**/*.test.ts'], {
  stdio: 'inherit',
  env: { ...process.env, TEST_DATABASE_URL: url },
});
process.exit(result.status ?? 1);
