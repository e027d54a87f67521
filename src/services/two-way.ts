import { createId } from '../lib/ids.ts';
import type { Clock } from '../lib/time.ts';
import type { CallbackRow } from '../db/repos/callbacks-repo.ts';
import type { ConversationsRepo } from '../db/repos/conversations-repo.ts';
import { consentColumn, type CustomerRow, type CustomersRepo } from '../db/repos/customers-repo.ts';
import type { Executor } from '../db/repos/executor.ts';
import type { CampaignsRepo } from '../db/repos/campaigns-repo.ts';
import type { MessagesRepo } from '../db/repos/messages-repo.ts';
import { channelGroupOf, consentChannelsOf, matchKeyword, type KeywordRule } from '../domain/keywords.ts';
import { fromSinchIdentity } from '../providers/sinch/mapping.ts';
import { parseSinchTime, readInboundMessage, readOptNotification, type InboundMessage } from '../providers/sinch/callbacks.ts';
import type { ConfigCache } from './config-cache.ts';
import type { MessagesService } from './messages.ts';
import type { EventTracker, TrackedEvent } from './track-event.ts';
import { toUnixSeconds } from './track-event.ts';

type InboundChannel = 'whatsapp' | 'rcs' | 'sms';

/** The text a keyword is looked for in: a typed text, or the caption of a media card. */
function textOf(message: InboundMessage): string | null {
  const text = (message.contactMessage.text_message as { text?: unknown } | undefined)?.text;
  if (typeof text === 'string') return text;
  const caption = (message.contactMessage.media_card_message as { caption?: unknown } | undefined)?.caption;
  return typeof caption === 'string' ? caption : null;
}

export function newCustomerRow(projectId: string, phone: string, at: string): CustomerRow {
  return {
    id: createId('cus'), project_id: projectId, phone, attributes_json: '{}', consent_whatsapp: 'unknown', consent_rcs: 'unknown',
    consent_sms: 'unknown', last_inbound_whatsapp_at: null, created_at: at, updated_at: at, tags: '', time_zone: null, last_inbound_at: null,
  };
}

/**
 * Two-way messaging: an inbound customer message is stored on the customer and the conversation, tracked as
 * `incoming_message` with what it answers, and checked against the keyword rules: consent is recorded in the
 * ledger (always: an opt-out is honoured whatever the settings) and, when the channel has a default provider, the
 * confirmation goes out at once, even after an opt-out.
 */
/** What an inbound message did: the outcome recorded on its callback, the events it tracked, the send it queued. */
export interface InboundEffects {
  outcome: string;
  tracked: TrackedEvent[];
  /** The integration a keyword confirmation was queued on (wake the sender after the commit). */
  queuedOn: string | undefined;
}

