import type { FastifyInstance } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    durableByTransact?: boolean;
  }
}

/**
 * Route config of routes whose every write is a unit of work (db.transact), which is answered only once on disk:
 * their responses need not wait again.
 */
export const durableByTransact: { durableByTransact: boolean } = { durableByTransact: true };

/**
 * A 2xx to a request that changed something is sent only once the change is on disk: on SQLite commits are not
 * synced by themselves (db/wal-sync.ts), so answers to mutating requests wait for an fsync of the log (shared with
 * other waiters; at once when nothing was written since the last one). Units of work already wait for it, so
 * routes made only of them (`durableByTransact`) skip this.
 */
export function registerDurableAnswers(app: FastifyInstance, durable: () => Promise<void>): void {
  app.addHook('onSend', async (request) => {
    if (request.method === 'GET' || request.method === 'HEAD') return;
    if (request.routeOptions.config.durableByTransact === true) return;
    await durable();
  });
}
