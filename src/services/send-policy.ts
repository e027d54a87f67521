import type { Executor } from '../db/repos/executor.ts';
import type { CustomerRow, CustomersRepo } from '../db/repos/customers-repo.ts';
import type { SettingsRepo } from '../db/repos/settings-repo.ts';
import { whatsappWindow } from '../domain/keywords.ts';
import { explainError } from '../domain/reason-codes.ts';

export interface PolicyInput {
  projectId: string;
  channel: 'whatsapp' | 'rcs';
  recipient: string;
  contentKind: string;
  consentExempt: boolean;
}

export type PolicyRefusal = { code: 'CONSENT_REVOKED' | 'OUTSIDE_WHATSAPP_WINDOW'; description: string };

/**
 * What we refuse before anything reaches Sinch: sends to a customer who revoked consent on the channel (a keyword
 * confirmation is exempt), and free-form WhatsApp outside the 24 h window unless the project turned that check off
 * (templates are always allowed).
 */
export function createSendPolicy(deps: { customers: CustomersRepo; settings: SettingsRepo }) {
  /** The refusal, if any, and whether an RCS message may fall back to SMS (not after SMS consent was revoked). */
  async function evaluate(executor: Executor, input: PolicyInput, now: Date): Promise<{ refusal: PolicyRefusal | undefined; smsFallbackAllowed: boolean }> {
    const customer = await deps.customers.findByPhone(input.projectId, input.recipient, executor);
    return { refusal: await refusalFor(executor, input, customer, now), smsFallbackAllowed: input.consentExempt || customer?.consent_sms !== 'revoked' };
  }

  async function refusalFor(executor: Executor, input: PolicyInput, customer: CustomerRow | undefined, now: Date): Promise<PolicyRefusal | undefined> {
    if (!input.consentExempt && customer !== undefined) {
      const state = input.channel === 'whatsapp' ? customer.consent_whatsapp : customer.consent_rcs;
      if (state === 'revoked') {
        return { code: 'CONSENT_REVOKED', description: `${explainError('CONSENT_REVOKED').description} ${input.recipient} revoked consent for ${input.channel === 'whatsapp' ? 'WhatsApp' : 'RCS'} messages.` };
      }
    }
    if (input.channel === 'whatsapp' && input.contentKind !== 'template') {
      const settings = await deps.settings.get(input.projectId, executor);
      if (settings.whatsapp_window_check === 1) {
        const last = customer?.last_inbound_whatsapp_at ?? null;
        const window = whatsappWindow(last === null ? null : new Date(last), now);
        if (!window.open) {
          const when = window.closesAt === null ? 'has never written to this number' : `last wrote more than 24 hours ago (the window closed at ${window.closesAt.toISOString()})`;
          return { code: 'OUTSIDE_WHATSAPP_WINDOW', description: `${explainError('OUTSIDE_WHATSAPP_WINDOW').description} The customer ${when}. Send an approved template instead, or turn the window check off in the project's two-way settings if another system sees this number's replies.` };
        }
      }
    }
    return undefined;
  }

  return {
    evaluate,
    async check(executor: Executor, input: PolicyInput, now: Date): Promise<PolicyRefusal | undefined> {
      return (await evaluate(executor, input, now)).refusal;
    },
  };
}

export type SendPolicy = ReturnType<typeof createSendPolicy>;
