import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { AppError, invalidField, notFound } from '../lib/app-error.ts';
import { createId } from '../lib/ids.ts';
import { buildPage, type Page, type PageRequest } from '../lib/pagination.ts';
import type { Clock } from '../lib/time.ts';
import type { Transact } from '../db/transact.ts';
import type { Executor } from '../db/repos/executor.ts';
import type { ConsentLedgerRow, CustomerRow, CustomersRepo } from '../db/repos/customers-repo.ts';
import type { ImportRow, ImportsRepo } from '../db/repos/imports-repo.ts';
import { checkCustomerInput, readTags, storeTags, type CustomerInput, type InputProblem } from '../domain/customer-input.ts';
import { checkColumnMapping, resolveColumns, type ColumnMapping, type ColumnTarget } from '../domain/import-columns.ts';

export interface ImportView {
  id: string;
  name: string;
  status: ImportRow['status'];
  rows_read: number;
  created: number;
  updated: number;
  errors: number;
  failure: string | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
  /** The column mapping it was created with (the file's column → what it becomes); null: columns by their names. */
  columns: ColumnMapping | null;
}

export interface BatchItemResult {
  index: number;
  status: 'created' | 'updated' | 'invalid';
  id?: string;
  phone?: string;
  errors?: InputProblem[];
}

const chunkSize = 1000;
/** Error rows kept per import (the count goes on). */
const maxStoredErrors = 10_000;

/** A running import's progress is written every thousand rows; one silent this long has stopped (its process died). */
const stalledAfterMs = 10 * 60_000;

function toView(row: ImportRow, now: Date): ImportView {
  const stalled = row.status === 'running' && now.getTime() - Date.parse(row.updated_at) > stalledAfterMs;
  if (stalled) {
    return {
      ...toView({ ...row, status: 'failed' }, now),
      failure: 'the import stopped before the end of the file (the upload broke off or the service restarted); import the file again: rows already imported are updated, not duplicated',
    };
  }
  return {
    id: row.id, name: row.name, status: row.status, rows_read: row.rows_read, created: row.created_count, updated: row.updated_count,
    errors: row.error_count, failure: row.failure, created_at: row.created_at, updated_at: row.updated_at, finished_at: row.finished_at,
    columns: row.columns_json === null ? null : JSON.parse(row.columns_json) as ColumnMapping,
  };
}

/**
 * Customers in bulk: CSV imports (streamed, a thousand rows per transaction, so a file of a million rows takes
 * bounded memory; progress on the import while it runs; every bad row in the error report with its field and rule;
 * upsert by the normalised phone, so importing the same file again changes nothing) and the bulk upsert API.
 */
