import { computeBackoff, type BackoffPolicy } from '../lib/backoff.ts';
import { createId } from '../lib/ids.ts';
import type { Clock } from '../lib/time.ts';
import type { Transact } from '../db/transact.ts';
import type { Executor } from '../db/repos/executor.ts';
import type { AttemptRow, ClaimedMessage, MessagesRepo } from '../db/repos/messages-repo.ts';
import { explainError } from '../domain/reason-codes.ts';
import { checkContent } from '../domain/app-message-rules.ts';
import { readTags } from '../domain/customer-input.ts';
import { renderContent } from '../domain/personalize.ts';
import { quietUntil } from '../domain/quiet-hours.ts';
import { evaluateSendPolicy, parseClaimedCustomer } from '../domain/send-policy.ts';
import type { SinchClient, SendOutcome } from '../providers/sinch/client.ts';
import { toSendRequest } from '../providers/sinch/mapping.ts';
import type { CompiledCampaign } from './campaigns.ts';
import type { ConfigCache } from './config-cache.ts';
import { frequencyCapOf } from './frequency-cap.ts';
import type { MessageOptions } from './messages.ts';
import { subjectOf, toUnixSeconds, type EventTracker, type TrackedEvent } from './track-event.ts';

export interface DeliverDeps {
  transact: Transact;
  messages: MessagesRepo;
  tracker: EventTracker;
  client: SinchClient;
  config: Pick<ConfigCache, 'integration' | 'settings'>;
  /** A campaign's content and settings (campaign messages are personalised here, when they go). */
  campaign: (id: string) => Promise<CompiledCampaign | undefined>;
  clock: Clock;
  retry: BackoffPolicy;
  maxAttempts: number;
  /** Published after commit (live event stream, forwarding). */
  onTracked: (events: TrackedEvent[]) => void;
  log: { warn(obj: object, msg: string): void };
}

type Attempt = Omit<AttemptRow, 'id' | 'message_id' | 'number' | 'started_at'>;

/**
 * Hands one claimed message to Sinch and records what happened. The claim itself recorded the attempt as started
 * (`locked_by`), so a crash between Sinch's acceptance and our record is visible on the next claim, which flags the
 * message as a possible duplicate: Sinch has no idempotency key, and that window is the only way a message can go
 * out twice. Consent and the WhatsApp window are checked again here, as the claim read them: they may have changed
 * since the message was accepted. Every record is made only while this worker still holds the message.
 */
