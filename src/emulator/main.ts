/**
 * Standalone emulator: `npm run emulator -- --port 3010 [--host 127.0.0.1] [--project …] [--app …] [--key …]
 * [--secret …] [--unlimited] [--data-dir DIR]`. Env: EMULATOR_PORT, EMULATOR_HOST, EMULATOR_PROJECT, EMULATOR_APP,
 * EMULATOR_KEY, EMULATOR_SECRET, EMULATOR_UNLIMITED=1, EMULATOR_DATA_DIR. The only emulator file that reads argv/env.
 */
import { parseArgs } from 'node:util';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { createEmulator, DEFAULT_ACCOUNT } from './emulator.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    project: { type: 'string' },
    app: { type: 'string' },
    key: { type: 'string' },
    secret: { type: 'string' },
    unlimited: { type: 'boolean' },
    'data-dir': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help === true) {
  console.log('usage: npm run emulator -- [--port 3010] [--host 127.0.0.1] [--project ID] [--app ID] [--key KEY] [--secret SECRET] [--unlimited] [--data-dir DIR]');
  process.exit(0);
}

const env = process.env;
const port = Number(values.port ?? env.EMULATOR_PORT ?? '3010');
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`invalid port: ${values.port ?? env.EMULATOR_PORT ?? ''}`);
  process.exit(2);
}
const host = values.host ?? env.EMULATOR_HOST ?? '127.0.0.1';
const unlimited = values.unlimited === true || env.EMULATOR_UNLIMITED === '1' || env.EMULATOR_UNLIMITED === 'true';
const dataDir = values['data-dir'] ?? (env.EMULATOR_DATA_DIR === '' ? undefined : env.EMULATOR_DATA_DIR);

const emulator = createEmulator({
  account: {
    projectId: values.project ?? env.EMULATOR_PROJECT ?? DEFAULT_ACCOUNT.projectId,
    appId: values.app ?? env.EMULATOR_APP ?? DEFAULT_ACCOUNT.appId,
    accessKey: values.key ?? env.EMULATOR_KEY ?? DEFAULT_ACCOUNT.accessKey,
    accessSecret: values.secret ?? env.EMULATOR_SECRET ?? DEFAULT_ACCOUNT.accessSecret,
  },
  ...(unlimited ? { knobs: { outbound_rate: null, project_request_limit: null }, tokenRateLimit: null } : {}),
  ...(dataDir === undefined ? {} : { dataDir }),
});

const app = Fastify({ logger: false });
await app.register(emulator.plugin);
await app.listen({ port, host });
const address = app.server.address() as AddressInfo;
const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
const base = `http://${shownHost}:${address.port}`;
const a = emulator.options.account;
console.log(`Sinch Conversation API emulator listening on ${base}`);
console.log(`  auth (authHostname):                 ${base}        (POST ${base}/oauth2/token)`);
console.log(`  conversation (conversationHostname): ${base}        (POST ${base}/v1/projects/${a.projectId}/messages:send)`);
console.log(`  control API:                         ${base}/_emulator`);
console.log(`  phone view:                          ${base}/phone`);
console.log(`  account: project ${a.projectId}, app ${a.appId}, key ${a.accessKey}, secret ${a.accessSecret}${unlimited ? ' (rate limits lifted)' : ''}`);
console.log(`  state:                               ${dataDir === undefined ? 'in memory (forgotten on exit; --data-dir keeps it)' : `kept in ${dataDir}`}`);

let stopping = false;
const stop = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: shutting down`);
  void emulator.close().then(() => app.close()).then(() => { process.exit(0); }, (err: unknown) => { console.error(err); process.exit(1); });
};
process.once('SIGTERM', () => { stop('SIGTERM'); });
process.once('SIGINT', () => { stop('SIGINT'); });
