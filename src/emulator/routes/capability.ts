/**
 * `POST /v1/projects/{project_id}/capability:query` (protocol notes §6.2): answered at once with the request, the
 * result later as a CAPABILITY callback (`capability_notification`) to the app's webhooks subscribed to it. What a
 * number can receive follows the number rules: `not-reachable` has nothing, `no-rcs` no RCS, `no-whatsapp` no
 * WhatsApp; a channel the app has not configured (or the emulator does not simulate) is CAPABILITY_UNKNOWN.
 */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { newId, type EmulatorContext } from '../context.ts';
import { badRequest, notFound, sendRpcError } from '../errors.ts';
import { chooseOutcome, normaliseIdentity } from '../outcomes.ts';
import { ProjectParams, Recipient } from '../schemas/send-request.ts';
import { callbackEnvelope, isSimulatedChannel, makeReason, type Reason } from '../wire.ts';

const CapabilityQuery = Type.Object({
  app_id: Type.String({ minLength: 1 }),
  recipient: Recipient,
  request_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
});
type CapabilityQuery = Static<typeof CapabilityQuery>;

type Capability = { status: 'CAPABILITY_UNKNOWN' | 'CAPABILITY_FULL' | 'NO_CAPABILITY'; reason: Reason | null };

export function capabilityOf(channel: string, identity: string, appChannels: readonly string[], outcome: string): Capability {
  if (!isSimulatedChannel(channel) || !appChannels.includes(channel)) {
    return { status: 'CAPABILITY_UNKNOWN', reason: makeReason('CHANNEL_CONFIGURATION_MISSING', `The app has no configuration for channel ${channel}`) };
  }
  if (!/^\+?[0-9]{6,15}$/.test(identity.trim())) {
    return { status: 'NO_CAPABILITY', reason: makeReason('RECIPIENT_INVALID_CHANNEL_IDENTITY', `Identity ${identity} is not a valid MSISDN`) };
  }
  const unreachable = outcome === 'not-reachable' || (channel === 'RCS' && outcome === 'no-rcs') || (channel === 'WHATSAPP' && outcome === 'no-whatsapp');
  if (unreachable) return { status: 'NO_CAPABILITY', reason: makeReason('RECIPIENT_NOT_REACHABLE', `The underlying channel reported: ${identity} cannot receive ${channel} messages`) };
  return { status: 'CAPABILITY_FULL', reason: null };
}

export function registerCapabilityRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  app.post<{ Params: { project_id: string }; Body: CapabilityQuery }>('/v1/projects/:project_id/capability::query', {
    schema: { params: ProjectParams, body: CapabilityQuery },
  }, async (request, reply) => {
    const body = request.body;
    const target = ctx.state.apps.get(body.app_id);
    if (target === undefined || target.project_id !== request.params.project_id) {
      return sendRpcError(reply, notFound(`App ${body.app_id} not found in project ${request.params.project_id}`));
    }
    const identities = body.recipient.identified_by?.channel_identities ?? [];
    const first = identities[0];
    if (first === undefined || identities.length !== 1) {
      return sendRpcError(reply, badRequest([{ field: 'recipient', description: 'give exactly one channel identity in identified_by (contacts are not kept in DISPATCH mode)' }]));
    }
    const requestId = body.request_id ?? newId();
    const identity = normaliseIdentity(first.identity);
    ctx.timers.schedule(target.knobs.queued_delay_ms, () => {
      const app = ctx.state.apps.get(target.app_id);
      if (app === undefined) return;
      const capability = capabilityOf(first.channel, first.identity, app.channels, chooseOutcome(first.identity, app.knobs));
      const now = ctx.now();
      const notification: Record<string, unknown> = {
        request_id: requestId, contact_id: '', channel: first.channel, identity, capability_status: capability.status, channel_capabilities: [],
      };
      if (capability.reason !== null) notification.reason = capability.reason;
      ctx.callbacks.emit({
        app, trigger: 'CAPABILITY', messageId: null, inboundId: null, status: capability.status, overrideUrl: null,
        body: {
          ...callbackEnvelope(app, now),
          capability_notification: notification, message_metadata: '', correlation_id: '',
        },
      });
    });
    return reply.send({ app_id: target.app_id, recipient: body.recipient, request_id: requestId });
  });
}
