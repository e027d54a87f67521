import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Agent, type Dispatcher } from 'undici';
import type { Config } from './config/config.ts';
import type { Db } from './db/database.ts';
import { createAudienceRepo } from './db/repos/audience-repo.ts';
import { createCallbacksRepo } from './db/repos/callbacks-repo.ts';
import { createCapabilitiesRepo } from './db/repos/capabilities-repo.ts';
import { createCampaignsRepo } from './db/repos/campaigns-repo.ts';
import { createConversationsRepo } from './db/repos/conversations-repo.ts';
import { createCustomersRepo } from './db/repos/customers-repo.ts';
import { createEventDestinationsRepo } from './db/repos/event-destinations-repo.ts';
import { createEventsRepo } from './db/repos/events-repo.ts';
import { createIdempotencyRepo } from './db/repos/idempotency-repo.ts';
import { createImportsRepo } from './db/repos/imports-repo.ts';
import { createInstanceRepo } from './db/repos/instance-repo.ts';
import { createIntegrationsRepo } from './db/repos/integrations-repo.ts';
import { createJobsRepo, type JobHandler } from './db/repos/jobs-repo.ts';
import { createMessagesRepo } from './db/repos/messages-repo.ts';
import { createProjectsRepo } from './db/repos/projects-repo.ts';
import { createRateLimitsRepo } from './db/repos/rate-limits-repo.ts';
import { createSettingsRepo } from './db/repos/settings-repo.ts';
import { createSinchConsentsRepo } from './db/repos/sinch-consents-repo.ts';
import { createTokensRepo } from './db/repos/tokens-repo.ts';
import { createUsersRepo } from './db/repos/users-repo.ts';
import { absorbingStatuses, statusRanks } from './domain/statuses.ts';
import { registerApiAuth } from './http/auth.ts';
import { registerConsole } from './http/console.ts';
import { drainConnectionsOnClose } from './http/drain.ts';
import { registerDurableAnswers } from './http/durable.ts';
import { registerErrorHandling } from './http/errors.ts';
import { sandboxGuard } from './http/sandbox-guard.ts';
import { clientErrorHandler, frameworkErrors, logSerializers, registerSecurityHeaders } from './http/security.ts';
import { registerInputGuard } from './http/input-guard.ts';
import { callbackRoutes } from './http/routes/callbacks.ts';
import { campaignRoutes } from './http/routes/campaigns.ts';
import { catalogueRoutes } from './http/routes/catalogue.ts';
import { eventDestinationRoutes } from './http/routes/event-destinations.ts';
import { eventRoutes } from './http/routes/events.ts';
import { healthRoutes } from './http/routes/health.ts';
import { integrationRoutes } from './http/routes/integrations.ts';
import { messageRoutes } from './http/routes/messages.ts';
import { projectRoutes } from './http/routes/projects.ts';
import { settingsRoutes } from './http/routes/settings.ts';
import { twoWayRoutes } from './http/routes/two-way.ts';
import { userRoutes } from './http/routes/users.ts';
import { ErrorBody } from './http/schemas.ts';
import { createCallbackRecovery } from './jobs/callback-recovery.ts';
import { createSendDispatcher } from './jobs/send-dispatcher.ts';
import { createWorker, type Worker } from './jobs/worker.ts';
import { createId } from './lib/ids.ts';
import { createNetworkGuard } from './lib/network-guard.ts';
import type { SecretBox } from './lib/secret-box.ts';
import { systemClock, type Clock } from './lib/time.ts';
import { createSinchClient } from './providers/sinch/client.ts';
import { createSinchHosts } from './providers/sinch/hosts.ts';
import { createTemplatesRepo } from './db/repos/templates-repo.ts';
import { createTemplatesService } from './services/templates.ts';
import { createSinchDispatcher } from './providers/sinch/http.ts';
import { createTokenCache } from './providers/sinch/token-cache.ts';
import { createAccessService } from './services/access.ts';
import { createAdmission } from './services/admission.ts';
import { createApplyCallback } from './services/apply-callback.ts';
import { createCampaignJobs } from './services/campaign-jobs.ts';
import { createCapabilities } from './services/capabilities.ts';
import { createCampaignReports } from './services/campaign-reports.ts';
import { campaignWatchJob, createCampaignsService } from './services/campaigns.ts';
import { createConfigCache, type ConfigCache } from './services/config-cache.ts';
import { consentSyncJob, createConsentSync } from './services/consent-sync.ts';
import { createConversationsService } from './services/conversations.ts';
import { createCustomerImports } from './services/customer-imports.ts';
import { createCustomersService } from './services/customers.ts';
import { createDeliverMessage } from './services/deliver-message.ts';
import { createEventBus } from './services/event-bus.ts';
import { createEventDestinationsService } from './services/event-destinations.ts';
import { createEventsService } from './services/events.ts';
import { createForwardEventsHandler, forwardEventsJob } from './services/forward-events.ts';
import { createCallbackIngest } from './services/ingest-callback.ts';
import { createIntegrationsService, createSandboxProvisioner, defaultSendRatePerSecond } from './services/integrations.ts';
import { createKeywordRulesService } from './services/keyword-rules.ts';
import { createMessagesService } from './services/messages.ts';
import { createProjectsService } from './services/projects.ts';
import { createSegmentsService } from './services/segments.ts';
import { createSendPolicy } from './services/send-policy.ts';
import { createSettingsService } from './services/settings.ts';
import { createStreamSessions } from './services/stream-sessions.ts';
import { createEventTracker, type TrackedEvent } from './services/track-event.ts';
import { createTwoWay } from './services/two-way.ts';
import { createUsersService } from './services/users.ts';

