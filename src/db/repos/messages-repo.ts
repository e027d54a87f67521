import type { Kysely, Updateable } from 'kysely';
import { prepareQuery, type SqlContext } from '../prepared.ts';
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

/** A message a worker just took to hand to Sinch, with what the send policy needs to know of its customer. */
export interface ClaimedMessage {
  id: string;
  project_id: string;
  integration_id: string;
  channel: MessageRow['channel'];
  recipient: string;
  sender: string | null;
  campaign_id: string | null;
  content_kind: string;
  content_json: string;
  options_json: string;
  consent_exempt: number;
  /** 1 for the first attempt. */
  attempt_count: number;
  sent_ts: number | null;
  /** The start of an earlier attempt cut off by a crash (the message was still held by a worker that died). */
  interrupted_at: string | null;
  /** The campaign that created it (null for API sends and replies). */
  campaign_ref: string | null;
  /**
   * The customer as JSON, `[consent_whatsapp, consent_rcs, consent_sms, last_inbound_whatsapp_at, id, tags, time_zone,
   * attributes_json]` (attributes for campaign messages only), or null when the phone is no customer yet.
   */
  customer_json: string | null;
  /** Campaign messages only: `"<last day>,<last week>"`, campaign messages the customer was sent lately (frequency cap). */
  recent_sends: string | null;
}

/**
 * Campaign messages to one customer claimed together: each counts the ones before it (in id order) as sent lately,
 * so the frequency cap lets through only as many as it allows. In-flight messages count before Sinch accepted them:
 * should one then fail, the other was refused by the cap already (never one too many, sometimes one too few).
 */
function countClaimedTogether(rows: ClaimedMessage[]): ClaimedMessage[] {
  const campaignRows = rows.filter((r) => r.campaign_ref !== null);
  if (campaignRows.length < 2) return rows;
  const before = new Map<string, number>();
  for (const row of campaignRows.sort((a, b) => (a.id < b.id ? -1 : 1))) {
    const key = `${row.project_id}\u0000${row.recipient}`;
    const earlier = before.get(key) ?? 0;
    before.set(key, earlier + 1);
    if (earlier === 0) continue;
    const [day, week] = (row.recent_sends ?? '0,0').split(',').map((n) => Number(n) || 0);
    row.recent_sends = `${(day ?? 0) + earlier},${(week ?? 0) + earlier}`;
  }
  return rows;
}

/** The fields of a message its events are built from. */
export interface MessageSubjectRow {
  id: string;
  project_id: string;
  integration_id: string;
  channel: MessageRow['channel'];
  campaign_id: string | null;
  recipient: string;
  sender: string | null;
  /** `MessageOptions` as JSON (the SMS fallback sender). */
  options_json: string;
  sent_ts: number | null;
  campaign_ref: string | null;
}

/** A delivery report as the status machine needs it (see domain/statuses.ts: ranks and final statuses). */
export interface ReportPatch {
  /** Rank of the reported status (`statusRank`); -1 for reports that are not a status (switching channel, unknown). */
  rank: number;
  status: string;
  failure: { code: string; description: string } | undefined;
  channel: string | null;
  providerMessageId: string | null;
  at: string;
}

const messageColumns = [
  'id', 'project_id', 'integration_id', 'channel', 'recipient', 'sender', 'campaign_id', 'content_kind', 'content_json', 'options_json',
  'status', 'provider_message_id', 'error', 'error_description', 'possible_duplicate', 'attempt_count', 'current_channel', 'created_at',
  'updated_at', 'sent_ts', 'consent_exempt', 'reply_to_inbound_id', 'priority', 'next_attempt_at', 'locked_by', 'attempt_started_at', 'interrupted_at', 'campaign_ref', 'send_at',
] as const satisfies ReadonlyArray<keyof MessageRow>;

const attemptColumns = [
  'id', 'message_id', 'number', 'started_at', 'finished_at', 'outcome', 'http_status', 'error_code', 'error_message', 'retry_in_ms',
] as const satisfies ReadonlyArray<keyof AttemptRow>;

const placeholders = (n: number, from = 1) => Array.from({ length: n }, (_, i) => `$${i + from}`).join(', ');

/**
 * `rank(status)` as SQL, from the ranks of domain/statuses.ts (passed in so the repo holds no status rules).
 * Final statuses are never left, whatever their rank.
 */
