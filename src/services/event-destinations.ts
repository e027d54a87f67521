import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { EventDestinationRow, EventDestinationsRepo, DestinationPatch } from '../db/repos/event-destinations-repo.ts';
import type { EventsRepo } from '../db/repos/events-repo.ts';
import type { Database } from '../db/schema.ts';
import type { JobsRepo } from '../db/repos/jobs-repo.ts';
import { destinationFilters, forwardEventsJob, forwardJobKey } from './forward-events.ts';
import { invalidField, notFound } from '../lib/app-error.ts';
import { createId } from '../lib/ids.ts';
import { decodeCursor, encodeCursor, type Page } from '../lib/pagination.ts';
import type { NetworkGuard } from '../lib/network-guard.ts';
import type { SecretBox } from '../lib/secret-box.ts';
import type { Clock } from '../lib/time.ts';
import { eventIdFloor } from './events.ts';
import type { TrackedEvent } from './track-event.ts';

export interface DestinationInput {
  name: string;
  url: string;
  events?: string[] | null | undefined;
  statuses?: string[] | null | undefined;
  secret?: string | undefined;
  batch_size?: number | undefined;
  enabled?: boolean | undefined;
  start_from?: 'now' | 'beginning' | undefined;
}

export type DestinationPatchInput = Partial<Omit<DestinationInput, 'start_from'>>;

export interface DestinationView {
  id: string;
  name: string;
  url: string;
  events: string[] | null;
  statuses: string[] | null;
  batch_size: number;
  enabled: boolean;
  secret_set: true;
  /** After a secret change, requests are also signed with the previous secret until this time; null: only the current one. */
  previous_secret_expires_at: string | null;
  created_at: string;
  updated_at: string;
  delivery: {
    state: 'paused' | 'idle' | 'pending' | 'retrying';
    cursor: string | null;
    lag: number;
    forwarded_count: number;
    last_attempt_at: string | null;
    last_success_at: string | null;
    last_error: string | null;
    last_error_at: string | null;
    last_status_code: number | null;
    consecutive_failures: number;
    next_attempt_at: string | null;
    /** When the current run of failures began; null when the last batch was accepted. */
    failing_since: string | null;
    /** Why the service paused it (failing too long); null when it is not paused or was paused by a person. */
    paused_reason: string | null;
    paused_at: string | null;
  };
}

const localHosts = new Set(['localhost', '127.0.0.1', '[::1]']);
const secretPattern = /^whsec_[A-Za-z0-9+/]{32,}={0,2}$/;
/** Effectively unlimited: the job only ends when its destination is deleted or paused. */
const foreverAttempts = 2_000_000_000;

/** https, or http to this machine only (local receivers and tests); no credentials in the URL. */
export function checkDestinationUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalidField('url', 'url must be an absolute https:// URL');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && localHosts.has(url.hostname))) {
    throw invalidField('url', 'url must use https (http is accepted only for localhost and 127.0.0.1)');
  }
  if (url.username !== '' || url.password !== '') throw invalidField('url', 'url must not contain a user name or password');
  return url.toString();
}

export function generateSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

function checkSecret(secret: string): string {
  if (!secretPattern.test(secret)) throw invalidField('secret', 'secret must be `whsec_` followed by at least 24 bytes in base64 (Standard Webhooks)');
  return secret;
}

function listJson(list: string[] | null | undefined): string | null {
  return list === null || list === undefined ? null : JSON.stringify([...new Set(list)]);
}

export interface EventDestinationsDeps {
  db: Kysely<Database>;
  destinations: EventDestinationsRepo;
  events: EventsRepo;
  queue: JobsRepo;
  box: SecretBox;
  clock: Clock;
  settleMs: number;
  /** Which addresses destinations may reach (public ones, and networks the operator allowed). */
  guard: NetworkGuard;
  /** How long a replaced secret keeps signing (0: not at all). */
  secretOverlapMs: number;
  /** A forwarding job was enqueued or brought forward (wake the local worker). */
  onScheduled?: () => void;
  log: { warn(obj: object, msg: string): void };
}

