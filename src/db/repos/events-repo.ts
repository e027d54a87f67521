import { sql, type SelectQueryBuilder } from 'kysely';
import { prepareQuery, type SqlContext } from '../prepared.ts';
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

/** Filters for reads by id: the single-valued filters plus sets of event names and statuses (empty: none match). */
export interface EventIdFilters extends EventFilters {
  events?: readonly string[];
  statuses?: readonly string[];
}

/**
 * Events of one message (outbound or inbound). Their dedupe keys are `msg:<message id>:<status>`, so the unique
 * dedupe index finds them: no index of their own.
 */
function whereMessage<Q extends SelectQueryBuilder<Database, 'events', object>>(query: Q, messageId: string): Q {
  return query.where('dedupe_key', '>=', `msg:${messageId}:`).where('dedupe_key', '<', `msg:${messageId};`).where('message_id', '=', messageId) as Q;
}

function applyIdFilters<Q extends SelectQueryBuilder<Database, 'events', object>>(query: Q, projectId: string, filters: EventIdFilters, afterId: string | undefined, upToId: string | undefined): Q {
  let q = query.where('project_id', '=', projectId);
  if (filters.event !== undefined) q = q.where('event', '=', filters.event);
  if (filters.status !== undefined) q = q.where('status', '=', filters.status);
  if (filters.action_type !== undefined) q = q.where('action_type', '=', filters.action_type);
  if (filters.campaign_id !== undefined) q = q.where('campaign_id', '=', filters.campaign_id);
  if (filters.recipient !== undefined) q = q.where('recipient', '=', filters.recipient);
  if (filters.message_id !== undefined) q = whereMessage(q, filters.message_id);
  if (filters.since !== undefined) q = q.where('ts', '>=', filters.since);
  if (filters.until !== undefined) q = q.where('ts', '<', filters.until);
  if (filters.events !== undefined) q = filters.events.length === 0 ? q.where(sql<boolean>`1 = 0`) : q.where('event', 'in', [...filters.events]);
  if (filters.statuses !== undefined) q = filters.statuses.length === 0 ? q.where(sql<boolean>`1 = 0`) : q.where('status', 'in', [...filters.statuses]);
  if (afterId !== undefined) q = q.where('id', '>', afterId);
  if (upToId !== undefined) q = q.where('id', '<=', upToId);
  return q as Q;
}

const eventColumns = [
  'id', 'project_id', 'event', 'ts', 'status', 'action_type', 'campaign_id', 'recipient', 'message_id', 'integration_id', 'dedupe_key',
  'properties_json', 'recorded_at',
] as const satisfies ReadonlyArray<keyof EventRow>;

export function createEventsRepo(db: Executor, ctx: SqlContext) {
  const insertOnce = prepareQuery<{ id: string }>(ctx, `insert into events (${eventColumns.join(', ')})
    values (${eventColumns.map((_, i) => `$${i + 1}`).join(', ')}) on conflict (dedupe_key) do nothing returning id`);
  return {
    /** Inserts unless an event with the same dedupe key exists; true when this call recorded it. */
    async insertOnce(executor: Executor, row: EventRow): Promise<boolean> {
      return (await insertOnce.run(executor, eventColumns.map((c) => row[c]))).length > 0;
    },
    /** Ordered by timestamp, then id; `after` is the (ts, id) of the last row seen. */
    list(projectId: string, filters: EventFilters, page: { after?: { ts: number; id: string }; limit: number }, executor: Executor = db): Promise<EventRow[]> {
      let q = applyIdFilters(executor.selectFrom('events').selectAll(), projectId, filters, undefined, undefined).orderBy('ts').orderBy('id').limit(page.limit);
      const after = page.after;
      if (after !== undefined) {
        q = q.where((eb) => eb.or([eb('ts', '>', after.ts), eb.and([eb('ts', '=', after.ts), eb('id', '>', after.id)])]));
      }
      return q.execute();
    },
    forMessage(messageId: string): Promise<EventRow[]> {
      return whereMessage(db.selectFrom('events').selectAll(), messageId).orderBy('ts').orderBy('id').execute();
    },
    /**
     * Ordered by id (ULIDs: creation time, then random within a millisecond), for forwarding and stream resume:
     * events with `afterId < id <= upToId` (either bound optional) that match the filters.
     */
    listById(projectId: string, filters: EventIdFilters, page: { afterId?: string | null; upToId?: string; limit: number }, executor: Executor = db): Promise<EventRow[]> {
      let q = applyIdFilters(executor.selectFrom('events').selectAll(), projectId, filters, page.afterId ?? undefined, page.upToId);
      q = q.orderBy('id').limit(page.limit);
      return q.execute();
    },
    /** How many events `listById` would return without a limit. */
    async countById(projectId: string, filters: EventIdFilters, range: { afterId?: string | null; upToId?: string }, executor: Executor = db): Promise<number> {
      const q = applyIdFilters(executor.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n')), projectId, filters, range.afterId ?? undefined, range.upToId);
      const row = await q.executeTakeFirst();
      return Number(row?.n ?? 0);
    },
    /** Bulk insert (imports, tests); rows whose dedupe key exists are skipped. Returns how many were recorded. */
    async insertMany(executor: Executor, rows: readonly EventRow[]): Promise<number> {
      if (rows.length === 0) return 0;
      const r = await executor.insertInto('events').values([...rows])
        .onConflict((oc) => oc.column('dedupe_key').doNothing()).returning('id').execute();
      return r.length;
    },
  };
}

export type EventsRepo = ReturnType<typeof createEventsRepo>;