export function createMessagesRepo(db: Kysely<Database>, ctx: SqlContext, statusRanks: Readonly<Record<string, number>>, finalStatuses: readonly string[]) {
  const dialect = ctx.dialect;
  const rankSql = `(case status ${Object.entries(statusRanks).map(([s, r]) => `when '${s}' then ${r}`).join(' ')} else 0 end)`;
  const finalSql = `status in (${finalStatuses.map((s) => `'${s}'`).join(', ')})`;
  const advances = `not ${finalSql} and ${rankSql} < $2`;
  const skipLocked = dialect === 'postgres' ? 'for update skip locked' : '';
  const subjectColumns = 'id, project_id, integration_id, channel, campaign_id, recipient, sender, options_json, sent_ts, campaign_ref';
  const customerJson = dialect === 'sqlite'
    ? `json_array(c.consent_whatsapp, c.consent_rcs, c.consent_sms, c.last_inbound_whatsapp_at, c.id, c.tags, c.time_zone,
         case when messages.campaign_ref is null then null else c.attributes_json end)`
    : `json_build_array(c.consent_whatsapp, c.consent_rcs, c.consent_sms, c.last_inbound_whatsapp_at, c.id, c.tags, c.time_zone,
         case when messages.campaign_ref is null then null else c.attributes_json end)::text`;

  const insert = prepareQuery(ctx, `insert into messages (${messageColumns.join(', ')}) values (${placeholders(messageColumns.length)})`);
  const insertAttempt = prepareQuery(ctx, `insert into message_attempts (${attemptColumns.join(', ')}) values (${placeholders(attemptColumns.length)})`);
  // Each lane is read by its own index range (integration, priority, due time), so a lane whose messages are all
  // due later (a scheduled campaign) costs nothing; then the oldest of the three short lists go first.
  const lane = (p: number) => `p${p} as (select id, ${p} as p, next_attempt_at from messages
    where integration_id = $4 and priority = ${p} and next_attempt_at is not null and next_attempt_at <= $5
    order by next_attempt_at limit $6 ${skipLocked})`;
  // recent_sends counts the customer's campaign messages handed to Sinch lately or on their way there now (held by
  // a worker), except this claim's own: those are counted in claimDue, in id order, so that two messages to one
  // customer claimed together do not both pass the frequency cap (whatever each database lets a statement's
  // subqueries see of its own changes).
  const claim = prepareQuery<ClaimedMessage>(ctx, `
    with ${[0, 1, 2].map(lane).join(', ')},
    batch as materialized (
      select id from (select * from p0 union all select * from p1 union all select * from p2) as due
      order by p, next_attempt_at limit $6)
    update messages set locked_by = $1, next_attempt_at = $2, attempt_count = attempt_count + 1, attempt_started_at = $3,
      interrupted_at = case when locked_by is null then null else attempt_started_at end,
      possible_duplicate = case when locked_by is null then possible_duplicate else 1 end
    where id in (select id from batch)
    returning id, project_id, integration_id, channel, recipient, sender, campaign_id, content_kind, content_json, options_json,
      consent_exempt, attempt_count, sent_ts, interrupted_at, campaign_ref,
      (select ${customerJson} from customers c where c.project_id = messages.project_id and c.phone = messages.recipient) as customer_json,
      case when messages.campaign_ref is null then null else (
        select sum(case when m2.attempt_started_at >= $7 then 1 else 0 end) || ',' || count(*) from messages m2
        where m2.project_id = messages.project_id and m2.recipient = messages.recipient and m2.campaign_ref is not null and m2.id != messages.id
          and m2.attempt_started_at >= $8 and (m2.status not in ('queued', 'enqueued_failed') or m2.locked_by is not null)
          and m2.id not in (select id from batch)) end as recent_sends`);
  const accepted = prepareQuery(ctx, `
    update messages set status = case when status in ('queued', 'enqueued_failed') then 'enqueued' else status end,
      provider_message_id = $3, sent_ts = $4, updated_at = $5, locked_by = null, next_attempt_at = null, content_json = coalesce($6, content_json)
    where id = $1 and locked_by = $2`);
  const deferred = prepareQuery(ctx, `
    update messages set locked_by = null, next_attempt_at = case when status = 'queued' then cast($3 as bigint) else null end,
      attempt_count = attempt_count - 1, updated_at = $4, send_at = $5
    where id = $1 and locked_by = $2`);
  const retry = prepareQuery(ctx, `
    update messages set locked_by = null, next_attempt_at = case when status = 'queued' then cast($3 as bigint) else null end, updated_at = $4
    where id = $1 and locked_by = $2`);
  const failed = prepareQuery<{ status: string }>(ctx, `
    update messages set status = case when status = 'queued' then 'enqueued_failed' else status end,
      error = case when status = 'queued' then $3 else error end,
      error_description = case when status = 'queued' then $4 else error_description end,
      updated_at = $5, locked_by = null, next_attempt_at = null
    where id = $1 and locked_by = $2
    returning status`);
  // Sinch's id is not in the SET list: assigning an indexed column, even its own value, makes SQLite rewrite the
  // index entry (a random page of messages_provider_id per report: half the log written by a report's commit, see
  // BENCHMARKS.md). The rare report that comes before our record of Sinch's answer sets it apart (setProviderId).
  const reportSet = `
    status = case when ${advances} then $3 else status end,
    error = case when ${advances} and $4 = 1 then $5 else error end,
    error_description = case when ${advances} and $4 = 1 then $6 else error_description end,
    current_channel = coalesce($7, current_channel),
    next_attempt_at = case when locked_by is null then null else next_attempt_at end,
    updated_at = $8`;
  type Reported = MessageSubjectRow & { provider_message_id: string | null };
  const reportById = prepareQuery<Reported>(ctx, `update messages set ${reportSet} where id = $1 and integration_id = $9 returning ${subjectColumns}, provider_message_id`);
  const reportByProviderId = prepareQuery<Reported>(ctx, `update messages set ${reportSet} where provider_message_id = $1 and integration_id = $9 returning ${subjectColumns}, provider_message_id`);
  const setProviderId = prepareQuery(ctx, `update messages set provider_message_id = $2 where id = $1 and provider_message_id is null`);
  // Every integration with messages to send (a skip scan of the due index: one seek per integration), and when its
  // next one is due in each lane.
  const due = prepareQuery<{ integration_id: string; p0: number | null; p1: number | null; p2: number | null }>(ctx, `
    with recursive ids(i) as (
      select min(integration_id) from messages where next_attempt_at is not null
      union all
      select (select min(integration_id) from messages where next_attempt_at is not null and integration_id > ids.i) from ids where ids.i is not null)
    select i as integration_id,
      ${[0, 1, 2].map((p) => `(select min(next_attempt_at) from messages where integration_id = ids.i and priority = ${p} and next_attempt_at is not null) as p${p}`).join(',\n      ')}
    from ids where i is not null`);
  const pending = prepareQuery<{ n: number }>(ctx, `
    select count(*) as n from (select 1 from messages where integration_id = $1 and priority = $2 and next_attempt_at is not null limit $3) as waiting`);

  const valuesOf = <K extends string>(row: Record<K, unknown>, columns: readonly K[]) => columns.map((c) => row[c]);
  const reportParams = (key: string, integrationId: string, patch: ReportPatch) => [
    key, patch.rank, patch.status, patch.failure === undefined ? 0 : 1, patch.failure?.code ?? null, patch.failure?.description ?? null,
    patch.channel, patch.at, integrationId,
  ];

  return {
    async insert(executor: Executor, row: MessageRow): Promise<void> {
      await insert.run(executor, valuesOf(row, messageColumns));
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
    /** The message an inbound answers: by our id (Sinch's metadata) within the project, else by Sinch's id. */
    async findAnswered(executor: Executor, projectId: string, integrationId: string, ids: { messageId?: string | undefined; providerMessageId?: string | undefined }): Promise<MessageRow | undefined> {
      if (ids.messageId !== undefined) {
        const row = await executor.selectFrom('messages').selectAll().where('id', '=', ids.messageId).where('project_id', '=', projectId).executeTakeFirst();
        if (row !== undefined) return row;
      }
      if (ids.providerMessageId === undefined) return undefined;
      return executor.selectFrom('messages').selectAll().where('provider_message_id', '=', ids.providerMessageId)
        .where('integration_id', '=', integrationId).executeTakeFirst();
    },
    /** The newest `limit` messages to a phone on a channel (a conversation's outbound side), newest first. */
    ofThread(projectId: string, phone: string, channel: MessageRow['channel'], limit: number): Promise<MessageRow[]> {
      return db.selectFrom('messages').selectAll().where('project_id', '=', projectId).where('recipient', '=', phone)
        .where('channel', '=', channel).orderBy('id', 'desc').limit(limit).execute();
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

    /**
     * Takes up to `limit` due messages of one integration for `workerId` (replies first, then API sends, then bulk,
     * each oldest first) and records the attempt as started: the lease runs until `leaseUntil`. A message still
     * held by another worker whose lease ran out had an attempt cut off: it is flagged as a possible duplicate.
     */
    async claimDue(executor: Executor, integrationId: string, limit: number, workerId: string, leaseUntil: number, now: number): Promise<ClaimedMessage[]> {
      const rows = await claim.run(executor, [workerId, leaseUntil, new Date(now).toISOString(), integrationId, now, limit,
        new Date(now - 86_400_000).toISOString(), new Date(now - 7 * 86_400_000).toISOString()]);
      return countClaimedTogether(rows);
    },
    /** Extends the leases of these messages while this worker still holds them; returns how many. */
    async extendLeases(workerId: string, ids: readonly string[], until: number): Promise<number> {
      if (ids.length === 0) return 0;
      const r = await db.updateTable('messages').set({ next_attempt_at: until })
        .where('id', 'in', [...ids]).where('locked_by', '=', workerId).executeTakeFirst();
      return Number(r.numUpdatedRows);
    },
    /**
     * Sinch accepted it (`content`: what was sent, when it was personalised at send time). False when this worker no
     * longer holds the message (its lease ran out).
     */
    async recordAccepted(executor: Executor, id: string, workerId: string, providerMessageId: string, sentTs: number, at: string, content: string | null = null): Promise<boolean> {
      return (await accepted.count(executor, [id, workerId, providerMessageId, sentTs, at, content])) > 0;
    },
    /** Not now (quiet hours): due again at `at`, and the claim's attempt does not count. False when the lease was lost. */
    async recordDeferred(executor: Executor, id: string, workerId: string, dueAt: number, at: string): Promise<boolean> {
      return (await deferred.count(executor, [id, workerId, dueAt, at, new Date(dueAt).toISOString()])) > 0;
    },
    /** Try again at `nextAttemptAt` (unless a report showed Sinch has it). False when the lease was lost. */
    async recordRetry(executor: Executor, id: string, workerId: string, nextAttemptAt: number, at: string): Promise<boolean> {
      return (await retry.count(executor, [id, workerId, nextAttemptAt, at])) > 0;
    },
    /**
     * Could not be handed to Sinch: `enqueued_failed` with the reason, if it is still queued. `held` false when the
     * lease was lost; `failed` true when the status changed here.
     */
    async recordFailed(executor: Executor, id: string, workerId: string, code: string, description: string, at: string): Promise<{ held: boolean; failed: boolean }> {
      const rows = await failed.run(executor, [id, workerId, code, description, at]);
      return { held: rows.length > 0, failed: rows[0]?.status === 'enqueued_failed' };
    },
    /**
     * Applies a delivery report to the message with our id `messageId` (from Sinch's metadata) or else Sinch's
     * `providerMessageId`: the status moves only forward, a failure sets the error when it becomes the status, a
     * pending retry is cancelled (Sinch has the message). Returns the message, or undefined when unknown.
     */
    async applyReport(executor: Executor, integrationId: string, ids: { messageId?: string | undefined; providerMessageId?: string | undefined }, patch: ReportPatch): Promise<MessageSubjectRow | undefined> {
      if (ids.messageId !== undefined) {
        const row = (await reportById.run(executor, reportParams(ids.messageId, integrationId, patch)))[0];
        if (row !== undefined) {
          if (row.provider_message_id === null && patch.providerMessageId !== null) await setProviderId.count(executor, [row.id, patch.providerMessageId]);
          return row;
        }
      }
      if (ids.providerMessageId === undefined) return undefined;
      return (await reportByProviderId.run(executor, reportParams(ids.providerMessageId, integrationId, patch)))[0];
    },
    /** Each integration with messages to send, and when its next one is due (or its earliest lease runs out), epoch ms. */
    async dueIntegrations(): Promise<Array<{ integrationId: string; dueAt: number }>> {
      const rows = await due.run(db, []);
      return rows.map((row) => ({
        integrationId: row.integration_id,
        dueAt: Math.min(...[row.p0, row.p1, row.p2].filter((t): t is number => t !== null).map(Number)),
      }));
    },
    /** Messages of one integration and lane still to be sent, counting at most `upTo`. */
    async countPending(integrationId: string, priority: number, upTo: number): Promise<number> {
      return Number((await pending.run(db, [integrationId, priority, upTo]))[0]?.n ?? 0);
    },

    async insertAttempt(executor: Executor, row: AttemptRow): Promise<void> {
      await insertAttempt.run(executor, valuesOf(row, attemptColumns));
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
