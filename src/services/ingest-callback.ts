import { createHash } from 'node:crypto';
import { createId } from '../lib/ids.ts';
import type { Clock } from '../lib/time.ts';
import type { Transact } from '../db/transact.ts';
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
  transact: Transact;
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

  type StoreOutcome = 'stored' | 'duplicate' | 'replay';

  /**
   * The nonce, the callback and its processing job in one unit of work, answered only after its commit (group
   * commit on SQLite, see db/transact.ts), so nothing is acknowledged unstored; a failed commit is a 500 and Sinch
   * retries.
   */
  async function store(item: {
    integrationId: string; projectId: string; nonce: string; bodyHash: string; trigger: string; dedupeKey: string;
    providerMessageId: string | null; receivedAt: Date; rawBody: string;
  }): Promise<StoreOutcome> {
    const outcome = await deps.transact(async (trx): Promise<StoreOutcome> => {
      const nonce = await deps.callbacks.recordNonce(trx, item.integrationId, item.nonce, item.bodyHash, item.receivedAt.getTime());
      if (nonce !== 'new') return nonce === 'reused' ? 'replay' : 'duplicate';
      const id = createId('cbk');
      const stored = await deps.callbacks.insertOnce(trx, {
        id, integration_id: item.integrationId, project_id: item.projectId, trigger: item.trigger, dedupe_key: item.dedupeKey,
        provider_message_id: item.providerMessageId, received_at: item.receivedAt.toISOString(), body: item.rawBody, processed_at: null, outcome: null,
      });
      if (!stored) return 'duplicate';
      await deps.queue.enqueue(trx, { kind: processCallbackJob, key: `cb:${id}`, payload: { callback_id: id }, maxAttempts: 20 }, item.receivedAt.getTime());
      return 'stored';
    });
    if (outcome === 'stored') deps.onStored();
    return outcome;
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
