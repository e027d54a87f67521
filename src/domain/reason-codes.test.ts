import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  explainError, isReasonCode, reasonCodeCatalogue, reasonSubCodeCatalogue, reasonSubCodes, serviceErrorCodes,
  sinchReasonCodes,
} from './reason-codes.ts';
import type { ReasonCode } from './reason-codes.ts';
import { classifyReasonCode } from './statuses.ts';

// Every code of sinch-conversation-api.md §4.7, copied here so the catalogue cannot silently lose one.
const docCodes = [
  'UNKNOWN', 'INTERNAL_ERROR', 'RATE_LIMITED', 'RECIPIENT_INVALID_CHANNEL_IDENTITY', 'RECIPIENT_NOT_REACHABLE',
  'RECIPIENT_NOT_OPTED_IN', 'OUTSIDE_ALLOWED_SENDING_WINDOW', 'CHANNEL_FAILURE', 'CHANNEL_BAD_CONFIGURATION',
  'CHANNEL_CONFIGURATION_MISSING', 'MEDIA_TYPE_UNSUPPORTED', 'MEDIA_TOO_LARGE', 'MEDIA_NOT_REACHABLE', 'NO_CHANNELS_LEFT',
  'TEMPLATE_NOT_FOUND', 'TEMPLATE_INSUFFICIENT_PARAMETERS', 'TEMPLATE_NON_EXISTING_LANGUAGE_OR_VERSION',
  'DELIVERY_TIMED_OUT', 'DELIVERY_REJECTED_DUE_TO_POLICY', 'CONTACT_NOT_FOUND', 'BAD_REQUEST', 'UNKNOWN_APP',
  'NO_CHANNEL_IDENTITY_FOR_CONTACT', 'CHANNEL_REJECT', 'NO_PERMISSION', 'NO_PROFILE_AVAILABLE', 'UNSUPPORTED_OPERATION',
  'INACTIVE_CREDENTIAL', 'MESSAGE_EXPIRED', 'MESSAGE_SPLIT_REQUIRED', 'DELIVERY_REPORT_TIME_OUT',
];
const docSubCodes = ['UNSPECIFIED_SUB_CODE', 'ATTACHMENT_REJECTED', 'MEDIA_TYPE_UNDETERMINED', 'INACTIVE_SENDER'];
const ourCodes = [
  'INVALID_CREDENTIALS', 'NO_ACCESS', 'APP_NOT_FOUND', 'INVALID_REQUEST', 'INVALID_ARGUMENT', 'SINCH_UNAVAILABLE', 'CONSENT_REVOKED',
  'OUTSIDE_WHATSAPP_WINDOW', 'INTEGRATION_DELETED', 'NO_SENDER', 'MISSING_ATTRIBUTE', 'CONTENT_INVALID', 'FREQUENCY_CAPPED',
  'CAMPAIGN_CANCELLED',
];

test('the catalogue holds exactly every documented Sinch code and sub-code plus our own codes', () => {
  assert.deepEqual([...sinchReasonCodes].sort(), [...docCodes].sort());
  assert.deepEqual([...serviceErrorCodes].sort(), [...ourCodes].sort());
  assert.deepEqual(Object.keys(reasonCodeCatalogue).sort(), [...docCodes, ...ourCodes].sort());
  assert.deepEqual([...reasonSubCodes].sort(), [...docSubCodes].sort());
  assert.deepEqual(Object.keys(reasonSubCodeCatalogue).sort(), [...docSubCodes].sort());
  for (const code of docCodes) assert.equal(reasonCodeCatalogue[code as ReasonCode].source, 'sinch', code);
  for (const code of ourCodes) assert.equal(reasonCodeCatalogue[code as ReasonCode].source, 'service', code);
});

