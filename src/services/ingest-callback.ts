import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { createId } from '../lib/ids.ts';
import type { Clock } from '../lib/time.ts';
import type { Database } from '../db/schema.ts';
import type { CallbacksRepo } from '../db/repos/callbacks-repo.ts';
import type { JobQueue } from '../jobs/queue.ts';
import { callbackDedupeKey, identifyTrigger, readDeliveryReport, readInboundMessage } from '../providers/sinch/callbacks.ts';
import { verifySignature } from '../providers/sinch/signature.ts';
import type { IntegrationSecrets } from './integrations.ts';

export const processCallbackJob = 'process_callback';

export type IngestResult =
  | { status: 200; body: { received: true; duplicate: boolean } }
  | { status: 400 | 401 | 404; body: { error: { code: string; message: string } } };

const fail = (status: 400 | 401 | 404, code: string, message: string): IngestResult => ({ status, body: { error: { code, message } } });

/**
 * The receiving end of an integration's callback URL. Verifies the signature on the raw bytes, then stores the
 * callback and its processing job in one transaction before answering 200, so an acknowledged callback is never
 * lost; the heavy work (status machine, events) happens in the worker.
 */
export function createCallbackIngest(deps: {
  db: Kysely<Database>;
  callbacks: CallbacksRepo;
  queue: JobQueue;
  clock: Clock;
  loadIntegration: (token: string) => Promise<IntegrationSecrets | undefined>;
  toleranceSeconds: number;
  onStored: () => void;
}) {
  // Short-lived cache of integrations by callback token: saves a query and two decryptions per callback.
  const cache = new Map<string, { integration: IntegrationSecrets | undefined; until: number }>();
  let lastPrune = 0;

  async function integrationFor(token: string, now: number): Promise<IntegrationSecrets | undefined> {
    const hit = cache.get(token);
    if (hit !== undefined && hit.until > now) return hit.integration;
    const integration = await deps.loadIntegration(token);
    if (cache.size > 10_000) cache.clear();
    cache.set(token, { integration, until: now + 10_000 });
    return integration;
  }

  interface Pending {
    integrationId: string; projectId: string; nonce: string; bodyHash: string; trigger: string; dedupeKey: string;
    providerMessageId: string | null; receivedAt: Date; rawBody: string;
    resolve: (outcome: StoreOutcome) => void; reject: (error: unknown) => void;
  }
  type StoreOutcome = 'stored' | 'duplicate' | 'replay';
  let waiting: Pending[] = [];
  let flushing = false;

  /**
   * Group commit: callbacks that arrive while a transaction is committing are written together in the next one,
   * and each request is answered only after the commit that holds it. A failed transaction fails every callback in
   * it (500; Sinch retries), so nothing is acknowledged unstored.
   */
  async function flush(): Promise<void> {
    flushing = true;
    while (waiting.length > 0) {
      const batch = waiting;
      waiting = [];
      try {
        const outcomes = await deps.db.transaction().execute(async (trx) => {
          const results: StoreOutcome[] = [];
          for (const item of batch) {
            const nonce = await deps.callbacks.recordNonce(trx, item.integrationId, item.nonce, item.bodyHash, item.receivedAt.getTime());
            if (nonce !== 'new') {
              results.push(nonce === 'reused' ? 'replay' : 'duplicate');
              continue;
            }
            const id = createId('cbk');
            const stored = await deps.callbacks.insertOnce(trx, {
              id, integration_id: item.integrationId, project_id: item.projectId, trigger: item.trigger, dedupe_key: item.dedupeKey,
              provider_message_id: item.providerMessageId, received_at: item.receivedAt.toISOString(), body: item.rawBody, processed_at: null, outcome: null,
            });
            if (stored) {
              await deps.queue.enqueue(trx, { kind: processCallbackJob, key: `cb:${id}`, payload: { callback_id: id }, maxAttempts: 20 }, item.receivedAt.getTime());
            }
            results.push(stored ? 'stored' : 'duplicate');
          }
          return results;
        });
        batch.forEach((item, i) => item.resolve(outcomes[i] ?? 'duplicate'));
        if (outcomes.includes('stored')) deps.onStored();
      } catch (error) {
        for (const item of batch) item.reject(error);
      }
    }
    flushing = false;
  }

  function store(item: Omit<Pending, 'resolve' | 'reject'>): Promise<StoreOutcome> {
    return new Promise((resolve, reject) => {
      waiting.push({ ...item, resolve, reject });
      if (!flushing) setImmediate(() => void flush());
      flushing = true;
    });
  }

  return {
    /** Drops cached integrations (one was changed or deleted). */
    forget(): void {
      cache.clear();
    },

    async receive(token: string, rawBody: string, headers: Record<string, string | string[] | undefined>): Promise<IngestResult> {
      const now = deps.clock.now();
      const integration = await integrationFor(token, now.getTime());
      if (integration === undefined) return fail(404, 'not_found', 'unknown callback URL');
      const header = (name: string) => { const v = headers[name]; return Array.isArray(v) ? v[0] : v; };
      const check = verifySignature(rawBody, {
        signature: header('x-sinch-webhook-signature'),
        nonce: header('x-sinch-webhook-signature-nonce'),
        timestamp: header('x-sinch-webhook-signature-timestamp'),
      }, integration.webhookSecrets, now.getTime(), deps.toleranceSeconds);
      if (!check.ok) {
        const messages = {
          missing_headers: 'the x-sinch-webhook-signature, -nonce and -timestamp headers are required',
          bad_timestamp: 'x-sinch-webhook-signature-timestamp must be Unix seconds',
          stale: `the signature timestamp is more than ${deps.toleranceSeconds} s away from now`,
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
      const bodyHash = createHash('sha256').update(rawBody).digest('hex');
      const { trigger } = identifyTrigger(json);
      const dedupeKey = callbackDedupeKey(trigger, json, bodyHash);
      const providerMessageId = readDeliveryReport(json)?.providerMessageId ?? readInboundMessage(json)?.id ?? null;

      const outcome = await store({
        integrationId: integration.id, projectId: integration.projectId, nonce: check.nonce, bodyHash, trigger, dedupeKey,
        providerMessageId, receivedAt: now, rawBody,
      });
      if (outcome === 'replay') return fail(401, 'replayed_nonce', 'this signature nonce was already used with another body');
      if (now.getTime() - lastPrune > 60_000) {
        lastPrune = now.getTime();
        await deps.callbacks.pruneNonces(now.getTime() - 2 * deps.toleranceSeconds * 1000);
      }
      return { status: 200, body: { received: true, duplicate: outcome === 'duplicate' } };
    },
  };
}

export type CallbackIngest = ReturnType<typeof createCallbackIngest>;