/** Event destinations (CRUD, delivery state) and the wake-ups that start forwarding soon after new events. */
export function createEventDestinationsService(deps: EventDestinationsDeps) {
  const enabledByProject = new Map<string, { ids: string[]; at: number }>();
  const woken = new Set<string>();
  const lastWake = new Map<string, number>();
  const rechecks = new Map<string, NodeJS.Timeout>();
  let closed = false;
  const cacheMs = 5000;

  /** The URL rules, then where it points: a host that is (or resolves to) a non-public address is refused. */
  async function checkUrl(text: string): Promise<string> {
    const url = checkDestinationUrl(text);
    const hostname = new URL(url).hostname;
    const result = await deps.guard.check(hostname);
    // A name that does not resolve yet is accepted; every delivery checks the address it connects to.
    if (!result.ok && result.reason === 'not_allowed') {
      throw invalidField('url', 'url points at a private, loopback, link-local or other non-public address; only public addresses can be reached (an operator can allow networks for on-premise receivers with EVENT_DESTINATION_ALLOWED_NETWORKS)');
    }
    return url;
  }

  async function view(row: EventDestinationRow): Promise<DestinationView> {
    const lag = await deps.events.countById(row.project_id, destinationFilters(row), { afterId: row.cursor_id });
    const state = row.enabled !== 1 ? 'paused' : row.consecutive_failures > 0 ? 'retrying' : lag > 0 ? 'pending' : 'idle';
    return {
      id: row.id, name: row.name, url: row.url,
      events: row.events_json === null ? null : JSON.parse(row.events_json) as string[],
      statuses: row.statuses_json === null ? null : JSON.parse(row.statuses_json) as string[],
      batch_size: row.batch_size, enabled: row.enabled === 1, secret_set: true,
      previous_secret_expires_at: row.previous_secret_enc !== null && row.previous_secret_until !== null
        && Date.parse(row.previous_secret_until) > deps.clock.now().getTime() ? row.previous_secret_until : null,
      created_at: row.created_at, updated_at: row.updated_at,
      delivery: {
        state, cursor: row.cursor_id, lag, forwarded_count: Number(row.forwarded_count),
        last_attempt_at: row.last_attempt_at, last_success_at: row.last_success_at,
        last_error: row.last_error, last_error_at: row.last_error_at, last_status_code: row.last_status_code,
        consecutive_failures: row.consecutive_failures, next_attempt_at: row.next_attempt_at,
        failing_since: row.failing_since, paused_reason: row.paused_reason, paused_at: row.paused_at,
      },
    };
  }

  async function require(projectId: string, id: string): Promise<EventDestinationRow> {
    const row = await deps.destinations.find(projectId, id);
    if (row === undefined) throw notFound('the event destination');
    return row;
  }

  async function schedule(destinationId: string): Promise<void> {
    const now = deps.clock.now().getTime();
    await deps.queue.enqueue(deps.db, {
      kind: forwardEventsJob, key: forwardJobKey(destinationId), payload: { destination_id: destinationId }, runAt: now, maxAttempts: foreverAttempts,
    }, now);
    deps.onScheduled?.();
  }

  async function wake(destinationId: string): Promise<void> {
    await deps.destinations.wakeJob(forwardJobKey(destinationId), destinationId, deps.clock.now().getTime() + deps.settleMs);
    const timer = setTimeout(() => deps.onScheduled?.(), deps.settleMs + 5);
    timer.unref();
  }

  function recheck(destinationId: string, left: number): void {
    if (closed || left <= 0 || rechecks.has(destinationId)) return;
    const timer = setTimeout(() => {
      rechecks.delete(destinationId);
      if (closed || !woken.has(destinationId)) return;
      wake(destinationId).then(() => recheck(destinationId, left - 1), (error: unknown) => deps.log.warn({ err: error }, 'event forwarding wake-up failed'));
    }, deps.settleMs + 50);
    timer.unref();
    rechecks.set(destinationId, timer);
  }

  async function enabledIds(projectId: string): Promise<string[]> {
    const cached = enabledByProject.get(projectId);
    if (cached !== undefined && Date.now() - cached.at < cacheMs) return cached.ids;
    const ids = await deps.destinations.enabledIds(projectId);
    enabledByProject.set(projectId, { ids, at: Date.now() });
    return ids;
  }

  return {
    async create(projectId: string, input: DestinationInput): Promise<DestinationView & { secret?: string }> {
      const url = await checkUrl(input.url);
      const generated = input.secret === undefined ? generateSigningSecret() : undefined;
      const secret = generated ?? checkSecret(input.secret ?? '');
      const now = deps.clock.now().toISOString();
      const row: EventDestinationRow = {
        id: createId('dst'), project_id: projectId, name: input.name, url,
        events_json: listJson(input.events), statuses_json: listJson(input.statuses),
        secret_enc: deps.box.seal(secret), batch_size: input.batch_size ?? 100, enabled: input.enabled === false ? 0 : 1,
        cursor_id: input.start_from === 'beginning' ? null : eventIdFloor(Date.now()), inflight_last_id: null,
        forwarded_count: 0, consecutive_failures: 0, last_attempt_at: null, last_success_at: null,
        last_error: null, last_error_at: null, last_status_code: null, next_attempt_at: null,
        previous_secret_enc: null, previous_secret_until: null, failing_since: null, paused_reason: null, paused_at: null,
        created_at: now, updated_at: now,
      };
      await deps.destinations.insert(row);
      enabledByProject.delete(projectId);
      if (row.enabled === 1) await schedule(row.id);
      const result = await view(row);
      return generated !== undefined ? { ...result, secret: generated } : result;
    },

    async list(projectId: string, page: { limit: number; cursor?: string | undefined }): Promise<Page<DestinationView>> {
      const rows = await deps.destinations.list(projectId, { after: decodeCursor(page.cursor), limit: page.limit + 1 });
      const more = rows.length > page.limit;
      const pageRows = more ? rows.slice(0, page.limit) : rows;
      const last = pageRows.at(-1);
      return { data: await Promise.all(pageRows.map(view)), next_cursor: more && last !== undefined ? encodeCursor(last.id) : null };
    },

    async get(projectId: string, id: string): Promise<DestinationView> {
      return view(await require(projectId, id));
    },

    async update(projectId: string, id: string, input: DestinationPatchInput): Promise<DestinationView> {
      const before = await require(projectId, id);
      const patch: DestinationPatch = {};
      if (input.name !== undefined) patch.name = input.name;
      if (input.url !== undefined) patch.url = await checkUrl(input.url);
      if (input.events !== undefined) patch.events_json = listJson(input.events);
      if (input.statuses !== undefined) patch.statuses_json = listJson(input.statuses);
      if (input.secret !== undefined) {
        patch.secret_enc = deps.box.seal(checkSecret(input.secret));
        // Rotation: the previous secret signs too for a while, so the receiver can switch without refusing a batch.
        const overlapEnds = deps.clock.now().getTime() + deps.secretOverlapMs;
        patch.previous_secret_enc = deps.secretOverlapMs > 0 ? before.secret_enc : null;
        patch.previous_secret_until = deps.secretOverlapMs > 0 ? new Date(overlapEnds).toISOString() : null;
      }
      if (input.batch_size !== undefined) patch.batch_size = input.batch_size;
      if (input.enabled !== undefined) patch.enabled = input.enabled ? 1 : 0;
      if (input.enabled === true) {
        patch.paused_reason = null;
        patch.paused_at = null;
      }
      await deps.destinations.update(projectId, id, patch, deps.clock.now().toISOString());
      enabledByProject.delete(projectId);
      const after = await require(projectId, id);
      // Re-enabled, or a new URL/secret after failures: try again now rather than at the end of the backoff.
      if (after.enabled === 1 && (before.enabled !== 1 || input.url !== undefined || input.secret !== undefined)) {
        await deps.destinations.resetBackoff(id);
        await deps.destinations.deleteIdleJob(forwardJobKey(id));
        await schedule(id);
      }
      return view(await require(projectId, id));
    },

    async remove(projectId: string, id: string): Promise<void> {
      if (!await deps.destinations.remove(projectId, id)) throw notFound('the event destination');
      enabledByProject.delete(projectId);
      // A running job finds the destination gone before its next batch and ends.
      await deps.destinations.deleteIdleJob(forwardJobKey(id));
    },

    /**
     * Event-bus listener: bring the project's forwarding jobs forward to just after the settle delay. A job that is
     * running cannot be moved; it sees the wake-up flag when it finishes, and if it finished just before the flag
     * was set, the re-check a little later (while the flag is still unconsumed) moves it then.
     */
    async onEvents(events: readonly TrackedEvent[]): Promise<void> {
      const projectIds = new Set(events.map((e) => e.projectId));
      for (const projectId of projectIds) {
        for (const id of await enabledIds(projectId)) {
          woken.add(id);
          const now = Date.now();
          if (now - (lastWake.get(id) ?? 0) < Math.max(50, deps.settleMs / 2)) continue;
          lastWake.set(id, now);
          await wake(id);
          recheck(id, 5);
        }
      }
      if (lastWake.size > 10_000) lastWake.clear();
    },

    /** Stops pending re-checks (shutdown). */
    close(): void {
      closed = true;
      for (const timer of rechecks.values()) clearTimeout(timer);
      rechecks.clear();
    },

    /** For the job: were new events published for this destination since it last asked? */
    consumeWake(destinationId: string): boolean {
      return woken.delete(destinationId);
    },
  };
}

export type EventDestinationsService = ReturnType<typeof createEventDestinationsService>;
