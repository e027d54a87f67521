import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { request, type Dispatcher } from 'undici';
import type { EventDestinationRow, EventDestinationsRepo } from '../db/repos/event-destinations-repo.ts';
import type { EventIdFilters, EventRow, EventsRepo } from '../db/repos/events-repo.ts';
import { computeBackoff, parseRetryAfter, type BackoffPolicy } from '../lib/backoff.ts';
import type { SecretBox } from '../lib/secret-box.ts';
import type { Clock } from '../lib/time.ts';
import type { JobHandler, JobResult } from '../db/repos/jobs-repo.ts';
import { eventIdFloor, toEventView } from './events.ts';

export const forwardEventsJob = 'forward_events';

/** At most one forwarding job per destination: the queue keeps one live job per key. */
export function forwardJobKey(destinationId: string): string {
  return `fwd:${destinationId}`;
}

/** Standard Webhooks secrets are `whsec_` + base64 of the key bytes; the HMAC key is those bytes. */
export function signingKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
}

/** `v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>">` (Standard Webhooks). */
export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  return `v1,${createHmac('sha256', signingKey(secret)).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/**
 * The `webhook-signature` header: one `v1,` signature per secret, space-separated (Standard Webhooks), the current
 * secret first; during a rotation the previous one signs too, so a receiver still holding it accepts the batch.
 */
export function signatureHeader(secrets: readonly string[], id: string, timestamp: number, body: string): string {
  return secrets.map((secret) => signWebhook(secret, id, timestamp, body)).join(' ');
}

/** The secrets that sign now: the current one, and the previous one until its overlap ends. */
export function signingSecrets(row: Pick<EventDestinationRow, 'secret_enc' | 'previous_secret_enc' | 'previous_secret_until'>, open: (sealed: string) => string, now: Date): string[] {
  const secrets = [open(row.secret_enc)];
  if (row.previous_secret_enc !== null && row.previous_secret_until !== null && Date.parse(row.previous_secret_until) > now.getTime()) {
    secrets.push(open(row.previous_secret_enc));
  }
  return secrets;
}

/**
 * A failed request in plain words, without what the receiver said (its answer could be anything an attacker
 * pointed us at) and without addresses or ports.
 */
export function describeRequestFailure(error: unknown, timeoutMs: number): string {
  const name = error instanceof Error ? error.name : '';
  if (name === 'TimeoutError' || name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const code = (e: unknown): string => (typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : '');
  const codes = [code(error), error instanceof Error ? code(error.cause) : ''];
  const has = (...wanted: string[]) => codes.some((c) => wanted.includes(c));
  if (has('ADDRESS_NOT_ALLOWED')) return 'address not allowed: the host is, or resolves to, a private, loopback, link-local or other non-public address (see EVENT_DESTINATION_ALLOWED_NETWORKS)';
  if (has('ENOTFOUND', 'EAI_AGAIN')) return 'request failed: the host name could not be resolved';
  if (has('ECONNREFUSED')) return 'request failed: connection refused';
  if (has('ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT')) return `no answer within ${timeoutMs} ms`;
  if (has('ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED')) return 'request failed: the connection was closed';
  const tls = codes.find((c) => c.startsWith('ERR_TLS') || c.startsWith('CERT_') || c.includes('CERT') || c.startsWith('ERR_SSL'));
  if (tls !== undefined) return `request failed: TLS (${tls})`;
  return 'request failed';
}

/** What a receiver does: true when one of the space-separated `v1,` signatures matches. */
export function verifyWebhook(secret: string, headers: { id: string; timestamp: string; signature: string }, body: string): boolean {
  const expected = Buffer.from(signWebhook(secret, headers.id, Number(headers.timestamp), body));
  return headers.signature.split(' ').some((candidate) => {
    const given = Buffer.from(candidate);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

export function destinationFilters(row: Pick<EventDestinationRow, 'events_json' | 'statuses_json'>): EventIdFilters {
  const filters: EventIdFilters = {};
  if (row.events_json !== null) filters.events = JSON.parse(row.events_json) as string[];
  if (row.statuses_json !== null) filters.statuses = JSON.parse(row.statuses_json) as string[];
  return filters;
}

export interface ForwardEventsDeps {
  destinations: EventDestinationsRepo;
  events: EventsRepo;
  box: SecretBox;
  dispatcher: Dispatcher;
  clock: Clock;
  /**
   * Events are read by id only once their id is this old, so a transaction that committed a little after a
   * later-created event is not skipped by the cursor.
   */
  settleMs: number;
  /** An idle destination looks for new events this often even without a wake-up (events of other processes). */
  idlePollMs: number;
  retry: BackoffPolicy;
  timeoutMs: number;
  /** A destination failing without a success for this long is paused with the reason (0: never). */
  pauseAfterMs: number;
  /** One job run delivers batches for at most this long, then yields to other jobs. */
  runBudgetMs: number;
  /** True (and cleared) when new events for the destination were published since the last call. */
  consumeWake(destinationId: string): boolean;
  log: { warn(obj: object, msg: string): void };
}

type Outcome = { ok: true } | { ok: false; error: string; statusCode: number | null; retryAfterMs: number | undefined };

function isPayload(value: unknown): value is { destination_id: string } {
  return typeof value === 'object' && value !== null && 'destination_id' in value && typeof value.destination_id === 'string';
}

/**
 * Forwards a destination's events in id order, one batch at a time: a batch that fails is retried (the same
 * events, same `webhook-id`) with exponential backoff and full jitter, and nothing after it is sent until it
 * succeeds. The job lives as long as the destination: idle, it sleeps `idlePollMs` or until woken.
 */
export function createForwardEventsHandler(deps: ForwardEventsDeps): JobHandler {
  async function post(row: EventDestinationRow, events: EventRow[]): Promise<Outcome> {
    const body = JSON.stringify({ events: events.map(toEventView) });
    const first = events[0]?.id ?? '';
    const last = events.at(-1)?.id ?? '';
    const id = `msg_${createHash('sha256').update(`${row.id}:${first}:${last}`).digest('base64url').slice(0, 27)}`;
    const timestamp = Math.floor(deps.clock.now().getTime() / 1000);
    const secrets = signingSecrets(row, (sealed) => deps.box.open(sealed), deps.clock.now());
    try {
      const res = await request(row.url, {
        method: 'POST',
        dispatcher: deps.dispatcher,
        signal: AbortSignal.timeout(deps.timeoutMs),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'mobile-messaging-event-forwarder/1',
          'webhook-id': id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signatureHeader(secrets, id, timestamp, body),
        },
        body,
      });
      // The answer's body is never read, kept or shown: only its status code counts.
      await res.body.dump().catch(() => undefined);
      if (res.statusCode >= 200 && res.statusCode < 300) return { ok: true };
      const retryAfter = res.headers['retry-after'];
      return {
        ok: false, statusCode: res.statusCode, error: `HTTP ${res.statusCode}`,
        retryAfterMs: parseRetryAfter(typeof retryAfter === 'string' ? retryAfter : undefined, deps.clock.now().getTime()),
      };
    } catch (error) {
      return { ok: false, statusCode: null, error: describeRequestFailure(error, deps.timeoutMs), retryAfterMs: undefined };
    }
  }

  async function run(destinationId: string): Promise<JobResult> {
    deps.consumeWake(destinationId);
    const started = Date.now();
    for (;;) {
      const row = await deps.destinations.findById(destinationId);
      if (row === undefined || row.enabled !== 1) return { kind: 'done' };
      const now = deps.clock.now();
      if (row.consecutive_failures > 0 && row.next_attempt_at !== null) {
        const wait = Date.parse(row.next_attempt_at) - now.getTime();
        if (wait > 0) return { kind: 'retry', delayMs: wait, error: row.last_error ?? 'backing off' };
      }
      const filters = destinationFilters(row);
      const settled = eventIdFloor(Date.now() - deps.settleMs);
      const events = await deps.events.listById(row.project_id, filters, {
        afterId: row.cursor_id, upToId: row.inflight_last_id ?? settled, limit: row.batch_size,
      });
      const last = events.at(-1);
      if (last === undefined) {
        if (row.inflight_last_id !== null) {
          await deps.destinations.clearInflight(row.id);
          continue;
        }
        // Nothing matched up to the settled point: move the cursor there now and then, so filtered reads start later.
        if (row.cursor_id === null || eventIdFloor(Date.now() - deps.settleMs - 60_000) > row.cursor_id) {
          await deps.destinations.advanceIdle(row.id, row.cursor_id, settled);
        }
        const unsettled = await deps.events.listById(row.project_id, filters, { afterId: settled, limit: 1 });
        const soon = unsettled.length > 0 || deps.consumeWake(row.id);
        return { kind: 'retry', delayMs: soon ? deps.settleMs : deps.idlePollMs, error: 'idle' };
      }
      const outcome = await post(row, events);
      const at = deps.clock.now();
      if (!outcome.ok) {
        const failures = row.consecutive_failures + 1;
        const delayMs = computeBackoff(deps.retry, failures, outcome.retryAfterMs === undefined ? undefined : Math.min(outcome.retryAfterMs, deps.retry.capMs));
        const failingSince = row.failing_since ?? at.toISOString();
        const pause = deps.pauseAfterMs > 0 && at.getTime() - Date.parse(failingSince) >= deps.pauseAfterMs
          ? { reason: `paused by the service: no batch was accepted since ${failingSince} (last error: ${outcome.error})` } : undefined;
        await deps.destinations.recordFailure(row.id, {
          inflightLastId: last.id, error: outcome.error, statusCode: outcome.statusCode, at: at.toISOString(),
          nextAttemptAt: new Date(at.getTime() + delayMs).toISOString(), failingSince, pause,
        });
        if (pause !== undefined) {
          deps.log.warn({ destination_id: row.id }, 'event destination paused after failing too long');
          return { kind: 'done' };
        }
        return { kind: 'retry', delayMs, error: outcome.error };
      }
      const moved = await deps.destinations.recordSuccess(row.id, row.cursor_id, last.id, events.length, at.toISOString());
      if (!moved) deps.log.warn({ destination_id: row.id }, 'event destination cursor moved by another run; re-reading');
      if (Date.now() - started >= deps.runBudgetMs) return { kind: 'retry', delayMs: 0, error: 'more' };
    }
  }

  return async (job) => {
    if (!isPayload(job.payload)) return { kind: 'bury', error: 'payload without destination_id' };
    try {
      return await run(job.payload.destination_id);
    } catch (error) {
      // Never let the job die (it would hold the destination's key): log and try again later.
      deps.log.warn({ err: error, destination_id: job.payload.destination_id }, 'event forwarding failed');
      return { kind: 'retry', delayMs: computeBackoff(deps.retry, 3), error: error instanceof Error ? error.message : String(error) };
    }
  };
}
