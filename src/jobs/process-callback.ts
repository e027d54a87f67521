import type { Kysely } from 'kysely';
import { createId } from '../lib/ids.ts';
import type { Clock } from '../lib/time.ts';
import type { Dialect } from '../db/database.ts';
import type { Database } from '../db/schema.ts';
import type { Transact } from '../db/transact.ts';
import type { CallbackRow, CallbacksRepo } from '../db/repos/callbacks-repo.ts';
import type { Executor } from '../db/repos/executor.ts';
import type { MessageRow, MessagesRepo } from '../db/repos/messages-repo.ts';
import { explainError } from '../domain/reason-codes.ts';
import { advanceStatus, mapDeliveryReport } from '../domain/statuses.ts';
import { parseSinchTime, readDeliveryReport, type DeliveryReport } from '../providers/sinch/callbacks.ts';
import { subjectOf, type EventTracker, type TrackedEvent } from '../services/track-event.ts';
import type { ClaimedJob, JobQueue } from './queue.ts';
import type { JobResult } from './worker.ts';

/** Handles inbound customer messages (two-way); returns the outcome to record on the callback. */
export type InboundHandler = (trx: Executor, callback: CallbackRow, body: Record<string, unknown>, tracked: TrackedEvent[]) => Promise<string>;

export interface ProcessCallbackDeps {
  db: Kysely<Database>;
  transact: Transact;
  dialect: Dialect;
  callbacks: CallbacksRepo;
  messages: MessagesRepo;
  tracker: EventTracker;
  clock: Clock;
  handleInbound: InboundHandler;
  onTracked: (events: TrackedEvent[]) => void;
  /** After each committed callback (e.g. wake the worker for a keyword reply it queued). */
  afterCommit: () => void;
  queue: JobQueue;
}

function describeFailure(report: DeliveryReport): { code: string; description: string } {
  const code = report.reason?.code ?? 'UNKNOWN';
  const explained = explainError(code, report.reason?.subCode);
  const said = report.reason?.description;
  return { code, description: said !== undefined ? `${explained.description} ${explained.action} Sinch said: ${said}` : `${explained.description} ${explained.action}` };
}

/**
 * Applies one stored callback. Its effects happen once: the message row is locked while the status machine runs,
 * each distinct status is tracked once, and a re-run after a crash finds the work already done.
 */
export function createProcessCallbackHandler(deps: ProcessCallbackDeps) {
  async function findMessage(trx: Executor, callback: CallbackRow, report: DeliveryReport): Promise<MessageRow | undefined> {
    const lock = <Q extends { forUpdate(): Q }>(q: Q): Q => (deps.dialect === 'postgres' ? q.forUpdate() : q);
    if (report.metadata !== undefined) {
      const byOurId = await lock(trx.selectFrom('messages').selectAll().where('id', '=', report.metadata)
        .where('integration_id', '=', callback.integration_id)).executeTakeFirst();
      if (byOurId !== undefined) return byOurId;
    }
    if (report.providerMessageId === undefined) return undefined;
    return lock(trx.selectFrom('messages').selectAll().where('provider_message_id', '=', report.providerMessageId)
      .where('integration_id', '=', callback.integration_id)).executeTakeFirst();
  }

  async function applyDeliveryReport(trx: Executor, callback: CallbackRow, report: DeliveryReport, tracked: TrackedEvent[]): Promise<string> {
    const message = await findMessage(trx, callback, report);
    if (message === undefined) return 'unknown_message';
    const now = deps.clock.now();
    const at = parseSinchTime(report.eventTime) ?? parseSinchTime(report.acceptedTime) ?? now;
    const channel = report.channel?.toLowerCase() ?? null;
    const mapping = mapDeliveryReport({ status: report.status, reasonCode: report.reason?.code });
    const detail = {
      callback_id: callback.id, sinch_status: report.status, channel: report.channel ?? null, identity: report.identity ?? null,
      ...(report.reason !== undefined ? { reason: report.reason } : {}), event_time: report.eventTime ?? null,
    };
    const patch: Parameters<MessagesRepo['update']>[2] = { updated_at: now.toISOString() };
    if (message.provider_message_id === null && report.providerMessageId !== undefined) patch.provider_message_id = report.providerMessageId;

    switch (mapping.kind) {
      case 'switching_channel':
        await deps.messages.insertTimeline(trx, { id: createId('tl'), message_id: message.id, at: at.toISOString(), kind: 'switching_channel', status: null, channel, detail_json: JSON.stringify(detail) });
        await deps.messages.update(trx, message.id, patch);
        return 'switching_channel';
      case 'unknown':
        await deps.messages.insertTimeline(trx, { id: createId('tl'), message_id: message.id, at: at.toISOString(), kind: 'unknown_status', status: null, channel, detail_json: JSON.stringify(detail) });
        await deps.messages.update(trx, message.id, patch);
        return 'unknown_status';
      case 'status': {
        const next = advanceStatus(message.status, mapping.status);
        const failure = mapping.status === 'failed' || mapping.status === 'rejected' ? describeFailure(report) : undefined;
        if (next !== message.status) {
          patch.status = next;
          if (failure !== undefined && next === mapping.status) {
            patch.error = failure.code;
            patch.error_description = failure.description;
          }
        }
        if (channel !== null) patch.current_channel = channel;
        await deps.messages.update(trx, message.id, patch);
        await deps.messages.insertTimeline(trx, {
          id: createId('tl'), message_id: message.id, at: at.toISOString(), kind: 'status', status: mapping.status, channel,
          detail_json: JSON.stringify({ ...detail, current_status: next }),
        });
        const event = await deps.tracker.track(trx, subjectOf(message), {
          status: mapping.status, at,
          ...(failure !== undefined ? { error: failure.code, errorDescription: failure.description } : {}),
          ...(channel !== null && channel !== message.channel ? { extra: { delivery_channel: channel } } : {}),
        });
        if (event !== undefined) tracked.push(event);
        return event !== undefined ? 'applied' : 'repeated_status';
      }
    }
  }

  return async function handleProcessCallback(job: ClaimedJob): Promise<JobResult> {
    const { callback_id: callbackId } = job.payload as { callback_id: string };
    const callback = await deps.callbacks.find(callbackId);
    if (callback === undefined || callback.processed_at !== null) return { kind: 'done' };
    const body = JSON.parse(callback.body) as Record<string, unknown>;
    const tracked: TrackedEvent[] = [];
    await deps.transact(async (trx) => {
      let outcome: string;
      if (callback.trigger === 'MESSAGE_DELIVERY') {
        const report = readDeliveryReport(body);
        outcome = report === undefined ? 'malformed' : await applyDeliveryReport(trx, callback, report, tracked);
      } else if (callback.trigger === 'MESSAGE_INBOUND') {
        outcome = await deps.handleInbound(trx, callback, body, tracked);
      } else {
        outcome = 'stored';
      }
      await deps.callbacks.markProcessed(trx, callback.id, deps.clock.now().toISOString(), outcome);
      await deps.queue.complete(trx, job.id);
    });
    if (tracked.length > 0) deps.onTracked(tracked);
    if (callback.trigger === 'MESSAGE_INBOUND') deps.afterCommit();
    return { kind: 'done', completed: true };
  };
}
