/** Helpers for the security tests: a second instance on the same database, waiting for a condition. */
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import { openDatabase, type Db } from '../../src/db/database.ts';
import { createSecretBox, generateKeyText, hashToken } from '../../src/lib/secret-box.ts';
import type { Clock } from '../../src/lib/time.ts';
import { openTestDatabase, testPostgresUrl, type TestDatabase } from '../helpers/database.ts';
import { createSecretToken } from '../../src/lib/ids.ts';

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A clock that runs with real time plus an offset the test moves forward. */
export function movableClock(): Clock & { advance(ms: number): void } {
  let offset = 0;
  return { now: () => new Date(Date.now() + offset), advance(ms) { offset += ms; } };
}

export interface Instance { app: FastifyInstance; db: Db; baseUrl: string }

/**
 * Several instances of the service on one database (a shared SQLite file, or one PostgreSQL schema), sharing the
 * master key and the admin token, each listening on 127.0.0.1.
 */
export async function startInstances(envs: Array<Record<string, string>>, clock?: Clock) {
  const shared: TestDatabase = await openTestDatabase();
  const adminToken = createSecretToken('mma');
  const box = createSecretBox([generateKeyText()]);
  const schema = testPostgresUrl !== undefined
    ? ((await shared.db.kysely.selectNoFrom((eb) => eb.fn<string>('current_schema', []).as('s')).executeTakeFirstOrThrow()).s)
    : undefined;
  const instances: Instance[] = [];
  for (const env of envs) {
    const loaded = loadConfig({ LOG_LEVEL: 'silent', SINCH_AUTH_URL: 'http://127.0.0.1:9', WORKER_POLL_MS: '20', CONFIG_POLL_MS: '100', ...env });
    if (!loaded.ok) throw new Error(loaded.problems.join('; '));
    const db = instances.length === 0 ? shared.db
      : schema !== undefined ? openDatabase({ kind: 'postgres', url: testPostgresUrl!, schema }) : openDatabase({ kind: 'sqlite', file: shared.file! });
    const app = await buildApp({ config: loaded.config, db, box, adminTokenHash: hashToken(adminToken), ...(clock ? { clock } : {}) });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    instances.push({ app, db, baseUrl: `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}` });
  }
  return {
    instances, adminToken,
    async close() {
      for (const i of instances) await i.app.close();
      for (const i of instances.slice(1)) await i.db.close();
      await shared.dropAll();
    },
  };
}
