/**
 * The life of an accepted message: the app's MT queue (drained at `outbound_rate`), then one leg per channel
 * in priority order: QUEUED_ON_CHANNEL → DELIVERED → READ, or FAILED, or SWITCHING_CHANNEL and the next leg.
 */
import type { CallbackDispatcher } from './callbacks.ts';
import { withChannelCode } from './channel-codes.ts';
import { checkLeg } from './channel-checks.ts';
import { omniKey } from './omni-templates.ts';
import { chooseOutcome, normaliseIdentity, planOutcome, type ChannelPlan } from './outcomes.ts';
import { TokenBucket } from './rate-limit.ts';
import { renderAppMessage, transcodeToSmsText } from './render-message.ts';
import type { AppRecord, EmulatorState, Leg, LegStep, MessageRecord } from './state.ts';
import { formatTimestamp, type TimerSet } from './time.ts';
import { parseTtlSeconds } from './validate-send.ts';
import { callbackEnvelope, isSimulatedChannel, makeReason, type DeliveryStatus, type MessageState, type Reason } from './wire.ts';

const RANK: Record<MessageState, number> = {
  QUEUED: 0, SWITCHING_CHANNEL: 0, QUEUED_ON_CHANNEL: 1, DELIVERED: 2, READ: 3, FAILED: 9,
};

/** A FIFO with O(1) shift. */
class Fifo<T> {
  #items: T[] = [];
  #head = 0;
  get size(): number { return this.#items.length - this.#head; }
  push(item: T): void { this.#items.push(item); }
  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#head += 1;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) { this.#items = this.#items.slice(this.#head); this.#head = 0; }
    return item;
  }
  remove(item: T): boolean {
    const i = this.#items.indexOf(item, this.#head);
    if (i < 0) return false;
    this.#items.splice(i, 1);
    return true;
  }
}

type AppQueue = { high: Fifo<MessageRecord>; normal: Fifo<MessageRecord>; bucket: TokenBucket | null; wakeScheduled: boolean };

export type LifecycleDeps = { state: EmulatorState; callbacks: CallbackDispatcher; timers: TimerSet; now: () => number };

export class Lifecycle {
  readonly #deps: LifecycleDeps;
  readonly #queues = new Map<string, AppQueue>();

  constructor(deps: LifecycleDeps) {
    this.#deps = deps;
  }

  clear(): void {
    this.#queues.clear();
  }

  queueSize(appId: string): number {
    const q = this.#queues.get(appId);
    return q === undefined ? 0 : q.high.size + q.normal.size;
  }

  #queue(appId: string): AppQueue {
    let q = this.#queues.get(appId);
    if (q === undefined) {
      q = { high: new Fifo(), normal: new Fifo(), bucket: null, wakeScheduled: false };
      this.#queues.set(appId, q);
    }
    return q;
  }

  /** Puts an accepted message in its app's MT queue; false when the queue is full. */
  enqueue(app: AppRecord, msg: MessageRecord): boolean {
    if (this.queueSize(app.app_id) >= app.knobs.outbound_queue_limit) return false;
    const q = this.#queue(app.app_id);
    (msg.request.queue === 'HIGH_PRIORITY' ? q.high : q.normal).push(msg);
    if (msg.request.ttl !== undefined) {
      this.#deps.timers.schedule(msg.accepted_ms + parseTtlSeconds(msg.request.ttl) * 1000 - this.#deps.now(), () => { this.#expire(msg); });
    }
    this.#pump(app.app_id);
    return true;
  }

  #pump(appId: string): void {
    const q = this.#queues.get(appId);
    const app = this.#deps.state.apps.get(appId);
    if (q === undefined || app === undefined) return;
    const rate = app.knobs.outbound_rate;
    while (q.high.size + q.normal.size > 0) {
      if (rate !== null) {
        const capacity = Math.max(1, rate);
        if (q.bucket === null) q.bucket = new TokenBucket(capacity, rate, this.#deps.now);
        else if (q.bucket.ratePerSecond !== rate) q.bucket.reconfigure(capacity, rate);
        if (!q.bucket.tryTake()) {
          if (!q.wakeScheduled) {
            q.wakeScheduled = true;
            this.#deps.timers.schedule(q.bucket.msUntilToken(), () => { q.wakeScheduled = false; this.#pump(appId); });
          }
          return;
        }
      }
      const msg = q.high.shift() ?? q.normal.shift();
      if (msg !== undefined && msg.state === 'QUEUED') this.#startLeg(msg);
    }
  }

