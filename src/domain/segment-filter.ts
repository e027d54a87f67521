/**
 * Segment filters: a small tree of conditions over customers, validated here (pure) and turned into SQL by the
 * customers repo. Every problem is reported with the path of the node at fault (`filter.all[2].attribute`).
 *
 *   {"all": [c, …]} | {"any": [c, …]} | {"not": c}
 *   {"attribute": "city", "op": "eq", "value": "Stockholm"}       ops: eq, neq, contains, gt, gte, lt, lte, exists, not_exists
 *   {"tag": "vip"}
 *   {"consent": {"channel": "whatsapp" | "rcs" | "sms", "state": "granted" | "revoked" | "unknown"}}
 *   {"last_inbound": {"within_days": 30}} | {"last_inbound": {"before": "2026-…Z"}} | {"last_inbound": {"after": …}}
 *   {"engagement": {"campaign_id": "cmp_…", "action": "received" | "read" | "replied" | "not_received"}}
 *   {"opted_out": true}
 */

export type AttributeOp = 'eq' | 'neq' | 'contains' | 'gt' | 'gte' | 'lt' | 'lte' | 'exists' | 'not_exists';
export type ConsentChannel = 'whatsapp' | 'rcs' | 'sms';

export type SegmentFilter =
  | { all: SegmentFilter[] }
  | { any: SegmentFilter[] }
  | { not: SegmentFilter }
  | { attribute: string; op: AttributeOp; value?: string | number | boolean }
  | { tag: string }
  | { consent: { channel: ConsentChannel; state: 'granted' | 'revoked' | 'unknown' } }
  | { last_inbound: { within_days?: number; before?: string; after?: string } }
  | { engagement: { campaign_id: string; action: 'received' | 'read' | 'replied' | 'not_received' } }
  | { opted_out: boolean };

export type FilterResult = { ok: true; filter: SegmentFilter } | { ok: false; field: string; message: string };

/** Attribute keys: letters, digits and `_`, at most 100 characters (also what the import accepts as a column). */
export const attributeKeyPattern = /^[A-Za-z_][A-Za-z0-9_]{0,99}$/;
/** Tags: lower-case letters, digits, `_` and `-`, at most 50 characters. */
export const tagPattern = /^[a-z0-9_-]{1,50}$/;

