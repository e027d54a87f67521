import type { Database } from '../schema.ts';
import type { Executor } from './executor.ts';

export type EventRow = Database['events'];

export interface EventFilters {
  event?: string;
  status?: string;
  action_type?: string;
  campaign_id?: string;
  recipient?: string;
  message_id?: string;
  /** Unix seconds, inclusive. */
  since?: number;
  /** Unix seconds, exclusive. */
  until?: number;
}

export function createEventsRepo(db: Executor) {
  return {
    /** Inserts unless an event with the same dedupe key exists; true when this call recorded it. */
    async insertOnce(executor: Executor, row: EventRow): Promise<boolean> {
      const r = await executor.insertInto('events').values(row)
        .onConflict((oc) => oc.column('dedupe_key').doNothing()).returning('id').executeTakeFirst();
      return r !== undefined;
    },
    /** Ordered by timestamp, then id; `after` is the (ts, id) of the last row seen. */
    list(projectId: string, filters: EventFilters, page: { after?: { ts: number; id: string }; limit: number }, executor: Executor = db): Promise<EventRow[]> {
      let q = executor.selectFrom('events').selectAll().where('project_id', '=', projectId).orderBy('ts').orderBy('id').limit(page.limit);
      if (filters.event !== undefined) q = q.where('event', '=', filters.event);
      if (filters.status !== undefined) q = q.where('status', '=', filters.status);
      if (filters.action_type !== undefined) q = q.where('action_type', '=', filters.action_type);
      if (filters.campaign_id !== undefined) q = q.where('campaign_id', '=', filters.campaign_id);
      if (filters.recipient !== undefined) q = q.where('recipient', '=', filters.recipient);
      if (filters.message_id !== undefined) q = q.where('message_id', '=', filters.message_id);
      if (filters.since !== undefined) q = q.where('ts', '>=', filters.since);
      if (filters.until !== undefined) q = q.where('ts', '<', filters.until);
      const after = page.after;
      if (after !== undefined) {
        q = q.where((eb) => eb.or([eb('ts', '>', after.ts), eb.and([eb('ts', '=', after.ts), eb('id', '>', after.id)])]));
      }
      return q.execute();
    },
    forMessage(messageId: string): Promise<EventRow[]> {
      return db.selectFrom('events').selectAll().where('message_id', '=', messageId).orderBy('ts').orderBy('id').execute();
    },
  };
}

export type EventsRepo = ReturnType<typeof createEventsRepo>;
