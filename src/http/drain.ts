import type { Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * On close, the HTTP server waits for every connection to end. Keep-alive connections between requests are closed
 * by Fastify (`forceCloseConnections: 'idle'`), but a connection that was opened and has not sent a request yet
 * (HTTP clients open spares under load: Sinch's callbacks, load balancers) counts as active to Node until its
 * headers timeout, a minute. Once closing starts, this ends every connection with no request in progress, while
 * the ones serving a request finish it. A request whose bytes were cut off was never processed and can be retried.
 */
export function drainConnectionsOnClose(server: Server): { start(): void; stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let closing = false;
  const sockets = new Set<Socket>();
  const responses = new Set<ServerResponse>();
  // Once closing, answers end their connection, so no client sends a next request on a socket about to go.
  const lastOnConnection = (response: ServerResponse) => { if (!response.headersSent) response.shouldKeepAlive = false; };
  const inFlight = new Map<Socket, number>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => { sockets.delete(socket); inFlight.delete(socket); });
  });
  server.on('request', (request, response) => {
    const socket = request.socket;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    responses.add(response);
    if (closing) lastOnConnection(response);
    response.once('close', () => {
      responses.delete(response);
      const left = (inFlight.get(socket) ?? 1) - 1;
      if (left > 0) inFlight.set(socket, left); else inFlight.delete(socket);
    });
  });
  return {
    start() {
      closing = true;
      for (const response of responses) lastOnConnection(response);
      const sweep = () => { for (const socket of sockets) if (!inFlight.has(socket)) socket.destroy(); };
      sweep();
      timer = setInterval(sweep, 100);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
    },
  };
}
