import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import { AppError } from '../lib/app-error.ts';
import type { AccessService, Principal } from '../services/access.ts';
import { csrfTokenOf, sessionIdleMs, type UsersService } from '../services/users.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | undefined;
    /** The session secret from the console's cookie, when the request was authenticated by it. */
    sessionToken: string | undefined;
  }
  interface FastifyContextConfig {
    /** The route answers without a token or session (sign-in, first admin, setting a password by link). */
    public?: boolean;
  }
}

export const sessionCookie = 'mm_session';
const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The value of one cookie in the request's `Cookie` header. */
export function cookieOf(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

/** HttpOnly, SameSite=Strict, path `/`, Secure when the service is reached over HTTPS (PUBLIC_URL). */
export function setSessionCookie(reply: FastifyReply, token: string | undefined, secure: boolean): void {
  const attributes = ['Path=/', 'HttpOnly', 'SameSite=Strict', ...(secure ? ['Secure'] : [])];
  reply.header('set-cookie', token === undefined
    ? `${sessionCookie}=; ${attributes.join('; ')}; Max-Age=0`
    : `${sessionCookie}=${token}; ${attributes.join('; ')}; Max-Age=${Math.floor(sessionIdleMs / 1000)}`);
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Every route registered in `app` (an encapsulated `/api` scope) needs `Authorization: Bearer <token>` (machines),
 * or the console's session cookie; with the cookie, a request that changes something also needs the session's
 * `X-CSRF-Token` (the cookie is SameSite=Strict as well). Routes with `config: { public: true }` need neither.
 */
export function registerApiAuth(app: FastifyInstance, access: AccessService, users: UsersService): void {
  app.decorateRequest('principal', undefined);
  app.decorateRequest('sessionToken', undefined);
  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (match?.[1] === undefined) throw new AppError(401, 'unauthorized', 'send an API token as `Authorization: Bearer <token>`');
      const principal = await access.authenticate(match[1]);
      if (principal === undefined) throw new AppError(401, 'unauthorized', 'the API token is unknown or revoked');
      request.principal = principal;
      return;
    }
    const session = cookieOf(request, sessionCookie);
    if (session !== undefined && session !== '') {
      const principal = await users.authenticate(session);
      if (principal !== undefined) {
        if (!safeMethods.has(request.method)) {
          const csrf = request.headers['x-csrf-token'];
          if (typeof csrf !== 'string' || !sameText(csrf, csrfTokenOf(session))) {
            throw new AppError(403, 'csrf_token_invalid', 'send the session\'s csrf_token (from GET /api/v1/session) as `X-CSRF-Token`');
          }
        }
        request.principal = principal;
        request.sessionToken = session;
        return;
      }
    }
    if (request.routeOptions.config.public === true) return;
    throw new AppError(401, 'unauthorized', session === undefined
      ? 'send an API token as `Authorization: Bearer <token>`, or sign in'
      : 'the session has ended; sign in again');
  });
}

export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === undefined) throw new AppError(401, 'unauthorized', 'send an API token as `Authorization: Bearer <token>`, or sign in');
  return request.principal;
}
