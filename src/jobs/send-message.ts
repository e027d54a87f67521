import type { Kysely } from 'kysely';
import { computeBackoff, type BackoffPolicy } from '../lib/backoff.ts';
import { createId } from '../lib/ids.ts';
import type { Clock } from '../lib/time.ts';
import type { Database } from '../db/schema.ts';
import type { Transact } from '../db/transact.ts';
import type { MessageRow, MessagesRepo } from '../db/repos/messages-repo.ts';
import { explainError } from '../domain/reason-codes.ts';
import type { LimiterPool } from '../lib/rate-limiter.ts';
import type { SinchClient, SendOutcome } from '../providers/sinch/client.ts';
import { toSendRequest } from '../providers/sinch/mapping.ts';
import type { IntegrationSecrets } from '../services/integrations.ts';
import type { MessageOptions } from '../services/messages.ts';
import type { SendPolicy } from '../services/send-policy.ts';
import { subjectOf, toUnixSeconds, type EventTracker, type TrackedEvent } from '../services/track-event.ts';
import type { ClaimedJob, JobQueue } from './queue.ts';
import type { JobResult } from './worker.ts';

export interface SendJobDeps {
  db: Kysely<Database>;
  transact: Transact;
  messages: MessagesRepo;
  tracker: EventTracker;
  client: SinchClient;
  limiters: LimiterPool;
  loadIntegration: (id: string) => Promise<IntegrationSecrets | undefined>;
  clock: Clock;
  retry: BackoffPolicy;
  /** Published after commit (live event stream, forwarding). */
  onTracked: (events: TrackedEvent[]) => void;
  /** Consent and window, checked again right before sending: they may have changed since acceptance. */
  policy: SendPolicy;
  queue: JobQueue;
  /** Requests per second to one Sinch project, shared by all its apps (Sinch documents 800; some accounts have more). */
  sinchProjectRequestsPerSecond: number;
}

/**
 * Hands one queued message to Sinch. Every attempt is recorded before the call, so a crash between Sinch's
 * acceptance and our record is visible on the next run, which flags the message as a possible duplicate: Sinch has
 * no idempotency key, and that window is the only way a message can go out twice.
 */
