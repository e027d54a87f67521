/**
 * Who may use the built-in sandbox (`SANDBOX_ACCESS=local`, the default). Its control API injects customer messages
 * (a STOP opts a customer out), creates apps and webhooks (the emulator then POSTs wherever it is told) and lists
 * callbacks with their callback tokens; its Sinch API registers webhooks too. So only this machine may use it:
 * a request from a loopback address, not relayed by a proxy on this machine, addressed to a local host name (not a
 * name rebound to 127.0.0.1 by someone's DNS), and not sent by a web page of another origin. The instance admin
 * token also opens the control API from elsewhere. The phone page's HTML is static and always served.
 */
import { timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { hashToken } from '../lib/secret-box.ts';

const proxyHeaders = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-real-ip', 'via'];

export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const plain = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  if (isIP(plain) === 4) return plain.startsWith('127.');
  return plain === '::1';
}

/** `localhost`, `*.localhost`, a loopback address, or the host of PUBLIC_URL. */
function isLocalHostName(hostHeader: string | undefined, publicHost: string): boolean {
  if (hostHeader === undefined || hostHeader === '') return false;
  let hostname: string;
  try {
    hostname = new URL(`http://${hostHeader}`).hostname.toLowerCase();
  } catch {
    return false;
  }
  const bare = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  return bare === 'localhost' || bare.endsWith('.localhost') || isLoopbackAddress(bare) || hostname === publicHost;
}

/** A browser's request from a page of another origin (or an opaque one) is not this machine's user asking. */
function fromAnotherOrigin(request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return true;
  const origin = request.headers.origin;
  if (origin === undefined) return false;
  try {
    return new URL(origin).host !== request.headers.host;
  } catch {
    return true; // "null" and other opaque origins
  }
}

export function isLocalRequest(request: FastifyRequest, publicHost: string): boolean {
  return isLoopbackAddress(request.raw.socket.remoteAddress)
    && !proxyHeaders.some((h) => request.headers[h] !== undefined)
    && isLocalHostName(request.headers.host, publicHost)
    && !fromAnotherOrigin(request);
}

function hasAdminToken(request: FastifyRequest, adminHash: Buffer): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  if (match?.[1] === undefined) return false;
  return timingSafeEqual(Buffer.from(hashToken(match[1]), 'hex'), adminHash);
}

/** An onRequest hook for the scope the sandbox is mounted in (at `prefix`). */
export function sandboxGuard(options: { prefix: string; adminTokenHash: string; publicUrl: string }) {
  const adminHash = Buffer.from(options.adminTokenHash, 'hex');
  const publicHost = new URL(options.publicUrl).hostname.toLowerCase();
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const path = (request.url.split('?')[0] ?? '').slice(options.prefix.length);
    if (request.method === 'GET' && /^\/phone(\/[^/]*)?\/?$/.test(path)) return undefined;
    if (isLocalRequest(request, publicHost)) return undefined;
    if (path.startsWith('/_emulator') && hasAdminToken(request, adminHash)) return undefined;
    return reply.status(403).type('application/json; charset=utf-8').send({
      error: {
        code: 'sandbox_local_only',
        message: 'the sandbox answers only requests made on this machine (or, for its control API, with the instance admin token); set SANDBOX_ACCESS=open to let anyone who can reach this port use it',
      },
    });
  };
}
