import type { Dispatcher } from 'undici';
import { createId } from '../lib/ids.ts';
import { notFound } from '../lib/app-error.ts';
import type { Clock } from '../lib/time.ts';
import { isForeignKeyViolation } from '../db/errors.ts';
import type { Transact } from '../db/transact.ts';
import { consentColumn, type ConsentChannel, type ConsentLedgerRow, type CustomersRepo } from '../db/repos/customers-repo.ts';
import type { IntegrationRow, IntegrationsRepo } from '../db/repos/integrations-repo.ts';
import type { JobHandler } from '../db/repos/jobs-repo.ts';
import type { SettingsRepo } from '../db/repos/settings-repo.ts';
import type { SinchConsentSyncRow, SinchConsentsRepo } from '../db/repos/sinch-consents-repo.ts';
import { fromSinchIdentity } from '../providers/sinch/mapping.ts';
import { consentLists, readConsentList, type ConsentList } from '../providers/sinch/consents.ts';
import type { WebhookTarget } from '../providers/sinch/webhooks.ts';
import type { Senders } from './integrations.ts';
import { newCustomerRow } from './two-way.ts';

/** The periodic import of every integration's opt-out lists: one job for the whole deployment (its key dedupes it). */
export const consentSyncJob = 'sinch_consent_sync';

/** Identities written per transaction (their seen rows, new customers, ledger entries and consent changes). */
export const consentSyncChunk = 500;

/** Lists whose entries revoke consent; OPT_OUT_NOTIFICATION is recorded as seen and changes none (see docs/two-way.md). */
const revokingLists: ReadonlySet<ConsentList> = new Set(['OPT_OUT_ALL', 'OPT_OUT_MARKETING']);

/** The last consent import of an integration, as the API shows it. */
export interface ConsentSyncView {
  synced_at: string;
  ok: boolean;
  error: { code: string; message: string } | null;
  /** How many identities each opt-out list had; null when they could not be read. */
  lists: Record<ConsentList, number> | null;
  /** Entries seen on the lists for the first time (every list). */
  added: number;
  /** Entries no longer on the lists (forgotten; no consent changes). */
  removed: number;
  /** Customers whose consent this import revoked (on at least one channel). */
  imported: number;
  /** Ledger entries written (one per customer and channel revoked). */
  revocations: number;
}

export function toConsentSyncView(row: SinchConsentSyncRow): ConsentSyncView {
  const listed = row.opt_out_all !== null && row.opt_out_marketing !== null && row.opt_out_notification !== null
    ? { OPT_OUT_ALL: row.opt_out_all, OPT_OUT_MARKETING: row.opt_out_marketing, OPT_OUT_NOTIFICATION: row.opt_out_notification } : null;
  return {
    synced_at: row.synced_at,
    ok: row.outcome === 'ok',
    error: row.outcome === 'error' ? { code: row.error_code ?? 'sync_failed', message: row.detail ?? '' } : null,
    lists: listed,
    added: row.added, removed: row.removed, imported: row.imported, revocations: row.revocations,
  };
}

function chunksOf<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

type Connected = { ok: true; senders: Senders; api: WebhookTarget } | { ok: false; error: { code: string; message: string } };

/**
 * The consent import from Sinch's opt-out lists (Consents API) into our ledger, acting on the lists' **changes**
 * (docs/two-way.md "Consent import"): every list is read whole first (a failed page changes nothing); an identity new
 * on OPT_OUT_ALL or OPT_OUT_MARKETING revokes the customer's consent on every channel the integration serves, where
 * not revoked already (ledger source `sinch`); one gone from a list is forgotten and changes no consent. Writes go in
 * chunks; the seen rows, written in the chunk's transaction, make a repeated chunk (or two syncs at once) a no-op.
 */
