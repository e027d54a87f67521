/**
 * Crash safety of callback ingestion: the service runs as its own process; 5,000 signed delivery reports are
 * posted to its callback URL and it is SIGKILLed in the middle; after a restart on the same SQLite database
 * every callback that did not get a 2xx is sent again (as Sinch retries: same body, fresh nonce). Every
 * callback answered 2xx must have its effect exactly once: one stored callback per distinct report, one event
 * per (message, status), nothing processed twice.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { openInspector } from '../../bench/lib/db.ts';
import { runLoad, shuffled, statusCounts, type LoadResult } from '../../bench/lib/load.ts';
import { sleep, startEmulator, startService, tempDir, type Child } from '../../bench/lib/proc.ts';
import { deliveryReportBody, sendAndWait, setUpProject, signedCallback } from '../../bench/lib/service.ts';

const messageCount = 1_000;
/** Delivery attempts per message we sent: three distinct reports and a repeat of DELIVERED (identical bytes). */
const statusesPerMessage = ['QUEUED_ON_CHANNEL', 'DELIVERED', 'READ', 'DELIVERED'] as const;
/** Reports about messages another system sent on the same app: stored and visible, no status, no event. */
const unknownCount = 1_000;
const total = messageCount * statusesPerMessage.length + unknownCount; // 5,000
/** SIGKILL once this many callbacks were answered 2xx. */
const killAfterAcknowledged = 1_500;
const concurrency = 32;
const mapped = { QUEUED_ON_CHANNEL: 'sent', DELIVERED: 'delivered', READ: 'read' } as const;

const children: Child[] = [];
const data = tempDir('mm-kill-ingest-');
after(async () => {
  await Promise.all(children.map((c) => c.kill9()));
  data.remove();
});

interface Delivery {
  body: string;
  /** The service's dedupe key for the report: one stored callback per key. */
  key: string;
  messageId: string | null;
}