export function createCustomerImports(deps: { transact: Transact; customers: CustomersRepo; imports: ImportsRepo; clock: Clock }) {
  /** Writes one chunk of checked inputs; returns which were created and the customer ids, in order. */
  async function upsert(trx: Executor, projectId: string, inputs: CustomerInput[], source: 'import' | 'api', tokenId: string | null): Promise<Array<{ id: string; created: boolean }>> {
    const at = deps.clock.now().toISOString();
    const phones = [...new Set(inputs.map((i) => i.phone))];
    const existing = new Map((await deps.customers.findByPhones(trx, projectId, phones)).map((c) => [c.phone, c]));
    const final = new Map<string, CustomerRow>();
    const ledger: ConsentLedgerRow[] = [];
    const results: Array<{ phone: string; created: boolean }> = [];
    for (const input of inputs) {
      const before = final.get(input.phone) ?? existing.get(input.phone);
      const created = before === undefined && !final.has(input.phone);
      const base: CustomerRow = before ?? {
        id: createId('cus'), project_id: projectId, phone: input.phone, attributes_json: '{}', consent_whatsapp: 'unknown', consent_rcs: 'unknown',
        consent_sms: 'unknown', last_inbound_whatsapp_at: null, created_at: at, updated_at: at, tags: '', time_zone: null, last_inbound_at: null,
      };
      const attributes = { ...(JSON.parse(base.attributes_json) as Record<string, unknown>) };
      for (const [k, v] of Object.entries(input.attributes)) {
        if (v === null) delete attributes[k];
        else attributes[k] = v;
      }
      const next: CustomerRow = {
        ...base, attributes_json: JSON.stringify(attributes), updated_at: at,
        ...(input.tags !== undefined ? { tags: storeTags(input.tags) } : {}),
        ...(input.timeZone !== undefined ? { time_zone: input.timeZone } : {}),
      };
      for (const channel of ['whatsapp', 'rcs', 'sms'] as const) {
        const state = input.consent[channel];
        const column = `consent_${channel}` as const;
        if (state === undefined || state === next[column]) continue;
        next[column] = state;
        if (state !== 'unknown') {
          ledger.push({
            id: createId('cns'), project_id: projectId, customer_id: next.id, channel, action: state === 'granted' ? 'grant' : 'revoke',
            source, rule_id: null, keyword: null, inbound_message_id: null, token_id: tokenId, at,
          });
        }
      }
      final.set(input.phone, next);
      results.push({ phone: input.phone, created });
    }
    await deps.customers.upsertMany(trx, [...final.values()]);
    if (ledger.length > 0) await deps.customers.appendLedgerMany(trx, ledger);
    return results.map((r) => ({ id: final.get(r.phone)!.id, created: r.created }));
  }

  async function require(projectId: string, id: string): Promise<ImportRow> {
    const row = await deps.imports.find(projectId, id);
    if (row === undefined) throw notFound('import');
    return row;
  }

  return {
    /** A waiting import; `columns` maps the file's columns (checked now, applied to the header row when the file comes). */
    async create(projectId: string, name: string, columns?: unknown): Promise<ImportView> {
      let mapping: ColumnMapping | null = null;
      if (columns !== undefined && columns !== null) {
        const checked = checkColumnMapping(columns);
        if (!checked.ok) throw invalidField(checked.problem.field, checked.problem.message);
        mapping = checked.mapping;
      }
      const at = deps.clock.now().toISOString();
      const row: ImportRow = {
        id: createId('imp'), project_id: projectId, name, status: 'waiting', rows_read: 0, created_count: 0, updated_count: 0, error_count: 0,
        failure: null, created_at: at, updated_at: at, finished_at: null, columns_json: mapping === null ? null : JSON.stringify(mapping),
      };
      await deps.imports.insert(row);
      return toView(row, deps.clock.now());
    },

    async get(projectId: string, id: string): Promise<ImportView> {
      return toView(await require(projectId, id), deps.clock.now());
    },

    async list(projectId: string, page: PageRequest): Promise<Page<ImportView>> {
      const rows = await deps.imports.list(projectId, { ...(page.after !== undefined ? { before: page.after } : {}), limit: page.limit + 1 });
      return buildPage(rows, page.limit, (r) => r.id, (r) => toView(r, deps.clock.now()));
    },

    async errors(projectId: string, id: string, page: { after?: number; limit: number }) {
      await require(projectId, id);
      return deps.imports.errors(id, page);
    },

    /**
     * Reads a CSV file (a header row naming the columns: `phone`, optional `tags` (separated by `|`), `time_zone`,
     * `consent_whatsapp` / `consent_rcs` / `consent_sms`, and any other column as an attribute; or as the import's
     * column mapping says) into the import.
     */
    async run(projectId: string, id: string, csv: Readable, options: { maxBytes: number }): Promise<ImportView> {
      const row = await require(projectId, id);
      if (row.status !== 'waiting') throw new AppError(409, 'import_not_waiting', `this import is ${row.status}; start another import for another file`);
      if (!await deps.imports.start(projectId, id, deps.clock.now().toISOString())) throw new AppError(409, 'import_not_waiting', 'this import has already started');
      const parser = parse({ bom: true, skip_empty_lines: true, relax_column_count: true, trim: true });
      let bytes = 0;
      csv.on('data', (chunk: Buffer) => {
        if (bytes > options.maxBytes) return;
        bytes += chunk.length;
        if (bytes <= options.maxBytes) return;
        // Stop parsing but not the request (see `finally` below): destroying the request would reset the
        // connection, and the client, still sending, would see that instead of the 413.
        csv.unpipe(parser);
        parser.destroy(new AppError(413, 'payload_too_large', `the file is larger than ${options.maxBytes} bytes (IMPORT_MAX_BYTES)`));
      });
      csv.pipe(parser);
      const mapping = row.columns_json === null ? null : JSON.parse(row.columns_json) as ColumnMapping;
      let header: ColumnTarget[] | undefined;
      let rowNumber = 1;
      let pending: Array<{ row: number; input: CustomerInput }> = [];
      let problems: Array<{ row_number: number; field: string; message: string }> = [];
      const counts = { rows: 0, created: 0, updated: 0, errors: 0, storedErrors: 0 };

      const flush = async () => {
        const inputs = pending;
        const bad = problems;
        pending = [];
        problems = [];
        const keep = bad.slice(0, Math.max(0, maxStoredErrors - counts.storedErrors));
        const before = { ...counts };
        // A unit of work may run twice (db/transact.ts): it computes from `before` and hands back what it wrote.
        const written = await deps.transact(async (trx) => {
          const done = inputs.length === 0 ? [] : await upsert(trx, projectId, inputs.map((p) => p.input), 'import', null);
          await deps.imports.addMembers(trx, id, [...new Set(done.map((w) => w.id))]);
          await deps.imports.addErrors(trx, id, keep);
          const created = before.created + done.filter((w) => w.created).length;
          await deps.imports.progress(trx, id, {
            rows_read: before.rows, created_count: created, updated_count: before.updated + done.length - (created - before.created),
            error_count: before.errors, updated_at: deps.clock.now().toISOString(),
          });
          return done;
        });
        counts.storedErrors += keep.length;
        counts.created += written.filter((w) => w.created).length;
        counts.updated += written.filter((w) => !w.created).length;
      };

      try {
        for await (const record of parser as AsyncIterable<string[]>) {
          if (header === undefined) {
            const resolved = resolveColumns(record.map((h) => h.trim()), mapping);
            if (!resolved.ok) throw invalidField(resolved.problem.field, resolved.problem.message);
            header = resolved.targets;
            continue;
          }
          rowNumber += 1;
          counts.rows += 1;
          const cells = new Map<string, string>();
          const attributes: Record<string, string> = {};
          header.forEach((target, i) => {
            const value = record[i] ?? '';
            if (target === 'ignore') return;
            if (target.startsWith('attribute:')) {
              if (value !== '') attributes[target.slice('attribute:'.length)] = value;
            } else cells.set(target, value);
          });
          const checked = checkCustomerInput({
            phone: cells.get('phone'), attributes, ...(cells.has('tags') && cells.get('tags') !== '' ? { tags: cells.get('tags') } : {}),
            consent: { whatsapp: cells.get('consent_whatsapp'), rcs: cells.get('consent_rcs'), sms: cells.get('consent_sms') },
            time_zone: cells.get('time_zone'),
          });
          if (checked.ok) pending.push({ row: rowNumber, input: checked.input });
          else {
            counts.errors += 1;
            for (const p of checked.problems) problems.push({ row_number: rowNumber, field: p.field, message: p.message });
          }
          if (pending.length + problems.length >= chunkSize) await flush();
        }
        if (header === undefined) throw invalidField('csv', 'the file is empty: the first row must name the columns, one of them `phone`');
        await flush();
        await deps.imports.finish(id, { status: 'completed', failure: null, finished_at: deps.clock.now().toISOString() });
      } catch (error) {
        const failure = error instanceof AppError ? error.message : error instanceof Error && /CSV|Invalid|Quote/i.test(error.message) ? `the file is not valid CSV: ${error.message}` : 'the import stopped on an unexpected error';
        await deps.imports.finish(id, { status: 'failed', failure, finished_at: deps.clock.now().toISOString() });
        if (error instanceof AppError) throw error;
        if (failure.startsWith('the file')) throw invalidField('csv', failure);
        throw error;
      } finally {
        // Answered before the upload ended (too large, not CSV): read the rest and drop it, so the answer reaches a
        // client that is still sending and the connection stays usable.
        if (!csv.readableEnded) {
          csv.unpipe();
          csv.resume();
        }
      }
      return toView(await require(projectId, id), deps.clock.now());
    },

    /** Up to 1,000 customers in one request; each item's result in order (`invalid` with its problems). */
    async upsertBatch(projectId: string, items: unknown[], tokenId: string | null): Promise<BatchItemResult[]> {
      const results: BatchItemResult[] = [];
      const valid: Array<{ index: number; input: CustomerInput }> = [];
      for (const [index, item] of items.entries()) {
        const checked = checkCustomerInput(typeof item === 'object' && item !== null ? item : {});
        if (checked.ok) valid.push({ index, input: checked.input });
        else results[index] = { index, status: 'invalid', errors: checked.problems.map((p) => ({ field: `customers[${index}].${p.field}`, message: p.message })) };
      }
      const written = valid.length === 0 ? [] : await deps.transact((trx) => upsert(trx, projectId, valid.map((v) => v.input), 'api', tokenId));
      valid.forEach((v, k) => {
        results[v.index] = { index: v.index, status: written[k]!.created ? 'created' : 'updated', id: written[k]!.id, phone: v.input.phone };
      });
      return results;
    },

    tagsOf: readTags,
  };
}

export type CustomerImports = ReturnType<typeof createCustomerImports>;
