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
  /** Responses not yet finished: their sockets are the busy ones. */
  const responses = new Set<ServerResponse>();
  // Once closing, answers end their connection, so no client sends a next request on a socket about to go.
  const lastOnConnection = (response: ServerResponse) => { if (!response.headersSent) response.shouldKeepAlive = false; };
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('request', (_request, response) => {
    responses.add(response);
    if (closing) lastOnConnection(response);
    response.once('close', () => responses.delete(response));
  });
  return {
    start() {
      closing = true;
      for (const response of responses) lastOnConnection(response);
      const sweep = () => {
        const busy = new Set([...responses].map((response) => response.socket));
        for (const socket of sockets) if (!busy.has(socket)) socket.destroy();
      };
      sweep();
      timer = setInterval(sweep, 100);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
    },
  };
}
