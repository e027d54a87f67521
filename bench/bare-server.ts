/**
 * The baseline of the ingest benchmark: a bare Fastify route that takes the callback body as a string (as the
 * service's callback route does) and answers 200 with the same small JSON, doing nothing else.
 * `node bench/bare-server.ts <port>`; listens on 127.0.0.1; stops on SIGTERM.
 */
import Fastify from 'fastify';

const port = Number(process.argv[2] ?? '0');
const app = Fastify({ logger: false, bodyLimit: 1_048_576 });
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
app.post('/callbacks/sinch/:token', async () => ({ received: true, duplicate: false }));
app.get('/healthz', async () => ({ ok: true }));
await app.listen({ port, host: '127.0.0.1' });
process.once('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
