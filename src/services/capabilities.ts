import { createId } from '../lib/ids.ts';
import type { Clock } from '../lib/time.ts';
import type { Transact } from '../db/transact.ts';
import type { CapabilitiesRepo, CapabilityRow } from '../db/repos/capabilities-repo.ts';
import type { RateLimitsRepo } from '../db/repos/rate-limits-repo.ts';
import type { Executor } from '../db/repos/executor.ts';
import { capabilityExpiry, capabilityOf, capabilityState, type KnownCapability } from '../domain/capability.ts';
import { parseSinchTime, readCapabilityNotification } from '../providers/sinch/callbacks.ts';
import type { SinchClient } from '../providers/sinch/client.ts';
import { toSinchIdentity } from '../providers/sinch/mapping.ts';
import type { IntegrationSecrets } from './integrations.ts';

export interface CapabilityView {
  integration_id: string;
  channel: 'rcs';
  status: CapabilityRow['status'];
  reason: string | null;
  checked_at: string | null;
  queried_at: string | null;
  expires_at: string;
}

/** What a campaign's fan-out may do with a chunk's numbers now. */
export interface CapabilityCheck {
  /** Numbers whose capability is decided (`unknown` also for a query that was not answered in time). */
  decided: Map<string, KnownCapability>;
  /** Numbers still undecided (a query is out, or the query rate holds it back). */
  undecided: number;
  /** When undecided: look again after this long. */
  retryInMs: number;
}

/** Sinch's identities have no `+`; ours are E.164. */
function phoneOf(identity: string): string {
  return identity.startsWith('+') ? identity : `+${identity}`;
}

/**
 * The RCS capability cache (protocol notes §6.2): per integration (one Sinch project and app), number and channel.
 * Filled by `capability:query` calls made for campaigns and by the CAPABILITY callbacks that answer them (or any
 * other query made for the app); answers are used until they expire (`ttl`), unknown ones for less long.
 */
