import { AppError, invalidField, notFound } from '../lib/app-error.ts';
import { createId } from '../lib/ids.ts';
import { buildPage, pairKey, parsePairKey, type Page, type PageRequest } from '../lib/pagination.ts';
import type { Clock } from '../lib/time.ts';
import type { Transact } from '../db/transact.ts';
import type { ConsentState } from '../domain/send-policy.ts';
import type { Executor } from '../db/repos/executor.ts';
import { consentColumn, type ConsentChannel, type ConsentLedgerRow, type CustomerRow, type CustomersRepo } from '../db/repos/customers-repo.ts';
import { checkAttributes, checkAttributesSize, readTags, type InputProblem } from '../domain/customer-input.ts';
import { whatsappWindow } from '../domain/keywords.ts';
import { normalizePhone } from '../domain/phone.ts';
import type { Principal } from './access.ts';
import { newCustomerRow } from './two-way.ts';

export interface CustomerView {
  id: string;
  phone: string;
  attributes: Record<string, unknown>;
  tags: string[];
  time_zone: string | null;
  consent: Record<ConsentChannel, ConsentState>;
  whatsapp_window: { open: boolean; closes_at: string | null; last_inbound_at: string | null };
  created_at: string;
  updated_at: string;
}

export interface ConsentChange { whatsapp?: 'granted' | 'revoked'; rcs?: 'granted' | 'revoked'; sms?: 'granted' | 'revoked' }

