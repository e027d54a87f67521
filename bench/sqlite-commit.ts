/**
 * `npm run bench -- sqlite`: what one write transaction costs on the service's own schema and settings (SQLite
 * WAL, synchronous=NORMAL, migrations of src/db), for the rows the callback route writes per callback (a nonce,
 * the callback with a ~500-byte body, its job): one transaction per callback as the service does it, several
 * callbacks per transaction (group commit), and with WAL checkpoints taken off this connection (as a checkpoint
 * thread would). Raw `node:sqlite` prepared statements, so only SQLite's own cost is measured.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { openDatabase } from '../src/db/database.ts';
import { createId } from '../src/lib/ids.ts';
import { round } from './lib/load.ts';
import { tempDir } from './lib/proc.ts';

interface Variant { name: string; batch: number; autoCheckpoint: boolean }

async function measure(variant: Variant, n: number): Promise<{ usPerCallback: number; commitUsPerCallback: number }> {
  const dir = tempDir('mm-bench-sqlite-');
  try {
    const file = path.join(dir.dir, 'bench.db');
    const db = openDatabase({ kind: 'sqlite', file });
    await db.migrate();
    await db.close();
    const s = new DatabaseSync(file);
    s.exec('PRAGMA journal_mode = WAL');
    s.exec('PRAGMA synchronous = NORMAL');
    if (!variant.autoCheckpoint) s.exec('PRAGMA wal_autocheckpoint = 0');
    const nonce = s.prepare('insert into callback_nonces (integration_id, nonce, body_hash, seen_at) values (?, ?, ?, ?) on conflict do nothing returning nonce');
    const callback = s.prepare(`insert into callbacks (id, integration_id, project_id, trigger, dedupe_key, provider_message_id, received_at, body, processed_at, outcome)
      values (?, 'int_1', 'prj_1', 'MESSAGE_DELIVERY', ?, ?, ?, ?, null, null) on conflict do nothing returning id`);
    const job = s.prepare(`insert into jobs (id, kind, key, payload, run_at, attempts, max_attempts, dead, created_at)
      values (?, 'process_callback', ?, ?, ?, 0, 20, 0, ?) on conflict do nothing returning id`);
    const begin = s.prepare('begin');
    const commit = s.prepare('commit');
    const body = JSON.stringify({ pad: 'x'.repeat(480) });
    let k = 0;
    const one = () => {
      const id = createId('cbk'); // the service's ids (monotonic ULIDs); nonces are random, as Sinch's
      const now = Date.now();
      nonce.all('int_1', randomUUID(), 'h'.repeat(64), now);
      callback.all(id, `dr:${id}`, `p_${k++}`, new Date(now).toISOString(), body);
      job.all(createId('job'), `cb:${id}`, JSON.stringify({ callback_id: id }), now, new Date(now).toISOString());
    };
    let commitMs = 0;
    const t0 = performance.now();
    for (let i = 0; i < n; i += variant.batch) {
      begin.run();
      for (let j = 0; j < variant.batch; j += 1) one();
      const c = performance.now();
      commit.run();
      commitMs += performance.now() - c;
    }
    const totalMs = performance.now() - t0;
    s.close();
    return { usPerCallback: (totalMs * 1000) / n, commitUsPerCallback: (commitMs * 1000) / n };
  } finally {
    dir.remove();
  }
}

export async function benchSqlite(options: { n: number; log: (line: string) => void }): Promise<Record<string, unknown>> {
  const variants: Variant[] = [
    { name: 'per_callback', batch: 1, autoCheckpoint: true },
    { name: 'batch_8', batch: 8, autoCheckpoint: true },
    { name: 'batch_32', batch: 32, autoCheckpoint: true },
    { name: 'per_callback_no_checkpoint', batch: 1, autoCheckpoint: false },
    { name: 'batch_32_no_checkpoint', batch: 32, autoCheckpoint: false },
  ];
  await measure(variants[0]!, Math.min(2_000, options.n)); // warm-up
  const out: Record<string, unknown> = { bench: 'sqlite', n: options.n };
  for (const v of variants) {
    const r = await measure(v, options.n);
    options.log(`${v.name.padEnd(28)} ${String(round(r.usPerCallback)).padStart(7)} µs per callback, of which commit ${round(r.commitUsPerCallback)} µs`);
    out[`${v.name}_us`] = round(r.usPerCallback);
    out[`${v.name}_commit_us`] = round(r.commitUsPerCallback);
  }
  return out;
}
