import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  advanceStatus, classifyReasonCode, isFinal, isMessageStatus, isTrackedStatus, mapDeliveryReport, messageStatuses,
  rejectedReasonCodes, trackedStatuses,
} from './statuses.ts';
import type { DeliveryMapping, MessageStatus } from './statuses.ts';

// api-v1 §6, copied here on purpose so that a change to the source list has to be made twice.
const apiRejected = [
  'RECIPIENT_NOT_OPTED_IN', 'DELIVERY_REJECTED_DUE_TO_POLICY', 'CHANNEL_REJECT', 'OUTSIDE_ALLOWED_SENDING_WINDOW',
  'BAD_REQUEST', 'TEMPLATE_NOT_FOUND', 'TEMPLATE_INSUFFICIENT_PARAMETERS', 'TEMPLATE_NON_EXISTING_LANGUAGE_OR_VERSION',
  'MEDIA_TYPE_UNSUPPORTED', 'MEDIA_TOO_LARGE', 'CHANNEL_BAD_CONFIGURATION', 'CHANNEL_CONFIGURATION_MISSING',
  'NO_PERMISSION', 'UNSUPPORTED_OPERATION', 'INACTIVE_CREDENTIAL', 'RECIPIENT_INVALID_CHANNEL_IDENTITY',
  'MESSAGE_SPLIT_REQUIRED', 'UNKNOWN_APP',
];
const apiFailedExamples = [
  'RECIPIENT_NOT_REACHABLE', 'CHANNEL_FAILURE', 'DELIVERY_TIMED_OUT', 'MEDIA_NOT_REACHABLE', 'NO_CHANNELS_LEFT',
  'RATE_LIMITED', 'INTERNAL_ERROR', 'UNKNOWN', 'MESSAGE_EXPIRED',
];

test('status lists are the public names, with queued only on messages and incoming_message only on events', () => {
  assert.deepEqual([...messageStatuses], ['queued', 'enqueued', 'enqueued_failed', 'sent', 'delivered', 'read', 'failed', 'rejected']);
  assert.deepEqual([...trackedStatuses], ['enqueued', 'enqueued_failed', 'sent', 'delivered', 'read', 'failed', 'rejected', 'incoming_message']);
  assert.equal(isTrackedStatus('queued'), false);
  assert.equal(isMessageStatus('incoming_message'), false);
  assert.equal(isMessageStatus('queued'), true);
  assert.equal(isTrackedStatus('incoming_message'), true);
  assert.equal(isMessageStatus('DELIVERED'), false);
  assert.equal(isMessageStatus('toString'), false);
});

test('every reason code of the api-v1 rejected list is rejected, and the source list is exactly that list', () => {
  for (const code of apiRejected) assert.equal(classifyReasonCode(code), 'rejected', code);
  assert.deepEqual([...rejectedReasonCodes].sort(), [...apiRejected].sort());
});

test('the named failed examples, unknown, missing and mis-cased codes are failed', () => {
  for (const code of apiFailedExamples) assert.equal(classifyReasonCode(code), 'failed', code);
  for (const code of ['CONTACT_NOT_FOUND', 'NO_CHANNEL_IDENTITY_FOR_CONTACT', 'NO_PROFILE_AVAILABLE', 'DELIVERY_REPORT_TIME_OUT']) {
    assert.equal(classifyReasonCode(code), 'failed', code);
  }
  assert.equal(classifyReasonCode('SOME_CODE_FROM_2030'), 'failed');
  assert.equal(classifyReasonCode(undefined), 'failed');
  assert.equal(classifyReasonCode(''), 'failed');
  assert.equal(classifyReasonCode('bad_request'), 'failed');
  assert.equal(classifyReasonCode('constructor'), 'failed');
});

