/**
 * Message statuses, the mapping from Sinch delivery reports to them, and the forward-only status machine.
 *
 * Pure rules, no I/O. The public names and the rules come from docs api-v1.md §6 (fixed); Sinch's side from
 * sinch-conversation-api.md §4.4, §4.6–4.8. Stored values are these lowercase strings and are never renamed.
 */

/**
 * Every status a message can have. `queued` is our extension (accepted by us, not yet handed to Sinch); it is
 * never tracked as an event. The others are the public statuses of api-v1 §6.
 */
export const messageStatuses = ['queued', 'enqueued', 'enqueued_failed', 'sent', 'delivered', 'read', 'failed', 'rejected'] as const;
export type MessageStatus = (typeof messageStatuses)[number];

/** The `status` of a tracked event (api-v1 §6): every message status but `queued`, plus inbound messages. */
export const trackedStatuses = ['enqueued', 'enqueued_failed', 'sent', 'delivered', 'read', 'failed', 'rejected', 'incoming_message'] as const;
export type TrackedStatus = (typeof trackedStatuses)[number];

const messageStatusSet: ReadonlySet<string> = new Set(messageStatuses);
const trackedStatusSet: ReadonlySet<string> = new Set(trackedStatuses);

export function isMessageStatus(value: string): value is MessageStatus {
  return messageStatusSet.has(value);
}

export function isTrackedStatus(value: string): value is TrackedStatus {
  return trackedStatusSet.has(value);
}

/**
 * Reason codes of a Sinch `FAILED` report that mean the provider or channel refused to attempt delivery
 * (policy, consent, configuration, content): exactly the list of api-v1 §6. Every other code, including codes
 * not known today, means delivery was attempted or could not complete: `failed`.
 */
export const rejectedReasonCodes = [
  'RECIPIENT_NOT_OPTED_IN',
  'DELIVERY_REJECTED_DUE_TO_POLICY',
  'CHANNEL_REJECT',
  'OUTSIDE_ALLOWED_SENDING_WINDOW',
  'BAD_REQUEST',
  'TEMPLATE_NOT_FOUND',
  'TEMPLATE_INSUFFICIENT_PARAMETERS',
  'TEMPLATE_NON_EXISTING_LANGUAGE_OR_VERSION',
  'MEDIA_TYPE_UNSUPPORTED',
  'MEDIA_TOO_LARGE',
  'CHANNEL_BAD_CONFIGURATION',
  'CHANNEL_CONFIGURATION_MISSING',
  'NO_PERMISSION',
  'UNSUPPORTED_OPERATION',
  'INACTIVE_CREDENTIAL',
  'RECIPIENT_INVALID_CHANNEL_IDENTITY',
  'MESSAGE_SPLIT_REQUIRED',
  'UNKNOWN_APP',
] as const;

const rejectedReasonCodeSet: ReadonlySet<string> = new Set(rejectedReasonCodes);

/** Splits a Sinch `FAILED` report by its `reason.code`. A missing, empty or unknown code is `failed`. */
export function classifyReasonCode(code: string | undefined): 'rejected' | 'failed' {
  return code !== undefined && rejectedReasonCodeSet.has(code) ? 'rejected' : 'failed';
}

export type DeliveryMapping =
  | { kind: 'status'; status: 'sent' | 'delivered' | 'read' | 'failed' | 'rejected' }
  /** This channel failed and Sinch tries the next one: goes on the timeline, not a status (api-v1 §6). */
  | { kind: 'switching_channel' }
  /** A status we do not map (`QUEUED`, `STATUS_UNSPECIFIED`, future values): stored as received, nothing else. */
  | { kind: 'unknown'; raw: string };

/**
 * Maps the `status` (and, for `FAILED`, the `reason.code`) of a Sinch `message_delivery_report` to what it means
 * for us. Sinch's enums are open (§4.8 gotcha 9), so anything unrecognised is `unknown`, never an exception.
 * Matching is exact: Sinch sends upper-case enum names.
 */
export function mapDeliveryReport(report: { status: string; reasonCode?: string | undefined }): DeliveryMapping {
  switch (report.status) {
    case 'QUEUED_ON_CHANNEL': return { kind: 'status', status: 'sent' };
    case 'DELIVERED': return { kind: 'status', status: 'delivered' };
    case 'READ': return { kind: 'status', status: 'read' };
    case 'FAILED': return { kind: 'status', status: classifyReasonCode(report.reasonCode) };
    case 'SWITCHING_CHANNEL': return { kind: 'switching_channel' };
    // QUEUED is never sent as a callback (it is implied by the 200 from messages:send); if it ever arrives it
    // carries nothing `enqueued` did not already say, so it is kept as received like any unknown value.
    default: return { kind: 'unknown', raw: report.status };
  }
}

/**
 * A status after which nothing more is expected: `read`, `failed` and `rejected` (api-v1 §6), and
 * `enqueued_failed` (we gave up handing the message to Sinch; no retry follows and no report is expected).
 *
 * `read`, `failed` and `rejected` are absorbing: `advanceStatus` never leaves them. `enqueued_failed` is final
 * only as long as the premise "the send never reached Sinch" holds; see `advanceStatus`.
 */
