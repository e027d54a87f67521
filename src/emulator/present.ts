/** JSON views of the state for the control API and the phone view. */
import type { EmulatorContext } from './context.ts';
import { normaliseIdentity } from './outcomes.ts';
import type { AppRecord, CallbackRecord, InboundRecord, MessageRecord } from './state.ts';

/** An app as the control API shows it: its secrets are write-only (a sandbox may hold real-looking credentials). */
export function presentApp(ctx: EmulatorContext, app: AppRecord): Record<string, unknown> {
  const { access_secret: _secret, secret_for_overridden_callback_urls: overrideSecret, ...visible } = app;
  return {
    ...visible,
    access_secret_set: true,
    secret_for_overridden_callback_urls_set: overrideSecret !== '',
    queue_stats: { outbound_size: ctx.lifecycle.queueSize(app.app_id), outbound_limit: app.knobs.outbound_queue_limit },
    webhooks: ctx.state.webhooksOfApp(app.app_id).map((w) => ({ id: w.id, target: w.target, target_type: w.target_type, triggers: w.triggers, has_secret: w.secret !== '' })),
  };
}

export function presentCallback(record: CallbackRecord): Record<string, unknown> {
  return { ...record };
}

export function presentMessage(msg: MessageRecord): Record<string, unknown> {
  const leg = msg.legs[msg.leg_index];
  return {
    message_id: msg.message_id,
    app_id: msg.app_id,
    project_id: msg.project_id,
    accepted_time: msg.accepted_time,
    state: msg.state,
    reason: msg.reason,
    channel: leg?.channel ?? null,
    recipient: leg === undefined ? null : normaliseIdentity(leg.identity),
    legs: msg.legs.map((l) => ({ channel: l.channel, identity: normaliseIdentity(l.identity) })),
    statuses: msg.statuses,
    preview: msg.preview,
    sms_text: msg.sms_text,
    request: msg.request,
    callbacks: msg.callbacks.map(presentCallback),
  };
}

export function presentInbound(inbound: InboundRecord): Record<string, unknown> {
  return { ...inbound, callbacks: inbound.callbacks.map(presentCallback) };
}

export function messageConcerns(msg: MessageRecord, number: string): boolean {
  const wanted = normaliseIdentity(number);
  return msg.legs.some((l) => normaliseIdentity(l.identity) === wanted);
}

export type PhoneItem =
  | { direction: 'outbound'; at: string; ms: number; message: Record<string, unknown> }
  | { direction: 'inbound'; at: string; ms: number; inbound: Record<string, unknown> };

export function buildConversation(ctx: EmulatorContext, number: string): PhoneItem[] {
  const wanted = normaliseIdentity(number);
  const items: PhoneItem[] = [];
  for (const msg of ctx.state.messages.values()) {
    if (messageConcerns(msg, wanted)) items.push({ direction: 'outbound', at: msg.accepted_time, ms: msg.accepted_ms, message: presentMessage(msg) });
  }
  for (const inbound of ctx.state.inbound.values()) {
    if (inbound.identity === wanted) items.push({ direction: 'inbound', at: inbound.accept_time, ms: inbound.accept_ms, inbound: presentInbound(inbound) });
  }
  return items.sort((a, b) => a.ms - b.ms);
}

export function listPhones(ctx: EmulatorContext): { number: string; last_activity: string; outbound: number; inbound: number }[] {
  const phones = new Map<string, { ms: number; outbound: number; inbound: number }>();
  const touch = (number: string, ms: number, dir: 'outbound' | 'inbound'): void => {
    const p = phones.get(number) ?? { ms: 0, outbound: 0, inbound: 0 };
    p.ms = Math.max(p.ms, ms);
    p[dir] += 1;
    phones.set(number, p);
  };
  for (const msg of ctx.state.messages.values()) {
    const numbers = new Set(msg.legs.map((l) => normaliseIdentity(l.identity)));
    for (const n of numbers) touch(n, msg.accepted_ms, 'outbound');
  }
  for (const inbound of ctx.state.inbound.values()) touch(inbound.identity, inbound.accept_ms, 'inbound');
  return [...phones.entries()]
    .sort((a, b) => b[1].ms - a[1].ms)
    .map(([number, p]) => ({ number, last_activity: new Date(p.ms).toISOString(), outbound: p.outbound, inbound: p.inbound }));
}