const ops: readonly AttributeOp[] = ['eq', 'neq', 'contains', 'gt', 'gte', 'lt', 'lte', 'exists', 'not_exists'];
const maxDepth = 6;
const maxNodes = 100;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks an untrusted filter (from JSON) and returns it typed, or the first problem with its path. */
export function parseSegmentFilter(input: unknown, path = 'filter'): FilterResult {
  let nodes = 0;
  const fail = (field: string, message: string): FilterResult => ({ ok: false, field, message: `${field} ${message}` });

  function walk(value: unknown, at: string, depth: number): FilterResult {
    nodes += 1;
    if (nodes > maxNodes) return fail(path, `must have at most ${maxNodes} conditions`);
    if (depth > maxDepth) return fail(at, `nests deeper than ${maxDepth} levels`);
    if (!isObject(value)) return fail(at, 'must be an object');
    const keys = Object.keys(value);
    const kind = keys.find((k) => ['all', 'any', 'not', 'attribute', 'tag', 'consent', 'last_inbound', 'engagement', 'opted_out'].includes(k));
    if (kind === undefined) return fail(at, 'must have one of all, any, not, attribute, tag, consent, last_inbound, engagement, opted_out');
    const extra = keys.filter((k) => k !== kind && !(kind === 'attribute' && (k === 'op' || k === 'value')));
    if (extra.length > 0) return fail(`${at}.${extra[0]!}`, 'is not a known field here');
    switch (kind) {
      case 'all':
      case 'any': {
        const list = value[kind];
        if (!Array.isArray(list) || list.length === 0) return fail(`${at}.${kind}`, 'must be a non-empty list of conditions');
        const out: SegmentFilter[] = [];
        for (const [i, item] of list.entries()) {
          const r = walk(item, `${at}.${kind}[${i}]`, depth + 1);
          if (!r.ok) return r;
          out.push(r.filter);
        }
        return { ok: true, filter: kind === 'all' ? { all: out } : { any: out } };
      }
      case 'not': {
        const r = walk(value.not, `${at}.not`, depth + 1);
        return r.ok ? { ok: true, filter: { not: r.filter } } : r;
      }
      case 'attribute': {
        const key = value.attribute;
        if (typeof key !== 'string' || !attributeKeyPattern.test(key)) return fail(`${at}.attribute`, 'must be an attribute name (letters, digits, _; at most 100 characters)');
        const op = value.op ?? 'eq';
        if (typeof op !== 'string' || !(ops as readonly string[]).includes(op)) return fail(`${at}.op`, `must be one of ${ops.join(', ')}`);
        const v = value.value;
        if (op === 'exists' || op === 'not_exists') return { ok: true, filter: { attribute: key, op } };
        if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') return fail(`${at}.value`, 'must be a string, a number or true/false');
        if ((op === 'gt' || op === 'gte' || op === 'lt' || op === 'lte') && typeof v !== 'number') return fail(`${at}.value`, `must be a number for ${op}`);
        if (op === 'contains' && typeof v !== 'string') return fail(`${at}.value`, 'must be a string for contains');
        if (typeof v === 'string' && v.length > 1000) return fail(`${at}.value`, 'must be at most 1000 characters');
        return { ok: true, filter: { attribute: key, op: op as AttributeOp, value: v } };
      }
      case 'tag': {
        const tag = value.tag;
        if (typeof tag !== 'string' || !tagPattern.test(tag)) return fail(`${at}.tag`, 'must be a tag (a-z, 0-9, _ and -, at most 50 characters)');
        return { ok: true, filter: { tag } };
      }
      case 'consent': {
        const c = value.consent;
        if (!isObject(c)) return fail(`${at}.consent`, 'must be {"channel", "state"}');
        if (c.channel !== 'whatsapp' && c.channel !== 'rcs' && c.channel !== 'sms') return fail(`${at}.consent.channel`, 'must be one of whatsapp, rcs, sms');
        if (c.state !== 'granted' && c.state !== 'revoked' && c.state !== 'unknown') return fail(`${at}.consent.state`, 'must be one of granted, revoked, unknown');
        return { ok: true, filter: { consent: { channel: c.channel, state: c.state } } };
      }
      case 'last_inbound': {
        const l = value.last_inbound;
        if (!isObject(l)) return fail(`${at}.last_inbound`, 'must be {"within_days"} or {"before"} / {"after"}');
        const out: { within_days?: number; before?: string; after?: string } = {};
        if (l.within_days !== undefined) {
          if (typeof l.within_days !== 'number' || !Number.isInteger(l.within_days) || l.within_days < 1 || l.within_days > 3650) return fail(`${at}.last_inbound.within_days`, 'must be a whole number of days from 1 to 3650');
          out.within_days = l.within_days;
        }
        for (const k of ['before', 'after'] as const) {
          const t = l[k];
          if (t === undefined) continue;
          if (typeof t !== 'string' || Number.isNaN(Date.parse(t))) return fail(`${at}.last_inbound.${k}`, 'must be an RFC 3339 time');
          out[k] = new Date(t).toISOString();
        }
        if (Object.keys(out).length === 0) return fail(`${at}.last_inbound`, 'needs within_days, before or after');
        return { ok: true, filter: { last_inbound: out } };
      }
      case 'engagement': {
        const e = value.engagement;
        if (!isObject(e)) return fail(`${at}.engagement`, 'must be {"campaign_id", "action"}');
        if (typeof e.campaign_id !== 'string' || e.campaign_id.length === 0 || e.campaign_id.length > 200) return fail(`${at}.engagement.campaign_id`, 'must be a campaign id');
        if (e.action !== 'received' && e.action !== 'read' && e.action !== 'replied' && e.action !== 'not_received') return fail(`${at}.engagement.action`, 'must be one of received, read, replied, not_received');
        return { ok: true, filter: { engagement: { campaign_id: e.campaign_id, action: e.action } } };
      }
      case 'opted_out': {
        if (typeof value.opted_out !== 'boolean') return fail(`${at}.opted_out`, 'must be true or false');
        return { ok: true, filter: { opted_out: value.opted_out } };
      }
    }
    return fail(at, 'is not a condition');
  }

  return walk(input, path, 1);
}
