/** The emulator's shared parts, handed to every route module, and the use cases behind the control API. */
import { monotonicFactory } from 'ulidx';
import type { TokenStore } from './auth.ts';
import type { CallbackDispatcher } from './callbacks.ts';
import type { Lifecycle } from './lifecycle.ts';
import { normaliseIdentity } from './outcomes.ts';
import type { TokenBucket } from './rate-limit.ts';
import { CONTACT_MESSAGE_KINDS, type AppUpsert, type ContactMessage, type InboundInjection, type Knobs, type KnobsPatch } from './schemas/control.ts';
import type { AppRecord, EmulatorState, InboundRecord } from './state.ts';
import { consentKeyword, registerConsent } from './routes/consents.ts';
import { formatTimestamp, type TimerSet } from './time.ts';
import { callbackEnvelope } from './wire.ts';

export type ResolvedOptions = {
  account: { projectId: string; appId: string; accessKey: string; accessSecret: string; secretForOverriddenCallbackUrls: string };
  tokenLifetimeSeconds: number;
  tokenRateLimit: { capacity: number; perSecond: number } | null;
  knobs: Knobs;
  callbackRetryScheduleMs: number[];
  callbackTimeoutMs: number;
  maxMessages: number;
  now: () => number;
};

export type EmulatorContext = {
  options: ResolvedOptions;
  state: EmulatorState;
  tokens: TokenStore;
  tokenBucket: TokenBucket | null;
  projectBuckets: Map<string, TokenBucket>;
  callbacks: CallbackDispatcher;
  lifecycle: Lifecycle;
  timers: TimerSet;
  /** Aborted on close: releases hung requests and slow answers. */
  closing: AbortSignal;
  /** Counters shown by `GET /_emulator` (since start). */
  stats: { tokenRequests: number; tokenRefusals: number };
  now: () => number;
};

export const newId = monotonicFactory();

export function mergeKnobs(base: Knobs, patch: KnobsPatch | undefined): Knobs {
  const merged = { ...base };
  for (const [key, value] of Object.entries(patch ?? {})) {
    if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
  }
  return merged;
}

/**
 * Creates or updates an app. Fields left out keep their current value (or the defaults for a new app);
 * `knobs` is merged into the current knobs. Safe to repeat.
 */
export function upsertApp(ctx: EmulatorContext, appId: string, input: AppUpsert): { app: AppRecord; created: boolean } {
  const current = ctx.state.apps.get(appId);
  const app: AppRecord = {
    app_id: appId,
    project_id: input.project_id,
    display_name: input.display_name ?? current?.display_name ?? appId,
    access_key: input.access_key,
    access_secret: input.access_secret,
    secret_for_overridden_callback_urls: input.secret_for_overridden_callback_urls ?? current?.secret_for_overridden_callback_urls ?? '',
    channels: input.channels ?? current?.channels ?? ['WHATSAPP', 'RCS', 'SMS'],
    knobs: mergeKnobs(current?.knobs ?? ctx.options.knobs, input.knobs),
    created_time: current?.created_time ?? formatTimestamp(ctx.now()),
  };
  ctx.state.apps.set(appId, app);
  if (current !== undefined && current.project_id !== app.project_id) {
    for (const webhook of ctx.state.webhooksOfApp(appId)) { webhook.project_id = app.project_id; ctx.state.webhooks.touch(webhook.id); }
  }
  return { app, created: current === undefined };
}

export function seedDefaultApp(ctx: EmulatorContext): void {
  const a = ctx.options.account;
  upsertApp(ctx, a.appId, {
    project_id: a.projectId,
    access_key: a.accessKey,
    access_secret: a.accessSecret,
    secret_for_overridden_callback_urls: a.secretForOverriddenCallbackUrls,
  });
}

export type InjectResult = { ok: true; inbound: InboundRecord } | { ok: false; field: string; description: string };

/** A customer message arriving from the phone: stored, opens the WhatsApp window, MESSAGE_INBOUND to the app's webhooks. */
export function injectInbound(ctx: EmulatorContext, app: AppRecord, input: InboundInjection): InjectResult {
  const contact: ContactMessage = { ...input.contact_message };
  if (input.text !== undefined) {
    if (contact.text_message !== undefined) return { ok: false, field: 'text', description: 'give either text or contact_message.text_message' };
    contact.text_message = { text: input.text };
  }
  if (input.reply_to !== undefined) contact.reply_to = { message_id: input.reply_to };
  const kinds = CONTACT_MESSAGE_KINDS.filter((k) => contact[k] !== undefined);
  if (kinds.length !== 1) {
    return { ok: false, field: 'contact_message', description: `exactly one of ${CONTACT_MESSAGE_KINDS.join(', ')} must be set (or text)` };
  }
  const channel = input.channel ?? 'WHATSAPP';
  const identity = normaliseIdentity(input.identity);
  const now = ctx.now();
  const id = newId();
  // A choice reply carries the original send's message_metadata (doc §4.5).
  const answered = contact.choice_response_message === undefined ? undefined : ctx.state.messages.get(contact.choice_response_message.message_id);
  const inbound: InboundRecord = {
    id, app_id: app.app_id, project_id: app.project_id, channel, identity, contact_message: contact, accept_time: formatTimestamp(now, 6), accept_ms: now, callbacks: [],
  };
  ctx.state.addInbound(inbound);
  if (channel === 'WHATSAPP') ctx.state.openWindow(app.app_id, identity, now);
  const records = ctx.callbacks.emit({
    app,
    trigger: 'MESSAGE_INBOUND',
    messageId: null,
    inboundId: id,
    status: null,
    overrideUrl: null,
    body: {
      ...callbackEnvelope(app, now),
      message: {
        id,
        direction: 'TO_APP',
        contact_message: contact,
        channel_identity: { channel, identity, app_id: '' },
        conversation_id: '',
        contact_id: '',
        metadata: answered?.request.message_metadata ?? '',
        accept_time: formatTimestamp(now, 6),
        sender_id: input.sender_id ?? '',
        processing_mode: 'DISPATCH',
        injected: false,
      },
      message_metadata: '',
      correlation_id: '',
    },
  });
  inbound.callbacks.push(...records);
  ctx.state.inbound.touch(id);
  // Consent management (secondary mode): a message that is only an opt-out or opt-in keyword changes the lists.
  const keyword = app.knobs.consent_management && contact.text_message !== undefined ? consentKeyword(contact.text_message.text) : undefined;
  if (keyword !== undefined) registerConsent(ctx, app, { identity, channel, ...keyword });
  return { ok: true, inbound };
}
