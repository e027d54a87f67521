/** `POST /oauth2/token`: OAuth2 client credentials (doc §1.2). Errors use the OAuth2 shape, not google.rpc. */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { parseBasicAuth } from '../auth.ts';
import type { EmulatorContext } from '../context.ts';

const TokenForm = Type.Object({
  grant_type: Type.Optional(Type.String()),
  client_id: Type.Optional(Type.String()),
  client_secret: Type.Optional(Type.String()),
  scope: Type.Optional(Type.String()),
});


export function registerOauthRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  app.post('/oauth2/token', {
    schema: { body: TokenForm },
  }, async (request, reply) => {
    const form = (request.body ?? {}) as { grant_type?: string; client_id?: string; client_secret?: string };
    ctx.stats.tokenRequests += 1;
    const basic = parseBasicAuth(request.headers.authorization);
    const key = basic?.key ?? form.client_id;
    const secret = basic?.secret ?? form.client_secret;
    // Throttled like Sinch's token service: 429 and no Retry-After (doc §1.2); the `token_faults` knob forces it.
    const faulty = key === undefined || secret === undefined ? undefined
      : [...ctx.state.apps.values()].find((a) => a.access_key === key && a.access_secret === secret && a.knobs.token_faults > 0);
    if (faulty !== undefined) {
      faulty.knobs = { ...faulty.knobs, token_faults: faulty.knobs.token_faults - 1 };
      ctx.state.apps.touch(faulty.app_id);
    }
    if (faulty !== undefined || (ctx.tokenBucket !== null && !ctx.tokenBucket.tryTake())) {
      ctx.stats.tokenRefusals += 1;
      return reply.code(429).send({ error: 'rate_limited', error_description: 'Too many token requests' });
    }
    if (key === undefined || secret === undefined) {
      return reply.code(401).header('www-authenticate', 'Basic realm="sinch"').send({ error: 'invalid_client', error_description: 'Client authentication required' });
    }
    const projects = ctx.state.projectsForCredentials(key, secret);
    if (projects.size === 0) {
      return reply.code(401).header('www-authenticate', 'Basic realm="sinch"').send({ error: 'invalid_client', error_description: 'Bad client credentials' });
    }
    if (form.grant_type !== 'client_credentials') {
      return reply.code(400).send({ error: 'unsupported_grant_type', error_description: 'grant_type must be client_credentials' });
    }
    return reply.header('cache-control', 'no-store').send(ctx.tokens.issue(projects));
  });
}
