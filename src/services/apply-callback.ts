import type { Clock } from '../lib/time.ts';
import type { CallbackRow } from '../db/repos/callbacks-repo.ts';
import type { Executor } from '../db/repos/executor.ts';
import type { MessagesRepo } from '../db/repos/messages-repo.ts';
import { explainError } from '../domain/reason-codes.ts';
import { mapDeliveryReport, statusRanks } from '../domain/statuses.ts';
import { parseSinchTime, readDeliveryReport, type DeliveryReport } from '../providers/sinch/callbacks.ts';
import type { Capabilities } from './capabilities.ts';
import { subjectOf, type EventTracker, type TrackedEvent } from './track-event.ts';
import type { InboundEffects, TwoWay } from './two-way.ts';

/** What applying a callback did. */
export type CallbackEffects = InboundEffects;

/** The outcome recorded on a callback when it is stored, before its effects are known (the common case). */
export function expectedOutcome(trigger: string): string {
  return trigger === 'MESSAGE_DELIVERY' ? 'applied' : 'stored';
}

function describeFailure(report: DeliveryReport): { code: string; description: string } {
  const code = report.reason?.code ?? 'UNKNOWN';
  const explained = explainError(code, report.reason?.subCode);
  const said = report.reason?.description;
  // The channel's own code (WhatsApp's error codes, doc §4.4), for support and for looking it up in Meta's list.
  const channelCode = report.reason?.channelCode === undefined ? '' : ` (${report.channel === 'WHATSAPP' ? 'WhatsApp' : report.channel ?? 'channel'} error ${report.reason.channelCode})`;
  return { code, description: said !== undefined ? `${explained.description} ${explained.action} Sinch said: ${said}${channelCode}` : `${explained.description} ${explained.action}${channelCode}` };
}

/**
 * The effects of one callback, inside the caller's transaction: a delivery report moves its message's status (one
 * statement; only forward) and is tracked once per distinct status; an inbound message goes to two-way messaging;
 * a capability answer goes to the RCS capability cache; Sinch's opt-in and opt-out notifications to the consent ledger.
 * Running it again for the same callback changes nothing more (forward-only status, events deduplicated).
 */
export function createApplyCallback(deps: {
  messages: MessagesRepo; tracker: EventTracker; twoWay: Pick<TwoWay, 'handleInbound' | 'handleSinchConsent'>; capabilities: Pick<Capabilities, 'apply'>; clock: Clock;
}) {
  async function applyDeliveryReport(trx: Executor, callback: Pick<CallbackRow, 'integration_id'>, report: DeliveryReport): Promise<CallbackEffects> {
    const tracked: TrackedEvent[] = [];
    const done = (outcome: string): CallbackEffects => ({ outcome, tracked, queuedOn: undefined });
    const now = deps.clock.now();
    const at = parseSinchTime(report.eventTime) ?? parseSinchTime(report.acceptedTime) ?? now;
    const channel = report.channel?.toLowerCase() ?? null;
    const mapping = mapDeliveryReport({ status: report.status, reasonCode: report.reason?.code });
    const failure = mapping.kind === 'status' && (mapping.status === 'failed' || mapping.status === 'rejected') ? describeFailure(report) : undefined;
    const message = await deps.messages.applyReport(trx, callback.integration_id, { messageId: report.metadata, providerMessageId: report.providerMessageId }, {
      rank: mapping.kind === 'status' ? statusRanks[mapping.status] : -1,
      status: mapping.kind === 'status' ? mapping.status : '',
      failure,
      channel: mapping.kind === 'status' ? channel : null,
      providerMessageId: report.providerMessageId ?? null,
      at: now.toISOString(),
    });
    if (message === undefined) return done('unknown_message');
    switch (mapping.kind) {
      case 'switching_channel': return done('switching_channel');
      case 'unknown': return done('unknown_status');
      case 'status': {
        const event = await deps.tracker.track(trx, subjectOf(message, channel), {
          status: mapping.status, at,
          ...(failure !== undefined ? { error: failure.code, errorDescription: failure.description } : {}),
          ...(channel !== null && channel !== message.channel ? { extra: { delivery_channel: channel } } : {}),
        });
        if (event !== undefined) tracked.push(event);
        return done(event !== undefined ? 'applied' : 'repeated_status');
      }
    }
  }

  return async function applyCallback(trx: Executor, callback: Pick<CallbackRow, 'integration_id' | 'project_id' | 'trigger'>, body: Record<string, unknown>): Promise<CallbackEffects> {
    if (callback.trigger === 'MESSAGE_DELIVERY') {
      const report = readDeliveryReport(body);
      return report === undefined ? { outcome: 'malformed', tracked: [], queuedOn: undefined } : applyDeliveryReport(trx, callback, report);
    }
    if (callback.trigger === 'MESSAGE_INBOUND') return deps.twoWay.handleInbound(trx, callback, body);
    if (callback.trigger === 'OPT_IN' || callback.trigger === 'OPT_OUT') return deps.twoWay.handleSinchConsent(trx, callback, body);
    if (callback.trigger === 'CAPABILITY') return { outcome: await deps.capabilities.apply(trx, callback.integration_id, body), tracked: [], queuedOn: undefined };
    return { outcome: 'stored', tracked: [], queuedOn: undefined };
  };
}

export type ApplyCallback = ReturnType<typeof createApplyCallback>;
