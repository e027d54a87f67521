/** `POST /v1/projects/{project_id}/events:send` (doc §4.10). */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { EmulatorContext } from '../context.ts';
import { badRequest, notFound, sendRpcError } from '../errors.ts';
import { sendAppEvent } from '../events.ts';
import { APP_EVENT_KINDS, SendEventRequest } from '../schemas/event.ts';
import { ProjectParams } from '../schemas/send-request.ts';

const SendEventResponse = Type.Object({ event_id: Type.String(), accepted_time: Type.String() });

export function registerEventRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  app.post<{ Params: { project_id: string }; Body: SendEventRequest }>('/v1/projects/:project_id/events::send', {
    schema: { params: ProjectParams, body: SendEventRequest, response: { 200: SendEventResponse } },
  }, async (request, reply) => {
    const body = request.body;
    const target = ctx.state.apps.get(body.app_id);
    if (target?.project_id !== request.params.project_id) {
      return sendRpcError(reply, notFound(`App ${body.app_id} not found in project ${request.params.project_id}`));
    }
    const kinds = APP_EVENT_KINDS.filter((k) => body.event[k] !== undefined);
    if (kinds.length !== 1) return sendRpcError(reply, badRequest([{ field: 'event', description: `exactly one of ${APP_EVENT_KINDS.join(', ')} must be set` }]));
    if (body.recipient.identified_by === undefined) {
      return sendRpcError(reply, badRequest([{ field: 'recipient.identified_by', description: 'required in DISPATCH mode (contact_id is not supported)' }]));
    }
    return reply.send(sendAppEvent(ctx, target, body));
  });
}
