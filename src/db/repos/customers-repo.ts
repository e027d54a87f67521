import type { Updateable } from 'kysely';
import type { ConsentState, PolicyCustomer } from '../../domain/send-policy.ts';
import { prepareInsertMany, prepareQuery, type SqlContext } from '../prepared.ts';
import type { Database } from '../schema.ts';
import type { Executor } from './executor.ts';

export type CustomerRow = Database['customers'];
export type ConsentLedgerRow = Database['consent_ledger'];
export type ConsentChannel = 'whatsapp' | 'rcs' | 'sms';

export const consentColumn = { whatsapp: 'consent_whatsapp', rcs: 'consent_rcs', sms: 'consent_sms' } as const satisfies Record<ConsentChannel, keyof CustomerRow>;

export function createCustomersRepo(db: Executor, ctx: SqlContext) {
  // Imports and the bulk API: a thousand customers per statement group, matched by phone.
  const upsertMany = prepareInsertMany(ctx, 'customers', `on conflict (project_id, phone) do update set attributes_json = excluded.attributes_json,
    tags = excluded.tags, time_zone = excluded.time_zone, consent_whatsapp = excluded.consent_whatsapp, consent_rcs = excluded.consent_rcs,
    consent_sms = excluded.consent_sms, updated_at = excluded.updated_at`);
  const forSend = prepareQuery<PolicyCustomer & { has_thread: number }>(ctx, `
    select consent_whatsapp, consent_rcs, consent_sms, last_inbound_whatsapp_at,
      (select count(*) from conversations v where v.customer_id = c.id and v.channel = $3) as has_thread
    from customers c where project_id = $1 and phone = $2`);
  return {
    /** What a send needs to know of the customer with this phone: consent, WhatsApp window, whether a thread exists. */
    async findForSend(executor: Executor, projectId: string, phone: string, channel: 'whatsapp' | 'rcs'): Promise<(PolicyCustomer & { hasThread: boolean }) | undefined> {
      const row = (await forSend.run(executor, [projectId, phone, channel]))[0];
      return row === undefined ? undefined : { ...row, hasThread: Number(row.has_thread) > 0 };
    },
    findByPhone(projectId: string, phone: string, executor: Executor = db): Promise<CustomerRow | undefined> {
      return executor.selectFrom('customers').selectAll().where('project_id', '=', projectId).where('phone', '=', phone).executeTakeFirst();
    },
    find(projectId: string, id: string, executor: Executor = db): Promise<CustomerRow | undefined> {
      return executor.selectFrom('customers').selectAll().where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
    },
    /** Inserts unless the phone is known; returns the stored row either way. */
    async upsertByPhone(executor: Executor, row: CustomerRow): Promise<{ customer: CustomerRow; created: boolean }> {
      const inserted = await executor.insertInto('customers').values(row)
        .onConflict((oc) => oc.columns(['project_id', 'phone']).doNothing()).returning('id').executeTakeFirst();
      const customer = await this.findByPhone(row.project_id, row.phone, executor);
      if (customer === undefined) throw new Error('customer vanished after upsert');
      return { customer, created: inserted !== undefined };
    },
    async update(executor: Executor, id: string, patch: Updateable<CustomerRow>): Promise<void> {
      await executor.updateTable('customers').set(patch).where('id', '=', id).execute();
    },
    list(projectId: string, filters: { phone?: string; consent?: { channel: ConsentChannel; state: ConsentState } }, page: { after?: string; limit: number }): Promise<CustomerRow[]> {
      let q = db.selectFrom('customers').selectAll().where('project_id', '=', projectId).orderBy('id').limit(page.limit);
      if (filters.phone !== undefined) q = q.where('phone', '=', filters.phone);
      if (filters.consent !== undefined) q = q.where(consentColumn[filters.consent.channel], '=', filters.consent.state);
      if (page.after !== undefined) q = q.where('id', '>', page.after);
      return q.execute();
    },
    /** The customers with these phones (at most a thousand at a time). */
    findByPhones(executor: Executor, projectId: string, phones: readonly string[]): Promise<CustomerRow[]> {
      if (phones.length === 0) return Promise.resolve([]);
      return executor.selectFrom('customers').selectAll().where('project_id', '=', projectId).where('phone', 'in', [...phones]).execute();
    },
    /** Inserts or replaces customers (matched by project and phone) with the values given, in one statement. */
    async upsertMany(executor: Executor, rows: readonly CustomerRow[]): Promise<void> {
      await upsertMany.run(executor, rows);
    },
    /** Inserts the customers whose phone is not known yet (in one statement); known ones are left as they are. */
    async insertMissing(executor: Executor, rows: readonly CustomerRow[]): Promise<void> {
      if (rows.length === 0) return;
      await executor.insertInto('customers').values([...rows]).onConflict((oc) => oc.columns(['project_id', 'phone']).doNothing()).execute();
    },
    /** Sets one channel's consent of these customers (at most a thousand at a time). */
    async setConsent(executor: Executor, ids: readonly string[], channel: ConsentChannel, state: ConsentState, at: string): Promise<void> {
      if (ids.length === 0) return;
      await executor.updateTable('customers').set({ [consentColumn[channel]]: state, updated_at: at }).where('id', 'in', [...ids]).execute();
    },
    async appendLedgerMany(executor: Executor, rows: readonly ConsentLedgerRow[]): Promise<void> {
      if (rows.length === 0) return;
      await executor.insertInto('consent_ledger').values([...rows]).execute();
    },
    async appendLedger(executor: Executor, row: ConsentLedgerRow): Promise<void> {
      await executor.insertInto('consent_ledger').values(row).execute();
    },
    /** Oldest first; `after` is the (at, id) of the last entry seen. */
    ledger(customerId: string, page: { after?: { at: string; id: string }; limit: number }): Promise<ConsentLedgerRow[]> {
      let q = db.selectFrom('consent_ledger').selectAll().where('customer_id', '=', customerId);
      const after = page.after;
      if (after !== undefined) q = q.where((eb) => eb.or([eb('at', '>', after.at), eb.and([eb('at', '=', after.at), eb('id', '>', after.id)])]));
      return q.orderBy('at').orderBy('id').limit(page.limit).execute();
    },
  };
}

export type CustomersRepo = ReturnType<typeof createCustomersRepo>;