  #app(msg: MessageRecord): AppRecord | undefined {
    return this.#deps.state.apps.get(msg.app_id);
  }

  #startLeg(msg: MessageRecord): void {
    const app = this.#app(msg);
    const leg = msg.legs[msg.leg_index];
    if (app === undefined || leg === undefined) return;
    const { state, now } = this.#deps;
    const identity = normaliseIdentity(leg.identity);
    const windowOpened = state.whatsappWindows.get(state.windowKey(app.app_id, identity));
    const failure = checkLeg({
      request: msg.request,
      channel: leg.channel,
      identity: leg.identity,
      appChannels: app.channels,
      templates: state.templates,
      omniTemplate: (templateId) => state.omniTemplates.get(omniKey(app.project_id, templateId)),
      enforceWhatsAppWindow: app.knobs.enforce_whatsapp_window,
      whatsAppWindowOpen: windowOpened !== undefined && now() - windowOpened < app.knobs.whatsapp_window_seconds * 1000,
    });
    let plan: ChannelPlan;
    if (failure !== null) plan = { kind: 'fail', reason: failure, afterQueued: false };
    else if (!isSimulatedChannel(leg.channel)) plan = { kind: 'fail', reason: makeReason('CHANNEL_CONFIGURATION_MISSING', `Channel ${leg.channel} is not simulated`), afterQueued: false };
    else {
      plan = planOutcome(chooseOutcome(leg.identity, app.knobs), leg.channel);
      // SMS has no read receipts: READ never comes, and a read-at-once outcome shows as DELIVERED.
      if (plan.kind === 'deliver' && leg.channel === 'SMS') plan = { ...plan, delivered: plan.delivered || plan.read, read: false };
    }
    msg.preview = renderAppMessage(msg.request.message, leg.channel, msg.message_id, state.templates);
    if (leg.channel === 'SMS') msg.sms_text = transcodeToSmsText(msg.preview);

    const k = app.knobs;
    const t0 = now();
    const q = t0 + k.queued_delay_ms;
    const d = q + k.delivered_delay_ms;
    const steps: LegStep[] = [];
    if (plan.kind === 'fail') {
      if (plan.afterQueued) steps.push({ at_ms: q, action: 'queued' }, { at_ms: d, action: 'fail', reason: plan.reason });
      else steps.push({ at_ms: q, action: 'fail', reason: plan.reason });
    } else {
      const { delivered, read, final } = plan;
      steps.push({ at_ms: q, action: 'queued', ...(final ? {} : { settle: true }) });
      // DELIVERED happens on time (state, event_time) but, out of order, its callback is held back until after READ's.
      const hold = delivered && read && k.out_of_order_callbacks;
      if (delivered) steps.push({ at_ms: d, action: 'delivered', ...(hold ? { hold: true } : {}), ...(read ? {} : { settle: true }) });
      if (read) steps.push({ at_ms: (delivered ? d : q) + k.read_delay_ms, action: 'read', settle: true });
    }
    msg.leg_run = { leg_index: msg.leg_index, steps, done: 0 };
    state.messages.touch(msg.message_id);
    this.#next(msg);
  }

  /** Schedules the current leg's next step (at once when it is already due, e.g. after a restart). */
  #next(msg: MessageRecord): void {
    const run = msg.leg_run;
    const step = run?.steps[run.done];
    if (run === undefined || step === undefined) return;
    const { state, timers, now } = this.#deps;
    const index = run.done;
    timers.schedule(step.at_ms - now(), () => {
      const live = msg.leg_run === run && run.done === index && msg.leg_index === run.leg_index && msg.state !== 'FAILED'
        && state.messages.get(msg.message_id) === msg;
      if (!live) return;
      run.done += 1;
      this.#runStep(msg, step);
      state.messages.touch(msg.message_id);
      if (msg.leg_run === run) this.#next(msg); // (a failed leg may have started the next one, with its own steps)
    });
  }

  #runStep(msg: MessageRecord, step: LegStep): void {
    const leg = msg.legs[msg.leg_index];
    if (leg === undefined) return;
    switch (step.action) {
      case 'queued':
        this.#submitted(msg, leg);
        this.#report(msg, 'QUEUED_ON_CHANNEL', leg, null);
        break;
      case 'delivered':
        this.#report(msg, 'DELIVERED', leg, null, step.hold === true);
        break;
      case 'read': {
        this.#report(msg, 'READ', leg, null);
        const held = msg.statuses.findLast((s) => s.status === 'DELIVERED' && s.channel === leg.channel && s.held === true);
        if (held !== undefined) { delete held.held; this.#sendDeliveryCallback(msg, 'DELIVERED', leg, null, Date.parse(held.at)); }
        break;
      }
      case 'fail':
        this.#failLeg(msg, leg, step.reason ?? makeReason('UNKNOWN', 'The channel failed'));
        break;
    }
    if (step.settle === true) msg.settled = true;
  }

  /**
   * After a restart: messages still in the MT queue go back to it (oldest first), legs carry on from their next
   * step (steps that fell due meanwhile run at once, in order), ttl timers are set again.
   */
  resume(): void {
    const { state, timers, now } = this.#deps;
    for (const msg of state.messages.values()) {
      if (msg.settled || msg.state === 'FAILED') continue;
      const app = this.#app(msg);
      if (app === undefined) continue;
      if (msg.request.ttl !== undefined) {
        timers.schedule(msg.accepted_ms + parseTtlSeconds(msg.request.ttl) * 1000 - now(), () => { this.#expire(msg); });
      }
      if (msg.leg_run === undefined) {
        const q = this.#queue(app.app_id);
        (msg.request.queue === 'HIGH_PRIORITY' ? q.high : q.normal).push(msg);
      } else {
        this.#next(msg);
      }
    }
    for (const appId of this.#queues.keys()) this.#pump(appId);
  }

  #failLeg(msg: MessageRecord, leg: Leg, failure: Reason): void {
    const reason = withChannelCode(failure, leg.channel);
    if (msg.leg_index + 1 < msg.legs.length && !this.#ttlExpired(msg)) {
      this.#report(msg, 'SWITCHING_CHANNEL', leg, reason);
      msg.leg_index += 1;
      this.#startLeg(msg);
      return;
    }
    this.#report(msg, 'FAILED', leg, reason);
  }

  #ttlExpired(msg: MessageRecord): boolean {
    return msg.request.ttl !== undefined && this.#deps.now() - msg.accepted_ms >= parseTtlSeconds(msg.request.ttl) * 1000;
  }

  #expire(msg: MessageRecord): void {
    if (msg.state === 'DELIVERED' || msg.state === 'READ' || msg.state === 'FAILED') return;
    if (this.#deps.state.messages.get(msg.message_id) !== msg) return;
    const q = this.#queues.get(msg.app_id);
    if (q !== undefined) { q.high.remove(msg); q.normal.remove(msg); }
    const leg = msg.legs[msg.leg_index];
    if (leg === undefined) return;
    this.#report(msg, 'FAILED', leg, makeReason('MESSAGE_EXPIRED', `The message was not delivered within its ttl of ${msg.request.ttl ?? ''}`));
  }

  #submitted(msg: MessageRecord, leg: Leg): void {
    const app = this.#app(msg);
    if (app === undefined) return;
    const now = this.#deps.now();
    const records = this.#deps.callbacks.emit({
      app,
      trigger: 'MESSAGE_SUBMIT',
      messageId: msg.message_id,
      inboundId: null,
      status: null,
      overrideUrl: null,
      body: {
        ...callbackEnvelope(app, now),
        message_submit_notification: {
          message_id: msg.message_id,
          conversation_id: '',
          channel_identity: { channel: leg.channel, identity: normaliseIdentity(leg.identity), app_id: '' },
          contact_id: '',
          submitted_message: msg.request.message,
          metadata: msg.request.message_metadata ?? '',
          processing_mode: 'DISPATCH',
        },
        message_metadata: '',
        correlation_id: msg.request.correlation_id ?? '',
      },
    });
    msg.callbacks.push(...records);
  }

  /** Records a status and sends its MESSAGE_DELIVERY callback (unless `hold`: the READ step sends it later). */
  #report(msg: MessageRecord, status: DeliveryStatus, leg: Leg, reason: Reason | null, hold = false): void {
    const now = this.#deps.now();
    const identity = normaliseIdentity(leg.identity);
    msg.statuses.push({ status, channel: leg.channel, identity, at: formatTimestamp(now), reason, ...(hold ? { held: true } : {}) });
    if (status === 'FAILED' || status === 'SWITCHING_CHANNEL' || msg.state === 'SWITCHING_CHANNEL' || RANK[status] > RANK[msg.state]) {
      msg.state = status;
    }
    if (status === 'FAILED') { msg.reason = reason; msg.settled = true; }
    this.#deps.state.messages.touch(msg.message_id);
    if (!hold) this.#sendDeliveryCallback(msg, status, leg, reason, now);
  }

  /** The MESSAGE_DELIVERY callback of a status that happened at `atMs`. */
  #sendDeliveryCallback(msg: MessageRecord, status: DeliveryStatus, leg: Leg, reason: Reason | null, atMs: number): void {
    const app = this.#app(msg);
    if (app === undefined) return;
    const report: Record<string, unknown> = {
      message_id: msg.message_id,
      conversation_id: '',
      status,
      channel_identity: { channel: leg.channel, identity: normaliseIdentity(leg.identity), app_id: '' },
      contact_id: '',
      metadata: msg.request.message_metadata ?? '',
      processing_mode: 'DISPATCH',
    };
    if (reason !== null) report.reason = reason;
    msg.callbacks.push(...this.#deps.callbacks.emit({
      app,
      trigger: 'MESSAGE_DELIVERY',
      messageId: msg.message_id,
      inboundId: null,
      status,
      overrideUrl: msg.request.callback_url ?? null,
      body: {
        ...callbackEnvelope(app, atMs),
        message_delivery_report: report,
        message_metadata: '',
        correlation_id: msg.request.correlation_id ?? '',
      },
    }));
    this.#deps.state.messages.touch(msg.message_id);
  }
}