test('delivery report statuses map to public statuses', () => {
  const cases: Array<[{ status: string; reasonCode?: string }, DeliveryMapping]> = [
    [{ status: 'QUEUED_ON_CHANNEL' }, { kind: 'status', status: 'sent' }],
    [{ status: 'DELIVERED' }, { kind: 'status', status: 'delivered' }],
    [{ status: 'READ' }, { kind: 'status', status: 'read' }],
    [{ status: 'FAILED', reasonCode: 'RECIPIENT_NOT_OPTED_IN' }, { kind: 'status', status: 'rejected' }],
    [{ status: 'FAILED', reasonCode: 'RECIPIENT_NOT_REACHABLE' }, { kind: 'status', status: 'failed' }],
    [{ status: 'FAILED', reasonCode: 'BRAND_NEW_CODE' }, { kind: 'status', status: 'failed' }],
    [{ status: 'FAILED' }, { kind: 'status', status: 'failed' }],
    [{ status: 'SWITCHING_CHANNEL', reasonCode: 'RECIPIENT_NOT_REACHABLE' }, { kind: 'switching_channel' }],
    [{ status: 'SWITCHING_CHANNEL' }, { kind: 'switching_channel' }],
  ];
  for (const [report, expected] of cases) assert.deepEqual(mapDeliveryReport(report), expected, report.status);
  // A reason code on a non-FAILED report does not change its meaning.
  assert.deepEqual(mapDeliveryReport({ status: 'DELIVERED', reasonCode: 'BAD_REQUEST' }), { kind: 'status', status: 'delivered' });
  assert.deepEqual(mapDeliveryReport({ status: 'FAILED', reasonCode: undefined }), { kind: 'status', status: 'failed' });
});

test('unknown delivery statuses are kept as received and never throw', () => {
  for (const raw of ['QUEUED', 'STATUS_UNSPECIFIED', 'RECEIVED', 'delivered', '', 'SOMETHING_NEW', '__proto__']) {
    assert.deepEqual(mapDeliveryReport({ status: raw }), { kind: 'unknown', raw });
  }
});

// Rows: current; columns: incoming, in the order of `cols`. Written out in full, independently of the ranks.
const cols: MessageStatus[] = ['queued', 'enqueued_failed', 'enqueued', 'sent', 'delivered', 'read', 'failed', 'rejected'];
const machine: Record<MessageStatus, MessageStatus[]> = {
  queued: ['queued', 'enqueued_failed', 'enqueued', 'sent', 'delivered', 'read', 'failed', 'rejected'],
  enqueued_failed: ['enqueued_failed', 'enqueued_failed', 'enqueued', 'sent', 'delivered', 'read', 'failed', 'rejected'],
  enqueued: ['enqueued', 'enqueued', 'enqueued', 'sent', 'delivered', 'read', 'failed', 'rejected'],
  sent: ['sent', 'sent', 'sent', 'sent', 'delivered', 'read', 'failed', 'rejected'],
  delivered: ['delivered', 'delivered', 'delivered', 'delivered', 'delivered', 'read', 'failed', 'rejected'],
  read: ['read', 'read', 'read', 'read', 'read', 'read', 'read', 'read'],
  failed: ['failed', 'failed', 'failed', 'failed', 'failed', 'failed', 'failed', 'failed'],
  rejected: ['rejected', 'rejected', 'rejected', 'rejected', 'rejected', 'rejected', 'rejected', 'rejected'],
};

test('advanceStatus follows the full decision table (all 64 pairs)', () => {
  assert.deepEqual(Object.keys(machine).sort(), [...messageStatuses].sort());
  for (const current of messageStatuses) {
    const row = machine[current];
    cols.forEach((incoming, i) => {
      assert.equal(advanceStatus(current, incoming), row[i], `${current} + ${incoming}`);
    });
  }
});

