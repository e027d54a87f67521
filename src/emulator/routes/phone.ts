/** The phone view: `GET /phone` and `GET /phone/:number`, one self-contained HTML page. */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { PHONE_PAGE_HTML } from '../phone-page.ts';

export function registerPhoneRoutes(app: FastifyInstance): void {
  const page = async (_request: unknown, reply: FastifyReply): Promise<FastifyReply> =>
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(PHONE_PAGE_HTML);
  app.get('/phone', page);
  app.get('/phone/:number', page);
}
