/**
 * The measurements behind docs/adr/0002 (query builder) and 0003 (queue). Run: `node scripts/measure-adr.ts`
 * (PostgreSQL part uses TEST_DATABASE_URL, default the local server). Prints one JSON line per measurement.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { openDatabase, type Db } from '../src/db/database.ts';
import { createJobsRepo } from '../src/db/repos/jobs-repo.ts';

const n = 20_000;
const dir = mkdtempSync(path.join(tmpdir(), 'mm-adr-'));

function row(i: number) {
  return {
    id: `evt_${String(i).padStart(8, '0')}`, project_id: 'p', event: 'campaign', ts: 1_700_000_000 + i / 1000, status: 'delivered', action_type: 'whatsapp',
    campaign_id: null, recipient: '+46732001122', message_id: `msg_${i}`, integration_id: 'int', dedupe_key: `k${i}`, properties_json: '{"a":1}', recorded_at: '2026-11-24T00:00:00.000Z',
  };
}

async function measureSqlite(): Promise<void> {
  // Raw node:sqlite, prepared statement, one transaction per 100 rows.
  const raw = new DatabaseSync(path.join(dir, 'raw.db'));
  raw.exec('PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL');
  const db: Db = openDatabase({ kind: 'sqlite', file: path.join(dir, 'kysely.db') });
  await db.migrate();
  raw.exec('create table events (id text primary key, project_id text, event text, ts real, status text, action_type text, campaign_id text, recipient text, message_id text, integration_id text, dedupe_key text unique, properties_json text, recorded_at text)');
  const insert = raw.prepare('insert into events values (?,?,?,?,?,?,?,?,?,?,?,?,?) on conflict (dedupe_key) do nothing');
  let t = performance.now();
  for (let i = 0; i < n; i += 100) {
    raw.exec('begin');
    for (let j = i; j < i + 100; j++) { const r = row(j); insert.run(r.id, r.project_id, r.event, r.ts, r.status, r.action_type, r.campaign_id, r.recipient, r.message_id, r.integration_id, r.dedupe_key, r.properties_json, r.recorded_at); }
    raw.exec('commit');
  }
  const rawPerS = n / ((performance.now() - t) / 1000);
  t = performance.now();
  for (let i = 0; i < n; i += 100) {
    await db.kysely.transaction().execute(async (trx) => {
      for (let j = i; j < i + 100; j++) await trx.insertInto('events').values(row(j)).onConflict((oc) => oc.column('dedupe_key').doNothing()).execute();
    });
  }
  const kyselyPerS = n / ((performance.now() - t) / 1000);
  console.log(JSON.stringify({ measure: 'sqlite inserts/s', n, raw_per_s: Math.round(rawPerS), kysely_per_s: Math.round(kyselyPerS), ratio: +(kyselyPerS / rawPerS).toFixed(2) }));
  raw.close();
  await db.close();
}

async function measureQueue(db: Db, label: string): Promise<void> {
  await db.migrate();
  const queue = createJobsRepo(db.kysely, db.dialect);
  const jobs = 5000;
  let t = performance.now();
  for (let i = 0; i < jobs; i += 100) {
    await db.kysely.transaction().execute(async (trx) => {
      for (let j = i; j < i + 100; j++) await queue.enqueue(trx, { kind: 'k', payload: { j } }, 1000);
    });
  }
  const enqueuePerS = jobs / ((performance.now() - t) / 1000);
  t = performance.now();
  let done = 0;
  while (done < jobs) {
    const claimed = await queue.claim('w', ['k'], 64, 60_000, 2000);
    await Promise.all(claimed.map((c) => queue.complete(db.kysely, c.id, 'w')));
    done += claimed.length;
  }
  const claimPerS = jobs / ((performance.now() - t) / 1000);
  console.log(JSON.stringify({ measure: `job queue on ${label}`, jobs, enqueue_per_s: Math.round(enqueuePerS), claim_and_complete_per_s: Math.round(claimPerS) }));
  await db.close();
}

await measureSqlite();
await measureQueue(openDatabase({ kind: 'sqlite', file: path.join(dir, 'queue.db') }), 'SQLite');
const url = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `adr_${Date.now()}`;
const c = new pg.Client({ connectionString: url });
await c.connect();
await c.query(`create schema ${schema}`);
try {
  await measureQueue(openDatabase({ kind: 'postgres', url, schema }), 'PostgreSQL');
} finally {
  await c.query(`drop schema ${schema} cascade`);
  await c.end();
  rmSync(dir, { recursive: true, force: true });
}
