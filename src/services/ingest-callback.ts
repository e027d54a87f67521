import { createHash } from 'node:crypto';
import { computeBackoff } from '../lib/backoff.ts';
import { createId } from '../lib/ids.ts';
import { nestsDeeperThan, replaceNul } from '../lib/json-input.ts';
import type { Clock } from '../lib/time.ts';
import type { Transact } from '../db/transact.ts';
import type { CallbackRow, CallbacksRepo } from '../db/repos/callbacks-repo.ts';
import { callbackDedupeKey, identifyTrigger } from '../providers/sinch/callbacks.ts';
import { verifySignature } from '../providers/sinch/signature.ts';
import { expectedOutcome, type ApplyCallback, type CallbackEffects } from './apply-callback.ts';
import type { IntegrationSecrets } from './integrations.ts';

export type IngestResult =
  | { status: 200; body: { received: true; duplicate: boolean } }
  | { status: 400 | 401 | 404; body: { error: { code: string; message: string } } };

const fail = (status: 400 | 401 | 404, code: string, message: string): IngestResult => ({ status, body: { error: { code, message } } });

type StoreOutcome = { kind: 'stored'; effects: CallbackEffects | undefined } | { kind: 'duplicate' } | { kind: 'replay' };

/** Attempts at applying a stored callback before it is recorded as `error` (with the last error kept). */
const maxApplyAttempts = 20;

/**
 * Callbacks nest at most this deep (Sinch's deepest are about ten levels). A deeper body is stored as it came, as
 * an `UNKNOWN` trigger with outcome `too_deep`, and not applied: reading it would overflow the stack.
 */
export const maxCallbackDepth = 64;

/**
 * The body as it is applied: text holding NUL (U+0000), which PostgreSQL cannot store and SQLite can, gets U+FFFD
 * instead, so both databases keep the same. The stored body stays the exact bytes received. (NUL can only be in
 * the JSON as the escape `\u0000`.)
 */
function applicable(rawBody: string, json: Record<string, unknown>): Record<string, unknown> {
  return rawBody.includes('\\u0000') ? replaceNul(json) : json;
}

/**
 * The receiving end of an integration's callback URL. Verifies the signature on the raw bytes, then stores the
 * callback and applies its effects (status, events, inbound messages and keywords) in one transaction before
 * answering 200: a report is applied when it arrives, so reports and STOPs never wait behind sends (ADR 0005).
 * Should applying fail, the callback is stored alone, marked due, and applied later by the recovery loop; either
 * way an acknowledged callback is never lost.
 */