export function createTwoWay(deps: {
  customers: CustomersRepo;
  conversations: ConversationsRepo;
  messages: Pick<MessagesRepo, 'findAnswered'>;
  campaigns: Pick<CampaignsRepo, 'lastCampaignMessage' | 'count'>;
  config: Pick<ConfigCache, 'settings' | 'integration'>;
  send: Pick<MessagesService, 'sendInTransaction'>;
  tracker: EventTracker;
  clock: Clock;
}) {
  function findAnswered(trx: Executor, callback: Pick<CallbackRow, 'project_id' | 'integration_id'>, message: InboundMessage) {
    return deps.messages.findAnswered(trx, callback.project_id, callback.integration_id, {
      messageId: message.metadata, providerMessageId: message.choiceProviderId ?? message.replyToProviderId,
    });
  }

  async function applyConsent(trx: Executor, customer: CustomerRow, rule: KeywordRule, inboundId: string, at: string): Promise<void> {
    if (rule.action === 'no_action') return;
    const state = rule.action === 'revoke_consent' ? 'revoked' : 'granted';
    for (const channel of consentChannelsOf(rule.channelGroup)) {
      await deps.customers.appendLedger(trx, {
        id: createId('cns'), project_id: customer.project_id, customer_id: customer.id, channel,
        action: rule.action === 'revoke_consent' ? 'revoke' : 'grant', source: 'keyword', rule_id: rule.id, keyword: rule.keyword,
        inbound_message_id: inboundId, token_id: null, at,
      });
    }
    const patch = Object.fromEntries(consentChannelsOf(rule.channelGroup).map((c) => [consentColumn[c], state]));
    await deps.customers.update(trx, customer.id, { ...patch, updated_at: at });
  }

  return {
    /**
     * Sinch's consent management saw an opt-out or opt-in keyword (OPT_OUT / OPT_IN callback, protocol notes §6.4):
     * the consent of the identity's channel changes and the ledger records it (source `sinch`). A failed
     * registration changes nothing. Each callback is applied once (the callback store keeps repeats out).
     */
    async handleSinchConsent(trx: Executor, callback: Pick<CallbackRow, 'project_id'>, body: Record<string, unknown>): Promise<InboundEffects> {
      const done = (outcome: string): InboundEffects => ({ outcome, tracked: [], queuedOn: undefined });
      const n = readOptNotification(body);
      if (n?.identity === undefined) return done('malformed');
      if (n.status !== `${n.kind}_SUCCEEDED`) return done('not_succeeded');
      const channel = n.channel?.toLowerCase();
      if (channel !== 'whatsapp' && channel !== 'rcs' && channel !== 'sms') return done('unsupported_channel');
      const now = deps.clock.now();
      const at = (parseSinchTime(n.eventTime) ?? parseSinchTime(n.acceptedTime) ?? now).toISOString();
      const phone = fromSinchIdentity(n.identity);
      const { customer } = await deps.customers.upsertByPhone(trx, newCustomerRow(callback.project_id, phone, now.toISOString()));
      const revoke = n.kind === 'OPT_OUT';
      await deps.customers.appendLedger(trx, {
        id: createId('cns'), project_id: customer.project_id, customer_id: customer.id, channel, action: revoke ? 'revoke' : 'grant', source: 'sinch',
        rule_id: null, keyword: null, inbound_message_id: null, token_id: null, at,
      });
      await deps.customers.update(trx, customer.id, { [consentColumn[channel]]: revoke ? 'revoked' : 'granted', updated_at: now.toISOString() });
      return done(revoke ? 'consent_revoked' : 'consent_granted');
    },

    async handleInbound(trx: Executor, callback: Pick<CallbackRow, 'project_id' | 'integration_id'>, body: Record<string, unknown>): Promise<InboundEffects> {
      const tracked: TrackedEvent[] = [];
      const done = (outcome: string, queuedOn?: string): InboundEffects => ({ outcome, tracked, queuedOn });
      const message = readInboundMessage(body);
      if (message?.id === undefined || message.identity === undefined) return done('malformed');
      const channel = message.channel?.toLowerCase();
      if (channel !== 'whatsapp' && channel !== 'rcs' && channel !== 'sms') return done('unsupported_channel');
      const inboundChannel: InboundChannel = channel;
      const threadChannel = inboundChannel === 'whatsapp' ? 'whatsapp' : 'rcs';
      const now = deps.clock.now();
      const receivedAt = (parseSinchTime(message.acceptTime) ?? parseSinchTime(message.eventTime) ?? now).toISOString();
      const phone = fromSinchIdentity(message.identity);

      const { customer } = await deps.customers.upsertByPhone(trx, newCustomerRow(callback.project_id, phone, now.toISOString()));
      const conversation = await deps.conversations.ensure(trx, {
        id: createId('cnv'), project_id: callback.project_id, customer_id: customer.id, channel: threadChannel,
        last_message_at: receivedAt, last_inbound_at: null, unread_count: 0, created_at: now.toISOString(),
      });
      const answered = await findAnswered(trx, callback, message);
      const settings = await deps.config.settings(callback.project_id, trx);
      const defaultProvider = threadChannel === 'whatsapp' ? settings.whatsapp_integration_id : settings.rcs_integration_id;
      const twoWayEnabled = defaultProvider !== null;
      const text = textOf(message);
      // Keyword rules apply whatever the settings, so an opt-out is always honoured; only the reply needs a provider.
      const rules = text !== null ? (await deps.conversations.keywordRules(callback.project_id, trx)).map((r): KeywordRule => ({
        id: r.id, keyword: r.keyword, action: r.action, replyText: r.reply_text, channelGroup: r.channel_group, enabled: r.enabled === 1,
      })) : [];
      const rule = text === null ? undefined : matchKeyword(text, channelGroupOf(inboundChannel), rules);

      const inboundId = createId('in');
      const stored = await deps.conversations.insertInbound(trx, {
        id: inboundId, project_id: callback.project_id, integration_id: callback.integration_id, customer_id: customer.id,
        conversation_id: conversation.id, channel: inboundChannel, provider_message_id: message.id, business_sender: message.senderId ?? null,
        kind: message.kind, content_json: JSON.stringify(message.contactMessage), text, postback_data: message.postbackData ?? null,
        reply_to_message_id: answered?.id ?? null, campaign_id: answered?.campaign_id ?? null, keyword_rule_id: rule?.id ?? null,
        received_at: receivedAt, created_at: now.toISOString(),
      });
      if (!stored) return done('duplicate');
      await deps.conversations.recordInbound(trx, conversation.id, receivedAt);
      const later = (known: string | null) => known === null || known < receivedAt;
      if (later(customer.last_inbound_at) || (inboundChannel === 'whatsapp' && later(customer.last_inbound_whatsapp_at))) {
        await deps.customers.update(trx, customer.id, {
          ...(later(customer.last_inbound_at) ? { last_inbound_at: receivedAt } : {}),
          ...(inboundChannel === 'whatsapp' && later(customer.last_inbound_whatsapp_at) ? { last_inbound_whatsapp_at: receivedAt } : {}),
          updated_at: now.toISOString(),
        });
      }

      // A reply counts for the campaign whose message it answers, or else the campaign that last wrote to this
      // customer within three days (the campaign's report); the event itself names only a message it answers.
      const answeredCampaign = answered?.campaign_ref
        ?? (await deps.campaigns.lastCampaignMessage(trx, callback.project_id, phone, new Date(now.getTime() - 3 * 86_400_000).toISOString()))?.campaign_ref
        ?? null;

      // The seed: `incoming_message` "requires two-way messaging to be enabled" (a default provider for the channel).
      if (twoWayEnabled) {
        const senders = (await deps.config.integration(callback.integration_id, trx))?.senders ?? {};
        const event = await deps.tracker.track(trx, {
          projectId: callback.project_id, messageId: inboundId, integrationId: callback.integration_id, channel: threadChannel,
          campaignId: answered?.campaign_id ?? null, recipient: phone, sender: message.senderId ?? senders[inboundChannel] ?? null,
          sentTimestamp: toUnixSeconds(new Date(receivedAt)), campaignRef: answeredCampaign,
        }, {
          status: 'incoming_message', at: new Date(receivedAt),
          extra: {
            direction: 'inbound', content_kind: message.kind, content: message.contactMessage, text, postback_data: message.postbackData ?? null,
            reply_to_message_id: answered?.id ?? null, customer_id: customer.id, conversation_id: conversation.id,
            ...(inboundChannel === 'sms' ? { delivery_channel: 'sms' } : {}),
            ...(rule !== undefined ? { keyword: rule.keyword, keyword_action: rule.action } : {}),
          },
        });
        if (event !== undefined) tracked.push(event);
      }

      if (rule === undefined) return done(twoWayEnabled ? 'inbound_stored' : 'inbound_stored_two_way_disabled');
      await applyConsent(trx, customer, rule, inboundId, now.toISOString());
      if (rule.action === 'revoke_consent' && answeredCampaign !== null) {
        await deps.campaigns.count(trx, answeredCampaign, new Map([['opt_outs', 1], [`minute:${now.toISOString().slice(0, 16)}:opt_outs`, 1]]));
      }
      if (defaultProvider === null) return done(`keyword_${rule.action}_no_reply`);
      if (rule.replyText === null || rule.replyText === '') return done(`keyword_${rule.action}`);
      const sms = (await deps.config.integration(defaultProvider, trx))?.senders.sms;
      const reply = await deps.send.sendInTransaction(trx, callback.project_id, {
        channel: threadChannel, to: phone, integration_id: defaultProvider, message: { text_message: { text: rule.replyText } },
        ...(inboundChannel === 'sms' && sms !== undefined ? { channel_priority_order: ['rcs', 'sms'] as Array<'rcs' | 'sms'> } : {}),
      }, { consentExempt: true, replyToInboundId: inboundId });
      tracked.push(...reply.tracked);
      return done(`keyword_${rule.action}`, reply.row.status === 'queued' ? defaultProvider : undefined);
    },
  };
}

export type TwoWay = ReturnType<typeof createTwoWay>;
