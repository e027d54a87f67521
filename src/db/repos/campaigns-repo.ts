import type { Kysely, Updateable } from 'kysely';
import { prepareInsertMany, prepareQuery, type SqlContext } from '../prepared.ts';
import type { Database } from '../schema.ts';
import type { Executor } from './executor.ts';
import type { MessageRow } from './messages-repo.ts';

export type CampaignRow = Database['campaigns'];
export type SegmentRow = Database['segments'];
export type CampaignSkipRow = Database['campaign_skips'];

/** Campaigns, their saved segments, skipped recipients and counters (all kept incrementally). */
export function createCampaignsRepo(db: Kysely<Database>, ctx: SqlContext) {
  const dialect = ctx.dialect;
  // The fan-out's writes: a thousand rows per chunk, as SQL text (no query building per row).
  const insertMessages = prepareInsertMany(ctx, 'messages', 'on conflict do nothing');
  const insertSkips = prepareInsertMany(ctx, 'campaign_skips', 'on conflict do nothing');
  const bump = (n: number) => `insert into campaign_counters (campaign_id, key, value) values ${Array.from({ length: n }, (_, i) => `($${3 * i + 1}, $${3 * i + 2}, ${dialect === 'postgres' ? `$${3 * i + 3}::bigint` : `$${3 * i + 3}`})`).join(', ')}
    on conflict (campaign_id, key) do update set value = campaign_counters.value + excluded.value`;
  const bumps = new Map<number, ReturnType<typeof prepareQuery>>();
  const release = prepareQuery(ctx, dialect === 'sqlite'
    ? `update messages set next_attempt_at = cast($2 + (held.n - 1) * $3 as integer)
       from (select id, row_number() over (order by id) as n from messages where campaign_ref = $1 and status = 'queued' and next_attempt_at is null) as held
       where messages.id = held.id`
    : `update messages set next_attempt_at = ($2::float8 + (held.n - 1) * $3::float8)::bigint
       from (select id, row_number() over (order by id) as n from messages where campaign_ref = $1 and status = 'queued' and next_attempt_at is null) as held
       where messages.id = held.id`);

  return {
    async insert(row: CampaignRow): Promise<void> {
      await db.insertInto('campaigns').values(row).execute();
    },
    find(projectId: string, id: string, executor: Executor = db): Promise<CampaignRow | undefined> {
      return executor.selectFrom('campaigns').selectAll().where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
    },
    findById(id: string, executor: Executor = db): Promise<CampaignRow | undefined> {
      return executor.selectFrom('campaigns').selectAll().where('id', '=', id).executeTakeFirst();
    },
    /** Newest first. */
    list(projectId: string, page: { before?: string; limit: number; status?: CampaignRow['status'] }): Promise<CampaignRow[]> {
      let q = db.selectFrom('campaigns').selectAll().where('project_id', '=', projectId).orderBy('id', 'desc').limit(page.limit);
      if (page.before !== undefined) q = q.where('id', '<', page.before);
      if (page.status !== undefined) q = q.where('status', '=', page.status);
      return q.execute();
    },
    /** Changes a campaign only if it is in one of `from` (a lifecycle step); false otherwise. */
    async transition(executor: Executor, id: string, from: ReadonlyArray<CampaignRow['status']>, patch: Updateable<CampaignRow>): Promise<boolean> {
      const r = await executor.updateTable('campaigns').set(patch).where('id', '=', id).where('status', 'in', [...from]).executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },
    /** Moves the fan-out cursor from `expected` (null: start) only: two runs of one fan-out never both write a chunk. */
    async advanceFanout(executor: Executor, id: string, expected: string | null, next: { cursor: string | null; created: number; done: boolean; at: string }): Promise<boolean> {
      let q = executor.updateTable('campaigns')
        .set((eb) => ({ fanout_cursor: next.cursor, fanout_done: next.done ? 1 : 0, queued_count: eb('queued_count', '+', next.created), updated_at: next.at }))
        .where('id', '=', id).where('status', '=', 'running');
      q = expected === null ? q.where('fanout_cursor', 'is', null) : q.where('fanout_cursor', '=', expected);
      const r = await q.executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },
    async update(id: string, patch: Updateable<CampaignRow>): Promise<void> {
      await db.updateTable('campaigns').set(patch).where('id', '=', id).execute();
    },
    async remove(projectId: string, id: string): Promise<boolean> {
      const r = await db.deleteFrom('campaigns').where('project_id', '=', projectId).where('id', '=', id).where('status', '=', 'draft').executeTakeFirst();
      return r.numDeletedRows > 0n;
    },

    /** Adds to counters, in one statement; `deltas` maps a key to how much. */
    async count(executor: Executor, campaignId: string, deltas: ReadonlyMap<string, number>): Promise<void> {
      const entries = [...deltas].filter(([, n]) => n !== 0);
      for (let from = 0; from < entries.length; from += 200) {
        const part = entries.slice(from, from + 200);
        let q = bumps.get(part.length);
        if (q === undefined) {
          q = prepareQuery(ctx, bump(part.length));
          bumps.set(part.length, q);
        }
        await q.run(executor, part.flatMap(([key, n]) => [campaignId, key, n]));
      }
    },
    async counters(campaignId: string): Promise<Map<string, number>> {
      const rows = await db.selectFrom('campaign_counters').select(['key', 'value']).where('campaign_id', '=', campaignId).execute();
      return new Map(rows.map((r) => [r.key, Number(r.value)]));
    },

    async insertMessages(executor: Executor, rows: readonly MessageRow[]): Promise<void> {
      await insertMessages.run(executor, rows);
    },
    async insertSkips(executor: Executor, rows: readonly CampaignSkipRow[]): Promise<void> {
      await insertSkips.run(executor, rows);
    },
    skips(campaignId: string, page: { after?: string; limit: number; reason?: string }): Promise<CampaignSkipRow[]> {
      let q = db.selectFrom('campaign_skips').selectAll().where('campaign_id', '=', campaignId).orderBy('phone').limit(page.limit);
      if (page.after !== undefined) q = q.where('phone', '>', page.after);
      if (page.reason !== undefined) q = q.where('reason', '=', page.reason);
      return q.execute();
    },
    /** Campaign messages sent to these phones since `since` (frequency cap), by phone. */
    async recentSends(projectId: string, phones: readonly string[], since: string, executor: Executor = db): Promise<Map<string, number>> {
      if (phones.length === 0) return new Map();
      const rows = await executor.selectFrom('messages').select(['recipient', (eb) => eb.fn.countAll<number>().as('n')])
        .where('project_id', '=', projectId).where('recipient', 'in', [...phones]).where('campaign_ref', 'is not', null)
        .where('attempt_started_at', '>=', since).where('status', 'not in', ['queued', 'enqueued_failed'])
        .groupBy('recipient').execute();
      return new Map(rows.map((r) => [r.recipient, Number(r.n)]));
    },
    /** Stops the campaign's waiting messages (pause): they are no longer due; the ones being sent finish. */
    async holdMessages(executor: Executor, campaignId: string): Promise<number> {
      const r = await executor.updateTable('messages').set({ next_attempt_at: null })
        .where('campaign_ref', '=', campaignId).where('status', '=', 'queued').where('locked_by', 'is', null).where('next_attempt_at', 'is not', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows);
    },
    /** Makes held messages due again from `start`, one every `intervalMs` in their original order (resume). */
    async releaseMessages(executor: Executor, campaignId: string, start: number, intervalMs: number): Promise<number> {
      return release.count(executor, [campaignId, start, intervalMs]);
    },
    /** The campaign's queued messages not being sent, a chunk at a time (cancel). */
    waitingMessages(campaignId: string, limit: number, executor: Executor = db): Promise<MessageRow[]> {
      return executor.selectFrom('messages').selectAll().where('campaign_ref', '=', campaignId).where('status', '=', 'queued')
        .where('locked_by', 'is', null).limit(limit).execute();
    },
    /** A waiting message nobody holds becomes `enqueued_failed` (cancellation); false when it was taken or gone. */
    async failWaiting(executor: Executor, id: string, code: string, description: string, at: string): Promise<boolean> {
      const r = await executor.updateTable('messages').set({ status: 'enqueued_failed', error: code, error_description: description, next_attempt_at: null, updated_at: at })
        .where('id', '=', id).where('status', '=', 'queued').where('locked_by', 'is', null).executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },
    /** The campaign's messages in id order (export). */
    messagesPage(campaignId: string, afterId: string | null, limit: number): Promise<MessageRow[]> {
      let q = db.selectFrom('messages').selectAll().where('campaign_ref', '=', campaignId).orderBy('id').limit(limit);
      if (afterId !== null) q = q.where('id', '>', afterId);
      return q.execute();
    },
    /** The most recent campaign message to a phone since `since` (opt-outs and replies are put down to it). */
    async lastCampaignMessage(executor: Executor, projectId: string, phone: string, since: string): Promise<{ campaign_ref: string } | undefined> {
      const row = await executor.selectFrom('messages').select(['campaign_ref']).where('project_id', '=', projectId).where('recipient', '=', phone)
        .where('campaign_ref', 'is not', null).where('created_at', '>=', since).orderBy('id', 'desc').limit(1).executeTakeFirst();
      return row?.campaign_ref === null || row === undefined ? undefined : { campaign_ref: row.campaign_ref };
    },

    async insertSegment(row: SegmentRow): Promise<void> {
      await db.insertInto('segments').values(row).execute();
    },
    findSegment(projectId: string, id: string): Promise<SegmentRow | undefined> {
      return db.selectFrom('segments').selectAll().where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
    },
    listSegments(projectId: string, page: { after?: string; limit: number }): Promise<SegmentRow[]> {
      let q = db.selectFrom('segments').selectAll().where('project_id', '=', projectId).orderBy('id').limit(page.limit);
      if (page.after !== undefined) q = q.where('id', '>', page.after);
      return q.execute();
    },
    async updateSegment(projectId: string, id: string, patch: Updateable<SegmentRow>): Promise<boolean> {
      const r = await db.updateTable('segments').set(patch).where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },
    async removeSegment(projectId: string, id: string): Promise<boolean> {
      const r = await db.deleteFrom('segments').where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
      return r.numDeletedRows > 0n;
    },
  };
}

export type CampaignsRepo = ReturnType<typeof createCampaignsRepo>;
