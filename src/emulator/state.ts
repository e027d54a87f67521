/** The emulator's in-memory state: apps, webhooks, messages, inbound messages, callbacks, windows, templates. */
import type { Knobs } from './schemas/control.ts';
import type { SendMessageRequest } from './schemas/send-request.ts';
import type { ContactMessage } from './schemas/control.ts';
import type { Preview } from './render-message.ts';
import type { OmniTemplate } from './omni-templates.ts';
import { createSeededTemplates, type Template } from './templates.ts';
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

export type StatusEvent = { status: string; channel: string; identity: string; at: string; reason: Reason | null };

export type Leg = { channel: string; identity: string };

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

function evictOldest<V>(map: Map<string, V>, max: number): void {
  while (map.size > max) {
    const first = map.keys().next();
    if (first.done === true) return;
    map.delete(first.value);
  }
}

export class EmulatorState {
  readonly apps = new Map<string, AppRecord>();
  readonly webhooks = new Map<string, WebhookRecord>();
  readonly messages = new Map<string, MessageRecord>();
  readonly inbound = new Map<string, InboundRecord>();
  readonly callbacks = new Map<string, CallbackRecord>();
  /** `${app_id}\0${identity}` → epoch ms of the last inbound WhatsApp message. */
  readonly whatsappWindows = new Map<string, number>();
  templates: Map<string, Template> = createSeededTemplates();
  /** Omni-channel templates (Templates v2) by `${project_id}\0${template_id}`. */
  readonly omniTemplates = new Map<string, OmniTemplate>();
  readonly limits: StateLimits;

  constructor(limits: StateLimits) {
    this.limits = limits;
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
  }

  clearAll(): void {
    this.clearTraffic();
    this.apps.clear();
    this.webhooks.clear();
    this.templates = createSeededTemplates();
    this.omniTemplates.clear();
  }
}