export function createCallbackIngest(deps: {
  transact: Transact;
  callbacks: CallbacksRepo;
  applyCallback: ApplyCallback;
  clock: Clock;
  integrationByCallbackToken: (token: string) => Promise<IntegrationSecrets | undefined>;
  /** How far ahead a signature timestamp may be (clock skew). */
  toleranceSeconds: number;
  /** How old it may be: a late retry of Sinch is still applied once (its nonce and dedupe key are kept with the callback). */
  maxAgeSeconds: number;
  /** After a commit: events to publish, and the integration a send was queued on (a keyword confirmation). */
  afterCommit: (effects: CallbackEffects) => void;
  log: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
}) {
  async function store(row: CallbackRow, json: Record<string, unknown>, apply: boolean): Promise<StoreOutcome> {
    return deps.transact(async (trx): Promise<StoreOutcome> => {
      if (!await deps.callbacks.insertOnce(trx, row)) {
        const seen = await deps.callbacks.nonceSeen(trx, row.integration_id, row.nonce ?? '', row.body);
        return seen === 'reused' ? { kind: 'replay' } : { kind: 'duplicate' };
      }
      if (!apply) return { kind: 'stored', effects: undefined };
      const effects = await deps.applyCallback(trx, row, json);
      if (effects.outcome !== row.outcome) await deps.callbacks.setOutcome(trx, row.id, effects.outcome);
      return { kind: 'stored', effects };
    });
  }

  return {
    async receive(token: string, rawBody: string, headers: Record<string, string | string[] | undefined>): Promise<IngestResult> {
      const now = deps.clock.now();
      const integration = await deps.integrationByCallbackToken(token);
      if (integration === undefined) return fail(404, 'not_found', 'unknown callback URL');
      const header = (name: string) => { const v = headers[name]; return Array.isArray(v) ? v[0] : v; };
      const check = verifySignature(rawBody, {
        signature: header('x-sinch-webhook-signature'),
        nonce: header('x-sinch-webhook-signature-nonce'),
        timestamp: header('x-sinch-webhook-signature-timestamp'),
      }, integration.webhookSecrets, now.getTime(), deps.toleranceSeconds, deps.maxAgeSeconds);
      if (!check.ok) {
        const messages = {
          missing_headers: 'the x-sinch-webhook-signature, -nonce and -timestamp headers are required',
          bad_timestamp: 'x-sinch-webhook-signature-timestamp must be Unix seconds',
          stale: `the signature timestamp is more than ${deps.maxAgeSeconds} s old or more than ${deps.toleranceSeconds} s ahead of now`,
          mismatch: 'the signature does not match the body and the integration\'s webhook secret',
        } as const;
        return fail(401, 'invalid_signature', messages[check.reason]);
      }
      let body: unknown;
      try {
        body = JSON.parse(rawBody);
      } catch {
        return fail(400, 'invalid_json', 'the body is not JSON');
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return fail(400, 'invalid_json', 'the body must be a JSON object');
      const json = body as Record<string, unknown>;
      const tooDeep = nestsDeeperThan(json, maxCallbackDepth);
      const trigger = tooDeep ? 'UNKNOWN' : identifyTrigger(json).trigger;
      const dedupeKey = callbackDedupeKey(trigger, json, () => createHash('sha256').update(rawBody).digest('hex'));
      const at = now.toISOString();
      const row: CallbackRow = {
        id: createId('cbk'), integration_id: integration.id, project_id: integration.projectId, trigger, dedupe_key: dedupeKey.key,
        provider_message_id: dedupeKey.providerMessageId,
        received_at: at, body: rawBody, processed_at: at, outcome: tooDeep ? 'too_deep' : expectedOutcome(trigger), nonce: check.nonce,
        next_attempt_at: null, locked_by: null, attempts: 1, last_error: null,
      };

      let outcome: StoreOutcome;
      try {
        outcome = await store(row, tooDeep ? json : applicable(rawBody, json), !tooDeep);
      } catch (error) {
        // Applying failed (a bug, or a database error): keep the callback, unapplied and due, and acknowledge it.
        deps.log.error({ err: error, callback_id: row.id, trigger }, 'could not apply a callback when it arrived; it is stored and will be applied later');
        outcome = await store({ ...row, processed_at: null, outcome: null, next_attempt_at: now.getTime(), attempts: 0, last_error: error instanceof Error ? error.message.slice(0, 2000) : 'unknown error' }, json, false);
      }
      if (outcome.kind === 'replay') return fail(401, 'replayed_nonce', 'this signature nonce was already used with another body');
      if (outcome.kind === 'stored' && outcome.effects !== undefined) deps.afterCommit(outcome.effects);
      return { status: 200, body: { received: true, duplicate: outcome.kind === 'duplicate' } };
    },

    /**
     * Applies a stored callback whose effects could not be applied when it arrived (the recovery loop holds it as
     * `workerId`): effects and "processed" in one transaction, only while the lease is held; a failure is retried
     * with backoff, and recorded as `error` after the last attempt.
     */
    async applyStored(callback: CallbackRow, workerId: string): Promise<void> {
      try {
        const effects = await deps.transact(async (trx) => {
          const applied = await deps.applyCallback(trx, callback, applicable(callback.body, JSON.parse(callback.body) as Record<string, unknown>));
          if (!await deps.callbacks.markProcessed(trx, callback.id, workerId, deps.clock.now().toISOString(), applied.outcome)) {
            throw new Error('lease lost');
          }
          return applied;
        });
        deps.afterCommit(effects);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (message === 'lease lost') return;
        deps.log.warn({ err: error, callback_id: callback.id, attempt: callback.attempts }, 'applying a stored callback failed');
        if (callback.attempts >= maxApplyAttempts) {
          await deps.transact((trx) => deps.callbacks.markProcessed(trx, callback.id, workerId, deps.clock.now().toISOString(), 'error'));
          return;
        }
        await deps.callbacks.retryLater(callback.id, workerId, deps.clock.now().getTime() + computeBackoff({ baseMs: 1000, capMs: 300_000 }, callback.attempts), message);
      }
    },
  };
}

export type CallbackIngest = ReturnType<typeof createCallbackIngest>;
