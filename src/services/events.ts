import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { decodeTime, encodeTime } from 'ulidx';
import type { EventFilters, EventRow, EventsRepo } from '../db/repos/events-repo.ts';
import { invalidField } from '../lib/app-error.ts';
import { csvLine } from '../lib/csv.ts';
import { decodeCursor, encodeCursor, numberPairKey, parseNumberPairKey, type Page } from '../lib/pagination.ts';
import type { EventBus } from './event-bus.ts';
import type { TrackedEvent } from './track-event.ts';

/** A tracked event as the API shows it (api-v1 §6): never the internal project id. */
export interface EventView {
  id: string;
  event: string;
  timestamp: number;
  properties: Record<string, unknown>;
}

/** The events API's filters as they arrive in a query string. */
export interface EventQuery {
  event?: string | undefined;
  status?: string | undefined;
  action_type?: string | undefined;
  campaign_id?: string | undefined;
  recipient?: string | undefined;
  message_id?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
}

export type ExportFormat = 'ndjson' | 'csv';

export function toEventView(row: EventRow): EventView {
  return { id: row.id, event: row.event, timestamp: row.ts, properties: JSON.parse(row.properties_json) as Record<string, unknown> };
}

export function viewOfTracked(event: TrackedEvent): EventView {
  return { id: event.id, event: event.event, timestamp: event.timestamp, properties: event.properties };
}

const rfc3339 = /^(\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const unixSeconds = /^\d{1,12}(\.\d+)?$/;

/** `since`/`until`: Unix seconds (`1723484965.92`) or RFC 3339 (`2024-08-12T17:49:25.922874Z`), to Unix seconds. */
export function parseTimeParam(field: string, value: string): number {
  const text = value.trim();
  if (unixSeconds.test(text)) return Number(text);
  const match = rfc3339.exec(text);
  if (match !== null) {
    const whole = Date.parse(`${match[1] ?? ''}${match[3] ?? ''}`);
    if (!Number.isNaN(whole)) return whole / 1000 + (match[2] !== undefined ? Number(`0${match[2]}`) : 0);
  }
  throw invalidField(field, `${field} must be an RFC 3339 time (2024-08-12T17:49:25Z) or Unix seconds (1723484965.92)`);
}

/** Query strings to repo filters; `since` is inclusive, `until` exclusive. */
export function parseEventFilters(query: EventQuery): EventFilters {
  const filters: EventFilters = {};
  for (const key of ['event', 'status', 'action_type', 'campaign_id', 'recipient', 'message_id'] as const) {
    const value = query[key];
    if (value !== undefined && value !== '') filters[key] = value;
  }
  if (query.since !== undefined && query.since !== '') filters.since = parseTimeParam('since', query.since);
  if (query.until !== undefined && query.until !== '') filters.until = parseTimeParam('until', query.until);
  return filters;
}

/** The same filters as the repo applies in SQL, for events that arrive on the bus. */
export function matchesFilters(event: EventView, filters: EventFilters): boolean {
  const p = event.properties;
  if (filters.event !== undefined && event.event !== filters.event) return false;
  if (filters.status !== undefined && p.status !== filters.status) return false;
  if (filters.action_type !== undefined && p.action_type !== filters.action_type) return false;
  if (filters.campaign_id !== undefined && p.campaign_id !== filters.campaign_id) return false;
  if (filters.recipient !== undefined && p.recipient !== filters.recipient) return false;
  if (filters.message_id !== undefined && p.message_id !== filters.message_id) return false;
  if (filters.since !== undefined && event.timestamp < filters.since) return false;
  if (filters.until !== undefined && event.timestamp >= filters.until) return false;
  return true;
}

const eventIdPattern = /^evt_[0-9a-hjkmnp-tv-z]{26}$/;

export function isEventId(value: string): boolean {
  return eventIdPattern.test(value);
}

/**
 * The smallest event id of a millisecond: every event created at or after `ms` has an id above it. Event ids are
 * ULIDs (48-bit creation time, then 80 random bits), lower-cased, so they sort by creation time.
 */
export function eventIdFloor(ms: number): string {
  return `evt_${encodeTime(Math.max(0, Math.floor(ms)), 10).toLowerCase()}${'0'.repeat(16)}`;
}

function encodeEventCursor(row: { ts: number; id: string }): string {
  return encodeCursor(numberPairKey(row.ts, row.id));
}

function decodeEventCursor(cursor: string | undefined): { ts: number; id: string } | undefined {
  const key = parseNumberPairKey(decodeCursor(cursor));
  return key === undefined ? undefined : { ts: key[0], id: key[1] };
}

/** Columns of the CSV export: the event, then one per seed property (and ours), then anything else as JSON. */
export const csvColumns = [
  'id', 'event', 'timestamp',
  'message_type', 'action_type', 'campaign_id', 'recipient', 'sender', 'sent_timestamp', 'status', 'error',
  'error_description', 'message_id', 'integration_id', 'other_properties',
] as const;
const propertyColumns = csvColumns.slice(3, -1);

export function csvRow(event: EventView): string {
  const p = event.properties;
  const others: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(p)) if (!(propertyColumns as readonly string[]).includes(key)) others[key] = value;
  const fields = [event.id, event.event, event.timestamp, ...propertyColumns.map((c) => p[c]), Object.keys(others).length > 0 ? others : null];
  return csvLine(fields);
}

