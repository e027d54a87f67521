import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Dispatcher } from 'undici';
import type { Config } from './config/config.ts';
import type { Db } from './db/database.ts';
import { drainConnectionsOnClose } from './http/drain.ts';
import { createIntegrationsRepo } from './db/repos/integrations-repo.ts';
import { createProjectsRepo } from './db/repos/projects-repo.ts';
import { createSettingsRepo } from './db/repos/settings-repo.ts';
import { createTokensRepo } from './db/repos/tokens-repo.ts';
import { createEventsRepo } from './db/repos/events-repo.ts';
import { createMessagesRepo } from './db/repos/messages-repo.ts';
import { createJobQueue } from './jobs/queue.ts';
import { createWorker, type JobHandler } from './jobs/worker.ts';
import { createSendMessageHandler } from './jobs/send-message.ts';
import { createLimiterPool } from './lib/rate-limiter.ts';
import { createSinchClient } from './providers/sinch/client.ts';
import { createTokenCache } from './providers/sinch/token-cache.ts';
import { createMessagesService, sendMessageJob } from './services/messages.ts';
import { createEventTracker, type TrackedEvent } from './services/track-event.ts';
import { createEventBus } from './services/event-bus.ts';
import { createCustomersRepo } from './db/repos/customers-repo.ts';
import { createConversationsRepo } from './db/repos/conversations-repo.ts';
import { createSendPolicy } from './services/send-policy.ts';
import { createTwoWay } from './services/two-way.ts';
import { createCustomersService } from './services/customers.ts';
import { createKeywordRulesService } from './services/keyword-rules.ts';
import { createConversationsService } from './services/conversations.ts';
import { twoWayRoutes } from './http/routes/two-way.ts';
import { messageRoutes } from './http/routes/messages.ts';
import { callbackRoutes } from './http/routes/callbacks.ts';
import { createCallbacksRepo } from './db/repos/callbacks-repo.ts';
import { createProcessCallbackHandler } from './jobs/process-callback.ts';
import { createCallbackIngest, processCallbackJob, type CallbackIngest } from './services/ingest-callback.ts';
import type { SecretBox } from './lib/secret-box.ts';
import { systemClock, type Clock } from './lib/time.ts';
import { createSinchHosts } from './providers/sinch/hosts.ts';
import { createSinchDispatcher } from './providers/sinch/http.ts';
import { createAccessService } from './services/access.ts';
import { createIntegrationsService, createSandboxProvisioner } from './services/integrations.ts';
import { createProjectsService } from './services/projects.ts';
import { createSettingsService } from './services/settings.ts';
import { registerBearerAuth } from './http/auth.ts';
import { registerErrorHandling } from './http/errors.ts';
import { ErrorBody } from './http/schemas.ts';
import { healthRoutes } from './http/routes/health.ts';
import { integrationRoutes } from './http/routes/integrations.ts';
import { projectRoutes } from './http/routes/projects.ts';
import { settingsRoutes } from './http/routes/settings.ts';
import { Agent } from 'undici';
import { createEventDestinationsRepo } from './db/repos/event-destinations-repo.ts';
import { createForwardEventsHandler, forwardEventsJob } from './jobs/forward-events.ts';
import { createEventsService } from './services/events.ts';
import { createEventDestinationsService } from './services/event-destinations.ts';
import { eventRoutes } from './http/routes/events.ts';
import { eventDestinationRoutes } from './http/routes/event-destinations.ts';
import { catalogueRoutes } from './http/routes/catalogue.ts';

export interface AppOptions {
  config: Config;
  db: Db;
  box: SecretBox;
  adminTokenHash: string;
  clock?: Clock;
  /** The built-in Sinch emulator, mounted under `/sandbox` (SANDBOX region). */
  sandboxPlugin?: FastifyPluginAsync;
  /** Where logs go; defaults to stdout. */
  logStream?: NodeJS.WritableStream;
}

