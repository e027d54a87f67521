import { once } from 'node:events';
import { Readable } from 'node:stream';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { notFound } from '../lib/app-error.ts';
import { csvLine } from '../lib/csv.ts';
import { decodeCursor, encodeCursor, type Page } from '../lib/pagination.ts';
import type { CampaignRow, CampaignsRepo } from '../db/repos/campaigns-repo.ts';
import { buildCampaignReport, reportCsv, type CampaignReport } from './campaign-report.ts';
import type { EventBus } from './event-bus.ts';

/** Campaign reports: read from the counters, exported as CSV, and streamed live while the campaign runs. */
export function createCampaignReports(deps: {
  campaigns: CampaignsRepo;
  bus: EventBus;
  /** How often a stream also looks at the counters (changes written by other instances). */
  pollMs?: number;
}) {
  const pollMs = deps.pollMs ?? 2000;
  const open = new Set<() => void>();

  async function row(projectId: string, id: string): Promise<CampaignRow> {
    const found = await deps.campaigns.find(projectId, id);
    if (found === undefined) throw notFound('campaign');
    return found;
  }

  async function report(projectId: string, id: string, interval: 'minute' | 'hour'): Promise<CampaignReport> {
    const campaign = await row(projectId, id);
    return buildCampaignReport(campaign, await deps.campaigns.counters(id), interval);
  }

  return {
    row,
    report,

    async summaryCsv(projectId: string, id: string, interval: 'minute' | 'hour'): Promise<string> {
      return reportCsv(await report(projectId, id, interval));
    },

    /** Every message of the campaign: recipient, status, error, times (read a page at a time). */
    /** Every message of the campaign as CSV, a thousand rows at a time (a million-recipient campaign streams). */
    async messagesCsv(projectId: string, id: string): Promise<Readable> {
      await row(projectId, id);
      async function* lines(): AsyncGenerator<string> {
        yield 'message_id,recipient,status,error,error_description,current_channel,possible_duplicate,created_at,updated_at\r\n';
        let after: string | null = null;
        for (;;) {
          const rows = await deps.campaigns.messagesPage(id, after, 1000);
          if (rows.length > 0) {
            yield rows.map((m) => csvLine([m.id, m.recipient, m.status, m.error, m.error_description, m.current_channel, m.possible_duplicate === 1, m.created_at, m.updated_at])).join('');
          }
          if (rows.length < 1000) return;
          after = rows.at(-1)!.id;
        }
      }
      return Readable.from(lines());
    },

    async skipped(projectId: string, id: string, query: { limit?: number | undefined; cursor?: string | undefined; reason?: string | undefined }): Promise<Page<{ phone: string; customer_id: string; reason: string; detail: string | null }>> {
      await row(projectId, id);
      const limit = query.limit ?? 100;
      const after = decodeCursor(query.cursor);
      const rows = await deps.campaigns.skips(id, { ...(after !== undefined ? { after } : {}), limit: limit + 1, ...(query.reason !== undefined ? { reason: query.reason } : {}) });
      const page = rows.slice(0, limit);
      return {
        data: page.map((s) => ({ phone: s.phone, customer_id: s.customer_id, reason: s.reason, detail: s.detail })),
        next_cursor: rows.length > limit ? encodeCursor(page.at(-1)!.phone) : null,
      };
    },

    /**
     * Server-Sent Events: the report at once, then again when it changed (events of the campaign published in this
     * process, or the counters moved by another instance), at most once a second, until the client goes.
     */
    async serveStream(req: IncomingMessage, res: ServerResponse, projectId: string, id: string, signal?: AbortSignal): Promise<void> {
      const controller = new AbortController();
      let dirty = true;
      let wake: (() => void) | undefined;
      const poke = () => { dirty = true; wake?.(); };
      const unsubscribe = deps.bus.subscribe(projectId, (events) => {
        if (events.some((e) => e.properties.campaign_id === id)) poke();
      });
      const poll = setInterval(poke, pollMs);
      const abort = () => { controller.abort(); wake?.(); };
      open.add(abort);
      req.on('close', abort);
      res.on('close', abort);
      if (signal?.aborted === true) abort();
      signal?.addEventListener('abort', abort, { once: true });
      let last = '';
      try {
        res.shouldKeepAlive = false;
        res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no' });
        res.write('retry: 2000\n: connected\n\n');
        while (!controller.signal.aborted) {
          if (dirty) {
            dirty = false;
            const text = JSON.stringify(await report(projectId, id, 'minute'));
            if (controller.signal.aborted) break;
            if (text !== last) {
              last = text;
              if (!res.write(`event: report\ndata: ${text}\n\n`)) await once(res, 'drain', { signal: controller.signal }).catch(() => undefined);
            }
            await new Promise<void>((resolve) => { const t = setTimeout(resolve, 1000); controller.signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true }); });
            continue;
          }
          await new Promise<void>((resolve) => { wake = resolve; });
          wake = undefined;
        }
      } finally {
        unsubscribe();
        clearInterval(poll);
        req.off('close', abort);
        res.off('close', abort);
        signal?.removeEventListener('abort', abort);
        open.delete(abort);
        if (!res.writableEnded) res.end();
      }
    },

    /** Ends every open stream (shutdown). */
    closeStreams(): void {
      for (const abort of open) abort();
    },
  };
}

export type CampaignReports = ReturnType<typeof createCampaignReports>;
