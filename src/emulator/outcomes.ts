/**
 * What happens to a message on one channel: chosen deterministically from the recipient number (built-in
 * suffix rules) or from per-app overrides. Pure.
 */
import { makeReason, type Reason, type SimulatedChannel } from './wire.ts';

export const OUTCOMES = [
  'delivered-read', 'delivered-unread', 'queued-forever', 'read-without-delivered', 'not-reachable',
  'not-opted-in', 'no-rcs', 'no-whatsapp', 'timed-out', 'channel-failure', 'policy-rejected', 'rate-limited',
  'internal-error', 'channel-reject',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Built-in rules: last four digits of the identity → outcome. Any other number: `delivered-read`. */
export const NUMBER_SUFFIX_RULES: Readonly<Record<string, Outcome>> = {
  '0001': 'not-reachable',
  '0002': 'not-opted-in',
  '0003': 'no-rcs',
  '0004': 'delivered-unread',
  '0005': 'queued-forever',
  '0006': 'read-without-delivered',
  '0007': 'timed-out',
  '0008': 'channel-failure',
  '0009': 'policy-rejected',
  '0010': 'rate-limited',
  '0011': 'internal-error',
  '0012': 'channel-reject',
  '0013': 'no-whatsapp',
};

export type OutcomeSettings = {
  number_rules: boolean;
  outcomes: Readonly<Record<string, Outcome>>;
  default_outcome: Outcome;
};

export function normaliseIdentity(identity: string): string {
  return identity.trim().replace(/^\+/, '');
}

/**
 * Per-app overrides win: an exact identity key (`"46700000042"`), then the longest matching suffix key
 * (`"*42"`); then the built-in suffix rules (unless disabled); then the app's default outcome.
 */
export function chooseOutcome(identity: string, settings: OutcomeSettings): Outcome {
  const digits = normaliseIdentity(identity);
  const exact = settings.outcomes[digits];
  if (exact !== undefined) return exact;
  let best: { length: number; outcome: Outcome } | undefined;
  for (const [key, outcome] of Object.entries(settings.outcomes)) {
    if (!key.startsWith('*')) continue;
    const suffix = key.slice(1);
    if (digits.endsWith(suffix) && (best === undefined || suffix.length > best.length)) best = { length: suffix.length, outcome };
  }
  if (best !== undefined) return best.outcome;
  if (settings.number_rules) {
    const rule = NUMBER_SUFFIX_RULES[digits.slice(-4)];
    if (rule !== undefined) return rule;
  }
  return settings.default_outcome;
}

export type ChannelPlan =
  | { kind: 'deliver'; delivered: boolean; read: boolean; final: boolean }
  | { kind: 'fail'; reason: Reason; afterQueued: boolean };

const deliverAndRead: ChannelPlan = { kind: 'deliver', delivered: true, read: true, final: true };

/** The plan of one outcome on one channel. SMS never reports READ (applied by the caller). */
export function planOutcome(outcome: Outcome, channel: SimulatedChannel): ChannelPlan {
  switch (outcome) {
    case 'delivered-read': return deliverAndRead;
    case 'delivered-unread': return { kind: 'deliver', delivered: true, read: false, final: true };
    case 'queued-forever': return { kind: 'deliver', delivered: false, read: false, final: false };
    case 'read-without-delivered': return { kind: 'deliver', delivered: false, read: true, final: true };
    case 'not-reachable':
      return fail('RECIPIENT_NOT_REACHABLE', `The underlying channel reported: recipient is not reachable on ${channel}`, false);
    case 'not-opted-in':
      return channel === 'WHATSAPP'
        ? fail('RECIPIENT_NOT_OPTED_IN', 'The underlying channel reported: recipient has not opted in', false)
        : deliverAndRead;
    case 'no-rcs':
      return channel === 'RCS'
        ? fail('RECIPIENT_NOT_REACHABLE', 'The underlying channel reported: recipient has no RCS capability', false)
        : deliverAndRead;
    case 'no-whatsapp':
      return channel === 'WHATSAPP'
        ? fail('RECIPIENT_NOT_REACHABLE', 'The underlying channel reported: recipient is not a WhatsApp user', false)
        : deliverAndRead;
    case 'timed-out': return fail('DELIVERY_TIMED_OUT', 'The underlying channel reported: delivery timed out', true);
    case 'channel-failure': return fail('CHANNEL_FAILURE', 'The underlying channel reported: the channel failed to deliver the message', true);
    case 'policy-rejected': return fail('DELIVERY_REJECTED_DUE_TO_POLICY', 'The underlying channel reported: rejected due to channel policy', true);
    case 'rate-limited': return fail('RATE_LIMITED', 'The message was not sent because of rate limiting', false);
    case 'internal-error': return fail('INTERNAL_ERROR', 'Internal error', false);
    case 'channel-reject': return fail('CHANNEL_REJECT', 'The underlying channel reported: message rejected', true);
  }
}

function fail(code: Reason['code'], description: string, afterQueued: boolean): ChannelPlan {
  return { kind: 'fail', reason: makeReason(code, description), afterQueued };
}
