import { AppError, invalidField, notFound } from '../lib/app-error.ts';
import { createId } from '../lib/ids.ts';
import { buildPage, type Page, type PageRequest } from '../lib/pagination.ts';
import type { Clock } from '../lib/time.ts';
import type { AudienceRepo, AudienceSource } from '../db/repos/audience-repo.ts';
import type { CampaignsRepo, SegmentRow } from '../db/repos/campaigns-repo.ts';
import { isUniqueViolation } from '../db/errors.ts';
import { readTags } from '../domain/customer-input.ts';
import { parseSegmentFilter, type SegmentFilter } from '../domain/segment-filter.ts';

export interface SegmentView {
  id: string;
  name: string;
  filter: SegmentFilter;
  created_at: string;
  updated_at: string;
}

export interface MemberView {
  id: string;
  phone: string;
  attributes: Record<string, unknown>;
  tags: string[];
  time_zone: string | null;
  consent: { whatsapp: string; rcs: string; sms: string };
}

function toView(row: SegmentRow): SegmentView {
  return { id: row.id, name: row.name, filter: JSON.parse(row.filter_json) as SegmentFilter, created_at: row.created_at, updated_at: row.updated_at };
}

/** Saved segments (filters over customers), their live count and a preview of their members. */
export function createSegmentsService(deps: { campaigns: CampaignsRepo; audience: AudienceRepo; clock: Clock }) {
  function checkFilter(filter: unknown): SegmentFilter {
    const parsed = parseSegmentFilter(filter);
    if (!parsed.ok) throw invalidField(parsed.field, parsed.message);
    return parsed.filter;
  }

  async function requireRow(projectId: string, id: string): Promise<SegmentRow> {
    const row = await deps.campaigns.findSegment(projectId, id);
    if (row === undefined) throw notFound('segment');
    return row;
  }

  return {
    checkFilter,

    async create(projectId: string, input: { name: string; filter: unknown }): Promise<SegmentView> {
      const filter = checkFilter(input.filter);
      const at = deps.clock.now().toISOString();
      const row: SegmentRow = { id: createId('seg'), project_id: projectId, name: input.name, filter_json: JSON.stringify(filter), created_at: at, updated_at: at };
      try {
        await deps.campaigns.insertSegment(row);
      } catch (error) {
        if (isUniqueViolation(error)) throw new AppError(409, 'segment_exists', `a segment named "${input.name}" exists`, 'name');
        throw error;
      }
      return toView(row);
    },
    async list(projectId: string, page: PageRequest): Promise<Page<SegmentView>> {
      const rows = await deps.campaigns.listSegments(projectId, { ...(page.after !== undefined ? { after: page.after } : {}), limit: page.limit + 1 });
      return buildPage(rows, page.limit, (r) => r.id, toView);
    },
    async get(projectId: string, id: string): Promise<SegmentView> {
      return toView(await requireRow(projectId, id));
    },
    async update(projectId: string, id: string, patch: { name?: string; filter?: unknown }): Promise<SegmentView> {
      const row = await requireRow(projectId, id);
      const next: SegmentRow = {
        ...row, updated_at: deps.clock.now().toISOString(),
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.filter !== undefined ? { filter_json: JSON.stringify(checkFilter(patch.filter)) } : {}),
      };
      try {
        await deps.campaigns.updateSegment(projectId, id, { name: next.name, filter_json: next.filter_json, updated_at: next.updated_at });
      } catch (error) {
        if (isUniqueViolation(error)) throw new AppError(409, 'segment_exists', `a segment named "${next.name}" exists`, 'name');
        throw error;
      }
      return toView(next);
    },
    async remove(projectId: string, id: string): Promise<void> {
      if (!await deps.campaigns.removeSegment(projectId, id)) throw notFound('segment');
    },

    /** A saved segment's filter (404 when there is no such segment). */
    async filterOf(projectId: string, id: string): Promise<SegmentFilter> {
      return JSON.parse((await requireRow(projectId, id)).filter_json) as SegmentFilter;
    },

    /** The audience a saved segment, an unsaved filter or an import stands for. */
    async sourceOf(projectId: string, audience: { segment_id?: string; filter?: unknown; import_id?: string }): Promise<AudienceSource> {
      if (audience.segment_id !== undefined) return { kind: 'filter', filter: JSON.parse((await requireRow(projectId, audience.segment_id)).filter_json) as SegmentFilter };
      if (audience.filter !== undefined) return { kind: 'filter', filter: checkFilter(audience.filter) };
      if (audience.import_id !== undefined) return { kind: 'import', importId: audience.import_id };
      return { kind: 'all' };
    },

    /** How many customers match now, and the first few (by id). */
    async preview(projectId: string, source: AudienceSource, limit: number): Promise<{ count: number; members: MemberView[] }> {
      const [count, rows] = await Promise.all([
        deps.audience.count(projectId, source),
        deps.audience.page(projectId, source, null, limit),
      ]);
      return {
        count,
        members: rows.map((r) => ({
          id: r.id, phone: r.phone, attributes: JSON.parse(r.attributes_json) as Record<string, unknown>, tags: readTags(r.tags), time_zone: r.time_zone,
          consent: { whatsapp: r.consent_whatsapp, rcs: r.consent_rcs, sms: r.consent_sms },
        })),
      };
    },
  };
}

export type SegmentsService = ReturnType<typeof createSegmentsService>;