export function isFinal(status: MessageStatus): boolean {
  switch (status) {
    case 'read':
    case 'failed':
    case 'rejected':
    case 'enqueued_failed':
      return true;
    case 'queued':
    case 'enqueued':
    case 'sent':
    case 'delivered':
      return false;
  }
}

/**
 * How far along a message is. A higher rank replaces a lower one; equal or lower ranks are ignored.
 *
 *   queued (0) < enqueued_failed (1) < enqueued (2) < sent (3) < delivered (4) < read | failed | rejected (5)
 *
 * Decisions, and why:
 * - `enqueued < sent < delivered < read` is api-v1 §6. Steps may be skipped: READ without DELIVERED is documented
 *   (§4.6), and a callback can land before the worker has recorded `enqueued` (`queued` → `sent`).
 * - `queued` is below everything: it is where every message starts, so nothing ever goes back to it.
 * - `read`, `failed` and `rejected` are final (api-v1 §6): once one is current, nothing replaces it, not even
 *   another final status. Whichever final verdict arrived first wins; the later one is still tracked as an event.
 *   So a late DELIVERED after READ leaves `read`, and a DELIVERED after FAILED leaves `failed`.
 * - `failed` / `rejected` replace every non-final status, `delivered` included. Sinch sends FAILED only as its
 *   terminal verdict for the message (no channels left, §4.6); a DELIVERED followed by FAILED happens with
 *   delivery-report-based fallback (the first channel's DLR came too late, the fallback channel then failed) or
 *   with out-of-order retries. Ranking the verdict above `delivered` makes the outcome the same whichever of the
 *   two arrives first (both orders end in `failed`), which matters because ordering is not guaranteed (§4.8).
 *   The DELIVERED event stays on the message's timeline and in the events, so nothing is hidden.
 * - `enqueued_failed` is final for a send that never reached Sinch, and that premise is all it asserts. Any
 *   evidence that Sinch did get the message (`enqueued`: a 200 that we recorded late, e.g. from a worker whose
 *   lease had expired; or any delivery report correlated to the message) proves it wrong, so that evidence
 *   replaces it. Conversely `enqueued_failed` never replaces `enqueued` or anything later: once Sinch has
 *   accepted the message, a later "could not hand it over" from another attempt is not true of the message.
 *   In normal operation an `enqueued_failed` message has no Sinch message id, so no report reaches it at all.
 * - Repeating the current status changes nothing (Sinch repeats callbacks; effects are idempotent).
 *
 * With these ranks the current status depends only on which statuses arrived, not on their order, except when
 * two different final verdicts (`read`, `failed`, `rejected`) both arrive: then the first one stays.
 */
const progressRank: Readonly<Record<MessageStatus, number>> = {
  queued: 0,
  enqueued_failed: 1,
  enqueued: 2,
  sent: 3,
  delivered: 4,
  read: 5,
  failed: 5,
  rejected: 5,
};

/** The ranks above, for code that applies the same rule in SQL (the message row is updated in one statement). */
export const statusRanks: Readonly<Record<MessageStatus, number>> = progressRank;

/** Statuses that `advanceStatus` never leaves. */
export const absorbingStatuses = ['read', 'failed', 'rejected'] as const satisfies readonly MessageStatus[];

/**
 * The message's current status after a report or send outcome of status `incoming`: it only ever moves forward.
 * Full decision table (rows: current, columns: incoming; `·` = unchanged):
 *
 * | current \ incoming | queued | enq_failed | enqueued | sent | delivered | read | failed | rejected |
 * |--------------------|--------|------------|----------|------|-----------|------|--------|----------|
 * | queued             | ·      | enq_failed | enqueued | sent | delivered | read | failed | rejected |
 * | enqueued_failed    | ·      | ·          | enqueued | sent | delivered | read | failed | rejected |
 * | enqueued           | ·      | ·          | ·        | sent | delivered | read | failed | rejected |
 * | sent               | ·      | ·          | ·        | ·    | delivered | read | failed | rejected |
 * | delivered          | ·      | ·          | ·        | ·    | ·         | read | failed | rejected |
 * | read               | ·      | ·          | ·        | ·    | ·         | ·    | ·      | ·        |
 * | failed             | ·      | ·          | ·        | ·    | ·         | ·    | ·      | ·        |
 * | rejected           | ·      | ·          | ·        | ·    | ·         | ·    | ·      | ·        |
 *
 * Whether to track `incoming` as an event is a separate question (each distinct status once, even when it does
 * not change the current status); this function only decides the current status.
 */
export function advanceStatus(current: MessageStatus, incoming: MessageStatus): MessageStatus {
  if (current === 'read' || current === 'failed' || current === 'rejected') return current;
  return progressRank[incoming] > progressRank[current] ? incoming : current;
}