export interface EventsServiceOptions {
  events: EventsRepo;
  bus: EventBus;
  /** Rows per database read for export and stream catch-up. */
  pageSize?: number;
  /** SSE comment line interval. */
  heartbeatMs?: number;
  /** How often a stream also reads the database (events committed by other processes). */
  pollMs?: number;
  /** How far back (by id time) each poll looks, for events whose transaction committed late. */
  rescanMs?: number;
  /** Bus events waiting for a slow client beyond this end the stream; the client resumes with Last-Event-ID. */
  maxPending?: number;
  log?: { warn(obj: object, msg: string): void };
}

export interface StreamRequest {
  projectId: string;
  filters: EventFilters;
  /** Resume after this event: first everything recorded after it (by id) that matches, then live events. */
  lastEventId?: string | undefined;
  /** Ends the stream when aborted (its token was revoked). */
  signal?: AbortSignal | undefined;
}

type StreamItem = { kind: 'event'; event: EventView } | { kind: 'heartbeat' } | { kind: 'overflow' };

/** Events API: filtered keyset pages, a live Server-Sent Events stream and streamed exports. */
export function createEventsService(options: EventsServiceOptions) {
  const pageSize = options.pageSize ?? 1000;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const pollMs = options.pollMs ?? 2000;
  const rescanMs = options.rescanMs ?? 10_000;
  const maxPending = options.maxPending ?? 10_000;
  const open = new Map<AbortController, Promise<void>>();

  async function* readRange(projectId: string, filters: EventFilters): AsyncGenerator<EventRow[]> {
    let after: { ts: number; id: string } | undefined;
    for (;;) {
      const rows = await options.events.list(projectId, filters, { limit: pageSize, ...(after !== undefined ? { after } : {}) });
      if (rows.length > 0) yield rows;
      const last = rows.at(-1);
      if (rows.length < pageSize || last === undefined) return;
      after = { ts: last.ts, id: last.id };
    }
  }

  /**
   * Live events for one stream: bus events as they are committed in this process, and a database read every
   * `pollMs` (ids above `rescanMs` ago, or above `lastEventId` at first) for events committed elsewhere or late.
   * Ids already sent are skipped, so the two paths never duplicate.
   */
  async function* live(request: StreamRequest, signal: AbortSignal): AsyncGenerator<StreamItem> {
    const pending: EventView[] = [];
    const sent = new Set<string>();
    let wake: (() => void) | undefined;
    let pollDue = true;
    let heartbeatDue = false;
    let overflow = false;
    const notify = () => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    const unsubscribe = options.bus.subscribe(request.projectId, (events) => {
      for (const e of events) {
        const view = viewOfTracked(e);
        if (matchesFilters(view, request.filters)) pending.push(view);
      }
      if (pending.length > maxPending) overflow = true;
      notify();
    });
    const heartbeat = setInterval(() => { heartbeatDue = true; notify(); }, heartbeatMs);
    const poll = setInterval(() => { pollDue = true; notify(); }, pollMs);
    signal.addEventListener('abort', notify, { once: true });
    // Resuming starts `rescanMs` before the client's last event: an event recorded just before it may have committed
    // (on another instance) after the client saw it. Those ids may come again; clients skip ids they have seen.
    const resumeFrom = request.lastEventId !== undefined
      ? eventIdFloor(decodeTime(request.lastEventId.slice('evt_'.length).toUpperCase()) - rescanMs)
      : eventIdFloor(Date.now());
    let caughtUp = false;
    try {
      while (!signal.aborted) {
        if (overflow) {
          yield { kind: 'overflow' };
          return;
        }
        if (pending.length > 0) {
          for (const event of pending.splice(0)) {
            if (sent.has(event.id)) continue;
            sent.add(event.id);
            yield { kind: 'event', event };
          }
          continue;
        }
        if (pollDue) {
          pollDue = false;
          const floor = eventIdFloor(Date.now() - rescanMs);
          // Only ids the bus or a later poll could bring again need remembering (not a long catch-up's).
          const keepFrom = eventIdFloor(Date.now() - rescanMs - pollMs);
          // The first read catches up from the resume point however old; later ones only rescan the recent window.
          let afterId = caughtUp && resumeFrom < floor ? floor : resumeFrom;
          caughtUp = true;
          for (;;) {
            const rows = await options.events.listById(request.projectId, request.filters, { afterId, limit: pageSize });
            for (const row of rows) {
              if (sent.has(row.id)) continue;
              if (row.id >= keepFrom) sent.add(row.id);
              yield { kind: 'event', event: toEventView(row) };
              if (signal.aborted) return;
            }
            const last = rows.at(-1);
            if (rows.length < pageSize || last === undefined) break;
            afterId = last.id;
          }
          // Ids below the rescan floor are never read again; forget them so the set stays small.
          for (const id of sent) if (id < keepFrom) sent.delete(id);
          continue;
        }
        if (heartbeatDue) {
          heartbeatDue = false;
          yield { kind: 'heartbeat' };
          continue;
        }
        await new Promise<void>((resolve) => { wake = resolve; });
      }
    } finally {
      unsubscribe();
      clearInterval(heartbeat);
      clearInterval(poll);
      signal.removeEventListener('abort', notify);
    }
  }

  async function serve(req: IncomingMessage, res: ServerResponse, request: StreamRequest, controller: AbortController): Promise<void> {
    const abort = () => controller.abort();
    req.on('close', abort);
    res.on('close', abort);
    res.on('error', abort);
    if (request.signal?.aborted === true) controller.abort();
    request.signal?.addEventListener('abort', abort, { once: true });
    try {
      // The connection ends with the stream, so shutdown never waits on a kept-alive socket.
      res.shouldKeepAlive = false;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        'x-accel-buffering': 'no',
      });
      res.write('retry: 2000\n: connected\n\n');
      for await (const item of live(request, controller.signal)) {
        let frame: string;
        switch (item.kind) {
          case 'event': frame = `id: ${item.event.id}\ndata: ${JSON.stringify(item.event)}\n\n`; break;
          case 'heartbeat': frame = ': heartbeat\n\n'; break;
          case 'overflow': frame = ': too far behind; reconnect with Last-Event-ID to catch up\n\n'; break;
        }
        if (controller.signal.aborted || res.destroyed) break;
        if (!res.write(frame)) {
          try {
            await once(res, 'drain', { signal: controller.signal });
          } catch {
            break;
          }
        }
      }
    } catch (error) {
      options.log?.warn({ err: error }, 'event stream ended by an error');
    } finally {
      req.off('close', abort);
      res.off('close', abort);
      res.off('error', abort);
      request.signal?.removeEventListener('abort', abort);
      if (!res.writableEnded) res.end();
    }
  }

  return {
    /** One page, ordered by timestamp then id; the cursor wraps the last (timestamp, id). */
    async list(projectId: string, query: EventQuery, page: { limit: number; cursor?: string | undefined }): Promise<Page<EventView>> {
      const filters = parseEventFilters(query);
      const after = decodeEventCursor(page.cursor);
      const rows = await options.events.list(projectId, filters, { limit: page.limit + 1, ...(after !== undefined ? { after } : {}) });
      const more = rows.length > page.limit;
      const pageRows = more ? rows.slice(0, page.limit) : rows;
      const last = pageRows.at(-1);
      return { data: pageRows.map(toEventView), next_cursor: more && last !== undefined ? encodeEventCursor(last) : null };
    },

    /**
     * The filtered range as NDJSON or CSV, read from the database one page at a time as the client consumes it
     * (memory stays constant however long the range is).
     */
    exportStream(projectId: string, filters: EventFilters, format: ExportFormat): Readable {
      async function* chunks(): AsyncGenerator<string> {
        if (format === 'csv') yield `${csvColumns.join(',')}\r\n`;
        for await (const rows of readRange(projectId, filters)) {
          yield format === 'csv'
            ? rows.map((row) => csvRow(toEventView(row))).join('')
            : rows.map((row) => `${JSON.stringify(toEventView(row))}\n`).join('');
        }
      }
      return Readable.from(chunks(), { objectMode: false, highWaterMark: 1 });
    },

    /**
     * Serves one Server-Sent Events stream on a response whose headers are not yet sent, until the client goes
     * away, the stream falls too far behind, or `closeStreams` is called. Each event has `id:` = the event id.
     */
    serveStream(req: IncomingMessage, res: ServerResponse, request: StreamRequest): Promise<void> {
      const controller = new AbortController();
      const served = serve(req, res, request, controller).finally(() => open.delete(controller));
      open.set(controller, served);
      return served;
    },

    /** Ends every open stream (shutdown) and waits until they have ended: clients reconnect with Last-Event-ID. */
    async closeStreams(): Promise<void> {
      for (const controller of open.keys()) controller.abort();
      await Promise.all(open.values());
    },

    openStreamCount(): number {
      return open.size;
    },
  };
}

export type EventsService = ReturnType<typeof createEventsService>;