test('documented rules: forward only, skips allowed, repeats are no-ops', () => {
  assert.equal(advanceStatus('enqueued', 'read'), 'read', 'READ before DELIVERED');
  assert.equal(advanceStatus('read', 'delivered'), 'read', 'late DELIVERED after READ stays read');
  assert.equal(advanceStatus('delivered', 'sent'), 'delivered', 'late QUEUED_ON_CHANNEL');
  assert.equal(advanceStatus('queued', 'sent'), 'sent', 'callback before enqueued is recorded');
  assert.equal(advanceStatus('enqueued', 'failed'), 'failed');
  assert.equal(advanceStatus('delivered', 'failed'), 'failed', 'FAILED after DELIVERED: the terminal verdict wins');
  assert.equal(advanceStatus('failed', 'delivered'), 'failed', 'DELIVERED after FAILED stays failed');
  assert.equal(advanceStatus('read', 'failed'), 'read');
  assert.equal(advanceStatus('failed', 'rejected'), 'failed', 'first final verdict wins');
  assert.equal(advanceStatus('sent', 'enqueued_failed'), 'sent', 'Sinch already has it');
  assert.equal(advanceStatus('enqueued_failed', 'queued'), 'enqueued_failed');
  assert.equal(advanceStatus('enqueued_failed', 'delivered'), 'delivered', 'evidence that Sinch got it wins');
  for (const s of messageStatuses) assert.equal(advanceStatus(s, s), s, `${s} repeated`);
  for (const s of messageStatuses) assert.equal(advanceStatus('queued', s), s, `queued < ${s}`);
});

test('isFinal: read, failed, rejected and enqueued_failed', () => {
  const finals = messageStatuses.filter((s) => isFinal(s));
  assert.deepEqual(finals, ['enqueued_failed', 'read', 'failed', 'rejected']);
  // read, failed and rejected are absorbing; enqueued_failed yields only to evidence that Sinch got the message.
  for (const s of ['read', 'failed', 'rejected'] as const) {
    for (const incoming of messageStatuses) assert.equal(advanceStatus(s, incoming), s);
  }
});

function fold(reports: Array<{ status: string; reasonCode?: string }>, start: MessageStatus = 'enqueued'): MessageStatus {
  let current = start;
  for (const report of reports) {
    const mapping = mapDeliveryReport(report);
    switch (mapping.kind) {
      case 'status': current = advanceStatus(current, mapping.status); break;
      case 'switching_channel': break;
      case 'unknown': break;
    }
  }
  return current;
}

test('report sequences: SWITCHING_CHANNEL then delivery on SMS, duplicates, out of order, unknown statuses', () => {
  assert.equal(fold([
    { status: 'QUEUED_ON_CHANNEL' }, { status: 'SWITCHING_CHANNEL', reasonCode: 'RECIPIENT_NOT_REACHABLE' },
    { status: 'QUEUED_ON_CHANNEL' }, { status: 'DELIVERED' },
  ]), 'delivered');
  assert.equal(fold([{ status: 'DELIVERED' }, { status: 'DELIVERED' }, { status: 'QUEUED_ON_CHANNEL' }]), 'delivered');
  assert.equal(fold([{ status: 'READ' }, { status: 'DELIVERED' }, { status: 'QUEUED_ON_CHANNEL' }]), 'read');
  assert.equal(fold([{ status: 'QUEUED_ON_CHANNEL' }, { status: 'FAILED', reasonCode: 'TEMPLATE_NOT_FOUND' }]), 'rejected');
  assert.equal(fold([{ status: 'QUEUED_ON_CHANNEL' }, { status: 'SOMETHING_NEW' }, { status: 'QUEUED' }]), 'sent');
  assert.equal(fold([{ status: 'SOMETHING_NEW' }]), 'enqueued');
});

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

test('the current status does not depend on arrival order unless two different final verdicts arrive', () => {
  const verdicts = new Set<MessageStatus>(['read', 'failed', 'rejected']);
  const all = [...messageStatuses];
  for (const a of all) for (const b of all) for (const c of all) {
    const distinctVerdicts = new Set([a, b, c].filter((s) => verdicts.has(s)));
    if (distinctVerdicts.size > 1) continue;
    const results = new Set(permutations([a, b, c]).map((order) => order.reduce(advanceStatus, 'queued' as MessageStatus)));
    assert.equal(results.size, 1, `${a}, ${b}, ${c} in any order`);
  }
});
