import Type from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { durableByTransact } from '../durable.ts';
import type { CallbackIngest } from '../../services/ingest-callback.ts';

/**
 * `POST /callbacks/sinch/{token}`: the integration's callback URL. No bearer auth; the Sinch signature over the
 * raw body authenticates. The body is kept as the exact bytes received (any content type).
 */
export const callbackRoutes: FastifyPluginAsyncTypebox<{ ingest: CallbackIngest; bodyLimit: number }> = async (app, { ingest, bodyLimit }) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit }, (_request, body, done) => done(null, body));

  app.post('/callbacks/sinch/:token', {
    config: durableByTransact,
    bodyLimit,
    schema: {
      tags: ['Callbacks'],
      summary: 'Sinch callbacks (delivery reports, inbound messages). Signed by Sinch; 200 only once durably stored.',
      security: [],
      params: Type.Object({ token: Type.String() }),
      response: {
        200: Type.Object({ received: Type.Literal(true), duplicate: Type.Boolean() }),
        400: Type.Ref('ErrorBody'), 401: Type.Ref('ErrorBody'), 404: Type.Ref('ErrorBody'), 413: Type.Ref('ErrorBody'),
      },
    },
  }, async (request, reply) => {
    const raw = typeof request.body === 'string' ? request.body : '';
    const result = await ingest.receive(request.params.token, raw, request.headers);
    return reply.status(result.status).send(result.body);
  });
};