export function createCapabilities(deps: {
  transact: Transact;
  repo: CapabilitiesRepo;
  client: Pick<SinchClient, 'post'>;
  clock: Clock;
  ttl: { knownMs: number; unknownMs: number };
  /** How long to wait for a query's answer before sending as if unknown. */
  waitMs: number;
  /** Queries per second at most, per integration, across every instance on the database. */
  queriesPerSecond: number;
  /** The shared token buckets (the sends' per-integration limits live there too). */
  rateLimits: RateLimitsRepo;
  log: { warn(obj: object, msg: string): void };
}) {
  /**
   * Permits for `wanted` queries of one integration now, from its bucket in the database (a GCRA bucket holding one
   * second of queries), so several instances fanning out campaigns together stay within the rate.
   */
  async function grant(integrationId: string, wanted: number, now: number): Promise<{ granted: number; nextFreeAt: number }> {
    if (wanted === 0) return { granted: 0, nextFreeAt: now };
    return deps.transact((trx) => deps.rateLimits.reserve(trx, `rcs-capability:${integrationId}`, wanted, deps.queriesPerSecond, now));
  }
  const pendingUntil = () => Math.max(deps.waitMs, deps.ttl.unknownMs);

  async function ask(integration: IntegrationSecrets, phones: readonly string[], now: Date): Promise<void> {
    const requests = phones.map((phone) => ({ phone, requestId: createId('cap') }));
    // Pending before the query goes: its answer can arrive before the call returns.
    await deps.transact((trx) => deps.repo.markPending(trx, requests.map((r) => ({
      integration_id: integration.id, phone: r.phone, channel: 'rcs' as const, request_id: r.requestId,
      queried_at: now.toISOString(), expires_at: new Date(now.getTime() + pendingUntil()).toISOString(),
    }))));
    const path = `/v1/projects/${encodeURIComponent(integration.sinchProjectId)}/capability:query`;
    const failed: Array<{ phone: string; requestId: string; code: string }> = [];
    for (let i = 0; i < requests.length; i += 16) {
      await Promise.all(requests.slice(i, i + 16).map(async (r) => {
        const answer = await deps.client.post(integration, 'conversation', path, {
          app_id: integration.appId, recipient: { identified_by: { channel_identities: [{ channel: 'RCS', identity: toSinchIdentity(r.phone) }] } }, request_id: r.requestId,
        });
        if (!answer.ok) failed.push({ phone: r.phone, requestId: r.requestId, code: answer.code });
      }));
    }
    if (failed.length === 0) return;
    deps.log.warn({ integration_id: integration.id, failed: failed.length, code: failed[0]!.code }, 'RCS capability queries failed; those numbers count as unknown');
    const at = deps.clock.now();
    await deps.transact(async (trx) => {
      for (const f of failed) {
        await deps.repo.record(trx, {
          integration_id: integration.id, phone: f.phone, channel: 'rcs', status: 'unknown', reason: `QUERY_FAILED: ${f.code}`, request_id: f.requestId,
          checked_at: at.toISOString(), expires_at: new Date(capabilityExpiry('unknown', at.getTime(), deps.ttl)).toISOString(),
        });
      }
    });
  }

  return {
    /**
     * The capability of each number for an RCS send through `integration`: decided from the cache, or asked of
     * Sinch (at most the query rate allows now) and undecided until the answer comes or the wait is over.
     */
    async check(integration: IntegrationSecrets, phones: readonly string[]): Promise<CapabilityCheck> {
      const now = deps.clock.now();
      const entries = new Map((await deps.repo.get(integration.id, 'rcs', phones)).map((r) => [r.phone, r]));
      const decided = new Map<string, KnownCapability>();
      const toAsk: string[] = [];
      let waiting = 0;
      for (const phone of new Set(phones)) {
        const state = capabilityState(entries.get(phone), now.getTime(), deps.waitMs);
        if (state.kind === 'known') decided.set(phone, state.capability);
        else if (state.kind === 'timed_out') decided.set(phone, 'unknown');
        else if (state.kind === 'waiting') waiting++;
        else toAsk.push(phone);
      }
      const { granted, nextFreeAt } = await grant(integration.id, toAsk.length, now.getTime());
      if (granted > 0) await ask(integration, toAsk.slice(0, granted), now);
      const undecided = waiting + toAsk.length;
      const permitIn = Math.max(0, nextFreeAt - deps.clock.now().getTime());
      return { decided, undecided, retryInMs: toAsk.length > granted ? Math.max(100, permitIn) : 200 };
    },

    /** A CAPABILITY callback, inside the callback's transaction. Applying it again changes nothing. */
    async apply(trx: Executor, integrationId: string, body: Record<string, unknown>): Promise<string> {
      const n = readCapabilityNotification(body);
      if (n?.identity === undefined) return 'malformed';
      if (n.channel !== 'RCS') return 'ignored_channel';
      const capability = capabilityOf(n.status);
      const checked = parseSinchTime(n.eventTime) ?? parseSinchTime(n.acceptedTime) ?? deps.clock.now();
      const recorded = await deps.repo.record(trx, {
        integration_id: integrationId, phone: phoneOf(n.identity), channel: 'rcs', status: capability, reason: n.reason ?? null,
        request_id: n.requestId ?? null, checked_at: checked.toISOString(),
        expires_at: new Date(capabilityExpiry(capability, checked.getTime(), deps.ttl)).toISOString(),
      });
      return recorded ? 'applied' : 'repeated';
    },

    /** A customer's entries, under each of the project's integrations. */
    async forCustomer(projectId: string, phone: string): Promise<CapabilityView[]> {
      return (await deps.repo.forPhone(projectId, phone)).map((r) => ({
        integration_id: r.integration_id, channel: r.channel, status: r.status, reason: r.reason, checked_at: r.checked_at, queried_at: r.queried_at, expires_at: r.expires_at,
      }));
    },
  };
}

export type Capabilities = ReturnType<typeof createCapabilities>;