test(`kill -9 while ${total} signed callbacks are posted: every 2xx callback has its effect exactly once`, { timeout: 150_000 }, async () => {
  const started = Date.now();
  const emulator = await startEmulator();
  children.push(emulator);
  const adminToken = `mma_${randomBytes(24).toString('hex')}`;
  const env = { WORKER_POLL_MS: '50', WORKER_LEASE_MS: '3000' };
  let service = await startService({ dataDir: data.dir, adminToken, sinchUrl: emulator.baseUrl, env });
  children.push(service);
  const port = service.port;
  const webhookSecret = `whsec-${randomBytes(16).toString('hex')}`;
  const setup = await setUpProject(service.baseUrl, adminToken, { sendRatePerSecond: 10_000, webhookSecret });

  // Messages that exist, at Sinch and with us, for the reports to be about.
  const messages = await sendAndWait(service.baseUrl, setup, messageCount, { concurrency });
  const eventTime = new Date(Date.now() - 60_000);
  const deliveries: Delivery[] = [];
  for (const m of messages) {
    statusesPerMessage.forEach((status, n) => {
      deliveries.push({
        body: deliveryReportBody({ providerMessageId: m.provider_message_id!, messageId: m.id, status, identity: m.to, eventTime: new Date(eventTime.getTime() + n * 1000) }),
        key: `dr:${m.provider_message_id!}:${status}:RCS`, messageId: m.id,
      });
    });
  }
  for (let i = 0; i < unknownCount; i += 1) {
    const providerMessageId = `01OTHERSYSTEM${String(i).padStart(13, '0')}`;
    deliveries.push({
      body: deliveryReportBody({ providerMessageId, status: 'DELIVERED', identity: '+46732009999', eventTime }),
      key: `dr:${providerMessageId}:DELIVERED:RCS`, messageId: null,
    });
  }
  // Arrival order is mixed: READ may come before DELIVERED, a repeat before the original.
  const order = shuffled(deliveries, 4242);
  assert.equal(order.length, total);

  // Phase 1: post, SIGKILL after some 2xx, stop issuing.
  const acknowledged = new Set<number>(); // indexes in `order` answered 2xx
  let duplicateAnswers = 0;
  const collect = (index: number, r: LoadResult) => {
    if (r.status >= 200 && r.status < 300) {
      acknowledged.add(index);
      if ((JSON.parse(r.body!) as { duplicate: boolean }).duplicate) duplicateAnswers += 1;
    }
  };
  let killTime = 0;
  const phase1 = await runLoad({
    origin: service.baseUrl, concurrency, keepBodies: true, maxMs: 30_000,
    requests: order.map((d) => signedCallback(setup.callbackPath, webhookSecret, d.body)),
    onResult(index, r) {
      collect(index, r);
      if (killTime === 0 && acknowledged.size >= killAfterAcknowledged) {
        service.process.kill('SIGKILL');
        killTime = Date.now();
        return true;
      }
      return false;
    },
  });
  assert.ok(killTime > 0, `the service was not killed: ${JSON.stringify(statusCounts(phase1.results))}`);
  assert.equal((await service.exited).signal, 'SIGKILL');
  assert.ok(phase1.results.every((r) => r === undefined || r.status === 200 || r.status === 0), `phase 1 answers: ${JSON.stringify(statusCounts(phase1.results))}`);
  const acknowledgedBeforeKill = acknowledged.size;
  const lostAnswers = phase1.results.filter((r) => r !== undefined && r.status === 0).length;

  // Durable before 2xx: with the process dead, every acknowledged callback is in the database.
  let inspector = openInspector(data.dir, { readOnly: true });
  const storedKeys = new Set(inspector.all<{ dedupe_key: string }>('select dedupe_key from callbacks').map((r) => r.dedupe_key));
  const storedAtKill = storedKeys.size;
  const unprocessedAtKill = inspector.count('select count(*) from callbacks where processed_at is null');
  inspector.close();
  const missing = [...acknowledged].filter((i) => !storedKeys.has(order[i]!.key));
  assert.deepEqual(missing, [], 'callbacks answered 2xx before the kill are stored');

  // Phase 2: restart; Sinch retries every callback that did not get a 2xx, same bytes, freshly signed.
  service = await startService({ dataDir: data.dir, adminToken, sinchUrl: emulator.baseUrl, env, port });
  children.push(service);
  let resent = 0;
  for (let round = 0; round < 3 && acknowledged.size < total; round += 1) {
    const retry = order.map((d, i) => (acknowledged.has(i) ? undefined : signedCallback(setup.callbackPath, webhookSecret, d.body)));
    resent += retry.filter((r) => r !== undefined).length;
    const phase2 = await runLoad({ origin: service.baseUrl, concurrency, requests: retry, keepBodies: true, maxMs: 30_000, onResult: collect });
    if (acknowledged.size < total) console.log(`retry round ${round + 1}: ${JSON.stringify(statusCounts(phase2.results))}`);
  }
  assert.equal(acknowledged.size, total, 'every callback was acknowledged in the end');

  // Callbacks are applied in the transaction that stores them: none can be left half done by the kill. Any stored
  // unapplied (a failure while applying) would be applied by the recovery loop; wait for that too.
  inspector = openInspector(data.dir);
  const deadline = killTime + 90_000;
  for (;;) {
    const pending = inspector.count('select count(*) from callbacks where processed_at is null');
    if (pending === 0) break;
    assert.ok(Date.now() < deadline, `${pending} callbacks still unapplied 90 s after the kill`);
    await sleep(250);
  }
  const drainedAfterKillMs = Date.now() - killTime;

  // One stored, processed callback per distinct report; nothing else.
  const expectedKeys = new Set(deliveries.map((d) => d.key));
  const stored = inspector.all<{ dedupe_key: string; n: number; unprocessed: number }>(
    'select dedupe_key, count(*) as n, sum(processed_at is null) as unprocessed from callbacks group by dedupe_key');
  assert.equal(stored.length, expectedKeys.size, 'one stored callback per distinct report');
  for (const row of stored) {
    assert.ok(expectedKeys.has(row.dedupe_key), `unexpected callback ${row.dedupe_key}`);
    assert.equal(Number(row.n), 1, `${row.dedupe_key} stored ${row.n} times`);
    assert.equal(Number(row.unprocessed), 0, `${row.dedupe_key} not processed`);
  }
  const outcomes = Object.fromEntries(inspector.all<{ outcome: string; n: number }>('select outcome, count(*) as n from callbacks group by outcome').map((r) => [r.outcome, Number(r.n)]));
  assert.deepEqual(outcomes, { applied: messageCount * 3, unknown_message: unknownCount });
  assert.equal(inspector.count('select count(*) from jobs where dead = 1'), 0, 'no job gave up');

  // Effects: one event per (message, status), every message at its final status.
  const events = inspector.all<{ message_id: string; status: string; n: number }>('select message_id, status, count(*) as n from events group by message_id, status');
  const twice = events.filter((e) => Number(e.n) !== 1);
  assert.deepEqual(twice, [], 'no duplicate events');
  const expectedEvents = new Set(messages.flatMap((m) => ['enqueued', ...Object.values(mapped)].map((s) => `${m.id}:${s}`)));
  assert.deepEqual(new Set(events.map((e) => `${e.message_id}:${e.status}`)), expectedEvents, 'exactly the events of the reports');
  const statuses = inspector.all<{ status: string; n: number }>('select status, count(*) as n from messages group by status');
  assert.deepEqual(statuses.map((s) => [s.status, Number(s.n)]), [['read', messageCount]], 'every message ends read');
  inspector.close();

  await service.stop();
  console.log(JSON.stringify({
    callbacks: total, distinct_reports: expectedKeys.size, acknowledged_before_kill: acknowledgedBeforeKill, answers_lost_in_crash: lostAnswers,
    stored_at_kill: storedAtKill, unprocessed_at_kill: unprocessedAtKill, resent_after_restart: resent, answered_duplicate: duplicateAnswers,
    events: events.length, drained_ms_after_kill: drainedAfterKillMs, seconds: Math.round((Date.now() - started) / 100) / 10,
  }));
});
