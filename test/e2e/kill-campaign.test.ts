/**
 * Crash safety of campaigns: a 5,000-recipient personalised campaign runs in its own process against the
 * standalone Sinch emulator (with delivery and read reports flowing back); the process is SIGKILLed in the
 * middle and started again on the same SQLite database. Afterwards every recipient has exactly one message, each
 * reached Sinch (anything Sinch got twice is flagged `possible_duplicate`), and the report adds up: audience =
 * skipped + messages, and each message is counted once for each status it reached.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { openInspector } from '../../bench/lib/db.ts';
import { emulatorAccount, startEmulator, startService, tempDir, type Child } from '../../bench/lib/proc.ts';
import { callJson, setUpProject } from '../../bench/lib/service.ts';

const audience = 5_000;
/** Every 100th customer revoked WhatsApp consent: skipped. */
const revokedEvery = 100;
/** SIGKILL once Sinch has this many of the campaign's messages. */
const killAtSinch = 1_500;

const children: Child[] = [];
const data = tempDir('mm-kill-campaign-');
after(async () => {
  await Promise.all(children.map((c) => c.kill9()));
  data.remove();
});

// Numbers ending 0001–0013 are the emulator's failure cases; these end 1000–5999.
const phoneOf = (i: number) => `+4673${String(3_001_000 + i).padStart(7, '0')}`;

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test(`kill -9 in the middle of a ${audience}-recipient campaign: one message per recipient, the report adds up`, { timeout: 240_000 }, async () => {
  const started = Date.now();
  const emulator = await startEmulator({ knobs: { response_delay_ms: 10, queued_delay_ms: 20, delivered_delay_ms: 20, read_delay_ms: 20 } });
  children.push(emulator);
  const adminToken = `mma_${randomBytes(24).toString('hex')}`;
  const env = { WORKER_POLL_MS: '50', WORKER_LEASE_MS: '3000', SEND_RETRY_BASE_MS: '50', SEND_RETRY_CAP_MS: '500' };
  let service = await startService({ dataDir: data.dir, adminToken, sinchUrl: emulator.baseUrl, env });
  children.push(service);
  const port = service.port;
  const setup = await setUpProject(service.baseUrl, adminToken, { sendRatePerSecond: 10_000 });
  const api = (method: 'GET' | 'POST', path: string, body?: unknown) => callJson(service.baseUrl, method, `/api/v1/projects/${setup.projectId}${path}`, setup.memberToken, body);
  const registered = await callJson(service.baseUrl, 'POST', `/api/v1/projects/${setup.projectId}/integrations/${setup.integrationId}/register-webhook`, adminToken);
  assert.equal(registered.body.ok, true, JSON.stringify(registered.body));

  // The audience, imported as CSV.
  const rows = ['phone,first_name,consent_whatsapp,tags'];
  for (let i = 0; i < audience; i += 1) rows.push(`${phoneOf(i)},Name${i},${i % revokedEvery === 0 ? 'revoked' : 'granted'},crash`);
  const imported = await request(`${service.baseUrl}/api/v1/projects/${setup.projectId}/customer-imports?name=crash`, {
    method: 'POST', headers: { authorization: `Bearer ${setup.memberToken}`, 'content-type': 'text/csv' }, body: rows.join('\n'),
  });
  const importBody = await imported.body.json() as { created: number; errors: number };
  assert.deepEqual({ created: importBody.created, errors: importBody.errors }, { created: audience, errors: 0 });

  const created = await api('POST', '/campaigns', {
    name: 'Crash test', channel: 'whatsapp', audience: { filter: { tag: 'crash' } },
    content: { template_message: { channel_template: { WHATSAPP: { template_id: 'welcome', language_code: 'en_US', parameters: { 'body[1]text': '{{ first_name }}' } } } } },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id as string;
  const launched = await api('POST', `/campaigns/${id}/launch`);
  assert.equal(launched.status, 200, JSON.stringify(launched.body));

  // Kill while the campaign is sending, with sends and reports in flight.
  const atSinch = async () => ((await callJson(emulator.baseUrl, 'GET', '/_emulator')).body as { messages: number }).messages;
  await waitFor(async () => ((await atSinch()) >= killAtSinch ? true : undefined), `${killAtSinch} messages at Sinch`, 120_000);
  service.process.kill('SIGKILL');
  const exit = await service.exited;
  assert.equal(exit.signal, 'SIGKILL');
  const killedAt = { at_sinch: await atSinch() };
  const inspector = openInspector(data.dir, { readOnly: true });
  const left = inspector.one<{ messages: number; queued: number; held: number }>(
    "select count(*) as messages, sum(status = 'queued') as queued, sum(locked_by is not null) as held from messages where campaign_ref = ?", id);
  inspector.close();
  assert.ok(left.queued > 0, `the campaign was still sending when killed: ${JSON.stringify(left)}`);

  service = await startService({ dataDir: data.dir, adminToken, sinchUrl: emulator.baseUrl, env, port });
  children.push(service);
  await waitFor(async () => ((await api('GET', `/campaigns/${id}`)).body.status === 'completed' ? true : undefined), 'the campaign to complete', 150_000);
  // Every report in: read (or failed) for each message handed over.
  let lastReport: unknown;
  const report = await waitFor(async () => {
    const r = (await api('GET', `/campaigns/${id}/report`)).body;
    lastReport = r;
    return r.statuses.read + r.statuses.failed + r.statuses.rejected + r.statuses.enqueued_failed >= r.messages ? r : undefined;
  }, 'every report', 60_000).catch((e: unknown) => { throw new Error(`${String(e)}: ${JSON.stringify(lastReport)}`); });

  const db = openInspector(data.dir);
  try {
    // One message per recipient; the skipped are exactly those who revoked consent.
    const recipients = db.one<{ n: number; distinct_recipients: number }>('select count(*) as n, count(distinct recipient) as distinct_recipients from messages where campaign_ref = ?', id);
    assert.equal(recipients.n, audience - audience / revokedEvery);
    assert.equal(recipients.distinct_recipients, recipients.n, 'no recipient has two messages');
    assert.equal(report.audience, audience);
    assert.deepEqual(report.skipped, { total: audience / revokedEvery, by_reason: { consent_revoked: audience / revokedEvery } });
    assert.equal(report.audience, report.skipped.total + report.messages, 'audience = skipped + messages');
    assert.equal(report.messages, recipients.n);
    const skippedRows = db.count('select count(*) from campaign_skips where campaign_id = ?', id);
    assert.equal(skippedRows, audience / revokedEvery);

    // Each message counted once per status it reached (the events are the record).
    for (const status of ['enqueued', 'enqueued_failed', 'delivered', 'read', 'failed'] as const) {
      const reached = db.count('select count(distinct message_id) from events where campaign_id = ? and status = ?', id, status);
      assert.equal(report.statuses[status], reached, `${status}: report ${report.statuses[status]}, events ${reached}`);
    }
    const duplicates = db.count('select count(*) from (select message_id, status from events where campaign_id = ? group by message_id, status having count(*) > 1) x', id);
    assert.equal(duplicates, 0, 'no message has an event twice for one status');
    assert.equal(report.statuses.enqueued, recipients.n, 'every message was handed to Sinch');
    assert.equal(report.statuses.read, recipients.n, 'and read');

    // Sinch's side: every message arrived with its personalised text; what arrived twice is flagged on our side.
    const inspected = await callJson(emulator.baseUrl, 'GET', `/_emulator/messages?app_id=${emulatorAccount.appId}&limit=100000`);
    const all = inspected.body.messages as Array<{ request: { message_metadata?: string } }>;
    const ours = new Map(db.all<{ id: string; possible_duplicate: number }>('select id, possible_duplicate from messages where campaign_ref = ?', id).map((m) => [m.id, m]));
    const counts = new Map<string, number>();
    for (const m of all) {
      const ourId = m.request.message_metadata ?? '';
      if (ours.has(ourId)) counts.set(ourId, (counts.get(ourId) ?? 0) + 1);
    }
    assert.equal(counts.size, ours.size, 'every message reached Sinch');
    const twice = [...counts].filter(([, n]) => n > 1).map(([m]) => m);
    assert.deepEqual(twice.filter((m) => ours.get(m)?.possible_duplicate !== 1), [], 'whatever Sinch got twice is flagged possible_duplicate');
    console.log(JSON.stringify({
      audience, killed_with_at_sinch: killedAt.at_sinch, queued_at_kill: left.queued, held_at_kill: left.held, messages_at_kill: left.messages,
      received_twice_by_sinch: twice.length, seconds: Math.round((Date.now() - started) / 100) / 10,
    }));
  } finally {
    db.close();
  }
});
