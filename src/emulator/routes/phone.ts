/** The phone view: `GET /phone` and `GET /phone/:number`, one self-contained HTML page. */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { PHONE_PAGE_HTML } from '../phone-page.ts';

/** `'sha256-…'` sources for each inline `<tag>` block of the page, so its policy allows exactly those. */
function inlineHashes(html: string, tag: 'script' | 'style'): string {
  const blocks = [...html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => m[1] ?? '');
  return blocks.map((text) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`).join(' ');
}

/**
 * The page's own Content-Security-Policy: its one inline script and style by hash, data from this origin only
 * (the control API), images from anywhere (message media), never framed.
 */
export const PHONE_PAGE_CSP = [
  "default-src 'none'",
  `script-src ${inlineHashes(PHONE_PAGE_HTML, 'script')}`,
  `style-src ${inlineHashes(PHONE_PAGE_HTML, 'style')}`,
  "img-src 'self' https: http: data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function registerPhoneRoutes(app: FastifyInstance): void {
  const page = async (_request: unknown, reply: FastifyReply): Promise<FastifyReply> =>
    reply.type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('content-security-policy', PHONE_PAGE_CSP)
      .header('x-frame-options', 'DENY')
      .header('x-content-type-options', 'nosniff')
      .send(PHONE_PAGE_HTML);
  app.get('/phone', page);
  app.get('/phone/:number', page);
}
