import { createId } from '../lib/ids.ts';
import type { Clock } from '../lib/time.ts';
import type { Transact } from '../db/transact.ts';
import type { AudienceRepo, AudienceRow } from '../db/repos/audience-repo.ts';
import type { CampaignRow, CampaignSkipRow, CampaignsRepo } from '../db/repos/campaigns-repo.ts';
import type { JobHandler, JobResult } from '../db/repos/jobs-repo.ts';
import type { MessageRow } from '../db/repos/messages-repo.ts';
import type { KnownCapability } from '../domain/capability.ts';
import { whatsappWindow } from '../domain/keywords.ts';
import { explainError } from '../domain/reason-codes.ts';
import type { Capabilities } from './capabilities.ts';
import type { ConfigCache } from './config-cache.ts';
import { campaignCancelJob, campaignFanoutJob, campaignWatchJob, sourceOfAudience, type AudienceSpec, type CompiledCampaign } from './campaigns.ts';
import { frequencyCapOf, periodMs } from './frequency-cap.ts';
import type { MessageOptions } from './messages.ts';
import { subjectOf, type EventTracker, type TrackedEvent } from './track-event.ts';

/** Customers read and written per transaction by the fan-out. */
export const fanoutChunk = 1000;

function isPayload(value: unknown): value is { campaign_id: string } {
  return typeof value === 'object' && value !== null && 'campaign_id' in value && typeof value.campaign_id === 'string';
}

/**
 * The campaign's background work, as jobs (restartable from the rows, never from memory):
 *
 * - **fan-out**: reads the audience in customer-id order, a chunk per transaction, and writes one message per
 *   recipient (unique per campaign and phone) or a skip with its reason; an RCS campaign first learns which numbers
 *   can receive RCS (the capability cache, asking Sinch for the unknown ones and waiting a bounded time); the chunk moves the campaign's cursor only
 *   from where it was, so two runs of the job never both write it, and a crash resumes at the cursor. Due times are
 *   spread by the campaign's throttle.
 * - **cancel**: messages not yet handed over become `enqueued_failed` (CAMPAIGN_CANCELLED), tracked.
 * - **watch**: once the fan-out is done and every message was handed over (or refused), the campaign is completed.
 */
