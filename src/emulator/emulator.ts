/**
 * A local emulator of Sinch's Conversation API (OAuth2, messages:send, webhooks, signed callbacks, life cycle,
 * faults) plus its own control API and phone view. Written from shared/docs/sinch-conversation-api.md and
 * deliberately independent of the service's Sinch client.
 *
 *   const emulator = createEmulator();
 *   await app.register(emulator.plugin, { prefix: '/sandbox' });
 *   … await emulator.close();
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import { TokenStore, type TokenEntry } from './auth.ts';
import { CallbackDispatcher } from './callbacks.ts';
import { injectInbound, seedDefaultApp, upsertApp, mergeKnobs, type EmulatorContext, type InjectResult, type ResolvedOptions } from './context.ts';
import { registerRpcErrorHandling } from './errors.ts';
import { applyFaults, guardProject } from './guard.ts';
import { Lifecycle } from './lifecycle.ts';
import { TokenBucket } from './rate-limit.ts';
import { registerAppRoutes } from './routes/apps.ts';
import { registerControlRoutes } from './routes/control.ts';
import { registerEventRoutes } from './routes/events.ts';
import { registerMessageRoutes } from './routes/messages.ts';
import { registerOauthRoutes } from './routes/oauth.ts';
import { registerPhoneRoutes } from './routes/phone.ts';
import { registerTemplateRoutes } from './routes/templates.ts';
import { registerCapabilityRoutes } from './routes/capability.ts';
import { registerConsentRoutes } from './routes/consents.ts';
import { registerWebhookRoutes } from './routes/webhooks.ts';
import { DEFAULT_KNOBS, type AppUpsert, type InboundInjection, type KnobsPatch } from './schemas/control.ts';
import { EmulatorStore, type Collection } from './persistence.ts';
import { EmulatorState, type AppRecord, type CallbackRecord, type InboundRecord, type MessageRecord } from './state.ts';
import { TimerSet } from './time.ts';

/** close() lets callbacks already on the wire finish for at most this long, then aborts them. */
const CLOSE_GRACE_MS = 1000;

export type EmulatorOptions = {
  /** The account that exists from the start (and after a reset). */
  account?: {
    projectId?: string;
    appId?: string;
    accessKey?: string;
    accessSecret?: string;
    secretForOverriddenCallbackUrls?: string;
  };
  /** OAuth2 token lifetime (default 3600). */
  tokenLifetimeSeconds?: number;
  /** Token endpoint throttling (default 30 tokens, refilled 10/s, like Sinch); null lifts it. */
  tokenRateLimit?: { capacity: number; perSecond: number } | null;
  /** Defaults for every app's knobs (see docs/emulator.md). */
  knobs?: KnobsPatch;
  /** Life-cycle delays in ms: accept → QUEUED_ON_CHANNEL → DELIVERED → READ (default 500 / 1000 / 2000). Shortcut for the delay knobs. */
  delays?: { queuedMs?: number; deliveredMs?: number; readMs?: number };
  /** Wait before each callback retry, in ms (default 5 s doubling up to 81920 s: 15 retries). */
  callbackRetryScheduleMs?: number[];
  /** Per-attempt callback timeout in ms (default 10000). */
  callbackTimeoutMs?: number;
  /** Messages kept for inspection; the oldest are forgotten beyond it (default 10000). */
  maxMessages?: number;
  /** Clock (epoch ms); defaults to Date.now. */
  now?: () => number;
  /**
   * A folder for the emulator's state file (`sandbox.sqlite`): apps, webhooks, windows, messages and their pending
   * life cycle, inbound messages, callbacks, templates and tokens survive a restart. Without it, state is in memory only.
   */
  dataDir?: string;
};

