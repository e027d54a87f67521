import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import type { Config } from './config/config.ts';
import type { DbLocation } from './db/database.ts';
import type { InstanceRepo } from './db/repos/instance-repo.ts';
import { createSecretToken } from './lib/ids.ts';
import { generateKeyText, hashToken } from './lib/secret-box.ts';

export function databaseLocation(config: Config): DbLocation {
  return config.databaseUrl !== undefined
    ? { kind: 'postgres', url: config.databaseUrl, preparedStatements: config.databasePreparedStatements }
    : { kind: 'sqlite', file: path.join(config.dataDir, 'mobile-messaging.db') };
}

/**
 * The data folder (database, master key, admin token) is this user's only: created 0700, and an existing one that
 * others could read or enter is tightened to 0700 at start.
 */
export function secureDataDir(config: Config): void {
  if (config.databaseUrl !== undefined && !existsSync(config.dataDir)) return; // PostgreSQL: created only if a file needs it
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  if ((statSync(config.dataDir).mode & 0o077) !== 0) chmodSync(config.dataDir, 0o700);
  for (const name of ['master.key', 'admin-token']) {
    const file = path.join(config.dataDir, name);
    if (existsSync(file) && (statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  }
}

function writePrivateFile(file: string, content: string): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, content, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
}

/** MASTER_KEY, or the key generated into the data directory on first start (mode 0600). */
export function loadMasterKeys(config: Config): { keys: string[]; generatedAt?: string } {
  if (config.masterKeys !== undefined) return { keys: config.masterKeys };
  const file = path.join(config.dataDir, 'master.key');
  if (existsSync(file)) return { keys: [readFileSync(file, 'utf8').trim()] };
  writePrivateFile(file, `${generateKeyText()}\n`);
  return { keys: [readFileSync(file, 'utf8').trim()], generatedAt: file };
}

export type AdminTokenSource =
  | { kind: 'env' }
  | { kind: 'generated'; token: string; file: string }
  | { kind: 'file'; file: string }
  | { kind: 'elsewhere' };

/**
 * The instance admin token: `ADMIN_TOKEN`, or one generated on first start whose hash is kept in the database
 * (so every instance sharing the database accepts it) and whose value is written to `DATA_DIR/admin-token`.
 */
export async function ensureAdminToken(config: Config, instance: InstanceRepo): Promise<{ hash: string; source: AdminTokenSource }> {
  if (config.adminToken !== undefined) return { hash: hashToken(config.adminToken), source: { kind: 'env' } };
  const file = path.join(config.dataDir, 'admin-token');
  const existing = await instance.get('admin_token_hash');
  if (existing !== undefined) return { hash: existing, source: existsSync(file) ? { kind: 'file', file } : { kind: 'elsewhere' } };
  const token = createSecretToken('mma');
  const stored = await instance.setIfAbsent('admin_token_hash', hashToken(token));
  if (stored !== hashToken(token)) return { hash: stored, source: { kind: 'elsewhere' } };
  writePrivateFile(file, `${token}\n`);
  return { hash: stored, source: { kind: 'generated', token, file } };
}
