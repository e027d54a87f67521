import { notFound } from '../lib/app-error.ts';
import { decodeCursor, encodeCursor, pairKey, parsePairKey, type Page } from '../lib/pagination.ts';
import type { Clock } from '../lib/time.ts';
import type { MessagesRepo } from '../db/repos/messages-repo.ts';
import type { ConversationsRepo, ConversationRow } from '../db/repos/conversations-repo.ts';
import { whatsappWindow } from '../domain/keywords.ts';
import type { AppMessage } from '../domain/app-message.ts';
import type { MessagesService, MessageView } from './messages.ts';

export interface ConversationView {
  id: string;
  customer_id: string;
  phone: string;
  channel: 'whatsapp' | 'rcs';
  unread_count: number;
  last_message_at: string;
  last_inbound_at: string | null;
  whatsapp_window: { open: boolean; closes_at: string | null } | null;
  created_at: string;
}

export type ThreadItem =
  | { direction: 'inbound'; id: string; at: string; channel: string; kind: string; text: string | null; content: Record<string, unknown>; postback_data: string | null; reply_to_message_id: string | null; campaign_id: string | null; keyword_rule_id: string | null }
  | { direction: 'outbound'; id: string; at: string; channel: string; kind: string; status: string; error: string | null; message: Record<string, unknown>; campaign_id: string | null };

function toView(row: ConversationRow & { phone: string; last_inbound_whatsapp_at: string | null }, now: Date): ConversationView {
  const window = row.channel === 'whatsapp'
    ? whatsappWindow(row.last_inbound_whatsapp_at === null ? null : new Date(row.last_inbound_whatsapp_at), now) : null;
  return {
    id: row.id, customer_id: row.customer_id, phone: row.phone, channel: row.channel, unread_count: row.unread_count,
    last_message_at: row.last_message_at, last_inbound_at: row.last_inbound_at,
    whatsapp_window: window === null ? null : { open: window.open, closes_at: window.closesAt?.toISOString() ?? null },
    created_at: row.created_at,
  };
}

/** Threads per customer and channel: inbound and outbound in order, unread counts, replies through the send pipeline. */
export function createConversationsService(deps: {
  conversations: ConversationsRepo;
  messages: Pick<MessagesRepo, 'ofThread'>;
  send: Pick<MessagesService, 'accept'>;
  clock: Clock;
}) {
  async function requireOne(projectId: string, id: string) {
    const row = await deps.conversations.findWithCustomer(projectId, id);
    if (row === undefined) throw notFound('conversation');
    return row;
  }

  return {
    async list(projectId: string, filters: { channel?: 'whatsapp' | 'rcs'; unread?: boolean; customer_id?: string }, page: { limit: number; cursor?: string }): Promise<Page<ConversationView>> {
      const key = parsePairKey(decodeCursor(page.cursor));
      const before = key === undefined ? undefined : { at: key[0], id: key[1] };
      const rows = await deps.conversations.list(projectId, filters, { ...(before !== undefined ? { before } : {}), limit: page.limit + 1 });
      const more = rows.length > page.limit;
      const pageRows = more ? rows.slice(0, page.limit) : rows;
      const last = pageRows.at(-1);
      const now = deps.clock.now();
      return {
        data: pageRows.map((r) => toView(r, now)),
        next_cursor: more && last !== undefined ? encodeCursor(pairKey(last.last_message_at, last.id)) : null,
      };
    },

    /** The thread, newest `limit` items in chronological order. */
    async get(projectId: string, id: string, limit: number): Promise<ConversationView & { items: ThreadItem[] }> {
      const row = await requireOne(projectId, id);
      const [inbound, outbound] = await Promise.all([
        deps.conversations.inboundOf(id, limit),
        deps.messages.ofThread(projectId, row.phone, row.channel, limit),
      ]);
      const items: ThreadItem[] = [
        ...inbound.map((m): ThreadItem => ({
          direction: 'inbound', id: m.id, at: m.received_at, channel: m.channel, kind: m.kind, text: m.text,
          content: JSON.parse(m.content_json) as Record<string, unknown>, postback_data: m.postback_data,
          reply_to_message_id: m.reply_to_message_id, campaign_id: m.campaign_id, keyword_rule_id: m.keyword_rule_id,
        })),
        ...outbound.map((m): ThreadItem => ({
          direction: 'outbound', id: m.id, at: m.created_at, channel: m.current_channel ?? m.channel, kind: m.content_kind, status: m.status,
          error: m.error, message: JSON.parse(m.content_json) as Record<string, unknown>, campaign_id: m.campaign_id,
        })),
      ].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0)).slice(-limit);
      return { ...toView(row, deps.clock.now()), items };
    },

    async markRead(projectId: string, id: string): Promise<ConversationView> {
      await requireOne(projectId, id);
      await deps.conversations.markRead(id);
      return toView(await requireOne(projectId, id), deps.clock.now());
    },

    /** A reply typed in the thread: an ordinary send to the customer on the thread's channel. */
    async reply(projectId: string, id: string, input: { message: AppMessage; integration_id?: string }, idempotencyKey: string | undefined): Promise<{ status: number; body: MessageView }> {
      const row = await requireOne(projectId, id);
      const result = await deps.send.accept(projectId, {
        channel: row.channel, to: row.phone, message: input.message, ...(input.integration_id !== undefined ? { integration_id: input.integration_id } : {}),
      }, idempotencyKey, 'reply');
      return result; // the send itself moves the thread up (messages.commit); a reply goes ahead of bulk sends
    },
  };
}

export type ConversationsService = ReturnType<typeof createConversationsService>;
