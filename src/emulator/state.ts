/**
 * The emulator's state: apps, webhooks, messages, inbound messages, callbacks, windows, templates. Held in memory in
 * TrackedMaps, so that with a data dir the store (persistence.ts) writes what changed; a value changed in place must
 * be `touch`ed (`state.messages.touch(id)`).
 */
import type { Knobs } from './schemas/control.ts';
import type { SendMessageRequest } from './schemas/send-request.ts';
import type { ContactMessage } from './schemas/control.ts';
import type { Preview } from './render-message.ts';
import type { OmniTemplate } from './omni-templates.ts';
import { createSeededTemplates, type Template } from './templates.ts';
import type { ConsentRecord } from './routes/consents.ts';
import { TrackedMap } from './tracked-map.ts';
import type { EmittedTrigger, MessageState, Reason, SimulatedChannel, Trigger } from './wire.ts';

export type AppRecord = {
  app_id: string;
  project_id: string;
  display_name: string;
  access_key: string;
  access_secret: string;
  secret_for_overridden_callback_urls: string;
  channels: string[];
  knobs: Knobs;
  created_time: string;
};

export type WebhookRecord = {
  id: string;
  app_id: string;
  project_id: string;
  target: string;
  target_type: 'HTTP' | 'DISMISS';
  secret: string;
  triggers: Trigger[];
  client_credentials?: Record<string, unknown>;
};

export type CallbackAttempt = { at: string; status_code: number | null; error: string | null; duration_ms: number };

export type CallbackRecord = {
  id: string;
  trigger: EmittedTrigger;
  target: string;
  webhook_id: string | null;
  message_id: string | null;
  inbound_id: string | null;
  status: string | null;
  payload: unknown;
  state: 'pending' | 'delivered' | 'failed';
  attempts: CallbackAttempt[];
  next_attempt_at: string | null;
  duplicate_of: string | null;
};

export type StatusEvent = {
  status: string; channel: string; identity: string; at: string; reason: Reason | null;
  /** A DELIVERED whose callback waits for READ's (out_of_order_callbacks). */
  held?: boolean;
};

export type Leg = { channel: string; identity: string };

/**
 * One scheduled step of a channel leg, at an absolute time (epoch ms), so that a leg interrupted by a restart
 * resumes where it was (steps already due run at once, in order).
 */
export type LegStep = {
  at_ms: number;
  action: 'queued' | 'delivered' | 'read' | 'fail';
  reason?: Reason;
  /** `delivered` only: the callback waits for the READ step (out_of_order_callbacks). */
  hold?: boolean;
  /** The life cycle will not move after this step (terminal, or waiting forever). */
  settle?: boolean;
};

/** The steps of the current leg and how many of them ran. */
export type LegRun = { leg_index: number; steps: LegStep[]; done: number };

export type MessageRecord = {
  message_id: string;
  app_id: string;
  project_id: string;
  accepted_time: string;
  accepted_ms: number;
  request: SendMessageRequest;
  legs: Leg[];
  leg_index: number;
  state: MessageState;
  reason: Reason | null;
  statuses: StatusEvent[];
  callbacks: CallbackRecord[];
  preview: Preview;
  sms_text: string | null;
  /** Set once the life cycle will not move any more (terminal or waiting forever). */
  settled: boolean;
  /** The current leg's schedule, once a leg has started. */
  leg_run?: LegRun;
};

export type InboundRecord = {
  id: string;
  app_id: string;
  project_id: string;
  channel: SimulatedChannel;
  identity: string;
  contact_message: ContactMessage;
  accept_time: string;
  accept_ms: number;
  callbacks: CallbackRecord[];
};

export type StateLimits = { maxMessages: number; maxInbound: number; maxCallbacks: number };

/** WhatsApp windows kept (the least recently opened are forgotten first). */
export const MAX_WINDOWS = 100_000;

function evictOldest<V>(map: Map<string, V>, max: number): void {
  while (map.size > max) {
    const first = map.keys().next();
    if (first.done === true) return;
    map.delete(first.value);
  }
}

export class EmulatorState {
  readonly apps = new TrackedMap<AppRecord>();
  readonly webhooks = new TrackedMap<WebhookRecord>();
  readonly messages = new TrackedMap<MessageRecord>();
  readonly inbound = new TrackedMap<InboundRecord>();
  readonly callbacks = new TrackedMap<CallbackRecord>();
  /** `${app_id}\0${identity}` → epoch ms of the last inbound WhatsApp message. */
  readonly whatsappWindows = new TrackedMap<number>();
  readonly templates = new TrackedMap<Template>();
  /** Omni-channel templates (Templates v2) by `${project_id}\0${template_id}`. */
  readonly omniTemplates = new TrackedMap<OmniTemplate>();
  /** Consent management's opt-out lists: `${app_id}\0${list}\0${identity}` → the entry. */
  readonly consents = new TrackedMap<ConsentRecord>();
  readonly limits: StateLimits;

  constructor(limits: StateLimits) {
    this.limits = limits;
    this.#seedTemplates();
  }

  #seedTemplates(): void {
    for (const [key, template] of createSeededTemplates()) this.templates.set(key, template);
  }

  /** Opens (or renews) the WhatsApp window of an identity at `atMs`. */
  openWindow(appId: string, identity: string, atMs: number): void {
    const key = this.windowKey(appId, identity);
    this.whatsappWindows.delete(key); // renewed windows go last: the oldest are forgotten first
    this.whatsappWindows.set(key, atMs);
    evictOldest(this.whatsappWindows, MAX_WINDOWS);
  }

  addMessage(record: MessageRecord): void {
    this.messages.set(record.message_id, record);
    evictOldest(this.messages, this.limits.maxMessages);
  }

  addInbound(record: InboundRecord): void {
    this.inbound.set(record.id, record);
    evictOldest(this.inbound, this.limits.maxInbound);
  }

  addCallback(record: CallbackRecord): void {
    this.callbacks.set(record.id, record);
    evictOldest(this.callbacks, this.limits.maxCallbacks);
  }

  appsOfProject(projectId: string): AppRecord[] {
    return [...this.apps.values()].filter((a) => a.project_id === projectId);
  }

  webhooksOfApp(appId: string): WebhookRecord[] {
    return [...this.webhooks.values()].filter((w) => w.app_id === appId);
  }

  /** Projects for which this key/secret pair is valid (one key may be registered on several apps). */
  projectsForCredentials(key: string, secret: string): Set<string> {
    const out = new Set<string>();
    for (const app of this.apps.values()) if (app.access_key === key && app.access_secret === secret) out.add(app.project_id);
    return out;
  }

  windowKey(appId: string, identity: string): string {
    return `${appId}\u0000${identity}`;
  }

  clearTraffic(): void {
    this.messages.clear();
    this.inbound.clear();
    this.callbacks.clear();
    this.whatsappWindows.clear();
    this.consents.clear();
  }

  clearAll(): void {
    this.clearTraffic();
    this.apps.clear();
    this.webhooks.clear();
    this.templates.clear();
    this.#seedTemplates();
    this.omniTemplates.clear();
  }
}
