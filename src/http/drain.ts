import type { Server } from 'node:http';
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
  const sockets = new Set<Socket>();
  const inFlight = new Map<Socket, number>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => { sockets.delete(socket); inFlight.delete(socket); });
  });
  server.on('request', (request, response) => {
    const socket = request.socket;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    response.once('close', () => {
      const left = (inFlight.get(socket) ?? 1) - 1;
      if (left > 0) inFlight.set(socket, left); else inFlight.delete(socket);
    });
  });
  return {
    start() {
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
