import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../lib/app-error.ts';
import type { AccessService, Principal } from '../services/access.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | undefined;
  }
}

/** Every route registered in `app` (an encapsulated `/api` scope) needs `Authorization: Bearer <token>`. */
export function registerBearerAuth(app: FastifyInstance, access: AccessService): void {
  app.decorateRequest('principal', undefined);
  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match?.[1] === undefined) {
      throw new AppError(401, 'unauthorized', 'send an API token as `Authorization: Bearer <token>`');
    }
    const principal = await access.authenticate(match[1]);
    if (principal === undefined) throw new AppError(401, 'unauthorized', 'the API token is unknown or revoked');
    request.principal = principal;
  });
}

export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === undefined) throw new Error('route outside the authenticated scope asked for a principal');
  return request.principal;
}
