import type { Database } from '../schema.ts';
import type { Executor } from './executor.ts';

export type EventDestinationRow = Database['event_destinations'];

export type DestinationPatch = Partial<Pick<EventDestinationRow, 'name' | 'url' | 'events_json' | 'statuses_json' | 'secret_enc' | 'batch_size' | 'enabled'
  | 'previous_secret_enc' | 'previous_secret_until' | 'paused_reason' | 'paused_at'>>;

export function createEventDestinationsRepo(db: Executor) {
  return {
    async insert(row: EventDestinationRow, executor: Executor = db): Promise<void> {
      await executor.insertInto('event_destinations').values(row).execute();
    },
    find(projectId: string, id: string): Promise<EventDestinationRow | undefined> {
      return db.selectFrom('event_destinations').selectAll().where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
    },
    findById(id: string): Promise<EventDestinationRow | undefined> {
      return db.selectFrom('event_destinations').selectAll().where('id', '=', id).executeTakeFirst();
    },
    /** Oldest first; `after` is the last id seen. */
    list(projectId: string, page: { after?: string | undefined; limit: number }): Promise<EventDestinationRow[]> {
      let q = db.selectFrom('event_destinations').selectAll().where('project_id', '=', projectId).orderBy('id').limit(page.limit);
      if (page.after !== undefined) q = q.where('id', '>', page.after);
      return q.execute();
    },
    /** Ids of the enabled destinations of a project (forwarding wake-ups). */
    async enabledIds(projectId: string): Promise<string[]> {
      const rows = await db.selectFrom('event_destinations').select('id').where('project_id', '=', projectId).where('enabled', '=', 1).execute();
      return rows.map((r) => r.id);
    },
    async update(projectId: string, id: string, patch: DestinationPatch, updatedAt: string): Promise<boolean> {
      const r = await db.updateTable('event_destinations').set({ ...patch, updated_at: updatedAt })
        .where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    async remove(projectId: string, id: string): Promise<boolean> {
      const r = await db.deleteFrom('event_destinations').where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },

    /**
     * A batch was accepted: the cursor moves to its last event, the failure count resets. Only applies when the
     * cursor is still where the batch started (a second runner after a lost lease cannot move it twice).
     */
    async recordSuccess(id: string, from: string | null, to: string, count: number, at: string): Promise<boolean> {
      let q = db.updateTable('event_destinations').set((eb) => ({
        cursor_id: to, inflight_last_id: null, forwarded_count: eb('forwarded_count', '+', count), consecutive_failures: 0,
        last_attempt_at: at, last_success_at: at, next_attempt_at: null, failing_since: null,
      })).where('id', '=', id);
      q = from === null ? q.where('cursor_id', 'is', null) : q.where('cursor_id', '=', from);
      const r = await q.executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    /**
     * A batch failed: remember its end so the retry sends exactly the same events, and why it failed; the first
     * failure after a success starts `failing_since`. With `pause`, the destination is also disabled, with its reason.
     */
    async recordFailure(id: string, failure: {
      inflightLastId: string; error: string; statusCode: number | null; at: string; nextAttemptAt: string;
      failingSince: string; pause?: { reason: string } | undefined;
    }): Promise<void> {
      await db.updateTable('event_destinations').set((eb) => ({
        inflight_last_id: failure.inflightLastId, consecutive_failures: eb('consecutive_failures', '+', 1),
        last_attempt_at: failure.at, last_error: failure.error.slice(0, 1000), last_error_at: failure.at,
        last_status_code: failure.statusCode, next_attempt_at: failure.nextAttemptAt, failing_since: failure.failingSince,
        ...(failure.pause !== undefined ? { enabled: 0, paused_reason: failure.pause.reason.slice(0, 1000), paused_at: failure.at } : {}),
      })).where('id', '=', id).execute();
    },
    /** Nothing matched up to `to` (all settled events seen): move the cursor there so later reads start later. */
    async advanceIdle(id: string, from: string | null, to: string): Promise<void> {
      let q = db.updateTable('event_destinations').set({ cursor_id: to }).where('id', '=', id).where('inflight_last_id', 'is', null);
      q = from === null ? q.where('cursor_id', 'is', null) : q.where('cursor_id', '=', from);
      await q.execute();
    },
    /** Forget the backoff and the run of failures (new URL or secret, re-enabled): the next run tries at once. */
    async resetBackoff(id: string): Promise<void> {
      await db.updateTable('event_destinations').set({ consecutive_failures: 0, next_attempt_at: null, failing_since: null }).where('id', '=', id).execute();
    },
    /** Drops the destination's forwarding job unless a worker is running it. */
    async deleteIdleJob(key: string): Promise<void> {
      await db.deleteFrom('jobs').where('key', '=', key).where('locked_by', 'is', null).execute();
    },
    async clearInflight(id: string): Promise<void> {
      await db.updateTable('event_destinations').set({ inflight_last_id: null }).where('id', '=', id).execute();
    },

    /**
     * Brings a waiting forwarding job forward to `runAt` (new events), unless it is running or backing off after a
     * failure (its destination has failures), or already due sooner.
     */
    async wakeJob(key: string, destinationId: string, runAt: number): Promise<void> {
      await db.updateTable('jobs').set({ run_at: runAt })
        .where('key', '=', key).where('dead', '=', 0).where('locked_by', 'is', null).where('run_at', '>', runAt)
        .where((eb) => eb.exists(eb.selectFrom('event_destinations').select('id')
          .where('event_destinations.id', '=', destinationId).where('event_destinations.consecutive_failures', '=', 0)))
        .execute();
    },
  };
}

export type EventDestinationsRepo = ReturnType<typeof createEventDestinationsRepo>;
