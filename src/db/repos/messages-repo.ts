import type { Updateable } from 'kysely';
import type { Database } from '../schema.ts';
import type { Executor } from './executor.ts';

export type MessageRow = Database['messages'];
export type AttemptRow = Database['message_attempts'];
export type TimelineRow = Database['message_timeline'];

export interface MessageFilters {
  status?: string;
  channel?: string;
  recipient?: string;
  campaign_id?: string;
  integration_id?: string;
}

export function createMessagesRepo(db: Executor) {
  return {
    async insert(executor: Executor, row: MessageRow): Promise<void> {
      await executor.insertInto('messages').values(row).execute();
    },
    find(id: string, executor: Executor = db): Promise<MessageRow | undefined> {
      return executor.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirst();
    },
    findInProject(projectId: string, id: string): Promise<MessageRow | undefined> {
      return db.selectFrom('messages').selectAll().where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
    },
    findByProviderId(providerMessageId: string, executor: Executor = db): Promise<MessageRow | undefined> {
      return executor.selectFrom('messages').selectAll().where('provider_message_id', '=', providerMessageId).executeTakeFirst();
    },
    /** Newest first. */
    list(projectId: string, filters: MessageFilters, page: { before?: string; limit: number }): Promise<MessageRow[]> {
      let q = db.selectFrom('messages').selectAll().where('project_id', '=', projectId).orderBy('id', 'desc').limit(page.limit);
      if (filters.status !== undefined) q = q.where('status', '=', filters.status as MessageRow['status']);
      if (filters.channel !== undefined) q = q.where('channel', '=', filters.channel as MessageRow['channel']);
      if (filters.recipient !== undefined) q = q.where('recipient', '=', filters.recipient);
      if (filters.campaign_id !== undefined) q = q.where('campaign_id', '=', filters.campaign_id);
      if (filters.integration_id !== undefined) q = q.where('integration_id', '=', filters.integration_id);
      if (page.before !== undefined) q = q.where('id', '<', page.before);
      return q.execute();
    },
    async update(executor: Executor, id: string, patch: Updateable<MessageRow>): Promise<void> {
      await executor.updateTable('messages').set(patch).where('id', '=', id).execute();
    },
    /** Moves a message out of `queued` only if it is still there; false when another run already did. */
    async updateIfQueued(executor: Executor, id: string, patch: Updateable<MessageRow>): Promise<boolean> {
      const r = await executor.updateTable('messages').set(patch).where('id', '=', id).where('status', '=', 'queued').executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },

    async insertAttempt(executor: Executor, row: AttemptRow): Promise<void> {
      await executor.insertInto('message_attempts').values(row).execute();
    },
    async finishAttempt(executor: Executor, id: string, patch: Updateable<AttemptRow>): Promise<void> {
      await executor.updateTable('message_attempts').set(patch).where('id', '=', id).execute();
    },
    attempts(messageId: string, executor: Executor = db): Promise<AttemptRow[]> {
      return executor.selectFrom('message_attempts').selectAll().where('message_id', '=', messageId).orderBy('number').execute();
    },

    async insertTimeline(executor: Executor, row: TimelineRow): Promise<void> {
      await executor.insertInto('message_timeline').values(row).execute();
    },
    timeline(messageId: string): Promise<TimelineRow[]> {
      return db.selectFrom('message_timeline').selectAll().where('message_id', '=', messageId).orderBy('at').orderBy('id').execute();
    },
  };
}

export type MessagesRepo = ReturnType<typeof createMessagesRepo>;
