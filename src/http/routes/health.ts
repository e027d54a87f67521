import Type from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Db } from '../../db/database.ts';

export const healthRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  app.get('/healthz', {
    schema: { tags: ['Health'], summary: 'The process is up', response: { 200: Type.Object({ status: Type.Literal('ok') }) } },
  }, async () => ({ status: 'ok' as const }));

  app.get('/readyz', {
    schema: {
      tags: ['Health'], summary: 'Ready to serve: the database answers',
      response: { 200: Type.Object({ status: Type.Literal('ready'), database: Type.String() }), 503: Type.Ref('ErrorBody') },
    },
  }, async (_request, reply) => {
    if (await db.ping()) return { status: 'ready' as const, database: db.dialect };
    return reply.status(503).send({ error: { code: 'not_ready', message: 'the database does not answer' } });
  });
};
