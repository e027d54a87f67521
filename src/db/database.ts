import { createHash } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import { Migrator, type Migration, type MigrationProvider } from 'kysely/migration';
import pg from 'pg';
import { openSqlite, type DirectSqlite } from './sqlite-driver.ts';
import type { Database } from './schema.ts';
import { createTransact, type Transact } from './transact.ts';
import { createWalSync, type WalSync } from './wal-sync.ts';
import * as m0001 from './migrations/0001-foundation.ts';
import * as m0002 from './migrations/0002-messaging.ts';
import * as m0003 from './migrations/0003-callback-nonces.ts';
import * as m0004 from './migrations/0004-event-destinations.ts';
import * as m0005 from './migrations/0005-two-way.ts';
import * as m0006 from './migrations/0006-jobs-claim-index.ts';
import * as m0007 from './migrations/0007-engine.ts';
import * as m0008 from './migrations/0008-campaigns.ts';
import * as m0009 from './migrations/0009-sandbox-apps.ts';
import * as m0010 from './migrations/0010-event-destination-secrets.ts';
import * as m0011 from './migrations/0011-users.ts';
import * as m0012 from './migrations/0012-template-catalogues.ts';
import * as m0013 from './migrations/0013-channel-capabilities.ts';
import * as m0014 from './migrations/0014-sinch-consents.ts';
import * as m0015 from './migrations/0015-import-columns.ts';
import * as m0016 from './migrations/0016-sign-in-failures.ts';

// int8 columns hold epoch milliseconds, well inside Number's safe range: read them as numbers, not strings.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

export type Dialect = 'sqlite' | 'postgres';

export interface Db {
  readonly kysely: Kysely<Database>;
  readonly dialect: Dialect;
  /** SQLite only: the connection's prepared statements, for hot queries inside units of work (db/prepared.ts). */
  readonly direct: DirectSqlite | undefined;
  /** PostgreSQL with prepared statements on: makes a hot query's text a named prepared statement (db/prepared.ts). */
  readonly nameStatement: ((text: string) => void) | undefined;
  /** Runs a unit of work in a transaction (group-committed with concurrent units on SQLite; see transact.ts). */
  readonly transact: Transact;
  /**
   * Resolves once everything this process has committed is on disk (SQLite: an fsync of the write-ahead log, shared
   * by concurrent callers; PostgreSQL: at once, its commits are durable). Every mutating HTTP answer waits for it.
   */
  durable(): Promise<void>;
  /** Applies every pending migration; safe to call from several instances at once. */
  migrate(): Promise<void>;
  /** True when a trivial query answers. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** Numbered, append-only. Never edit or reorder a migration once it is on main; add a new one. */
const migrations: Record<string, Migration> = {
  '0001-foundation': m0001,
  '0002-messaging': m0002,
  '0003-callback-nonces': m0003,
  '0004-event-destinations': m0004,
  '0005-two-way': m0005,
  '0006-jobs-claim-index': m0006,
  '0007-engine': m0007,
  '0008-campaigns': m0008,
  '0009-sandbox-apps': m0009,
  '0010-event-destination-secrets': m0010,
  '0011-users': m0011,
  '0012-template-catalogues': m0012,
  '0013-channel-capabilities': m0013,
  '0014-sinch-consents': m0014, '0015-import-columns': m0015,
  '0016-sign-in-failures': m0016,
};

const provider: MigrationProvider = { getMigrations: () => Promise.resolve(migrations) };

export type DbLocation =
  | { kind: 'sqlite'; file: string }
  /** `preparedStatements`: hot queries as named prepared statements (default true; DATABASE_PREPARED_STATEMENTS). */
  | { kind: 'postgres'; url: string; schema?: string; preparedStatements?: boolean };

/** Hot query texts longer than this stay unnamed (the longest single-row hot query, the send claim, is about 2,300 characters). */
export const maxNamedTextLength = 8_000;

/**
 * A pg client that sends the hot queries (texts in `named`) as named prepared statements: the server parses and
 * plans such a text once per connection instead of on every execution, which on the send and callback paths was
 * much of the database's work (BENCHMARKS.md). Everything else, and every call that is not a plain text with an
 * array of values (cursors, query configs), goes through unchanged. The name is a hash of the text, so one name
 * never stands for two texts on a connection.
 */
function namedStatementClient(named: ReadonlyMap<string, string>): typeof pg.Client {
  return class NamedStatementClient extends pg.Client {
    constructor(config?: string | pg.ClientConfig) {
      super(config);
      const plain = this.query.bind(this) as (...args: unknown[]) => unknown;
      const query = (...args: unknown[]): unknown => {
        const [text, values, callback] = args;
        const name = typeof text === 'string' && Array.isArray(values) ? named.get(text) : undefined;
        return name === undefined ? plain(...args) : plain({ name, text, values }, callback);
      };
      this.query = query as pg.Client['query'];
    }
  };
}

/**
 * The database holds every customer's data: its file, and the write-ahead log and shared-memory files beside it,
 * are readable by this user only (0600), whatever the umask, and a folder created for it is 0700. SQLite creates
 * the -wal and -shm files with the database file's mode; existing ones are tightened too.
 */
function makePrivate(file: string): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) {
    if (existsSync(f)) chmodSync(f, 0o600);
  }
}