test('every entry has a non-empty description and action, written as sentences', () => {
  for (const [code, entry] of Object.entries(reasonCodeCatalogue)) {
    assert.ok(entry.description.trim().length > 10, `${code} description`);
    assert.ok(entry.action.trim().length > 10, `${code} action`);
    assert.match(entry.description, /\.$/, `${code} description ends a sentence`);
    assert.match(entry.action, /\.$/, `${code} action ends a sentence`);
    assert.ok(entry.class === 'rejected' || entry.class === 'failed', code);
  }
  for (const [subCode, entry] of Object.entries(reasonSubCodeCatalogue)) {
    assert.ok(entry.description.trim().length > 0, `${subCode} description`);
  }
  assert.ok(Object.isFrozen(reasonCodeCatalogue));
});

test('the class of every Sinch code agrees with classifyReasonCode (api-v1 §6)', () => {
  for (const code of sinchReasonCodes) {
    assert.equal(reasonCodeCatalogue[code].class, classifyReasonCode(code), code);
  }
});

test('our own codes are classed by whether the refusal is about policy, consent or configuration', () => {
  assert.equal(reasonCodeCatalogue.SINCH_UNAVAILABLE.class, 'failed');
  for (const code of ourCodes.filter((c) => c !== 'SINCH_UNAVAILABLE')) {
    assert.equal(reasonCodeCatalogue[code as ReasonCode].class, 'rejected', code);
  }
});

test('explainError returns the catalogue text for a known code', () => {
  const { description, action } = reasonCodeCatalogue.RECIPIENT_NOT_REACHABLE;
  assert.deepEqual(explainError('RECIPIENT_NOT_REACHABLE'), { description, action });
  assert.deepEqual(explainError('RECIPIENT_NOT_REACHABLE', undefined), { description, action });
  assert.deepEqual(explainError('RECIPIENT_NOT_REACHABLE', ''), { description, action });
  assert.deepEqual(Object.keys(explainError('NO_SENDER')).sort(), ['action', 'description']);
});

test('explainError is honest about unknown and missing codes, and names the raw code', () => {
  const unknown = explainError('SOMETHING_FROM_THE_FUTURE');
  assert.match(unknown.description, /SOMETHING_FROM_THE_FUTURE/);
  assert.ok(unknown.action.length > 0);
  for (const code of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
    assert.equal(isReasonCode(code), false, code);
    assert.match(explainError(code).description, new RegExp(code), code);
  }
  assert.match(explainError('').description, /no error code/);
  assert.match(explainError('bad_request').description, /bad_request/);
});

test('sub-codes refine the description and the action; the default sub-code adds nothing', () => {
  const base = explainError('CHANNEL_REJECT');
  assert.deepEqual(explainError('CHANNEL_REJECT', 'UNSPECIFIED_SUB_CODE'), base);
  for (const subCode of ['ATTACHMENT_REJECTED', 'MEDIA_TYPE_UNDETERMINED', 'INACTIVE_SENDER'] as const) {
    const refined = explainError('CHANNEL_REJECT', subCode);
    const sub = reasonSubCodeCatalogue[subCode];
    assert.ok(refined.description.startsWith(base.description), subCode);
    assert.ok(sub.refinement !== null && refined.description.endsWith(sub.refinement), subCode);
    assert.equal(refined.action, sub.action, subCode);
  }
  const unknownSub = explainError('CHANNEL_REJECT', 'NEW_SUB_CODE');
  assert.match(unknownSub.description, /NEW_SUB_CODE/);
  assert.equal(unknownSub.action, base.action);
  const both = explainError('NEW_CODE', 'INACTIVE_SENDER');
  assert.match(both.description, /NEW_CODE/);
  assert.match(both.description, /deactivated/);
});

test('Sinch\'s INVALID_ARGUMENT and other 4xx answers are explained, not given the generic text', () => {
  const invalid = explainError('INVALID_ARGUMENT');
  assert.match(invalid.description, /HTTP 400 INVALID_ARGUMENT/);
  assert.doesNotMatch(invalid.description, /no explanation/);
  const conflict = explainError('HTTP_409');
  assert.match(conflict.description, /HTTP 409/);
  assert.doesNotMatch(conflict.description, /no explanation/);
  assert.match(explainError('SOMETHING_NEW').description, /no explanation for yet/);
});
