import { sql, type Expression, type ExpressionBuilder, type Kysely, type SqlBool } from 'kysely';
import type { Dialect } from '../database.ts';
import type { Database } from '../schema.ts';
import type { SegmentFilter } from '../../domain/segment-filter.ts';
import type { Executor } from './executor.ts';

type CustomerEb = ExpressionBuilder<Database, 'customers'>;

/** Who a campaign or a count is about: every customer of the project, a saved filter, or the customers of an import. */
export type AudienceSource = { kind: 'all' } | { kind: 'filter'; filter: SegmentFilter } | { kind: 'import'; importId: string };

export interface AudienceRow {
  id: string;
  phone: string;
  attributes_json: string;
  tags: string;
  time_zone: string | null;
  consent_whatsapp: string;
  consent_rcs: string;
  consent_sms: string;
  last_inbound_whatsapp_at: string | null;
}

/**
 * Segments turned into SQL over `customers` (one condition tree, both dialects), and the audience read in customer
 * id order, a chunk at a time (campaign fan-out, previews).
 */
export function createAudienceRepo(db: Kysely<Database>, dialect: Dialect) {
  /** The text of an attribute (`null` when absent). */
  const attributeText = (key: string) => dialect === 'sqlite'
    ? sql<string | null>`cast(json_extract(customers.attributes_json, ${`$."${key}"`}) as text)`
    : sql<string | null>`(customers.attributes_json::jsonb ->> ${key})`;
  /** The attribute as a number (`null` when absent or not a number). */
  const attributeNumber = (key: string) => dialect === 'sqlite'
    ? sql<number | null>`(case when json_type(customers.attributes_json, ${`$."${key}"`}) in ('integer', 'real') then json_extract(customers.attributes_json, ${`$."${key}"`})
        when json_type(customers.attributes_json, ${`$."${key}"`}) = 'text' and cast(json_extract(customers.attributes_json, ${`$."${key}"`}) as real) || '' = json_extract(customers.attributes_json, ${`$."${key}"`})
        then cast(json_extract(customers.attributes_json, ${`$."${key}"`}) as real) end)`
    : sql<number | null>`(case when (customers.attributes_json::jsonb ->> ${key}) ~ '^-?[0-9]+(\\.[0-9]+)?$' then (customers.attributes_json::jsonb ->> ${key})::numeric end)`;

  function condition(eb: CustomerEb, filter: SegmentFilter): Expression<SqlBool> {
    if ('all' in filter) return eb.and(filter.all.map((f) => condition(eb, f)));
    if ('any' in filter) return eb.or(filter.any.map((f) => condition(eb, f)));
    if ('not' in filter) return eb.not(condition(eb, filter.not));
    if ('attribute' in filter) {
      const text = attributeText(filter.attribute);
      const value = filter.value;
      switch (filter.op) {
        case 'exists': return sql<SqlBool>`${text} is not null`;
        case 'not_exists': return sql<SqlBool>`${text} is null`;
        case 'contains': return sql<SqlBool>`lower(${text}) like ${`%${String(value).toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`} escape '\\'`;
        case 'eq':
        case 'neq': {
          const literal = typeof value === 'boolean' && dialect === 'sqlite' ? (value ? '1' : '0') : String(value);
          const same = typeof value === 'number' ? sql<SqlBool>`${attributeNumber(filter.attribute)} = ${value}` : sql<SqlBool>`${text} = ${literal}`;
          return filter.op === 'eq' ? same : sql<SqlBool>`(${text} is null or not (${same}))`;
        }
        case 'gt': return sql<SqlBool>`${attributeNumber(filter.attribute)} > ${value}`;
        case 'gte': return sql<SqlBool>`${attributeNumber(filter.attribute)} >= ${value}`;
        case 'lt': return sql<SqlBool>`${attributeNumber(filter.attribute)} < ${value}`;
        case 'lte': return sql<SqlBool>`${attributeNumber(filter.attribute)} <= ${value}`;
      }
    }
    if ('tag' in filter) return eb('customers.tags', 'like', `%,${filter.tag},%`);
    if ('consent' in filter) {
      const column = `customers.consent_${filter.consent.channel}` as const;
      return eb(column, '=', filter.consent.state);
    }
    if ('last_inbound' in filter) {
      const parts: Array<Expression<SqlBool>> = [];
      const l = filter.last_inbound;
      if (l.within_days !== undefined) parts.push(eb('customers.last_inbound_at', '>=', new Date(Date.now() - l.within_days * 86_400_000).toISOString()));
      if (l.after !== undefined) parts.push(eb('customers.last_inbound_at', '>=', l.after));
      if (l.before !== undefined) parts.push(eb('customers.last_inbound_at', '<', l.before));
      return eb.and(parts);
    }
    if ('engagement' in filter) {
      const { campaign_id: campaignId, action } = filter.engagement;
      if (action === 'replied') {
        return eb.exists(eb.selectFrom('inbound_messages').select(sql`1`.as('one'))
          .whereRef('inbound_messages.customer_id', '=', 'customers.id').where('inbound_messages.campaign_id', '=', campaignId));
      }
      const statuses = action === 'read' ? ['read'] : ['delivered', 'read'];
      const got = eb.exists(eb.selectFrom('messages').select(sql`1`.as('one'))
        .whereRef('messages.project_id', '=', 'customers.project_id').whereRef('messages.recipient', '=', 'customers.phone')
        .where('messages.campaign_id', '=', campaignId).where('messages.status', 'in', statuses as Array<'read' | 'delivered'>));
      return action === 'not_received' ? eb.not(got) : got;
    }
    return filter.opted_out
      ? eb.or([eb('customers.consent_whatsapp', '=', 'revoked'), eb('customers.consent_rcs', '=', 'revoked'), eb('customers.consent_sms', '=', 'revoked')])
      : eb.and([eb('customers.consent_whatsapp', '!=', 'revoked'), eb('customers.consent_rcs', '!=', 'revoked'), eb('customers.consent_sms', '!=', 'revoked')]);
  }

  function audience(executor: Executor, projectId: string, source: AudienceSource) {
    let q = executor.selectFrom('customers').where('customers.project_id', '=', projectId);
    if (source.kind === 'filter') q = q.where((eb) => condition(eb, source.filter));
    if (source.kind === 'import') {
      q = q.where('customers.id', 'in', (eb) => eb.selectFrom('customer_import_members').select('customer_id').where('import_id', '=', source.importId));
    }
    return q;
  }

  return {
    async count(projectId: string, source: AudienceSource): Promise<number> {
      const row = await audience(db, projectId, source).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
      return Number(row?.n ?? 0);
    },
    /** Up to `limit` members in customer id order, after `afterId`. */
    page(projectId: string, source: AudienceSource, afterId: string | null, limit: number, executor: Executor = db): Promise<AudienceRow[]> {
      let q = audience(executor, projectId, source).select([
        'customers.id', 'customers.phone', 'customers.attributes_json', 'customers.tags', 'customers.time_zone',
        'customers.consent_whatsapp', 'customers.consent_rcs', 'customers.consent_sms', 'customers.last_inbound_whatsapp_at',
      ]);
      if (afterId !== null) q = q.where('customers.id', '>', afterId);
      return q.orderBy('customers.id').limit(limit).execute();
    },
  };
}

export type AudienceRepo = ReturnType<typeof createAudienceRepo>;
