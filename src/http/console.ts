import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** The console's pages: the SPA answers these paths with its index.html; everything else keeps its JSON 404. */
const pages = ['/', '/sign-in', '/setup', '/set-password', '/p/*'];

/**
 * Content security for the console: only our own scripts; Mantine sets inline styles. Images also over https: the
 * campaign builder shows a rich card's media, an https URL the marketer gives (images run no script).
 */
const consolePolicy = [
  "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data: https:", "connect-src 'self'",
  "font-src 'self' data:", "object-src 'none'", "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'",
].join('; ');

/**
 * Serves the web console built into `dir` (console/dist): hashed assets under `/assets/` cached for a year,
 * index.html for the console's pages, never cached. Without a build, `/` says how to make one.
 */
export async function registerConsole(app: FastifyInstance, dir: string): Promise<void> {
  const indexFile = path.join(dir, 'index.html');
  const built = existsSync(indexFile);
  if (built) {
    await app.register(fastifyStatic, {
      root: path.join(dir, 'assets'), prefix: '/assets/', wildcard: false, index: false, decorateReply: false,
      immutable: true, maxAge: '365d', preCompressed: true,
    });
  }
  const html = built ? readFileSync(indexFile) : undefined;
  for (const url of pages) {
    app.get(url, { schema: { hide: true } }, async (_request, reply) => {
      reply.header('content-security-policy', consolePolicy).header('x-frame-options', 'DENY').header('cache-control', 'no-cache');
      if (html === undefined) {
        return reply.status(503).type('text/plain; charset=utf-8')
          .send('The web console is not built. Run `npm install` (or `node scripts/build-console.ts`), then restart. The API is at /api/v1, its reference at /docs.');
      }
      return reply.type('text/html; charset=utf-8').send(html);
    });
  }
}