export function createConsentSync(deps: {
  transact: Transact;
  repo: SinchConsentsRepo;
  customers: CustomersRepo;
  integrations: Pick<IntegrationsRepo, 'find' | 'findById' | 'listRates'>;
  settings: Pick<SettingsRepo, 'get'>;
  /** An OAuth token and the Conversation API of the integration, or why not (integrations service). */
  connect: (row: IntegrationRow) => Promise<Connected>;
  dispatcher: Dispatcher;
  clock: Clock;
  log: { warn(obj: object, msg: string): void };
  /** Most identities read from one list (default 200,000); a longer list is an error, never imported in part. */
  listCap?: number;
}) {
  /** The channels the integration serves: its senders, and the channels it is the project's default provider for. */
  async function channelsOf(row: IntegrationRow, senders: Senders): Promise<ConsentChannel[]> {
    const settings = await deps.settings.get(row.project_id);
    const channels = new Set<ConsentChannel>();
    if (senders.whatsapp !== undefined || settings.whatsapp_integration_id === row.id) channels.add('whatsapp');
    if (senders.rcs !== undefined || settings.rcs_integration_id === row.id) channels.add('rcs');
    if (senders.sms !== undefined) channels.add('sms');
    return [...channels];
  }

  /** One chunk of identities new on a list, in one transaction. */
  async function importChunk(row: IntegrationRow, list: ConsentList, identities: string[], channels: ConsentChannel[], at: string) {
    return deps.transact(async (trx) => {
      const fresh = await deps.repo.markSeen(trx, row.id, list, identities, at);
      if (!revokingLists.has(list) || fresh.length === 0 || channels.length === 0) return { added: fresh.length, imported: 0, revocations: 0 };
      const phones = [...new Set(fresh.map(fromSinchIdentity))];
      await deps.customers.insertMissing(trx, phones.map((phone) => newCustomerRow(row.project_id, phone, at)));
      const customers = await deps.customers.findByPhones(trx, row.project_id, phones);
      const ledger: ConsentLedgerRow[] = [];
      const revoke = new Map<ConsentChannel, string[]>(channels.map((c) => [c, []]));
      let imported = 0;
      for (const customer of customers) {
        const open = channels.filter((channel) => customer[consentColumn[channel]] !== 'revoked');
        if (open.length === 0) continue;
        imported++;
        for (const channel of open) {
          revoke.get(channel)!.push(customer.id);
          ledger.push({
            id: createId('cns'), project_id: row.project_id, customer_id: customer.id, channel, action: 'revoke', source: 'sinch',
            rule_id: null, keyword: null, inbound_message_id: null, token_id: null, at,
          });
        }
      }
      for (const [channel, ids] of revoke) await deps.customers.setConsent(trx, ids, channel, 'revoked', at);
      await deps.customers.appendLedgerMany(trx, ledger);
      return { added: fresh.length, imported, revocations: ledger.length };
    });
  }

  /** Syncs one integration and records the outcome; undefined when the integration went away meanwhile. */
  async function run(row: IntegrationRow): Promise<ConsentSyncView | undefined> {
    const at = deps.clock.now().toISOString();
    const counts = { added: 0, removed: 0, imported: 0, revocations: 0 };
    const record = async (status: Omit<SinchConsentSyncRow, 'integration_id' | 'synced_at' | 'added' | 'removed' | 'imported' | 'revocations'>) => {
      const stored: SinchConsentSyncRow = { integration_id: row.id, synced_at: at, ...status, ...counts };
      try {
        await deps.repo.recordSync(stored);
      } catch (error) {
        if (isForeignKeyViolation(error)) return undefined;
        throw error;
      }
      return toConsentSyncView(stored);
    };
    const fail = (code: string, detail: string) => record({
      outcome: 'error', error_code: code, detail, opt_out_all: null, opt_out_marketing: null, opt_out_notification: null,
    });

    const connected = await deps.connect(row);
    if (!connected.ok) return fail(connected.error.code, connected.error.message);
    const lists = {} as Record<ConsentList, string[]>;
    for (const list of consentLists) {
      const read = await readConsentList(deps.dispatcher, connected.api, list, deps.listCap === undefined ? {} : { cap: deps.listCap });
      if (!read.ok) {
        if (read.tooLong === true) return fail('consent_list_too_long', `${read.detail}. Nothing was imported.`);
        if (read.status === null) return fail('sinch_unreachable', `Could not read ${list} from the Consents API (${read.detail}). Nothing was imported.`);
        return fail('consents_unreadable', `Sinch answered HTTP ${read.status} reading ${list}: ${read.detail}. Consent management may be off for the app, or the credentials may not read it. Nothing was imported.`);
      }
      lists[list] = [...new Set(read.identities)];
    }

    try {
      const channels = await channelsOf(row, connected.senders);
      for (const list of consentLists) {
        const seen = new Set(await deps.repo.seen(row.id, list));
        const current = new Set(lists[list]);
        const gone = [...seen].filter((identity) => !current.has(identity));
        for (const chunk of chunksOf(gone, consentSyncChunk)) {
          await deps.repo.forget(row.id, list, chunk);
          counts.removed += chunk.length;
        }
        const fresh = lists[list].filter((identity) => !seen.has(identity));
        for (const chunk of chunksOf(fresh, consentSyncChunk)) {
          const done = await importChunk(row, list, chunk, channels, at);
          counts.added += done.added;
          counts.imported += done.imported;
          counts.revocations += done.revocations;
        }
      }
    } catch (error) {
      if (isForeignKeyViolation(error)) return undefined;
      await fail('sync_failed', `The import stopped after ${counts.added} new entries: ${error instanceof Error ? error.message : String(error)}`);
      throw error;
    }
    return record({
      outcome: 'ok', error_code: null, detail: null,
      opt_out_all: lists.OPT_OUT_ALL.length, opt_out_marketing: lists.OPT_OUT_MARKETING.length, opt_out_notification: lists.OPT_OUT_NOTIFICATION.length,
    });
  }

  /** Every integration in turn; one failing (Sinch refuses, or a bug) does not stop the others. */
  async function syncAll(): Promise<void> {
    for (const { id } of await deps.integrations.listRates()) {
      try {
        const row = await deps.integrations.findById(id);
        if (row !== undefined) await run(row);
      } catch (error) {
        deps.log.warn({ integration_id: id, err: error instanceof Error ? error.message : String(error) }, 'consent import failed');
      }
    }
  }

  return {
    syncAll,

    /** Imports the integration's opt-out lists now (the admin route) and answers how it went. */
    async syncNow(projectId: string, integrationId: string): Promise<ConsentSyncView> {
      const row = await deps.integrations.find(projectId, integrationId);
      if (row === undefined) throw notFound('integration');
      const view = await run(row);
      if (view === undefined) throw notFound('integration');
      return view;
    },

    /** The integration's last import, or null when none ran yet. */
    async lastSync(projectId: string, integrationId: string): Promise<ConsentSyncView | null> {
      const row = await deps.integrations.find(projectId, integrationId);
      if (row === undefined) throw notFound('integration');
      const last = await deps.repo.lastSync(integrationId);
      return last === undefined ? null : toConsentSyncView(last);
    },

    /** The periodic job: syncs every integration, then runs again `intervalMs` later (0: off, the job ends). */
    jobHandler(intervalMs: number): JobHandler {
      return async () => {
        if (intervalMs <= 0) return { kind: 'done' };
        await syncAll();
        return { kind: 'retry', delayMs: intervalMs, error: `scheduled: the next import in ${Math.round(intervalMs / 1000)} s` };
      };
    },
  };
}

export type ConsentSync = ReturnType<typeof createConsentSync>;
