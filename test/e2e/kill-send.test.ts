/**
 * Crash safety of sending: the service runs as its own process against the standalone Sinch emulator; it is
 * SIGKILLed in the middle of a 2,000-message run and started again on the same SQLite database. Every message
 * that got a 202 must reach Sinch, none may be lost or created twice, and a message Sinch received twice
 * must be flagged `possible_duplicate`.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { runLoad, statusCounts, type LoadRequest, type LoadResult } from '../../bench/lib/load.ts';
import { openInspector } from '../../bench/lib/db.ts';
import { startEmulator, startService, tempDir, type Child } from '../../bench/lib/proc.ts';
import { callJson, listMessages, sendRequest, setUpProject, waitUntilNoneQueued } from '../../bench/lib/service.ts';

const total = 2_000;
/** SIGKILL once this many 202s came back. */
const killAfterAccepted = 700;
const concurrency = 32;

const children: Child[] = [];
const data = tempDir('mm-kill-send-');
after(async () => {
  await Promise.all(children.map((c) => c.kill9()));
  data.remove();
});

test(`kill -9 during a ${total}-message run: every accepted message reaches Sinch, none lost, duplicates flagged`, { timeout: 150_000 }, async () => {
  const started = Date.now();
  // Sinch answers after 20 ms, so the worker always has sends in flight when the process dies.
  const emulator = await startEmulator({ knobs: { response_delay_ms: 20 } });
  children.push(emulator);
  const adminToken = `mma_${randomBytes(24).toString('hex')}`;
  // A short lease, so the messages the dead process held come back within seconds (renewed while they are sent).
  const env = { WORKER_POLL_MS: '50', WORKER_LEASE_MS: '3000', SEND_RETRY_BASE_MS: '50', SEND_RETRY_CAP_MS: '500' };
  let service = await startService({ dataDir: data.dir, adminToken, sinchUrl: emulator.baseUrl, env });
  children.push(service);
  const port = service.port;
  const setup = await setUpProject(service.baseUrl, adminToken, { sendRatePerSecond: 10_000 });
  const requests: LoadRequest[] = Array.from({ length: total }, (_, i) => sendRequest(setup, i, `kill-send-${i}`));

  // Phase 1: post until some hundreds were accepted, then SIGKILL the service with requests and sends in flight.
  const answered = new Map<number, string>(); // index → message id, for every 202
  const collect = (index: number, r: LoadResult) => {
    if (r.status === 202) answered.set(index, (JSON.parse(r.body!) as { id: string }).id);
  };
  let killedAt: { accepted: number; atSinch: number } | undefined;
  let killTime = 0;
  const phase1 = await runLoad({
    origin: service.baseUrl, concurrency, requests, keepBodies: true, maxMs: 30_000,
    onResult(index, r) {
      collect(index, r);
      if (killedAt === undefined && answered.size >= killAfterAccepted) {
        service.process.kill('SIGKILL');
        killTime = Date.now();
        killedAt = { accepted: answered.size, atSinch: -1 };
        return true;
      }
      return false;
    },
  });
  assert.ok(killedAt !== undefined, `the service was not killed: ${JSON.stringify(statusCounts(phase1.results))}`);
  const exit = await service.exited;
  assert.equal(exit.signal, 'SIGKILL');
  killedAt.atSinch = ((await callJson(emulator.baseUrl, 'GET', '/_emulator')).body as { messages?: number }).messages ?? -1;
  const acceptedBeforeKill = answered.size;
  const lostAnswers = phase1.results.filter((r) => r !== undefined && r.status !== 202).length;
  assert.ok(phase1.results.every((r) => r === undefined || r.status === 202 || r.status === 0), `phase 1 answers: ${JSON.stringify(statusCounts(phase1.results))}`);

  // What the dead process left: messages it held (sends in flight), messages not yet handed over.
  const inspector = openInspector(data.dir, { readOnly: true });
  const leasedByTheDead = inspector.count('select count(*) from messages where locked_by is not null');
  const queuedAtRestart = inspector.count("select count(*) from messages where status = 'queued'");
  inspector.close();

  // Phase 2: the same process restarted on the same database; post every message that has no 202 yet, with
  // its own Idempotency-Key, so an answer lost in the crash does not create a second message.
  service = await startService({ dataDir: data.dir, adminToken, sinchUrl: emulator.baseUrl, env, port });
  children.push(service);
  for (let round = 0; round < 3 && answered.size < total; round += 1) {
    const missing = requests.map((r, i) => (answered.has(i) ? undefined : r));
    const phase2 = await runLoad({ origin: service.baseUrl, concurrency, requests: missing, keepBodies: true, maxMs: 30_000, onResult: collect });
    if (answered.size < total) console.log(`retry round ${round + 1}: ${JSON.stringify(statusCounts(phase2.results))}`);
  }
  assert.equal(answered.size, total, 'every message was accepted in the end');
  const ids = new Set(answered.values());
  assert.equal(ids.size, total, 'one message per Idempotency-Key');

  // Wait for the worker to hand every message to Sinch. Messages the dead process held stay leased until their
  // lease (WORKER_LEASE_MS above) runs out.
  assert.ok(await waitUntilNoneQueued(service.baseUrl, setup, killTime + 90_000 - Date.now()), 'messages still queued 90 s after the kill');
  const drainedAfterKillMs = Date.now() - killTime;

  // Our side: exactly the accepted messages, all handed over.
  const ours = new Map((await listMessages(service.baseUrl, setup)).map((m) => [m.id, m]));
  assert.equal(ours.size, total, 'no message lost, none created twice');
  for (const id of ids) {
    const m = ours.get(id);
    assert.ok(m !== undefined, `accepted message ${id} is missing`);
    assert.equal(m.status, 'enqueued', `message ${id}: ${JSON.stringify(m)}`);
  }

  // Sinch's side: every message arrived, carrying our id; whatever arrived twice is flagged on our side.
  const inspected = await callJson(emulator.baseUrl, 'GET', '/_emulator/messages?app_id=sandbox-app&limit=100000');
  assert.equal(inspected.status, 200);
  const atSinch = new Map<string, number>();
  for (const m of inspected.body.messages as Array<{ request: { message_metadata?: string; correlation_id?: string } }>) {
    const ourId = m.request.message_metadata ?? '';
    assert.equal(m.request.correlation_id, ourId, 'correlation_id carries our message id too');
    atSinch.set(ourId, (atSinch.get(ourId) ?? 0) + 1);
  }
  const notAtSinch = [...ids].filter((id) => !atSinch.has(id));
  assert.deepEqual(notAtSinch, [], 'every accepted message reached Sinch');
  assert.deepEqual([...atSinch.keys()].filter((id) => !ids.has(id)), [], 'Sinch got nothing we did not accept');
  const twice = [...atSinch].filter(([, n]) => n > 1).map(([id]) => id);
  const unflagged = twice.filter((id) => ours.get(id)?.possible_duplicate !== true);
  if (unflagged.length > 0) {
    const d = await callJson(service.baseUrl, "GET", `/api/v1/projects/${setup.projectId}/messages/${unflagged[0]}`, setup.memberToken);
    console.log('DEBUG', unflagged.length, twice.length, JSON.stringify(d.body));
    console.log('DEBUG killTime', new Date(killTime).toISOString());
    console.log('DEBUG sinch', JSON.stringify((inspected.body.messages as any[]).filter((m) => m.request.message_metadata === unflagged[0])));
  }
  assert.deepEqual(unflagged, [], 'every message Sinch received twice is flagged possible_duplicate');
  const flagged = [...ours.values()].filter((m) => m.possible_duplicate).length;
  const retried = [...ours.values()].filter((m) => m.attempt_count > 1).length;

  console.log(JSON.stringify({
    messages: total, accepted_before_kill: acceptedBeforeKill, at_sinch_when_killed: killedAt.atSinch, answers_lost_in_crash: lostAnswers,
    posted_after_restart: total - acceptedBeforeKill, at_sinch: inspected.body.messages.length, received_twice_by_sinch: twice.length,
    queued_at_restart: queuedAtRestart, messages_held_by_dead_process: leasedByTheDead, drained_ms_after_kill: drainedAfterKillMs,
    flagged_possible_duplicate: flagged, sent_more_than_once: retried, seconds: Math.round((Date.now() - started) / 100) / 10,
  }));
  // The crash must have hit sends in flight (else this test proved little): their attempts were interrupted.
  assert.ok(flagged > 0, 'no send was in flight at the kill');
});
