/**
 * Callback delivery: one copy per matching webhook (or the per-message callback_url), signed as Sinch signs,
 * retried on non-2xx or timeout along a configurable schedule, every attempt recorded for inspection.
 */
import { request } from 'undici';
import { monotonicFactory } from 'ulidx';
import { buildSignatureHeaders } from './signature.ts';
import type { AppRecord, CallbackRecord, EmulatorState } from './state.ts';
import { formatTimestamp, type TimerSet } from './time.ts';
import type { EmittedTrigger } from './wire.ts';

export type CallbackSettings = {
  retryScheduleMs: readonly number[];
  timeoutMs: number;
  now: () => number;
  timers: TimerSet;
};

export type CallbackEvent = {
  app: AppRecord;
  trigger: EmittedTrigger;
  body: Record<string, unknown>;
  messageId: string | null;
  inboundId: string | null;
  status: string | null;
  /** Per-message (or per-event) `callback_url` override (MESSAGE_DELIVERY and EVENT_DELIVERY only). */
  overrideUrl: string | null;
};

type Target = { url: string; secret: string; webhookId: string | null };

const nextId = monotonicFactory();

export class CallbackDispatcher {
  readonly #state: EmulatorState;
  readonly #settings: CallbackSettings;
  #abort = new AbortController();
  /** Per (message, target): the first attempt of the previous callback, so callbacks leave in emission order. */
  readonly #chains = new Map<string, Promise<void>>();
  /** Attempts whose request is on the wire. */
  readonly #inFlight = new Set<Promise<void>>();

  constructor(state: EmulatorState, settings: CallbackSettings) {
    this.#state = state;
    this.#settings = settings;
  }

  /** Aborts in-flight deliveries (timers are cleared by the owner of the TimerSet). */
  abortAll(): void {
    this.#abort.abort();
    this.#abort = new AbortController();
    this.#chains.clear();
  }

  /**
   * For close(): lets requests already on the wire finish (up to `graceMs`), then aborts the rest, so that once
   * this resolves no receiver sees another request from us. Call after the timers are closed (no new attempts).
   */
  async drain(graceMs: number): Promise<void> {
    if (this.#inFlight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => { timer = setTimeout(resolve, graceMs); });
      await Promise.race([Promise.allSettled([...this.#inFlight]), grace]);
      clearTimeout(timer);
    }
    this.abortAll();
    await Promise.allSettled([...this.#inFlight]);
  }

  #targets(event: CallbackEvent): Target[] {
    if ((event.trigger === 'MESSAGE_DELIVERY' || event.trigger === 'EVENT_DELIVERY') && event.overrideUrl !== null) {
      return [{ url: event.overrideUrl, secret: event.app.secret_for_overridden_callback_urls, webhookId: null }];
    }
    return this.#state.webhooksOfApp(event.app.app_id)
      .filter((w) => w.target_type === 'HTTP' && w.triggers.includes(event.trigger))
      .map((w) => ({ url: w.target, secret: w.secret, webhookId: w.id }));
  }

  emit(event: CallbackEvent): CallbackRecord[] {
    const rawBody = JSON.stringify(event.body);
    const records: CallbackRecord[] = [];
    const copies = 1 + event.app.knobs.duplicate_callbacks;
    for (const target of this.#targets(event)) {
      let original: string | null = null;
      for (let copy = 0; copy < copies; copy += 1) {
        const record: CallbackRecord = {
          id: nextId(),
          trigger: event.trigger,
          target: target.url,
          webhook_id: target.webhookId,
          message_id: event.messageId,
          inbound_id: event.inboundId,
          status: event.status,
          payload: event.body,
          state: 'pending',
          attempts: [],
          next_attempt_at: null,
          duplicate_of: original,
        };
        original ??= record.id;
        this.#state.addCallback(record);
        records.push(record);
        this.#queue(record, target, rawBody, event.app.knobs.callback_delay_ms);
      }
    }
    return records;
  }

  /** Sends a callback after the previous one about the same message to the same target had its first attempt. */
  #queue(record: CallbackRecord, target: Target, rawBody: string, delayMs: number): void {
    const chainKey = `${record.message_id ?? record.inbound_id ?? ''}|${target.url}`;
    const previous = this.#chains.get(chainKey) ?? Promise.resolve();
    const first = new Promise<void>((resolve) => {
      void previous.then(() => {
        this.#settings.timers.schedule(delayMs, () => {
          void this.#attempt(record, target, rawBody).finally(resolve);
        });
        if (this.#settings.timers.closed) resolve();
      });
    });
    this.#chains.set(chainKey, first);
    void first.then(() => { if (this.#chains.get(chainKey) === first) this.#chains.delete(chainKey); });
  }

  /**
   * After a restart: a callback still pending is sent again, when its next retry was due (at once if that time
   * passed, or if its first attempt never happened). Its webhook gone, it is given up.
   */
  resume(record: CallbackRecord): void {
    if (record.state !== 'pending') return;
    const payload = record.payload as { app_id?: string };
    const webhook = record.webhook_id === null ? undefined : this.#state.webhooks.get(record.webhook_id);
    const app = payload.app_id === undefined ? undefined : this.#state.apps.get(payload.app_id);
    const secret = record.webhook_id === null ? app?.secret_for_overridden_callback_urls : webhook?.secret;
    if (secret === undefined || (webhook !== undefined && webhook.target !== record.target)) {
      record.state = 'failed';
      record.next_attempt_at = null;
      this.#state.callbacks.touch(record.id);
      return;
    }
    const due = record.next_attempt_at === null ? 0 : Date.parse(record.next_attempt_at) - this.#settings.now();
    this.#queue(record, { url: record.target, secret, webhookId: record.webhook_id }, JSON.stringify(record.payload), Math.max(0, due));
  }

  #attempt(record: CallbackRecord, target: Target, rawBody: string): Promise<void> {
    const attempt = this.#deliver(record, target, rawBody);
    this.#inFlight.add(attempt);
    void attempt.finally(() => { this.#inFlight.delete(attempt); });
    return attempt;
  }

  async #deliver(record: CallbackRecord, target: Target, rawBody: string): Promise<void> {
    const started = this.#settings.now();
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'sinch-conversation-emulator' };
    if (target.secret !== '') Object.assign(headers, buildSignatureHeaders(target.secret, rawBody, nextId(), started));
    let statusCode: number | null = null;
    let error: string | null = null;
    try {
      const response = await request(target.url, {
        method: 'POST',
        headers,
        body: rawBody,
        signal: AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#settings.timeoutMs)]),
      });
      statusCode = response.statusCode;
      await response.body.dump();
    } catch (err) {
      error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    }
    const finished = this.#settings.now();
    record.attempts.push({ at: formatTimestamp(started), status_code: statusCode, error, duration_ms: finished - started });
    this.#state.callbacks.touch(record.id);
    if (statusCode !== null && statusCode >= 200 && statusCode < 300) {
      record.state = 'delivered';
      record.next_attempt_at = null;
      return;
    }
    if (this.#settings.timers.closed) {
      // Closing: the callback stays pending, due at once when a store brings it back after a restart.
      record.next_attempt_at = formatTimestamp(finished);
      return;
    }
    const delay = this.#settings.retryScheduleMs[record.attempts.length - 1];
    if (delay === undefined) {
      record.state = 'failed';
      record.next_attempt_at = null;
      return;
    }
    record.next_attempt_at = formatTimestamp(finished + delay);
    this.#settings.timers.schedule(delay, () => { void this.#attempt(record, target, rawBody); });
  }
}