export function createCampaignJobs(deps: {
  transact: Transact;
  campaigns: CampaignsRepo;
  audience: AudienceRepo;
  config: Pick<ConfigCache, 'integration' | 'settings'>;
  compiled: (id: string) => Promise<CompiledCampaign | undefined>;
  tracker: EventTracker;
  clock: Clock;
  /** Messages of this integration became due (wake the sender). */
  onQueued: (integrationId: string) => void;
  onTracked: (events: TrackedEvent[]) => void;
  /** Keep each run of a job this short, then hand the worker back (the job runs again at once). */
  runBudgetMs: number;
  enqueueWatch: (campaignId: string, delayMs: number) => Promise<void>;
  /** RCS capability of the audience's numbers (asked of Sinch when not known). */
  capabilities: Pick<Capabilities, 'check'>;
}) {
  async function fanoutChunkOf(
    campaign: CampaignRow, rows: AudienceRow[], compiled: CompiledCampaign, rcsCapability: ReadonlyMap<string, KnownCapability>,
  ): Promise<{ messages: MessageRow[]; skips: CampaignSkipRow[] }> {
    const now = deps.clock.now();
    const at = now.toISOString();
    const settings = compiled.settings;
    const projectSettings = await deps.config.settings(campaign.project_id);
    const cap = frequencyCapOf(projectSettings);
    const recent = cap === null ? new Map<string, number>()
      : await deps.campaigns.recentSends(campaign.project_id, rows.map((r) => r.phone), new Date(now.getTime() - periodMs(cap.period)).toISOString());
    const integration = await deps.config.integration(campaign.integration_id);
    const sender = integration?.senders[campaign.channel] ?? null;
    const fallbackSender = settings.sms_fallback ? (integration?.senders.sms ?? null) : null;
    const options = JSON.stringify({ sms_fallback_sender: fallbackSender } satisfies MessageOptions);
    // A number Sinch said cannot receive RCS goes straight to SMS (the campaign's fallback), not through a doomed RCS leg.
    const smsOnly = JSON.stringify({ sms_fallback_sender: fallbackSender, sms_only: true } satisfies MessageOptions);
    const interval = settings.throttle_per_second === null ? 0 : 1000 / settings.throttle_per_second;
    const started = Date.parse(campaign.launched_at ?? at);
    const messages: MessageRow[] = [];
    const skips: CampaignSkipRow[] = [];
    const skip = (r: AudienceRow, reason: string, detail: string | null = null) => skips.push({ campaign_id: campaign.id, phone: r.phone, customer_id: r.id, reason, detail });
    for (const r of rows) {
      const consent = campaign.channel === 'whatsapp' ? r.consent_whatsapp : r.consent_rcs;
      if (consent === 'revoked') { skip(r, 'consent_revoked'); continue; }
      if (campaign.channel === 'whatsapp' && compiled.contentKind !== 'template' && projectSettings.whatsapp_window_check === 1) {
        const last = r.last_inbound_whatsapp_at;
        if (!whatsappWindow(last === null ? null : new Date(last), now).open) { skip(r, 'outside_whatsapp_window'); continue; }
      }
      if (settings.on_missing_attribute === 'skip' && compiled.compiled.required.length > 0) {
        const attributes = JSON.parse(r.attributes_json) as Record<string, unknown>;
        const missing = compiled.compiled.required.filter((k) => attributes[k] === undefined || attributes[k] === null || attributes[k] === '');
        if (missing.length > 0) { skip(r, 'missing_attribute', missing.join(', ')); continue; }
      }
      if (cap !== null && (recent.get(r.phone) ?? 0) >= cap.max) { skip(r, 'frequency_cap'); continue; }
      const viaSms = campaign.channel === 'rcs' && rcsCapability.get(r.phone) === 'not_capable';
      if (viaSms && (fallbackSender === null || r.consent_sms === 'revoked')) { skip(r, 'no_rcs_capability'); continue; }
      const sequence = campaign.queued_count + messages.length;
      messages.push({
        id: createId('msg'), project_id: campaign.project_id, integration_id: campaign.integration_id, channel: campaign.channel, recipient: r.phone,
        sender, campaign_id: campaign.id, content_kind: compiled.contentKind, content_json: '{}', options_json: viaSms ? smsOnly : options, status: 'queued',
        provider_message_id: null, error: null, error_description: null, possible_duplicate: 0, attempt_count: 0, current_channel: viaSms ? 'sms' : campaign.channel,
        created_at: at, updated_at: at, sent_ts: null, consent_exempt: 0, reply_to_inbound_id: null, priority: 2,
        next_attempt_at: Math.max(now.getTime(), Math.round(started + sequence * interval)), locked_by: null, attempt_started_at: null,
        interrupted_at: null, campaign_ref: campaign.id, send_at: null,
      });
    }
    return { messages, skips };
  }

  async function fanout(campaignId: string): Promise<JobResult> {
    const began = Date.now();
    for (;;) {
      const campaign = await deps.campaigns.findById(campaignId);
      if (campaign === undefined || campaign.status === 'cancelled' || campaign.status === 'paused' || campaign.status === 'completed') return { kind: 'done' };
      if (campaign.status === 'scheduled') {
        // `send_at` has come: it runs now.
        const at = deps.clock.now().toISOString();
        await deps.transact((trx) => deps.campaigns.transition(trx, campaignId, ['scheduled'], { status: 'running', launched_at: at, updated_at: at }));
        continue;
      }
      if (campaign.status !== 'running' || campaign.fanout_done === 1) return { kind: 'done' };
      const compiled = await deps.compiled(campaignId);
      if (compiled === undefined) return { kind: 'bury', error: 'the campaign content cannot be compiled' };
      const source = sourceOfAudience(JSON.parse(campaign.audience_json) as AudienceSpec);
      const rows = await deps.audience.page(campaign.project_id, source, campaign.fanout_cursor, fanoutChunk);
      const at = deps.clock.now().toISOString();
      if (rows.length === 0) {
        await deps.transact((trx) => deps.campaigns.advanceFanout(trx, campaignId, campaign.fanout_cursor, { cursor: campaign.fanout_cursor, created: 0, done: true, at }));
        await deps.enqueueWatch(campaignId, 0);
        return { kind: 'done' };
      }
      let rcsCapability = new Map<string, KnownCapability>();
      if (campaign.channel === 'rcs') {
        // Unknown numbers are asked of Sinch first; the chunk waits (the job comes back) until each is answered or its wait is over.
        const integration = await deps.config.integration(campaign.integration_id);
        if (integration !== undefined) {
          const check = await deps.capabilities.check(integration, rows.filter((r) => r.consent_rcs !== 'revoked').map((r) => r.phone));
          if (check.undecided > 0) return { kind: 'retry', delayMs: check.retryInMs, error: `waiting for the RCS capability of ${check.undecided} numbers` };
          rcsCapability = check.decided;
        }
      }
      const { messages, skips } = await fanoutChunkOf(campaign, rows, compiled, rcsCapability);
      const written = await deps.transact(async (trx) => {
        if (!await deps.campaigns.advanceFanout(trx, campaignId, campaign.fanout_cursor, { cursor: rows.at(-1)!.id, created: messages.length, done: false, at })) return false;
        await deps.campaigns.insertMessages(trx, messages);
        await deps.campaigns.insertSkips(trx, skips);
        const counts = new Map<string, number>([['audience', rows.length], ['messages', messages.length], ['skipped', skips.length]]);
        for (const s of skips) counts.set(`skipped:${s.reason}`, (counts.get(`skipped:${s.reason}`) ?? 0) + 1);
        await deps.campaigns.count(trx, campaignId, counts);
        return true;
      });
      // Not written: another run moved the cursor first (or the campaign was paused meanwhile); read again.
      if (written && messages.length > 0) deps.onQueued(campaign.integration_id);
      if (Date.now() - began >= deps.runBudgetMs) return { kind: 'retry', delayMs: 0, error: 'more' };
    }
  }

  async function cancel(campaignId: string): Promise<JobResult> {
    const began = Date.now();
    for (;;) {
      const waiting = await deps.campaigns.waitingMessages(campaignId, 200);
      if (waiting.length === 0) return { kind: 'done' };
      const description = explainError('CAMPAIGN_CANCELLED').description;
      const tracked = await deps.transact(async (trx) => {
        const out: TrackedEvent[] = [];
        const now = deps.clock.now();
        for (const m of waiting) {
          // Only messages nobody holds: one being sent finishes as it goes.
          if (!await deps.campaigns.failWaiting(trx, m.id, 'CAMPAIGN_CANCELLED', description, now.toISOString())) continue;
          const event = await deps.tracker.track(trx, subjectOf(m), { status: 'enqueued_failed', at: now, error: 'CAMPAIGN_CANCELLED', errorDescription: description });
          if (event !== undefined) out.push(event);
        }
        return out;
      });
      if (tracked.length > 0) deps.onTracked(tracked);
      if (Date.now() - began >= deps.runBudgetMs) return { kind: 'retry', delayMs: 0, error: 'more' };
    }
  }

  async function watch(campaignId: string): Promise<JobResult> {
    const campaign = await deps.campaigns.findById(campaignId);
    if (campaign === undefined || campaign.status !== 'running' || campaign.fanout_done !== 1) return { kind: 'done' };
    const counters = await deps.campaigns.counters(campaignId);
    const handedOver = (counters.get('status:enqueued') ?? 0) + (counters.get('status:enqueued_failed') ?? 0);
    if (handedOver < campaign.queued_count) return { kind: 'retry', delayMs: 2000, error: 'sending' };
    const at = deps.clock.now().toISOString();
    await deps.transact((trx) => deps.campaigns.transition(trx, campaignId, ['running'], { status: 'completed', finished_at: at, updated_at: at }));
    return { kind: 'done' };
  }

  const guard = (run: (id: string) => Promise<JobResult>): JobHandler => async (job) => {
    if (!isPayload(job.payload)) return { kind: 'bury', error: 'payload without campaign_id' };
    return run(job.payload.campaign_id);
  };

  return {
    [campaignFanoutJob]: guard(fanout),
    [campaignCancelJob]: guard(cancel),
    [campaignWatchJob]: guard(watch),
  };
}