export function createDeliverMessage(deps: DeliverDeps) {
  function attemptRow(message: ClaimedMessage, startedAt: string, attempt: Attempt): AttemptRow {
    return { id: createId('att'), message_id: message.id, number: message.attempt_count, started_at: startedAt, ...attempt };
  }

  /** Records the attempt cut off by a crash (the claim found it), so no attempt is left without an outcome. */
  async function recordInterrupted(trx: Executor, message: ClaimedMessage): Promise<void> {
    if (message.interrupted_at === null) return;
    await deps.messages.insertAttempt(trx, {
      id: createId('att'), message_id: message.id, number: message.attempt_count - 1, started_at: message.interrupted_at, finished_at: null,
      outcome: 'interrupted', http_status: null, error_code: null, error_message: 'the worker stopped during this attempt; Sinch may have accepted the message', retry_in_ms: null,
    });
  }

  /** enqueued_failed with `code`, its attempt and its event; nothing if the lease was lost. */
  async function recordFailure(trx: Executor, message: ClaimedMessage, workerId: string, startedAt: string, code: string, description: string, attempt: Attempt): Promise<TrackedEvent[]> {
    const now = deps.clock.now();
    const result = await deps.messages.recordFailed(trx, message.id, workerId, code, description, now.toISOString());
    if (!result.held) return [];
    await recordInterrupted(trx, message);
    await deps.messages.insertAttempt(trx, attemptRow(message, startedAt, attempt));
    if (!result.failed) return [];
    const event = await deps.tracker.track(trx, subjectOf(message), { status: 'enqueued_failed', at: now, error: code, errorDescription: description });
    return event === undefined ? [] : [event];
  }

  async function record(message: ClaimedMessage, workerId: string, startedAt: string, outcome: SendOutcome, sentContent: string | null = null): Promise<void> {
    const tracked = await deps.transact(async (trx): Promise<TrackedEvent[]> => {
      const now = deps.clock.now();
      const at = now.toISOString();
      if (outcome.kind === 'accepted') {
        const sentTs = toUnixSeconds(Number.isNaN(Date.parse(outcome.acceptedTime)) ? now : new Date(outcome.acceptedTime));
        if (!await deps.messages.recordAccepted(trx, message.id, workerId, outcome.providerMessageId, sentTs, at, sentContent)) return lost(message);
        await recordInterrupted(trx, message);
        await deps.messages.insertAttempt(trx, attemptRow(message, startedAt, {
          finished_at: at, outcome: 'accepted', http_status: outcome.httpStatus, error_code: null, error_message: null, retry_in_ms: null,
        }));
        const event = await deps.tracker.track(trx, { ...subjectOf(message), sentTimestamp: sentTs }, { status: 'enqueued', at: now });
        return event === undefined ? [] : [event];
      }
      if (outcome.retryable && message.attempt_count < deps.maxAttempts) {
        const delay = computeBackoff(deps.retry, message.attempt_count, outcome.retryAfterMs);
        if (!await deps.messages.recordRetry(trx, message.id, workerId, now.getTime() + delay, at)) return lost(message);
        await recordInterrupted(trx, message);
        await deps.messages.insertAttempt(trx, attemptRow(message, startedAt, {
          finished_at: at, outcome: 'retryable', http_status: outcome.httpStatus, error_code: outcome.code, error_message: outcome.message, retry_in_ms: delay,
        }));
        return [];
      }
      const code = outcome.retryable ? 'SINCH_UNAVAILABLE' : outcome.code;
      const description = outcome.retryable
        ? `${explainError(code).description} Last answer: ${outcome.code} (${outcome.message}) after ${message.attempt_count} attempts.`
        : `${explainError(code).description} Sinch said: ${outcome.message}`;
      return recordFailure(trx, message, workerId, startedAt, code, description, {
        finished_at: at, outcome: 'rejected', http_status: outcome.httpStatus, error_code: outcome.code, error_message: outcome.message, retry_in_ms: null,
      });
    });
    if (tracked.length > 0) deps.onTracked(tracked);
  }

  function lost(message: ClaimedMessage): TrackedEvent[] {
    // Another worker took the message after our lease ran out; its attempt counts, not ours.
    deps.log.warn({ message_id: message.id }, 'lost the lease on a message during its attempt; the outcome is left to the worker that holds it now');
    return [];
  }

  async function refuse(message: ClaimedMessage, workerId: string, startedAt: string, code: string, description: string): Promise<void> {
    const tracked = await deps.transact((trx) => recordFailure(trx, message, workerId, startedAt, code, description, {
      finished_at: startedAt, outcome: 'refused', http_status: null, error_code: code, error_message: description, retry_in_ms: null,
    }));
    if (tracked.length > 0) deps.onTracked(tracked);
  }

  /** Quiet hours: back to waiting until they end; the attempt does not count. */
  async function defer(message: ClaimedMessage, workerId: string, until: Date): Promise<void> {
    await deps.transact(async (trx) => {
      if (!await deps.messages.recordDeferred(trx, message.id, workerId, until.getTime(), deps.clock.now().toISOString())) return;
      await recordInterrupted(trx, message);
    });
  }

  async function deliver(message: ClaimedMessage, workerId: string): Promise<void> {
    const now = deps.clock.now();
    const startedAt = now.toISOString();
    const integration = await deps.config.integration(message.integration_id);
    if (integration === undefined) {
      return refuse(message, workerId, startedAt, 'INTEGRATION_DELETED', explainError('INTEGRATION_DELETED').description);
    }
    const settings = await deps.config.settings(message.project_id);
    const customer = parseClaimedCustomer(message.customer_json);
    const decision = evaluateSendPolicy({
      channel: message.channel, recipient: message.recipient, contentKind: message.content_kind, consentExempt: message.consent_exempt === 1,
    }, customer, settings.whatsapp_window_check === 1, now);
    if (decision.refusal !== undefined) return refuse(message, workerId, startedAt, decision.refusal.code, decision.refusal.description);

    // A campaign's message: quiet hours, the frequency cap, and its content personalised for this customer now.
    let content = JSON.parse(message.content_json) as Record<string, unknown>;
    let sentContent: string | null = null;
    let campaignTtl: number | null = null;
    if (message.campaign_ref !== null) {
      const campaign = await deps.campaign(message.campaign_ref);
      if (campaign === undefined) return refuse(message, workerId, startedAt, 'CAMPAIGN_CANCELLED', explainError('CAMPAIGN_CANCELLED').description);
      const quiet = campaign.settings.quiet_hours;
      const until = quiet === null ? undefined : quietUntil(quiet, now, customer?.time_zone ?? campaign.settings.time_zone);
      if (until !== undefined) return defer(message, workerId, until);
      const cap = frequencyCapOf(settings);
      if (cap !== null) {
        const [day, week] = (message.recent_sends ?? '0,0').split(',').map(Number);
        if ((cap.period === 'day' ? day ?? 0 : week ?? 0) >= cap.max) {
          return refuse(message, workerId, startedAt, 'FREQUENCY_CAPPED', `${explainError('FREQUENCY_CAPPED').description} ${message.recipient} already got ${cap.max} campaign message${cap.max === 1 ? '' : 's'} this ${cap.period}.`);
        }
      }
      const rendered = renderContent(campaign.compiled, {
        id: customer?.id ?? '', phone: message.recipient, tags: readTags(customer?.tags ?? ''), attributes: customer?.attributes ?? {},
      }, { renderEmpty: campaign.settings.on_missing_attribute === 'empty' });
      if (!rendered.ok) {
        return rendered.reason === 'missing_attribute'
          ? refuse(message, workerId, startedAt, 'MISSING_ATTRIBUTE', `${explainError('MISSING_ATTRIBUTE').description} Missing: ${rendered.missing.join(', ')}.`)
          : refuse(message, workerId, startedAt, 'CONTENT_INVALID', `${explainError('CONTENT_INVALID').description} ${rendered.field}: ${rendered.message}`);
      }
      const check = checkContent(message.channel, rendered.content);
      if (!check.ok) return refuse(message, workerId, startedAt, 'CONTENT_INVALID', `${explainError('CONTENT_INVALID').description} ${check.message}`);
      content = rendered.content;
      sentContent = JSON.stringify(content);
      campaignTtl = campaign.settings.ttl_seconds ?? null;
    }

    const options = JSON.parse(message.options_json) as MessageOptions;
    if (options.sms_only === true && !decision.smsFallbackAllowed) {
      // Sent on SMS alone (the number cannot receive RCS), and SMS consent was revoked since the fan-out: nothing to send on.
      return refuse(message, workerId, startedAt, 'CONSENT_REVOKED', `${explainError('CONSENT_REVOKED').description} ${message.recipient} cannot receive RCS and revoked consent for SMS.`);
    }
    // SMS consent is checked like the channel's own: a customer who revoked SMS gets the RCS message without fallback.
    const dropSmsFallback = options.sms_fallback_sender !== null && !decision.smsFallbackAllowed;
    if (dropSmsFallback) { // on every attempt that drops it: consent may change between retries
      await deps.transact((trx) => deps.messages.insertTimeline(trx, {
        id: createId('tl'), message_id: message.id, at: startedAt, kind: 'sms_fallback_dropped', status: null, channel: 'sms',
        detail_json: JSON.stringify({ reason: 'CONSENT_REVOKED', attempt: message.attempt_count, description: `${message.recipient} revoked consent for SMS: sent as RCS only.` }),
      }));
    }
    const outcome = await deps.client.sendMessage(integration, toSendRequest(integration.appId, {
      id: message.id, channel: message.channel, recipient: message.recipient,
      content, smsFallbackSender: dropSmsFallback ? null : options.sms_fallback_sender, smsOnly: options.sms_only === true,
      marketing: message.campaign_ref !== null, ttlSeconds: campaignTtl,
    }));
    await record(message, workerId, startedAt, outcome, sentContent);
  }

  return {
    deliver,
    /** `deliver` threw (a bug): treated like a retryable failure, so the message is neither left held nor lost. */
    async crashed(message: ClaimedMessage, workerId: string, error: unknown): Promise<void> {
      const text = error instanceof Error ? error.message : String(error);
      await record(message, workerId, deps.clock.now().toISOString(), {
        kind: 'failed', retryable: true, httpStatus: null, code: 'INTERNAL_ERROR', message: `the send failed on our side: ${text}`,
      });
    },
  };
}

export type DeliverMessage = ReturnType<typeof createDeliverMessage>;