export interface AppOptions {
  config: Config;
  db: Db;
  box: SecretBox;
  adminTokenHash: string;
  clock?: Clock;
  /** The built-in Sinch emulator, mounted under `/sandbox` (SANDBOX region). */
  sandboxPlugin?: FastifyPluginAsync;
  /** The built web console (console/dist), served at `/`; without it only the API, docs and sandbox answer. */
  consoleDir?: string;
  /** Where log lines go (one serialised line per write); defaults to stdout. main.ts gives one that never blocks. */
  logStream?: { write(line: string): unknown };
}

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
    frameworkErrors,
    clientErrorHandler,
  }).withTypeProvider<TypeBoxTypeProvider>();

  registerSecurityHeaders(app);

  registerDurableAnswers(app, () => db.durable());

  const drain = drainConnectionsOnClose(app.server);
  app.addHook('preClose', async () => drain.start());
  app.addHook('onClose', async () => drain.stop());

  let localBaseUrl: string | undefined;
  app.addHook('onListen', function () {
    const address = app.server.address();
    if (address !== null && typeof address === 'object') localBaseUrl = `http://127.0.0.1:${address.port}`;
  });
  const sandboxUrl = () => (options.sandboxPlugin !== undefined && localBaseUrl !== undefined ? `${localBaseUrl}/sandbox` : undefined);

  const dispatcher: Dispatcher = createSinchDispatcher(config.workerConcurrency);
  app.addHook('onClose', async () => dispatcher.close());
  const now = () => clock.now().getTime();
  const repos = {
    projects: createProjectsRepo(db.kysely),
    tokens: createTokensRepo(db.kysely),
    integrations: createIntegrationsRepo(db.kysely),
    settings: createSettingsRepo(db.kysely),
  };
  const instance = createInstanceRepo(db.kysely);
  const hosts = createSinchHosts(config, sandboxUrl);
  const access = createAccessService({ tokens: repos.tokens, adminTokenHash: options.adminTokenHash, clock });
  // Live streams by token: capped per token, ended when their token is revoked (here at once, elsewhere on the
  // next configuration version change or re-check).
  const streams = createStreamSessions({
    maxPerToken: config.streamsPerToken, activeTokenIds: (ids) => repos.tokens.activeIds(ids), activeSessions: (hashes) => users.activeSessions(hashes),
    recheckMs: 5000, log: app.log,
  });
  const users = createUsersService({ users: createUsersRepo(db.kysely), clock, publicUrl: config.publicUrl, onSessionEnded: (hash) => streams.endSession(hash) });
  app.addHook('onReady', async () => streams.start());
  app.addHook('onClose', async () => streams.stop());
  const projects = createProjectsService({
    ...repos, clock,
    onTokenRevoked: async (tokenId) => {
      streams.revoke(tokenId);
      await cache.invalidate();
    },
  });

  // Settings and integrations live in memory (the config cache); every change clears it here and on every instance.
  // eslint-disable-next-line prefer-const -- assigned once below; the cache and the integrations service refer to each other
  let cache: ConfigCache;
  const sinchConsents = createSinchConsentsRepo(db.kysely);
  const integrations = createIntegrationsService({
    integrations: repos.integrations, settings: repos.settings, box: options.box, clock, publicUrl: config.publicUrl, hosts, dispatcher, consentSyncs: sinchConsents,
    sandbox: options.sandboxPlugin ? createSandboxProvisioner({ dispatcher, sandboxUrl, localBaseUrl: () => localBaseUrl }) : undefined,
    log: app.log,
    onChanged: () => cache.invalidate(),
  });
  cache = createConfigCache({
    loadSettings: (projectId, executor) => repos.settings.get(projectId, executor),
    loadIntegration: (id, executor) => integrations.loadSecrets(id, executor),
    loadIntegrationByCallbackToken: (token) => integrations.loadSecretsByCallbackToken(token),
    listIntegrations: async () => (await repos.integrations.listRates()).map((r) => ({
      id: r.id, projectId: r.project_id, sinchProjectId: r.sinch_project_id, sendRatePerSecond: r.send_rate_per_second ?? defaultSendRatePerSecond,
    })),
    readVersion: () => instance.get('config_version'),
    bumpVersion: () => instance.set('config_version', createId('cfg')),
    pollMs: config.configPollMs, now, log: app.log,
  });
  cache.onClear(() => {
    access.forget();
    void streams.recheck();
  });
  app.addHook('onReady', async () => cache.start());
  app.addHook('onClose', async () => cache.stop());
  const settings = createSettingsService({ settings: repos.settings, integrations: repos.integrations, clock, onChanged: () => cache.invalidate() });

  const jobsRepo = createJobsRepo(db.kysely, db.dialect);
  const messagesRepo = createMessagesRepo(db.kysely, db, statusRanks, absorbingStatuses);
  const eventsRepo = createEventsRepo(db.kysely, db);
  const callbacksRepo = createCallbacksRepo(db.kysely, db);
  const customersRepo = createCustomersRepo(db.kysely, db);
  const conversationsRepo = createConversationsRepo(db.kysely);
  const campaignsRepo = createCampaignsRepo(db.kysely, db);
  const audienceRepo = createAudienceRepo(db.kysely, db.dialect);
  const tracker = createEventTracker({
    events: eventsRepo, settings: (projectId, executor) => cache.settings(projectId, executor), now: () => clock.now(),
    countCampaign: (executor, campaignId, deltas) => campaignsRepo.count(executor, campaignId, deltas),
  });
  const eventBus = createEventBus();
  const onTracked = (events: TrackedEvent[]) => {
    for (const projectId of new Set(events.map((e) => e.projectId))) eventBus.publish(projectId, events.filter((e) => e.projectId === projectId));
  };
  const client = createSinchClient({ dispatcher, hosts, tokens: createTokenCache(dispatcher) });
  const templates = createTemplatesService({
    repo: createTemplatesRepo(db.kysely), integration: (id) => cache.integration(id), client, clock, cacheMs: config.templateCacheSeconds * 1000, log: app.log,
  });
  // Token buckets in the database: send rates and capability queries hold across every instance.
  const rateLimits = createRateLimitsRepo(db);
  const capabilities = createCapabilities({
    transact: db.transact, repo: createCapabilitiesRepo(db.kysely), client, clock,
    ttl: { knownMs: config.rcsCapabilityTtlSeconds * 1000, unknownMs: config.rcsCapabilityUnknownTtlSeconds * 1000 },
    waitMs: config.rcsCapabilityWaitSeconds * 1000, queriesPerSecond: config.rcsCapabilityQueriesPerSecond, rateLimits, log: app.log,
  });
  const policy = createSendPolicy({ customers: customersRepo, settings: (projectId, executor) => cache.settings(projectId, executor) });
  const admission = createAdmission({
    limit: config.sendBacklogLimit, refreshMs: 1000, integrations: () => cache.integrations(),
    countPending: (integrationId, priority, upTo) => messagesRepo.countPending(integrationId, priority, upTo), now,
  });
  const worker = config.role === 'api' ? undefined : { workerId: `w_${randomUUID()}` };

  // --- the send lane: messages are their own work items (ADR 0005) ---
  const deliver = createDeliverMessage({
    transact: db.transact, messages: messagesRepo, tracker, client, config: cache, campaign: (id) => campaigns.compiled(id), clock,
    retry: { baseMs: config.sendRetryBaseMs, capMs: config.sendRetryCapMs }, maxAttempts: config.sendMaxAttempts, onTracked, log: app.log,
  });
  const sender = worker === undefined ? undefined : createSendDispatcher({
    transact: db.transact, messages: messagesRepo, rateLimits,
    integrations: () => cache.integrations(),
    integrationInfo: (id) => cache.integrationInfo(id),
    deliver: (message, workerId) => deliver.deliver(message, workerId),
    crashed: (message, workerId, error) => deliver.crashed(message, workerId, error),
    concurrency: config.workerConcurrency, pollMs: config.workerPollMs, leaseMs: config.workerLeaseMs,
    sinchProjectRequestsPerSecond: config.sinchProjectRequestsPerSecond, now, log: app.log,
  });
  const messages = createMessagesService({
    transact: db.transact, messages: messagesRepo, conversations: conversationsRepo, idempotency: createIdempotencyRepo(db.kysely),
    config: cache, admission, clock, policy, templates, tracker, timeline: { events: eventsRepo, callbacks: callbacksRepo },
    onQueued: (integrationId) => sender?.notify(integrationId), onTracked,
  });

  // --- the callback lane: applied when they arrive; the rare failure is applied later by the recovery loop ---
  const twoWay = createTwoWay({
    customers: customersRepo, conversations: conversationsRepo, messages: messagesRepo, campaigns: campaignsRepo, config: cache, send: messages, tracker, clock,
  });
  const ingest = createCallbackIngest({
    transact: db.transact, callbacks: callbacksRepo, applyCallback: createApplyCallback({ messages: messagesRepo, tracker, twoWay, capabilities, clock }), clock,
    integrationByCallbackToken: (token) => cache.integrationByCallbackToken(token), toleranceSeconds: config.callbackToleranceSeconds, maxAgeSeconds: config.callbackMaxAgeSeconds,
    afterCommit: (effects) => {
      if (effects.tracked.length > 0) onTracked(effects.tracked);
      if (effects.queuedOn !== undefined) sender?.notify(effects.queuedOn);
    },
    log: app.log,
  });
  const recovery = worker === undefined ? undefined : createCallbackRecovery({
    claimDue: (workerId, leaseUntil, at, limit) => callbacksRepo.claimDue(workerId, leaseUntil, at, limit),
    applyStored: (callback, workerId) => ingest.applyStored(callback, workerId),
    pollMs: config.workerPollMs, leaseMs: config.workerLeaseMs, now, log: app.log,
  });

  const customers = createCustomersService({ transact: db.transact, customers: customersRepo, clock });
  // Sinch's opt-out lists imported into the ledger: now (admin route) and every SINCH_CONSENT_SYNC_SECONDS (a job).
  const consentSync = createConsentSync({
    transact: db.transact, repo: sinchConsents, customers: customersRepo, integrations: repos.integrations, settings: repos.settings,
    connect: (row) => integrations.connectToSinch(row), dispatcher, clock, log: app.log,
  });

  // --- campaigns: customers in bulk, segments, campaigns and their reports ---
  const customerImports = createCustomerImports({ transact: db.transact, customers: customersRepo, imports: createImportsRepo(db.kysely, db), clock });
  const segments = createSegmentsService({ campaigns: campaignsRepo, audience: audienceRepo, clock });
  // eslint-disable-next-line prefer-const -- assigned once below; campaigns and the job worker refer to each other
  let jobs: Worker | undefined;
  const campaigns = createCampaignsService({
    transact: db.transact, campaigns: campaignsRepo, customers: customersRepo, jobs: jobsRepo, config: cache, segments, messages, templates, clock,
    onScheduled: () => jobs?.notify(),
  });
  const campaignReports = createCampaignReports({ campaigns: campaignsRepo, bus: eventBus });
  app.addHook('preClose', async () => campaignReports.closeStreams());
  const campaignHandlers = createCampaignJobs({
    transact: db.transact, campaigns: campaignsRepo, audience: audienceRepo, config: cache, compiled: (id) => campaigns.compiled(id), tracker, clock,
    onQueued: (integrationId) => sender?.notify(integrationId), onTracked, runBudgetMs: 5000, capabilities,
    enqueueWatch: async (campaignId, delayMs) => {
      await jobsRepo.enqueue(db.kysely, { kind: campaignWatchJob, key: `${campaignWatchJob}:${campaignId}`, payload: { campaign_id: campaignId }, maxAttempts: 2_000_000_000, runAt: now() + delayMs }, now());
      jobs?.notify();
    },
  });
  const keywordRules = createKeywordRulesService({ conversations: conversationsRepo, settings: repos.settings, clock });
  const conversations = createConversationsService({ conversations: conversationsRepo, messages: messagesRepo, send: messages, clock });

  // --- events feature: begin (events API, live stream, export, forwarding) ---
  const events = createEventsService({ events: eventsRepo, bus: eventBus, log: app.log });
  app.addHook('preClose', async () => events.closeStreams());
  const forwarding = { settleMs: 1000, idlePollMs: 5000, timeoutMs: 10_000, retry: { baseMs: 1000, capMs: 600_000 } };
  // Destinations are user-given URLs: every connection goes only to an address the network guard allows (checked
  // after DNS resolution, on the address connected to), and redirects are never followed (undici's request).
  const destinationGuard = createNetworkGuard(config.eventDestinationAllowedNetworks);
  const forwardDispatcher = new Agent({
    connect: destinationGuard.connector({ timeout: forwarding.timeoutMs }), headersTimeout: forwarding.timeoutMs, bodyTimeout: forwarding.timeoutMs,
  });
  app.addHook('onClose', async () => forwardDispatcher.close());
  const destinationsRepo = createEventDestinationsRepo(db.kysely);
  const eventDestinations = createEventDestinationsService({
    db: db.kysely, destinations: destinationsRepo, events: eventsRepo, queue: jobsRepo, box: options.box, clock,
    settleMs: forwarding.settleMs, guard: destinationGuard, secretOverlapMs: config.eventDestinationSecretOverlapHours * 3_600_000,
    onScheduled: () => jobs?.notify(), log: app.log,
  });
  eventBus.subscribe('*', (tracked) => {
    eventDestinations.onEvents(tracked).catch((error: unknown) => app.log.warn({ err: error }, 'event forwarding wake-up failed'));
  });
  app.addHook('preClose', async () => eventDestinations.close());
  const handlers: Record<string, JobHandler> = {
    ...campaignHandlers,
    [consentSyncJob]: consentSync.jobHandler(config.sinchConsentSyncSeconds * 1000),
    [forwardEventsJob]: createForwardEventsHandler({
      ...forwarding, destinations: destinationsRepo, events: eventsRepo, box: options.box, dispatcher: forwardDispatcher, clock,
      pauseAfterMs: config.eventDestinationPauseAfterHours * 3_600_000,
      runBudgetMs: 5000, consumeWake: (id) => eventDestinations.consumeWake(id), log: app.log,
    }),
  };
  // --- events feature: end ---

  // Background jobs other than sends and callbacks, in their own pool.
  jobs = worker === undefined ? undefined : createWorker({
    queue: jobsRepo, handlers, concurrency: Math.min(16, config.workerConcurrency), pollMs: config.workerPollMs, leaseMs: config.workerLeaseMs,
    crashBackoff: { baseMs: 1000, capMs: 60_000 }, now, log: app.log,
  });
  if (sender !== undefined) {
    app.addHook('onReady', async () => sender.start());
    app.addHook('preClose', async () => sender.stop());
  }
  if (recovery !== undefined) {
    app.addHook('onReady', async () => recovery.start());
    app.addHook('preClose', async () => recovery.stop());
  }
  if (jobs !== undefined) {
    const started = jobs;
    if (config.sinchConsentSyncSeconds > 0) {
      // One job for every instance (its key): enqueueing it again is a no-op, so it runs once per interval in all.
      app.addHook('onReady', async () => {
        await jobsRepo.enqueue(db.kysely, {
          kind: consentSyncJob, key: consentSyncJob, payload: {}, maxAttempts: 2_000_000_000, runAt: now() + config.sinchConsentSyncSeconds * 1000,
        }, now());
      });
    }
    app.addHook('onReady', async () => started.start());
    app.addHook('preClose', async () => started.stop());
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
  // The reference page loads only its own scripts and styles (no inline script); the policy is its own, not the
  // API's. The one style swagger-ui's bundle injects at run time is allowed by its hash (seen in Chromium).
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: "default-src 'self'; base-uri 'none'; font-src 'self' data:; frame-ancestors 'none'; form-action 'self'; img-src 'self' data:; object-src 'none'; script-src 'self'; script-src-attr 'none'; style-src 'self' 'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='",
  });

  await app.register(healthRoutes, { db });
  await app.register(callbackRoutes, { ingest, bodyLimit: config.bodyLimitBytes });
  await app.register(async (api) => {
    registerApiAuth(api, access, users);
    registerInputGuard(api);
    await api.register(projectRoutes, { projects });
    await api.register(userRoutes, { users, projects, secureCookies: config.publicUrl.startsWith('https:') });
    await api.register(integrationRoutes, { projects, integrations, templates, consentSync });
    await api.register(settingsRoutes, { projects, settings });
    await api.register(messageRoutes, { projects, messages });
    await api.register(twoWayRoutes, { projects, customers, keywordRules, conversations, capabilities });
    // --- events feature routes: begin ---
    await api.register(eventRoutes, { projects, events, streams });
    await api.register(eventDestinationRoutes, { projects, destinations: eventDestinations });
    await api.register(catalogueRoutes, { projects, callbacks: callbacksRepo });
    await api.register(campaignRoutes, { projects, campaigns, reports: campaignReports, segments, imports: customerImports, importMaxBytes: config.importMaxBytes, streams });
    // --- events feature routes: end ---
  }, { prefix: '/api/v1' });

  if (options.consoleDir !== undefined) await registerConsole(app, options.consoleDir);

  if (options.sandboxPlugin !== undefined) {
    const sandboxPlugin = options.sandboxPlugin;
    await app.register(async (sandbox) => {
      if (config.sandboxAccess === 'local') {
        sandbox.addHook('onRequest', sandboxGuard({ prefix: '/sandbox', adminTokenHash: options.adminTokenHash, publicUrl: config.publicUrl }));
      }
      await sandbox.register(sandboxPlugin);
    }, { prefix: '/sandbox' });
    app.addHook('onListen', function () {
      // The emulator keeps its accounts in memory: set up every SANDBOX integration again on each start.
      integrations.provisionAllSandbox().catch((error: unknown) => app.log.warn({ err: error }, 'sandbox provisioning failed'));
    });
  }
  return app;
}