export type Emulator = {
  /** Fastify plugin with every emulator route; register it at root or under a prefix. Do not wrap it with fastify-plugin. */
  plugin: FastifyPluginAsync;
  /** Stops every timer and pending callback delivery, releases hung requests, and saves the state (with a data dir). */
  close: () => Promise<void>;
  /** Forgets messages, inbound, callbacks and windows; without keepApps also apps, webhooks, templates and tokens. */
  reset: (options?: { keepApps?: boolean }) => void;
  /** In-process accessors (the service itself talks HTTP only). */
  state: EmulatorState;
  options: ResolvedOptions;
  upsertApp: (appId: string, input: AppUpsert) => AppRecord;
  injectInbound: (appId: string, input: InboundInjection) => InjectResult;
};

export const DEFAULT_ACCOUNT = {
  projectId: 'sandbox-project',
  appId: 'sandbox-app',
  accessKey: 'sandbox-key',
  accessSecret: 'sandbox-secret',
  secretForOverriddenCallbackUrls: 'sandbox-callback-secret',
} as const;

export function defaultRetrySchedule(): number[] {
  return Array.from({ length: 15 }, (_, i) => 5000 * 2 ** i);
}

function resolveOptions(options: EmulatorOptions): ResolvedOptions {
  const delays = options.delays ?? {};
  const delayKnobs: KnobsPatch = {
    ...(delays.queuedMs === undefined ? {} : { queued_delay_ms: delays.queuedMs }),
    ...(delays.deliveredMs === undefined ? {} : { delivered_delay_ms: delays.deliveredMs }),
    ...(delays.readMs === undefined ? {} : { read_delay_ms: delays.readMs }),
  };
  return {
    account: { ...DEFAULT_ACCOUNT, ...options.account },
    tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 3600,
    tokenRateLimit: options.tokenRateLimit === undefined ? { capacity: 30, perSecond: 10 } : options.tokenRateLimit,
    knobs: mergeKnobs(mergeKnobs(DEFAULT_KNOBS, delayKnobs), options.knobs),
    callbackRetryScheduleMs: options.callbackRetryScheduleMs ?? defaultRetrySchedule(),
    callbackTimeoutMs: options.callbackTimeoutMs ?? 10_000,
    maxMessages: options.maxMessages ?? 10_000,
    now: options.now ?? Date.now,
  };
}

/** Everything the store keeps, in load order (callbacks before the messages and inbound messages that list them). */
function collections(state: EmulatorState, tokens: TokenStore): Collection[] {
  const withCallbackIds = <T extends { callbacks: CallbackRecord[] }>(record: T): unknown => ({ ...record, callbacks: record.callbacks.map((c) => c.id) });
  const withCallbacks = <T extends { callbacks: CallbackRecord[] }>(json: Omit<T, 'callbacks'> & { callbacks: string[] }): T => ({
    ...json,
    callbacks: json.callbacks.flatMap((id) => { const c = state.callbacks.get(id); return c === undefined ? [] : [c]; }),
  }) as unknown as T;
  return [
    { name: 'apps', map: state.apps },
    { name: 'webhooks', map: state.webhooks },
    { name: 'templates', map: state.templates },
    { name: 'omni_templates', map: state.omniTemplates },
    { name: 'whatsapp_windows', map: state.whatsappWindows },
    { name: 'consents', map: state.consents },
    {
      name: 'tokens',
      map: tokens.tokens,
      encode: (t: TokenEntry) => ({ projects: [...t.projects], expires_ms: t.expiresMs }),
      decode: (j: { projects: string[]; expires_ms: number }): TokenEntry => ({ projects: new Set(j.projects), expiresMs: j.expires_ms }),
    },
    { name: 'callbacks', map: state.callbacks },
    { name: 'messages', map: state.messages, encode: withCallbackIds, decode: withCallbacks<MessageRecord> },
    { name: 'inbound', map: state.inbound, encode: withCallbackIds, decode: withCallbacks<InboundRecord> },
  ];
}