export function toCustomerView(row: CustomerRow, now: Date): CustomerView {
  const window = whatsappWindow(row.last_inbound_whatsapp_at === null ? null : new Date(row.last_inbound_whatsapp_at), now);
  return {
    id: row.id,
    phone: row.phone,
    attributes: JSON.parse(row.attributes_json) as Record<string, unknown>,
    tags: readTags(row.tags),
    time_zone: row.time_zone,
    consent: { whatsapp: row.consent_whatsapp, rcs: row.consent_rcs, sms: row.consent_sms },
    whatsapp_window: { open: window.open, closes_at: window.closesAt?.toISOString() ?? null, last_inbound_at: row.last_inbound_whatsapp_at },
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

function toLedgerView(row: ConsentLedgerRow) {
  return {
    id: row.id, channel: row.channel, action: row.action, source: row.source, rule_id: row.rule_id, keyword: row.keyword,
    inbound_message_id: row.inbound_message_id, token_id: row.token_id, at: row.at,
  };
}

/** The first of the problems, as the API's one error (the field and the rule). */
function refuseProblems(problems: readonly InputProblem[]): void {
  const first = problems[0];
  if (first !== undefined) throw invalidField(first.field, first.message);
}

/** Attributes as given to the API, checked against the documented rules (the same as imports and bulk upserts). */
function attributesOf(raw: Record<string, unknown> | undefined): Record<string, string | number | boolean | null> {
  const problems: InputProblem[] = [];
  const attributes = checkAttributes(raw, problems);
  refuseProblems(problems);
  return attributes;
}

/** Customer profiles by phone number, with attributes and per-channel consent changed only through the ledger. */
export function createCustomersService(deps: { transact: Transact; customers: CustomersRepo; clock: Clock }) {
  function normalize(phone: string): string {
    const parsed = normalizePhone(phone);
    if (!parsed.ok) throw invalidField('phone', `phone ${parsed.reason}`);
    return parsed.e164;
  }

  async function applyConsent(trx: Executor, customer: CustomerRow, change: ConsentChange, principal: Principal, at: string): Promise<Partial<CustomerRow>> {
    const patch: Partial<CustomerRow> = {};
    for (const channel of ['whatsapp', 'rcs', 'sms'] as const) {
      const state = change[channel];
      if (state === undefined) continue;
      await deps.customers.appendLedger(trx, {
        id: createId('cns'), project_id: customer.project_id, customer_id: customer.id, channel, action: state === 'granted' ? 'grant' : 'revoke',
        source: 'api', rule_id: null, keyword: null, inbound_message_id: null, token_id: principal.kind === 'project_token' ? principal.tokenId : null, at,
      });
      patch[consentColumn[channel]] = state;
    }
    return patch;
  }

  return {
    async create(projectId: string, input: { phone: string; attributes?: Record<string, unknown>; consent?: ConsentChange }, principal: Principal): Promise<CustomerView> {
      const phone = normalize(input.phone);
      const attributes = attributesOf(input.attributes);
      const now = deps.clock.now();
      const row: CustomerRow = { ...newCustomerRow(projectId, phone, now.toISOString()), attributes_json: JSON.stringify(attributes) };
      return deps.transact(async (trx) => {
        const { created, customer } = await deps.customers.upsertByPhone(trx, row);
        if (!created) throw new AppError(409, 'customer_exists', `a customer with phone ${phone} exists (${customer.id})`, 'phone');
        const patch = await applyConsent(trx, customer, input.consent ?? {}, principal, now.toISOString());
        if (Object.keys(patch).length > 0) await deps.customers.update(trx, customer.id, patch);
        return toCustomerView({ ...customer, ...patch }, now);
      });
    },

    async get(projectId: string, idOrPhone: string): Promise<CustomerView> {
      const row = idOrPhone.startsWith('+')
        ? await deps.customers.findByPhone(projectId, normalize(idOrPhone))
        : await deps.customers.find(projectId, idOrPhone);
      if (row === undefined) throw notFound('customer');
      return toCustomerView(row, deps.clock.now());
    },

    async list(projectId: string, filters: { phone?: string; consent_channel?: ConsentChannel; consent_state?: ConsentState }, page: PageRequest): Promise<Page<CustomerView>> {
      if ((filters.consent_channel === undefined) !== (filters.consent_state === undefined)) {
        throw invalidField(filters.consent_channel === undefined ? 'consent_channel' : 'consent_state', 'consent_channel and consent_state go together');
      }
      const rows = await deps.customers.list(projectId, {
        ...(filters.phone !== undefined ? { phone: normalize(filters.phone) } : {}),
        ...(filters.consent_channel !== undefined && filters.consent_state !== undefined ? { consent: { channel: filters.consent_channel, state: filters.consent_state } } : {}),
      }, { ...(page.after !== undefined ? { after: page.after } : {}), limit: page.limit + 1 });
      const now = deps.clock.now();
      return buildPage(rows, page.limit, (r) => r.id, (r) => toCustomerView(r, now));
    },

    async update(projectId: string, id: string, input: { attributes?: Record<string, unknown>; consent?: ConsentChange }, principal: Principal): Promise<CustomerView> {
      const given = input.attributes === undefined ? undefined : attributesOf(input.attributes);
      const now = deps.clock.now();
      return deps.transact(async (trx) => {
        const customer = await deps.customers.find(projectId, id, trx);
        if (customer === undefined) throw notFound('customer');
        const patch: Partial<CustomerRow> = await applyConsent(trx, customer, input.consent ?? {}, principal, now.toISOString());
        if (given !== undefined) {
          // Merge: a key set to null is removed. The result must keep within the documented size.
          const merged: Record<string, unknown> = Object.assign(Object.create(null) as Record<string, unknown>, JSON.parse(customer.attributes_json) as Record<string, unknown>, given);
          for (const [k, v] of Object.entries(merged)) if (v === null) delete merged[k];
          const problems: InputProblem[] = [];
          checkAttributesSize(merged, problems);
          refuseProblems(problems);
          patch.attributes_json = JSON.stringify(merged);
        }
        patch.updated_at = now.toISOString();
        await deps.customers.update(trx, customer.id, patch);
        return toCustomerView({ ...customer, ...patch }, now);
      });
    },

    async ledger(projectId: string, id: string, page: PageRequest) {
      const customer = await deps.customers.find(projectId, id);
      if (customer === undefined) throw notFound('customer');
      const after = parsePairKey(page.after);
      const rows = await deps.customers.ledger(id, { ...(after !== undefined ? { after: { at: after[0], id: after[1] } } : {}), limit: page.limit + 1 });
      return buildPage(rows, page.limit, (r) => pairKey(r.at, r.id), toLedgerView);
    },
  };
}

export type CustomersService = ReturnType<typeof createCustomersService>;
