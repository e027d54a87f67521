/**
 * `npm run bench -- sqlite`: what the callback's write transaction costs on the service's own schema (migrations
 * of src/db, SQLite WAL): the three statements a delivery report needs (store the callback with its nonce, move
 * the message's status, insert the event) for one callback per transaction and for several (group commit), with
 * `synchronous = FULL` (the service: durable before the 200) and `NORMAL` (the WAL synced only at checkpoints), to
 * measure what durability costs. Raw `node:sqlite` prepared statements, so only SQLite's own cost is measured.
 */
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { openDatabase } from '../src/db/database.ts';
import { createId } from '../src/lib/ids.ts';
import { round } from './lib/load.ts';
import { tempDir } from './lib/proc.ts';

interface Variant { name: string; batch: number; sync: 'FULL' | 'NORMAL' }

const callbackColumns = ['id', 'integration_id', 'project_id', 'trigger', 'dedupe_key', 'provider_message_id', 'received_at', 'body', 'processed_at', 'outcome', 'nonce', 'next_attempt_at', 'locked_by', 'attempts', 'last_error'];
const eventColumns = ['id', 'project_id', 'event', 'ts', 'status', 'action_type', 'campaign_id', 'recipient', 'message_id', 'integration_id', 'dedupe_key', 'properties_json', 'recorded_at'];
const placeholders = (n: number) => Array.from({ length: n }, (_, i) => `?${i + 1}`).join(', ');

async function measure(variant: Variant, n: number): Promise<{ usPerCallback: number; commitUsPerCallback: number }> {
  const dir = tempDir('mm-bench-sqlite-');
  try {
    const file = path.join(dir.dir, 'bench.db');
    const db = openDatabase({ kind: 'sqlite', file });
    await db.migrate();
    await db.close();
    const s = new DatabaseSync(file);
    s.exec('PRAGMA journal_mode = WAL');
    s.exec(`PRAGMA synchronous = ${variant.sync}`);
    s.exec('PRAGMA cache_size = -65536');
    s.exec(`insert into projects (id, name, created_at) values ('prj_1', 'bench', '2026-01-01T00:00:00.000Z')`);
    // The messages the reports are about (sent earlier).
    const ids: string[] = [];
    const insertMessage = s.prepare(`insert into messages (id, project_id, integration_id, channel, recipient, sender, content_kind, content_json, options_json,
      status, possible_duplicate, attempt_count, current_channel, created_at, updated_at, consent_exempt, priority, provider_message_id, sent_ts)
      values (?, 'prj_1', 'int_1', 'rcs', ?, 'agent', 'text', '{"text_message":{"text":"Hello there, this is message 1234"}}', '{"sms_fallback_sender":null}',
      'enqueued', 0, 1, 'rcs', ?, ?, 0, 1, ?, 1796000000.5)`);
    s.exec('begin');
    for (let i = 0; i < n; i += 1) {
      const id = createId('msg');
      ids.push(id);
      const at = new Date().toISOString();
      insertMessage.run(id, `+4673${String(2_000_000 + i)}`, at, at, `01PROV${String(i).padStart(20, '0')}`);
    }
    s.exec('commit');
    const callback = s.prepare(`insert into callbacks (${callbackColumns.join(', ')}) values (${placeholders(callbackColumns.length)}) on conflict do nothing returning id`);
    const update = s.prepare(`update messages set status = case when status not in ('read', 'failed', 'rejected') and (case status when 'queued' then 0 when 'enqueued_failed' then 1
      when 'enqueued' then 2 when 'sent' then 3 when 'delivered' then 4 else 5 end) < ?2 then ?3 else status end, current_channel = coalesce(?4, current_channel),
      provider_message_id = coalesce(provider_message_id, ?5), next_attempt_at = case when locked_by is null then null else next_attempt_at end, updated_at = ?6
      where id = ?1 and integration_id = 'int_1' returning id, project_id, integration_id, channel, campaign_id, recipient, sender, sent_ts`);
    const event = s.prepare(`insert into events (${eventColumns.join(', ')}) values (${placeholders(eventColumns.length)}) on conflict (dedupe_key) do nothing returning id`);
    const begin = s.prepare('begin');
    const commit = s.prepare('commit');
    const body = JSON.stringify({ app_id: 'app', accepted_time: '2026-11-30T10:00:00.123456Z', message_delivery_report: { message_id: 'x', status: 'DELIVERED', channel_identity: { channel: 'RCS', identity: '46732000001' }, metadata: 'msg_x' } });
    const properties = JSON.stringify({ message_type: 'campaign', action_type: 'rcs', campaign_id: null, recipient: '+46732000001', sender: 'agent', sent_timestamp: 1796000000.5, status: 'delivered', error: null, error_description: null, message_id: 'msg_x', integration_id: 'int_1' });
    const one = (k: number) => {
      const at = new Date().toISOString();
      const provider = `01PROV${String(k).padStart(20, '0')}`;
      // Sinch's nonces are ULIDs, as the service's ids.
      callback.all(createId('cbk'), 'int_1', 'prj_1', 'MESSAGE_DELIVERY', `dr:${provider}:DELIVERED:RCS`, provider, at, body, at, 'applied', createId('n'), null, null, 1, null);
      update.all(ids[k]!, 4, 'delivered', 'rcs', provider, at);
      event.all(createId('evt'), 'prj_1', 'campaign', Date.now() / 1000, 'delivered', 'rcs', null, '+46732000001', ids[k]!, 'int_1', `msg:${ids[k]!}:delivered`, properties, at);
    };
    let commitMs = 0;
    const t0 = performance.now();
    for (let i = 0; i < n; i += variant.batch) {
      begin.run();
      for (let j = i; j < Math.min(n, i + variant.batch); j += 1) one(j);
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
  const variants: Variant[] = [];
  for (const sync of ['FULL', 'NORMAL'] as const) for (const batch of [1, 8, 32, 64]) variants.push({ name: `${sync.toLowerCase()}_batch_${batch}`, batch, sync });
  await measure(variants[0]!, Math.min(2_000, options.n)); // warm-up
  const out: Record<string, unknown> = { bench: 'sqlite', n: options.n };
  for (const v of variants) {
    const r = await measure(v, options.n);
    options.log(`${v.name.padEnd(20)} ${String(round(r.usPerCallback)).padStart(7)} µs per callback, of which commit ${round(r.commitUsPerCallback)} µs`);
    out[`${v.name}_us`] = round(r.usPerCallback);
    out[`${v.name}_commit_us`] = round(r.commitUsPerCallback);
  }
  return out;
}