export function createEmulator(options: EmulatorOptions = {}): Emulator {
  const resolved = resolveOptions(options);
  const now = resolved.now;
  const state = new EmulatorState({ maxMessages: resolved.maxMessages, maxInbound: resolved.maxMessages, maxCallbacks: resolved.maxMessages * 5 });
  const timers = new TimerSet();
  const closing = new AbortController();
  const callbacks = new CallbackDispatcher(state, {
    retryScheduleMs: resolved.callbackRetryScheduleMs,
    timeoutMs: resolved.callbackTimeoutMs,
    now,
    timers,
  });
  const ctx: EmulatorContext = {
    options: resolved,
    state,
    tokens: new TokenStore(resolved.tokenLifetimeSeconds, now),
    tokenBucket: resolved.tokenRateLimit === null ? null : new TokenBucket(resolved.tokenRateLimit.capacity, resolved.tokenRateLimit.perSecond, now),
    projectBuckets: new Map(),
    callbacks,
    lifecycle: new Lifecycle({ state, callbacks, timers, now }),
    timers,
    closing: closing.signal,
    stats: { tokenRequests: 0, tokenRefusals: 0 },
    now,
  };
  const store = options.dataDir === undefined ? null : new EmulatorStore(options.dataDir, collections(state, ctx.tokens));
  // Saved state comes back as it was; a new store (or none) starts with the default account.
  let resumePending = store?.load() ?? false;
  if (!resumePending) seedDefaultApp(ctx);
  /** Timers and callbacks of saved state start once the host listens (callbacks may go to the host itself). */
  const resume = (): void => {
    if (!resumePending) return;
    resumePending = false;
    ctx.lifecycle.resume();
    for (const record of state.callbacks.values()) callbacks.resume(record);
  };

  const reset = (keepApps: boolean): void => {
    resumePending = false;
    timers.clear();
    callbacks.abortAll();
    ctx.lifecycle.clear();
    ctx.projectBuckets.clear();
    if (keepApps) {
      state.clearTraffic();
      return;
    }
    state.clearAll();
    ctx.tokens.clear();
    seedDefaultApp(ctx);
  };

  const plugin: FastifyPluginAsync = async (app: FastifyInstance) => {
    app.setValidatorCompiler(TypeBoxValidatorCompiler);
    app.setSerializerCompiler(() => (data) => JSON.stringify(data));
    registerRpcErrorHandling(app);
    for (const type of ['application/x-www-form-urlencoded', 'application/json']) {
      if (app.hasContentTypeParser(type)) app.removeContentTypeParser(type);
    }
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(String(body))));
    });
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
      const text = String(body);
      if (text.trim() === '') { done(null, undefined); return; }
      try {
        done(null, JSON.parse(text) as unknown);
      } catch {
        done(Object.assign(new Error('Invalid JSON payload'), { statusCode: 400 }), undefined);
      }
    });

    registerOauthRoutes(app, ctx);
    await app.register(async (api) => {
      api.addHook('onRequest', async (request, reply) => guardProject(ctx, request, reply));
      api.addHook('preHandler', async (request, reply) => applyFaults(ctx, request, reply));
      registerMessageRoutes(api, ctx);
      registerWebhookRoutes(api, ctx);
      registerTemplateRoutes(api, ctx);
      registerCapabilityRoutes(api, ctx);
      registerConsentRoutes(api, ctx);
      registerAppRoutes(api, ctx);
      registerEventRoutes(api, ctx);
    });
    registerControlRoutes(app, ctx, reset);
    registerPhoneRoutes(app);
    app.addHook('onListen', async () => { resume(); });
  };

  return {
    plugin,
    state,
    options: resolved,
    close: async () => {
      closing.abort();
      timers.close();
      ctx.lifecycle.clear();
      await callbacks.drain(CLOSE_GRACE_MS);
      store?.close();
    },
    reset: (opts) => { reset(opts?.keepApps === true); },
    upsertApp: (appId, input) => upsertApp(ctx, appId, input).app,
    injectInbound: (appId, input) => {
      const app = state.apps.get(appId);
      if (app === undefined) return { ok: false, field: 'app_id', description: `App ${appId} not found` };
      return injectInbound(ctx, app, input);
    },
  };
}
