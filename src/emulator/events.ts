/**
 * Events (doc §4.10): an app's event (`events:send`, e.g. a typing indicator) gets EVENT_DELIVERY reports; a
 * contact's typing indicator, injected through the control API, reaches the app as EVENT_INBOUND. Events are not
 * messages: no content, no window, no inbound history; their callbacks are listed under the event's id.
 */
import { newId, type EmulatorContext } from './context.ts';
import { normaliseIdentity } from './outcomes.ts';
import type { ContactEventInjection, SendEventRequest } from './schemas/event.ts';
import type { AppRecord, CallbackRecord } from './state.ts';
import { formatTimestamp } from './time.ts';
import { callbackEnvelope, isSimulatedChannel, makeReason, type DeliveryStatus, type Reason } from './wire.ts';

/** Accepts an app event: EVENT_DELIVERY QUEUED_ON_CHANNEL then DELIVERED (after the app's delay knobs), or FAILED. */
export function sendAppEvent(ctx: EmulatorContext, app: AppRecord, request: SendEventRequest): { event_id: string; accepted_time: string } {
  const now = ctx.now();
  const eventId = newId();
  const identities = request.recipient.identified_by?.channel_identities ?? [];
  // "A single element array … providing more than one option has no effect": the first channel is the one.
  const wanted = request.channel_priority_order?.[0];
  const target = (wanted === undefined ? identities[0] : identities.find((i) => i.channel === wanted)) ?? identities[0];
  const channel = wanted ?? target?.channel ?? '';
  const identity = normaliseIdentity(target?.identity ?? '');
  let failure: Reason | null = null;
  if (!isSimulatedChannel(channel) || !app.channels.includes(channel)) failure = makeReason('CHANNEL_CONFIGURATION_MISSING', `App ${app.app_id} has no configuration for channel ${channel}`);
  else if (!/^[0-9]{6,15}$/.test(identity)) failure = makeReason('RECIPIENT_INVALID_CHANNEL_IDENTITY', `Identity ${identity} is not a valid MSISDN`);
  else if (channel === 'SMS') failure = makeReason('UNSUPPORTED_OPERATION', 'SMS has no events');

  const report = (status: DeliveryStatus, reason: Reason | null): void => {
    const at = ctx.now();
    ctx.callbacks.emit({
      app,
      trigger: 'EVENT_DELIVERY',
      messageId: eventId,
      inboundId: null,
      status,
      overrideUrl: request.callback_url ?? null,
      body: {
        ...callbackEnvelope(app, at),
        event_delivery_report: {
          event_id: eventId,
          status,
          channel_identity: { channel, identity, app_id: '' },
          contact_id: '',
          ...(reason === null ? {} : { reason }),
          metadata: request.event_metadata ?? '',
          processing_mode: 'DISPATCH',
        },
        message_metadata: '',
        correlation_id: '',
      },
    });
  };
  const k = app.knobs;
  if (failure !== null) {
    const reason = failure;
    ctx.timers.schedule(k.queued_delay_ms, () => { report('FAILED', reason); });
  } else {
    ctx.timers.schedule(k.queued_delay_ms, () => { report('QUEUED_ON_CHANNEL', null); });
    ctx.timers.schedule(k.queued_delay_ms + k.delivered_delay_ms, () => { report('DELIVERED', null); });
  }
  return { event_id: eventId, accepted_time: formatTimestamp(now) };
}

/** A contact's typing indicator: EVENT_INBOUND with `contact_event` to the app's webhooks. */
export function injectContactEvent(ctx: EmulatorContext, app: AppRecord, input: ContactEventInjection): { id: string; callbacks: CallbackRecord[] } {
  const now = ctx.now();
  const id = newId();
  const callbacks = ctx.callbacks.emit({
    app,
    trigger: 'EVENT_INBOUND',
    messageId: null,
    inboundId: id,
    status: null,
    overrideUrl: null,
    body: {
      ...callbackEnvelope(app, now),
      event: {
        id,
        direction: 'TO_APP',
        channel_identity: { channel: input.channel ?? 'WHATSAPP', identity: normaliseIdentity(input.identity), app_id: '' },
        contact_id: '',
        conversation_id: '',
        accept_time: formatTimestamp(now, 6),
        processing_mode: 'DISPATCH',
        contact_event: input.event,
      },
      message_metadata: '',
      correlation_id: '',
    },
  });
  return { id, callbacks };
}
