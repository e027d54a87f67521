/**
 * What every HTTP answer carries for safety, by kind of route: API answers (JSON, streams, exports) and HTML pages.
 * A route that serves a page sets its own Content-Security-Policy (the phone page, /docs; later a web console at
 * `/`); this module only fills in what a route did not set. Also: request logs without query strings or callback
 * tokens, and Fastify's own errors (bad URL, over-long parameter, malformed requests) in the one error shape.
 */
import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** A path as it may be logged: callback tokens replaced, the query string (where tokens get pasted) dropped. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  return `${path.replace(/\/callbacks\/sinch\/[^/]+/, '/callbacks/sinch/[redacted]')}${q === -1 ? '' : '?[redacted]'}`;
}

/** Request log serializer: method, redacted URL, remote address; never headers, the query or the body. */
export const logSerializers = {
  req(request: { method: string; url: string; ip?: string }) {
    return { method: request.method, url: redactUrl(request.url), remote: request.ip };
  },
};

/** An HTML page without a policy of its own: nothing but same-origin resources, never framed. */
export const defaultPagePolicy = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'";
/** JSON, streams and downloads are never documents to render or frame. */
const apiPolicy = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** Headers for an answer of this content type, leaving alone what the route set itself. */
function applyHeaders(reply: FastifyReply): void {
  const type = String(reply.getHeader('content-type') ?? '');
  const page = type.startsWith('text/html');
  void reply.header('x-content-type-options', 'nosniff');
  if (reply.getHeader('referrer-policy') === undefined) void reply.header('referrer-policy', 'no-referrer');
  if (reply.getHeader('x-frame-options') === undefined) void reply.header('x-frame-options', 'DENY');
  // Unset, or still the default the onRequest hook put on the raw response: this kind's default.
  const policy = reply.getHeader('content-security-policy');
  if (policy === undefined || policy === apiPolicy) void reply.header('content-security-policy', page ? defaultPagePolicy : apiPolicy);
  // API answers may carry tokens, secrets, callback URLs or customers' data: no cache may keep them.
  if (!page && reply.getHeader('cache-control') === undefined) void reply.header('cache-control', 'no-store');
}

export function registerSecurityHeaders(app: FastifyInstance): void {
  // Answers written straight to the socket (live streams) never reach onSend: they get the API's headers here
  // (an answer that goes through onSend gets its own kind's, which take precedence).
  app.addHook('onRequest', async (_request, reply) => {
    reply.raw.setHeader('x-content-type-options', 'nosniff');
    reply.raw.setHeader('x-frame-options', 'DENY');
    reply.raw.setHeader('referrer-policy', 'no-referrer');
    reply.raw.setHeader('content-security-policy', apiPolicy);
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    applyHeaders(reply);
    return payload;
  });
}

/**
 * Fastify's router errors (a URL that is not valid percent-encoding, a path parameter over the length limit):
 * answered in the one error shape, without echoing the URL.
 */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const status = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : error.code === 'FST_ERR_BAD_URL' ? 400 : 500;
  const message = status === 414 ? 'a part of the request URL is too long'
    : status === 400 ? 'the request URL is not valid' : 'Something went wrong on our side. It has been logged; please try again.';
  void reply.status(status).type('application/json; charset=utf-8');
  applyHeaders(reply); // these answers skip the onSend hooks
  void reply.send({ error: { code: status === 414 ? 'uri_too_long' : status === 400 ? 'invalid_request' : 'internal_error', message } });
}

const clientErrorCodes: Record<number, { code: string; message: string }> = {
  400: { code: 'invalid_request', message: 'the request is not valid HTTP' },
  408: { code: 'request_timeout', message: 'the request did not arrive in time' },
  413: { code: 'payload_too_large', message: 'the request body is too large' },
  414: { code: 'uri_too_long', message: 'the request URL is too long' },
  431: { code: 'headers_too_large', message: 'the request line or headers are too large' },
};

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (headers or URL too large, malformed requests, a
 * body longer than its Content-Length): the one error shape, the same safety headers, nothing of the request echoed.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431
    : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408
      : error.code === 'HPE_URI_TOO_LONG' ? 414 : 400;
  const known = clientErrorCodes[status] ?? clientErrorCodes[400]!;
  const body = JSON.stringify({ error: known });
  if (!socket.writable) {
    socket.destroy(error);
    return;
  }
  socket.end([
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Bad Request'}`,
    'content-type: application/json; charset=utf-8',
    `content-length: ${Buffer.byteLength(body)}`,
    'x-content-type-options: nosniff',
    'cache-control: no-store',
    `content-security-policy: ${apiPolicy}`,
    'connection: close',
    '',
    body,
  ].join('\r\n'));
}