export function openDatabase(location: DbLocation): Db {
  let kysely: Kysely<Database>;
  let direct: DirectSqlite | undefined;
  let durable: () => Promise<void> = () => Promise.resolve();
  let walSync: WalSync | undefined;
  let nameStatement: ((text: string) => void) | undefined;
  if (location.kind === 'sqlite') {
    if (location.file !== ':memory:') makePrivate(location.file);
    const sqlite = openSqlite(location.file);
    direct = sqlite.direct;
    if (location.file !== ':memory:') durable = walSync = createWalSync(`${location.file}-wal`, sqlite.committed);
    kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite.database }) });
  } else {
    const named = new Map<string, string>();
    if (location.preparedStatements !== false) {
      nameStatement = (text) => {
        // `returning *` / `select *` as the result: a column added by a later migration (another instance upgrading
        // first) would change the statement's result type, which PostgreSQL refuses for a prepared statement; such
        // texts stay unnamed. (`count(*)`, or `*` of a subquery with its own column list, do not change.)
        // Nor do the long multi-row inserts of imports and campaign fan-outs (prepareInsertMany, up to 512 rows): kept
        // prepared, each would hold its large parse tree in every connection's memory on the server, for a statement
        // that runs a few times per batch of rows; parsing is a small part of its cost.
        if (named.has(text) || text.length > maxNamedTextLength || /returning\s+\*|^\s*select\s+\*/i.test(text)) return;
        named.set(text, `mm_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`);
      };
    }
    const pool = new pg.Pool({
      connectionString: location.url,
      max: 10,
      ...(location.schema ? { options: `-c search_path=${location.schema}` } : {}),
      ...(nameStatement !== undefined ? { Client: namedStatementClient(named) } : {}),
    });
    kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  }
  return {
    kysely,
    dialect: location.kind,
    direct,
    nameStatement,
    transact: createTransact(kysely, location.kind, { durable }),
    durable,
    async migrate() {
      const { error, results } = await new Migrator({
        db: kysely, provider,
        // With a schema of its own (tests), keep the migration tables there too.
        ...(location.kind === 'postgres' && location.schema !== undefined ? { migrationTableSchema: location.schema } : {}),
      }).migrateToLatest();
      const failed = results?.find((r) => r.status === 'Error');
      if (error !== undefined || failed) {
        throw new Error(`database migration ${failed?.migrationName ?? ''} failed`, { cause: error });
      }
    },
    async ping() {
      try {
        await sql`select 1`.execute(kysely);
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      await kysely.destroy();
      await walSync?.close();
    },
  };
}
