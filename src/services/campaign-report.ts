import { csvLine } from '../lib/csv.ts';
import { explainError } from '../domain/reason-codes.ts';

const statuses = ['enqueued', 'enqueued_failed', 'sent', 'delivered', 'read', 'failed', 'rejected'] as const;
const seriesNames = [...statuses, 'replies', 'opt_outs'] as const;

export interface CampaignReport {
  campaign_id: string;
  status: string;
  audience: number;
  skipped: { total: number; by_reason: Record<string, number> };
  /** Recipients with a message (audience = skipped + messages). */
  messages: number;
  /** Messages that reached each status (each message counted once per status). */
  statuses: Record<(typeof statuses)[number], number>;
  replies: number;
  opt_outs: number;
  /** Percentages: delivered of sent, read of delivered, replies of delivered. Null until there is a base. */
  rates: { delivery: number | null; read: number | null; reply: number | null };
  errors: Array<{ code: string; count: number; description: string; action: string }>;
  /** Statuses per channel a message was delivered on (an RCS campaign with SMS fallback shows both). */
  channels: Record<string, Partial<Record<(typeof statuses)[number], number>>>;
  series: { interval: 'minute' | 'hour'; points: Array<{ at: string } & Partial<Record<(typeof seriesNames)[number], number>>> };
}

function pct(part: number, whole: number): number | null {
  return whole === 0 ? null : Math.round((part / whole) * 10_000) / 100;
}

/**
 * A campaign's report from its counters (kept as events are tracked, so reading it costs the same at a hundred
 * recipients or a million). `interval`: per minute, or per hour (minutes added up).
 */
export function buildCampaignReport(campaign: { id: string; status: string }, counters: ReadonlyMap<string, number>, interval: 'minute' | 'hour' = 'minute'): CampaignReport {
  const c = (key: string) => counters.get(key) ?? 0;
  const byReason: Record<string, number> = {};
  const errors: CampaignReport['errors'] = [];
  const channels: CampaignReport['channels'] = {};
  const points = new Map<string, Record<string, number>>();
  for (const [key, value] of counters) {
    if (key.startsWith('skipped:')) byReason[key.slice('skipped:'.length)] = value;
    else if (key.startsWith('error:')) {
      const code = key.slice('error:'.length);
      const explained = explainError(code);
      errors.push({ code, count: value, description: explained.description, action: explained.action });
    } else if (key.startsWith('channel:')) {
      const [, channel, status] = key.split(':');
      if (channel !== undefined && status !== undefined) (channels[channel] ??= {})[status as (typeof statuses)[number]] = value;
    } else if (key.startsWith('minute:')) {
      // minute:YYYY-MM-DDTHH:MM:<name>
      const rest = key.slice('minute:'.length);
      const name = rest.slice(17);
      const at = interval === 'minute' ? `${rest.slice(0, 16)}:00Z` : `${rest.slice(0, 13)}:00:00Z`;
      const point = points.get(at) ?? {};
      point[name] = (point[name] ?? 0) + value;
      points.set(at, point);
    }
  }
  errors.sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));
  const counts = Object.fromEntries(statuses.map((s) => [s, c(`status:${s}`)])) as CampaignReport['statuses'];
  return {
    campaign_id: campaign.id,
    status: campaign.status,
    audience: c('audience'),
    skipped: { total: c('skipped'), by_reason: byReason },
    messages: c('messages'),
    statuses: counts,
    replies: c('replies'),
    opt_outs: c('opt_outs'),
    rates: { delivery: pct(counts.delivered, counts.sent), read: pct(counts.read, counts.delivered), reply: pct(c('replies'), counts.delivered) },
    errors,
    channels,
    series: { interval, points: [...points].sort(([a], [b]) => a.localeCompare(b)).map(([at, p]) => ({ at, ...p })) },
  };
}

/** The report as CSV: one row per metric, then the time series. */
export function reportCsv(report: CampaignReport): string {
  const rows: string[][] = [['metric', 'value']];
  rows.push(['audience', String(report.audience)], ['skipped', String(report.skipped.total)], ['messages', String(report.messages)]);
  for (const [reason, n] of Object.entries(report.skipped.by_reason)) rows.push([`skipped:${reason}`, String(n)]);
  for (const [status, n] of Object.entries(report.statuses)) rows.push([status, String(n)]);
  rows.push(['replies', String(report.replies)], ['opt_outs', String(report.opt_outs)]);
  for (const [rate, v] of Object.entries(report.rates)) rows.push([`${rate}_rate_percent`, v === null ? '' : String(v)]);
  for (const e of report.errors) rows.push([`error:${e.code}`, String(e.count)]);
  rows.push([]);
  rows.push(['at', ...seriesNames]);
  for (const p of report.series.points) rows.push([p.at, ...seriesNames.map((n) => String(p[n] ?? 0))]);
  return rows.map(csvLine).join('');
}
