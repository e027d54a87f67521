/**
 * `npm run bench -- lanes`: do reports and STOPs wait behind sends? 20,000 API sends are queued on one integration
 * at the default 20 messages/s (a backlog of over sixteen minutes); then 500 signed delivery reports for messages
 * sent earlier on the same integration, and one inbound `STOP` from a recipient with messages in that backlog.
 * Measured: how long each report takes until its event exists (p50, p99), how long until the STOP is applied
 * (consent revoked), and how many messages to that recipient were handed to Sinch after it was applied (target 0).
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { createBackend, type BackendKind } from './lib/backend.ts';
import { percentile, round, runLoad, statusCounts, type LoadRequest } from './lib/load.ts';
import { sleep, startEmulator, startService, tempDir, type Child } from './lib/proc.ts';
import { callJson, deliveryReportBody, inboundMessageBody, recipientOf, sendAndWait, sendBody, setUpProject, signedCallback } from './lib/service.ts';

export interface LanesBenchOptions {
  /** Sends queued in the backlog. */
  backlog: number;
  /** Delivery reports posted while it waits. */
  reports: number;
  concurrency: number;
  db: BackendKind;
  log: (line: string) => void;
}

export async function benchLanes(options: LanesBenchOptions): Promise<Record<string, unknown>> {
  const { log, concurrency } = options;
  const loadBefore = loadavg()[0]!;
  const data = tempDir('mm-bench-lanes-');
  const backend = await createBackend(options.db, data.dir);
  const children: Child[] = [];
  try {
    const emulator = await startEmulator();
    children.push(emulator);
    const adminToken = `mma_${randomBytes(24).toString('hex')}`;
    const service = await startService({ dataDir: backend.dataDir(0), adminToken, sinchUrl: emulator.baseUrl, env: { ...backend.env, WORKER_CONCURRENCY: String(concurrency) } });
    children.push(service);
    const webhookSecret = `whsec-${randomBytes(16).toString('hex')}`;
    const setup = await setUpProject(service.baseUrl, adminToken, { sendRatePerSecond: 10_000, webhookSecret });

    // Messages sent earlier on the integration, for the reports to be about (fast, before the backlog).
    const earlier = await sendAndWait(service.baseUrl, setup, options.reports, { firstIndex: 1_000_000, concurrency });
    // Then the integration is back at Sinch's default app rate, and the backlog is queued through the API.
    const patched = await callJson(service.baseUrl, 'PATCH', `/api/v1/projects/${setup.projectId}/integrations/${setup.integrationId}`, adminToken, { send_rate_per_second: 20 });
    if (patched.status !== 200) throw new Error(`integration rate: ${patched.status} ${JSON.stringify(patched.body)}`);
    const stopper = recipientOf(999_999);
    const queueRequests: LoadRequest[] = Array.from({ length: options.backlog }, (_, i) => {
      const body = { ...sendBody(i), ...(i % 100 === 50 ? { to: stopper } : {}) };
      return { method: 'POST', path: `/api/v1/projects/${setup.projectId}/messages`, headers: { 'content-type': 'application/json', authorization: `Bearer ${setup.memberToken}` }, body: JSON.stringify(body) };
    });
    const queued = await runLoad({ origin: service.baseUrl, concurrency, requests: queueRequests, maxMs: 120_000 });
    const accepted = queued.results.filter((r) => r?.status === 202).length;
    log(`backlog: ${accepted}/${options.backlog} sends accepted in ${round((queued.endedAt - queued.startedAt) / 1000, 1)} s ${JSON.stringify(statusCounts(queued.results))}`);

    // Reports for the earlier messages (as Sinch sends them, signed), while the backlog waits.
    const inspector = await backend.inspector();
    const reports = earlier.map((m) => signedCallback(setup.callbackPath, webhookSecret,
      deliveryReportBody({ providerMessageId: m.provider_message_id!, messageId: m.id, status: 'DELIVERED', identity: m.to })));
    const posted = await runLoad({ origin: service.baseUrl, concurrency: Math.min(concurrency, 16), requests: reports, keepBodies: false, maxMs: 60_000 });
    const reportMs = posted.results.filter((r) => r?.status === 200).map((r) => r!.ms);
    const delivered = await inspector.count(`select count(*) from events where status = 'delivered' and project_id = ?`, setup.projectId);

    // The STOP, from a recipient with messages in the backlog.
    const stopAt = Date.now();
    const stop = signedCallback(setup.callbackPath, webhookSecret, inboundMessageBody({ identity: stopper, channel: 'RCS', text: 'STOP' }));
    const stopRes = await runLoad({ origin: service.baseUrl, concurrency: 1, requests: [stop], keepBodies: true });
    // The STOP was committed before its 200: a send that starts after this moment must see it. (A send whose claim
    // began before the commit is the last one before the STOP, even if its request reaches Sinch a moment later.)
    const acknowledgedAt = new Date().toISOString();
    let revokedAt: string | undefined;
    for (const deadline = Date.now() + 30_000; Date.now() < deadline && revokedAt === undefined; await sleep(5)) {
      revokedAt = (await inspector.all<{ at: string }>(`select at from consent_ledger where action = 'revoke' and project_id = ?`, setup.projectId))[0]?.at;
    }
    const stopAppliedMs = revokedAt === undefined ? -1 : Date.parse(revokedAt) - stopAt;
    // Let the integration send for a while longer (at 20/s), then count what went to the recipient after the STOP.
    await sleep(3_000);
    const toStopper = await inspector.all<{ status: string; attempt_started_at: string | null; consent_exempt: number }>(
      'select status, attempt_started_at, consent_exempt from messages where project_id = ? and recipient = ?', setup.projectId, stopper);
    const sentAfterStop = revokedAt === undefined ? -1 : toStopper.filter((m) => Number(m.consent_exempt) === 0 && m.status !== 'enqueued_failed'
      && m.status !== 'queued' && m.attempt_started_at !== null && m.attempt_started_at > acknowledgedAt).length;
    const stillQueued = await inspector.count(`select count(*) from messages where project_id = ? and status = 'queued'`, setup.projectId);
    await inspector.close();

    log(`reports: ${reportMs.length}/${options.reports} answered 200 (applied: ${delivered} delivered events), p50 ${round(percentile(reportMs, 50))} ms, p99 ${round(percentile(reportMs, 99))} ms`);
    log(`STOP: answered ${stopRes.results[0]?.status ?? 'nothing'}, applied ${stopAppliedMs} ms after it was sent; messages to that recipient handed to Sinch after it: ${sentAfterStop}; still queued in the backlog: ${stillQueued}`);
    return {
      bench: 'lanes',
      report_p99_ms: round(percentile(reportMs, 99)),
      report_p50_ms: round(percentile(reportMs, 50)),
      reports_applied: delivered,
      stop_applied_ms: stopAppliedMs,
      sent_after_stop: sentAfterStop,
      queued: stillQueued,
      backlog: accepted,
      backend: options.db,
      load_1m: round(loadBefore, 2),
    };
  } finally {
    await Promise.all(children.map((c) => c.stop(5_000)));
    await backend.remove();
    data.remove();
  }
}
