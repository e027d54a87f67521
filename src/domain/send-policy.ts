import { whatsappWindow } from './keywords.ts';
import { explainError } from './reason-codes.ts';

/** Consent per channel: `unknown` until the customer or the API says otherwise. */
export type ConsentState = 'unknown' | 'granted' | 'revoked';

/** What the policy needs to know of the customer a message goes to (undefined: not a customer yet). */
export interface PolicyCustomer {
  consent_whatsapp: ConsentState;
  consent_rcs: ConsentState;
  consent_sms: ConsentState;
  last_inbound_whatsapp_at: string | null;
}

export interface PolicyInput {
  channel: 'whatsapp' | 'rcs';
  recipient: string;
  contentKind: string;
  /** A keyword confirmation: goes out even after an opt-out. */
  consentExempt: boolean;
}

export type PolicyRefusal = { code: 'CONSENT_REVOKED' | 'OUTSIDE_WHATSAPP_WINDOW'; description: string };

export interface PolicyDecision {
  refusal: PolicyRefusal | undefined;
  /** Whether an RCS message may fall back to SMS (not after SMS consent was revoked). */
  smsFallbackAllowed: boolean;
}

/**
 * What we refuse before anything reaches Sinch: sends to a customer who revoked consent on the channel (a keyword
 * confirmation is exempt), and free-form WhatsApp outside the 24 h window unless the project turned that check off
 * (templates are always allowed). Pure: the caller reads the customer and the setting.
 */
export function evaluateSendPolicy(input: PolicyInput, customer: PolicyCustomer | undefined, whatsappWindowCheck: boolean, now: Date): PolicyDecision {
  return { refusal: refusalFor(input, customer, whatsappWindowCheck, now), smsFallbackAllowed: input.consentExempt || customer?.consent_sms !== 'revoked' };
}

function refusalFor(input: PolicyInput, customer: PolicyCustomer | undefined, whatsappWindowCheck: boolean, now: Date): PolicyRefusal | undefined {
  if (!input.consentExempt && customer !== undefined) {
    const state = input.channel === 'whatsapp' ? customer.consent_whatsapp : customer.consent_rcs;
    if (state === 'revoked') {
      return { code: 'CONSENT_REVOKED', description: `${explainError('CONSENT_REVOKED').description} ${input.recipient} revoked consent for ${input.channel === 'whatsapp' ? 'WhatsApp' : 'RCS'} messages.` };
    }
  }
  if (input.channel === 'whatsapp' && input.contentKind !== 'template' && whatsappWindowCheck) {
    const last = customer?.last_inbound_whatsapp_at ?? null;
    const window = whatsappWindow(last === null ? null : new Date(last), now);
    if (!window.open) {
      const when = window.closesAt === null ? 'has never written to this number' : `last wrote more than 24 hours ago (the window closed at ${window.closesAt.toISOString()})`;
      return { code: 'OUTSIDE_WHATSAPP_WINDOW', description: `${explainError('OUTSIDE_WHATSAPP_WINDOW').description} The customer ${when}. Send an approved template instead, or turn the window check off in the project's two-way settings if another system sees this number's replies.` };
    }
  }
  return undefined;
}

/** The customer as the send claim returns it (a JSON array, see messages-repo `ClaimedMessage.customer_json`). */
export interface ClaimedCustomer extends PolicyCustomer {
  id: string;
  tags: string;
  time_zone: string | null;
  attributes: Record<string, unknown>;
}

export function parseClaimedCustomer(json: string | null): ClaimedCustomer | undefined {
  if (json === null) return undefined;
  const [whatsapp, rcs, sms, lastInbound, id, tags, timeZone, attributes] = JSON.parse(json) as Array<string | null>;
  const consent = (v: string | null | undefined): ConsentState => (v === 'granted' || v === 'revoked' ? v : 'unknown');
  return {
    consent_whatsapp: consent(whatsapp), consent_rcs: consent(rcs), consent_sms: consent(sms),
    last_inbound_whatsapp_at: lastInbound === undefined || lastInbound === '' ? null : lastInbound,
    id: id ?? '', tags: tags ?? '', time_zone: timeZone ?? null,
    attributes: typeof attributes === 'string' ? JSON.parse(attributes) as Record<string, unknown> : {},
  };
}