/** Redacts credentials from request logs: auth headers, signatures and the callback token in callback paths. */
const logSerializers = {
  req(request: { method: string; url: string; ip?: string }) {
    return { method: request.method, url: request.url.replace(/\/callbacks\/sinch\/[^/?]+/, '/callbacks/sinch/[redacted]'), remote: request.ip };
  },
};

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { config, db } = options;
  const clock = options.clock ?? systemClock;
  const app = Fastify({
    logger: config.logLevel === 'silent' ? false : {
      level: config.logLevel,
      serializers: logSerializers,
      redact: { paths: ['req.headers.authorization', 'headers.authorization', '*.access_secret', '*.webhook_secret', '*.token'], censor: '[redacted]' },
      ...(options.logStream ? { stream: options.logStream } : {}),
    },
    bodyLimit: config.bodyLimitBytes,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  }).withTypeProvider<TypeBoxTypeProvider>();

  const drain = drainConnectionsOnClose(app.server);
  app.addHook('preClose', async () => drain.start());
  app.addHook('onClose', async () => drain.stop());

  let localBaseUrl: string | undefined;
  app.addHook('onListen', function () {
    const address = app.server.address();
    if (address !== null && typeof address === 'object') localBaseUrl = `http://127.0.0.1:${address.port}`;
  });
  const sandboxUrl = () => (options.sandboxPlugin !== undefined && localBaseUrl !== undefined ? `${localBaseUrl}/sandbox` : undefined);

  const dispatcher: Dispatcher = createSinchDispatcher();
  app.addHook('onClose', async () => dispatcher.close());
  const repos = {
    projects: createProjectsRepo(db.kysely),
    tokens: createTokensRepo(db.kysely),
    integrations: createIntegrationsRepo(db.kysely),
    settings: createSettingsRepo(db.kysely),
  };
  const hosts = createSinchHosts(config, sandboxUrl);
  const access = createAccessService({ tokens: repos.tokens, adminTokenHash: options.adminTokenHash, clock });
  const projects = createProjectsService({ ...repos, clock });
  // eslint-disable-next-line prefer-const -- assigned once below; integrations and ingest refer to each other
  let ingest: CallbackIngest;
  const integrations = createIntegrationsService({
    integrations: repos.integrations, settings: repos.settings, box: options.box, clock, publicUrl: config.publicUrl, hosts, dispatcher,
    sandbox: options.sandboxPlugin ? createSandboxProvisioner({ dispatcher, sandboxUrl, localBaseUrl: () => localBaseUrl }) : undefined,
    log: app.log,
    onChanged: () => ingest.forget(),
  });
  const settings = createSettingsService({ settings: repos.settings, integrations: repos.integrations, clock });

  const queue = createJobQueue(db.kysely, db.dialect);
  const messagesRepo = createMessagesRepo(db.kysely);
  const tracker = createEventTracker({ events: createEventsRepo(db.kysely), settings: repos.settings, now: () => clock.now() });
  const eventBus = createEventBus();
  const onTracked = (events: TrackedEvent[]) => {
    for (const projectId of new Set(events.map((e) => e.projectId))) eventBus.publish(projectId, events.filter((e) => e.projectId === projectId));
  };
  const client = createSinchClient({ dispatcher, hosts, tokens: createTokenCache(dispatcher) });
  const callbacksRepo = createCallbacksRepo(db.kysely);
  const customersRepo = createCustomersRepo(db.kysely);
  const conversationsRepo = createConversationsRepo(db.kysely);
  const policy = createSendPolicy({ customers: customersRepo, settings: repos.settings });
  const handlers: Record<string, JobHandler> = {
    [processCallbackJob]: createProcessCallbackHandler({
      db: db.kysely, transact: db.transact, dialect: db.dialect, callbacks: callbacksRepo, messages: messagesRepo, tracker, clock, onTracked,
      handleInbound: (trx, callback, body, tracked) => twoWay.handleInbound(trx, callback, body, tracked),
      afterCommit: () => worker?.notify(), queue,
    }),
    [sendMessageJob]: createSendMessageHandler({
      db: db.kysely, transact: db.transact, messages: messagesRepo, tracker, client, limiters: createLimiterPool(),
      loadIntegration: (id) => integrations.loadSecrets(id), clock,
      retry: { baseMs: config.sendRetryBaseMs, capMs: config.sendRetryCapMs }, onTracked, policy, queue, sinchProjectRequestsPerSecond: config.sinchProjectRequestsPerSecond,
    }),
  };
  // --- events feature: begin (events API, live stream, export, forwarding) ---
  const eventsRepo = createEventsRepo(db.kysely);
  const events = createEventsService({ events: eventsRepo, bus: eventBus, log: app.log });
  app.addHook('preClose', async () => events.closeStreams());
  const forwarding = { settleMs: 1000, idlePollMs: 5000, timeoutMs: 10_000, retry: { baseMs: 1000, capMs: 600_000 } };
  const forwardDispatcher = new Agent({ connect: { timeout: forwarding.timeoutMs }, headersTimeout: forwarding.timeoutMs, bodyTimeout: forwarding.timeoutMs });
  app.addHook('onClose', async () => forwardDispatcher.close());
  const destinationsRepo = createEventDestinationsRepo(db.kysely);
  const eventDestinations = createEventDestinationsService({
    db: db.kysely, destinations: destinationsRepo, events: eventsRepo, queue, box: options.box, clock,
    settleMs: forwarding.settleMs, onScheduled: () => worker?.notify(), log: app.log,
  });
  eventBus.subscribe('*', (tracked) => {
    eventDestinations.onEvents(tracked).catch((error: unknown) => app.log.warn({ err: error }, 'event forwarding wake-up failed'));
  });
  app.addHook('preClose', async () => eventDestinations.close());
  handlers[forwardEventsJob] = createForwardEventsHandler({
    ...forwarding, destinations: destinationsRepo, events: eventsRepo, box: options.box, dispatcher: forwardDispatcher, clock,
    runBudgetMs: 5000, consumeWake: (id) => eventDestinations.consumeWake(id), log: app.log,
  });
  // --- events feature: end ---

  const worker = config.role === 'api' ? undefined : createWorker({
    queue, handlers, concurrency: config.workerConcurrency, pollMs: config.workerPollMs, leaseMs: config.workerLeaseMs,
    crashBackoff: { baseMs: 1000, capMs: 60_000 }, now: () => clock.now().getTime(), log: app.log,
  });
  const messages = createMessagesService({
    db: db.kysely, transact: db.transact, messages: messagesRepo, conversations: conversationsRepo, integrations: repos.integrations, settings: repos.settings, queue, clock,
    maxAttempts: config.sendMaxAttempts, policy, tracker, onQueued: () => worker?.notify(), onTracked,
  });
  const twoWay = createTwoWay({
    customers: customersRepo, conversations: conversationsRepo, settings: repos.settings, integrations: repos.integrations,
    messages, tracker, clock,
  });
  const customers = createCustomersService({ db: db.kysely, customers: customersRepo, clock });
  const keywordRules = createKeywordRulesService({ conversations: conversationsRepo, settings: repos.settings, clock });
  const conversations = createConversationsService({ db: db.kysely, conversations: conversationsRepo, messages, clock });
  ingest = createCallbackIngest({
    transact: db.transact, callbacks: callbacksRepo, queue, clock, toleranceSeconds: config.callbackToleranceSeconds,
    loadIntegration: (token) => integrations.loadSecretsByCallbackToken(token), onStored: () => worker?.notify(),
  });
  if (worker !== undefined) {
    app.addHook('onReady', async () => worker.start());
    app.addHook('preClose', async () => worker.stop());
  }

  registerErrorHandling(app);
  app.addSchema(ErrorBody);

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'mobile-messaging API',
        version: '1',
        description: 'Send and receive WhatsApp and RCS messages through Sinch\'s Conversation API. Every `/api/` route needs `Authorization: Bearer <token>`.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: ({ schema, url }) => ({ schema: url.startsWith('/sandbox') ? { ...schema, hide: true } : schema, url }),
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(healthRoutes, { db });
  await app.register(callbackRoutes, { ingest, bodyLimit: config.bodyLimitBytes });
  await app.register(async (api) => {
    registerBearerAuth(api, access);
    await api.register(projectRoutes, { projects });
    await api.register(integrationRoutes, { projects, integrations });
    await api.register(settingsRoutes, { projects, settings });
    await api.register(messageRoutes, { projects, messages });
    await api.register(twoWayRoutes, { projects, customers, keywordRules, conversations });
    // --- events feature routes: begin ---
    await api.register(eventRoutes, { projects, events });
    await api.register(eventDestinationRoutes, { projects, destinations: eventDestinations });
    await api.register(catalogueRoutes, { projects, callbacks: callbacksRepo });
    // --- events feature routes: end ---
  }, { prefix: '/api/v1' });

  if (options.sandboxPlugin !== undefined) {
    await app.register(options.sandboxPlugin, { prefix: '/sandbox' });
    app.addHook('onListen', function () {
      // The emulator keeps its accounts in memory: set up every SANDBOX integration again on each start.
      integrations.provisionAllSandbox().catch((error: unknown) => app.log.warn({ err: error }, 'sandbox provisioning failed'));
    });
  }
  return app;
}
