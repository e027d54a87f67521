import type { Database } from '../schema.ts';
import type { Executor } from './executor.ts';

export type ConversationRow = Database['conversations'];
export type InboundRow = Database['inbound_messages'];
export type KeywordRuleRow = Database['keyword_rules'];

export function createConversationsRepo(db: Executor) {
  const withCustomer = (projectId: string) => db.selectFrom('conversations').innerJoin('customers', 'customers.id', 'conversations.customer_id')
    .selectAll('conversations').select(['customers.phone as phone', 'customers.last_inbound_whatsapp_at as last_inbound_whatsapp_at'])
    .where('conversations.project_id', '=', projectId);
  return {
    /** The thread of a customer on a channel, created on first use. */
    async ensure(executor: Executor, row: ConversationRow): Promise<ConversationRow> {
      await executor.insertInto('conversations').values(row)
        .onConflict((oc) => oc.columns(['project_id', 'customer_id', 'channel']).doNothing()).execute();
      const found = await executor.selectFrom('conversations').selectAll()
        .where('project_id', '=', row.project_id).where('customer_id', '=', row.customer_id).where('channel', '=', row.channel).executeTakeFirst();
      if (found === undefined) throw new Error('conversation vanished after insert');
      return found;
    },
    find(projectId: string, id: string): Promise<ConversationRow | undefined> {
      return db.selectFrom('conversations').selectAll().where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
    },
    /** An outbound message to this phone on this channel moves its thread (if there is one) up the list. */
    async touchByPhone(executor: Executor, projectId: string, phone: string, channel: ConversationRow['channel'], at: string): Promise<void> {
      await executor.updateTable('conversations').set({ last_message_at: at })
        .where('project_id', '=', projectId).where('channel', '=', channel).where('last_message_at', '<', at)
        .where('customer_id', '=', (eb) => eb.selectFrom('customers').select('id').where('project_id', '=', projectId).where('phone', '=', phone))
        .execute();
    },
    async recordInbound(executor: Executor, id: string, at: string): Promise<void> {
      await executor.updateTable('conversations')
        .set((eb) => ({ unread_count: eb('unread_count', '+', 1), last_inbound_at: at, last_message_at: at }))
        .where('id', '=', id).execute();
    },
    async markRead(id: string): Promise<void> {
      await db.updateTable('conversations').set({ unread_count: 0 }).where('id', '=', id).execute();
    },
    /** One conversation with its customer's phone and WhatsApp window. */
    findWithCustomer(projectId: string, id: string) {
      return withCustomer(projectId).where('conversations.id', '=', id).executeTakeFirst();
    },
    list(projectId: string, filters: { channel?: 'whatsapp' | 'rcs'; unread?: boolean; customer_id?: string }, page: { before?: { at: string; id: string }; limit: number }) {
      let q = withCustomer(projectId)
        .orderBy('conversations.last_message_at', 'desc').orderBy('conversations.id', 'desc').limit(page.limit);
      if (filters.channel !== undefined) q = q.where('conversations.channel', '=', filters.channel);
      if (filters.unread === true) q = q.where('conversations.unread_count', '>', 0);
      if (filters.customer_id !== undefined) q = q.where('conversations.customer_id', '=', filters.customer_id);
      const before = page.before;
      if (before !== undefined) {
        q = q.where((eb) => eb.or([eb('conversations.last_message_at', '<', before.at),
          eb.and([eb('conversations.last_message_at', '=', before.at), eb('conversations.id', '<', before.id)])]));
      }
      return q.execute();
    },

    /** True when stored; false for a message already received (Sinch repeated it). */
    async insertInbound(executor: Executor, row: InboundRow): Promise<boolean> {
      const r = await executor.insertInto('inbound_messages').values(row)
        .onConflict((oc) => oc.columns(['integration_id', 'provider_message_id']).doNothing()).returning('id').executeTakeFirst();
      return r !== undefined;
    },
    inboundOf(conversationId: string, limit: number): Promise<InboundRow[]> {
      return db.selectFrom('inbound_messages').selectAll().where('conversation_id', '=', conversationId)
        .orderBy('received_at', 'desc').limit(limit).execute();
    },
    findInbound(projectId: string, id: string): Promise<InboundRow | undefined> {
      return db.selectFrom('inbound_messages').selectAll().where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
    },

    keywordRules(projectId: string, executor: Executor = db): Promise<KeywordRuleRow[]> {
      return executor.selectFrom('keyword_rules').selectAll().where('project_id', '=', projectId).orderBy('channel_group').orderBy('keyword').execute();
    },
    /** For the API: by channel group, then keyword; `after` is the (group, keyword) of the last rule seen. */
    keywordRulesPage(projectId: string, group: KeywordRuleRow['channel_group'] | undefined, page: { after?: { group: KeywordRuleRow['channel_group']; keyword: string }; limit: number }): Promise<KeywordRuleRow[]> {
      let q = db.selectFrom('keyword_rules').selectAll().where('project_id', '=', projectId);
      if (group !== undefined) q = q.where('channel_group', '=', group);
      const after = page.after;
      if (after !== undefined) {
        q = q.where((eb) => eb.or([eb('channel_group', '>', after.group), eb.and([eb('channel_group', '=', after.group), eb('keyword', '>', after.keyword)])]));
      }
      return q.orderBy('channel_group').orderBy('keyword').limit(page.limit).execute();
    },
    findRule(projectId: string, id: string): Promise<KeywordRuleRow | undefined> {
      return db.selectFrom('keyword_rules').selectAll().where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
    },
    async insertRule(row: KeywordRuleRow): Promise<void> {
      await db.insertInto('keyword_rules').values(row).execute();
    },
    async updateRule(projectId: string, id: string, patch: Partial<KeywordRuleRow>): Promise<void> {
      await db.updateTable('keyword_rules').set(patch).where('project_id', '=', projectId).where('id', '=', id).execute();
    },
    async deleteRule(projectId: string, id: string): Promise<boolean> {
      const r = await db.deleteFrom('keyword_rules').where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
      return r.numDeletedRows > 0n;
    },
  };
}

export type ConversationsRepo = ReturnType<typeof createConversationsRepo>;
