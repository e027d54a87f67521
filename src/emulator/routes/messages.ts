/** `POST /v1/projects/{project_id}/messages:send` (doc §2). */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { newId, type EmulatorContext } from '../context.ts';
import { badRequest, notFound, sendRpcError } from '../errors.ts';
import { renderAppMessage } from '../render-message.ts';
import { ProjectParams, SendMessageRequest } from '../schemas/send-request.ts';
import type { Leg, MessageRecord } from '../state.ts';
import { formatTimestamp } from '../time.ts';
import { validateSendRequest } from '../validate-send.ts';

const SendMessageResponse = Type.Object({ message_id: Type.String(), accepted_time: Type.String() });

/** Channel legs in sending order: channel_priority_order if set, else the order of the channel identities. */
export function orderLegs(body: SendMessageRequest): Leg[] {
  const identities = body.recipient.identified_by?.channel_identities ?? [];
  if (body.channel_priority_order === undefined || body.channel_priority_order.length === 0) {
    return identities.map((ci) => ({ channel: ci.channel, identity: ci.identity }));
  }
  const legs: Leg[] = [];
  for (const channel of body.channel_priority_order) {
    const ci = identities.find((i) => i.channel === channel);
    if (ci !== undefined) legs.push({ channel, identity: ci.identity });
  }
  return legs;
}

export function registerMessageRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  app.post<{ Params: { project_id: string }; Body: SendMessageRequest }>('/v1/projects/:project_id/messages::send', {
    schema: { params: ProjectParams, body: SendMessageRequest, response: { 200: SendMessageResponse } },
  }, async (request, reply) => {
    const body = request.body;
    const target = ctx.state.apps.get(body.app_id);
    if (target === undefined || target.project_id !== request.params.project_id) {
      return sendRpcError(reply, notFound(`App ${body.app_id} not found in project ${request.params.project_id}`));
    }
    const violations = validateSendRequest(body, target.channels);
    if (violations.length > 0) return sendRpcError(reply, badRequest(violations));
    const legs = orderLegs(body);
    if (legs.length === 0) return sendRpcError(reply, badRequest([{ field: 'recipient', description: 'no channel identity to send to' }]));

    const now = ctx.now();
    const messageId = newId();
    const firstLeg = legs[0]?.channel ?? '';
    const msg: MessageRecord = {
      message_id: messageId,
      app_id: target.app_id,
      project_id: target.project_id,
      accepted_time: formatTimestamp(now),
      accepted_ms: now,
      request: body,
      legs,
      leg_index: 0,
      state: 'QUEUED',
      reason: null,
      statuses: [],
      callbacks: [],
      preview: renderAppMessage(body.message, firstLeg, messageId, ctx.state.templates),
      sms_text: null,
      settled: false,
    };
    ctx.state.addMessage(msg);
    if (!ctx.lifecycle.enqueue(target, msg)) {
      ctx.state.messages.delete(messageId);
      return sendRpcError(reply, { httpStatus: 429, message: `The MT queue of app ${target.app_id} is full`, headers: { 'retry-after': '1' } });
    }
    return reply.send({ message_id: messageId, accepted_time: msg.accepted_time });
  });
}