export function createSendMessageHandler(deps: SendJobDeps) {
  async function finish(row: MessageRow, attemptId: string, outcome: SendOutcome, job: ClaimedJob): Promise<JobResult> {
    const now = deps.clock.now();
    const at = now.toISOString();
    const subject = subjectOf(row);
    const tracked: TrackedEvent[] = [];
    let result: JobResult = { kind: 'done' };

    await deps.transact(async (trx) => {
      if (outcome.kind === 'accepted') {
        const sentTs = toUnixSeconds(Number.isNaN(Date.parse(outcome.acceptedTime)) ? now : new Date(outcome.acceptedTime));
        await deps.messages.finishAttempt(trx, attemptId, { finished_at: at, outcome: 'accepted', http_status: outcome.httpStatus });
        // A delivery report may already have moved the status past `enqueued`; only a queued message becomes enqueued.
        await deps.messages.updateIfQueued(trx, row.id, { status: 'enqueued', updated_at: at });
        await deps.messages.update(trx, row.id, { provider_message_id: outcome.providerMessageId, sent_ts: sentTs, updated_at: at });
        await deps.messages.insertTimeline(trx, {
          id: createId('tl'), message_id: row.id, at, kind: 'status', status: 'enqueued', channel: row.channel,
          detail_json: JSON.stringify({ provider_message_id: outcome.providerMessageId, accepted_time: outcome.acceptedTime }),
        });
        const e = await deps.tracker.track(trx, { ...subject, sentTimestamp: sentTs }, { status: 'enqueued', at: now });
        if (e) tracked.push(e);
        await deps.queue.complete(trx, job.id);
        result = { kind: 'done', completed: true };
        return;
      }
      const lastTry = job.attempt >= job.maxAttempts;
      if (outcome.retryable && !lastTry) {
        const delay = computeBackoff(deps.retry, job.attempt, outcome.retryAfterMs);
        await deps.messages.finishAttempt(trx, attemptId, {
          finished_at: at, outcome: 'retryable', http_status: outcome.httpStatus, error_code: outcome.code, error_message: outcome.message, retry_in_ms: delay,
        });
        result = { kind: 'retry', delayMs: delay, error: `${outcome.code}: ${outcome.message}` };
        return;
      }
      const code = outcome.retryable ? 'SINCH_UNAVAILABLE' : outcome.code;
      const description = outcome.retryable
        ? `${explainError(code).description} Last answer: ${outcome.code} (${outcome.message}) after ${job.attempt} attempts.`
        : `${explainError(code).description} Sinch said: ${outcome.message}`;
      await deps.messages.finishAttempt(trx, attemptId, {
        finished_at: at, outcome: 'rejected', http_status: outcome.httpStatus, error_code: outcome.code, error_message: outcome.message,
      });
      if (await deps.messages.updateIfQueued(trx, row.id, { status: 'enqueued_failed', error: code, error_description: description, updated_at: at })) {
        await deps.messages.insertTimeline(trx, {
          id: createId('tl'), message_id: row.id, at, kind: 'status', status: 'enqueued_failed', channel: row.channel,
          detail_json: JSON.stringify({ error: code, http_status: outcome.httpStatus }),
        });
        const e = await deps.tracker.track(trx, subject, { status: 'enqueued_failed', at: now, error: code, errorDescription: description });
        if (e) tracked.push(e);
      }
      await deps.queue.complete(trx, job.id);
      result = { kind: 'done', completed: true };
    });
    if (tracked.length > 0) deps.onTracked(tracked);
    return result;
  }

  async function refuse(row: MessageRow, code: string, detail: string, detailIsDescription = false): Promise<JobResult> {
    const now = deps.clock.now();
    const description = detailIsDescription ? detail : `${explainError(code).description} ${detail}`.trim();
    const tracked: TrackedEvent[] = [];
    await deps.transact(async (trx) => {
      if (await deps.messages.updateIfQueued(trx, row.id, { status: 'enqueued_failed', error: code, error_description: description, updated_at: now.toISOString() })) {
        await deps.messages.insertTimeline(trx, {
          id: createId('tl'), message_id: row.id, at: now.toISOString(), kind: 'status', status: 'enqueued_failed', channel: row.channel,
          detail_json: JSON.stringify({ error: code }),
        });
        const e = await deps.tracker.track(trx, subjectOf(row), { status: 'enqueued_failed', at: now, error: code, errorDescription: description });
        if (e) tracked.push(e);
      }
    });
    if (tracked.length > 0) deps.onTracked(tracked);
    return { kind: 'done' };
  }

  return async function handleSendMessage(job: ClaimedJob): Promise<JobResult> {
    const { message_id: messageId } = job.payload as { message_id: string };
    const row = await deps.messages.find(messageId);
    if (row === undefined || row.status !== 'queued') return { kind: 'done' };
    const integration = await deps.loadIntegration(row.integration_id);
    if (integration === undefined) return refuse(row, 'INTEGRATION_DELETED', '');
    const { refusal, smsFallbackAllowed } = await deps.policy.evaluate(deps.db, {
      projectId: row.project_id, channel: row.channel, recipient: row.recipient, contentKind: row.content_kind, consentExempt: row.consent_exempt === 1,
    }, deps.clock.now());
    if (refusal !== undefined) return refuse(row, refusal.code, refusal.description, true);

    await deps.limiters.get(`integration:${integration.id}`, integration.sendRatePerSecond).acquire();
    await deps.limiters.get(`sinch-project:${integration.sinchProjectId}`, deps.sinchProjectRequestsPerSecond).acquire();

    const options = JSON.parse(row.options_json) as MessageOptions;
    // SMS consent is checked like the channel's own: a customer who revoked SMS gets the RCS message without fallback.
    const dropSmsFallback = options.sms_fallback_sender !== null && !smsFallbackAllowed;
    const previous = await deps.messages.attempts(row.id);
    const interrupted = previous.some((a) => a.outcome === 'in_flight');
    const attemptId = createId('att');
    const startedAt = deps.clock.now().toISOString();
    await deps.transact(async (trx) => {
      await deps.messages.insertAttempt(trx, {
        id: attemptId, message_id: row.id, number: previous.length + 1, started_at: startedAt, finished_at: null, outcome: 'in_flight',
        http_status: null, error_code: null, error_message: null, retry_in_ms: null,
      });
      await deps.messages.update(trx, row.id, {
        attempt_count: previous.length + 1, updated_at: startedAt, ...(interrupted ? { possible_duplicate: 1 } : {}),
      });
      if (dropSmsFallback) { // on every attempt that drops it: consent may change between retries
        await deps.messages.insertTimeline(trx, {
          id: createId('tl'), message_id: row.id, at: startedAt, kind: 'sms_fallback_dropped', status: null, channel: 'sms',
          detail_json: JSON.stringify({ reason: 'CONSENT_REVOKED', attempt: previous.length + 1, description: `${row.recipient} revoked consent for SMS: sent as RCS only.` }),
        });
      }
    });

    const outcome = await deps.client.sendMessage(integration, toSendRequest(integration.appId, {
      id: row.id, channel: row.channel, recipient: row.recipient,
      content: JSON.parse(row.content_json) as Record<string, unknown>, smsFallbackSender: dropSmsFallback ? null : options.sms_fallback_sender,
    }));
    return finish(row, attemptId, outcome, job);
  };
}
