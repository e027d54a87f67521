import path from 'node:path';
import { settings, type Setting } from './schema.ts';

export interface Config {
  port: number;
  host: string;
  publicUrl: string;
  dataDir: string;
  databaseUrl: string | undefined;
  databasePreparedStatements: boolean;
  adminToken: string | undefined;
  masterKeys: string[] | undefined;
  role: 'all' | 'api' | 'worker';
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  sandboxEnabled: boolean;
  sandboxAccess: 'local' | 'open';
  sinchAuthUrl: string;
  sinchConversationUrlEu: string;
  sinchConversationUrlUs: string;
  sinchConversationUrlBr: string;
  sinchTemplatesUrlEu: string;
  sinchTemplatesUrlUs: string;
  sinchTemplatesUrlBr: string;
  sinchProvisioningUrl: string;
  templateCacheSeconds: number;
  rcsCapabilityTtlSeconds: number;
  rcsCapabilityUnknownTtlSeconds: number;
  rcsCapabilityWaitSeconds: number;
  rcsCapabilityQueriesPerSecond: number;
  sinchConsentSyncSeconds: number;
  bodyLimitBytes: number;
  callbackToleranceSeconds: number;
  callbackMaxAgeSeconds: number;
  sinchProjectRequestsPerSecond: number;
  workerConcurrency: number;
  workerPollMs: number;
  workerLeaseMs: number;
  sendMaxAttempts: number;
  sendRetryBaseMs: number;
  sendRetryCapMs: number;
  sendBacklogLimit: number;
  eventDestinationAllowedNetworks: string[];
  eventDestinationPauseAfterHours: number;
  eventDestinationSecretOverlapHours: number;
  streamsPerToken: number;
  importMaxBytes: number;
  configPollMs: number;
  shutdownGraceMs: number;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: string[] };

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Parses the whole configuration from an environment once, listing every problem at once.
 * Values are never echoed into problems, so secrets cannot leak through an error message.
 */
export function loadConfig(env: Env): ConfigResult {
  const problems: string[] = [];
  function read<T>(setting: Setting<T>): T | undefined;
  function read<T>(setting: Setting<T>, fallback: T): T;
  function read<T>(setting: Setting<T>, fallback?: T): T | undefined {
    const raw = env[setting.env];
    if (raw === undefined || raw === '') return fallback;
    const parsed = setting.parse(raw);
    if (parsed.ok) return parsed.value;
    problems.push(`${setting.env} ${parsed.rule}`);
    return fallback;
  }

  const port = read(settings.port, 3000);
  const databaseUrl = read(settings.databaseUrl);
  const masterKeys = read(settings.masterKeys);
  const config: Config = {
    port,
    host: read(settings.host, '0.0.0.0'),
    publicUrl: read(settings.publicUrl, `http://localhost:${port}`),
    dataDir: path.resolve(read(settings.dataDir, './data')),
    databaseUrl,
    databasePreparedStatements: read(settings.databasePreparedStatements, true),
    adminToken: read(settings.adminToken),
    masterKeys,
    role: read(settings.role, 'all'),
    logLevel: read(settings.logLevel, 'info'),
    sandboxEnabled: read(settings.sandboxEnabled, true),
    sandboxAccess: read(settings.sandboxAccess, 'local'),
    sinchAuthUrl: read(settings.sinchAuthUrl, 'https://auth.sinch.com'),
    sinchConversationUrlEu: read(settings.sinchConversationUrlEu, 'https://eu.conversation.api.sinch.com'),
    sinchConversationUrlUs: read(settings.sinchConversationUrlUs, 'https://us.conversation.api.sinch.com'),
    sinchConversationUrlBr: read(settings.sinchConversationUrlBr, 'https://br.conversation.api.sinch.com'),
    sinchTemplatesUrlEu: read(settings.sinchTemplatesUrlEu, 'https://eu.template.api.sinch.com'),
    sinchTemplatesUrlUs: read(settings.sinchTemplatesUrlUs, 'https://us.template.api.sinch.com'),
    sinchTemplatesUrlBr: read(settings.sinchTemplatesUrlBr, 'https://br.template.api.sinch.com'),
    sinchProvisioningUrl: read(settings.sinchProvisioningUrl, 'https://provisioning.api.sinch.com'),
    templateCacheSeconds: read(settings.templateCacheSeconds, 3600),
    rcsCapabilityTtlSeconds: read(settings.rcsCapabilityTtlSeconds, 604800),
    rcsCapabilityUnknownTtlSeconds: read(settings.rcsCapabilityUnknownTtlSeconds, 3600),
    rcsCapabilityWaitSeconds: read(settings.rcsCapabilityWaitSeconds, 30),
    rcsCapabilityQueriesPerSecond: read(settings.rcsCapabilityQueriesPerSecond, 20),
    sinchConsentSyncSeconds: read(settings.sinchConsentSyncSeconds, 900),
    bodyLimitBytes: read(settings.bodyLimitBytes, 1024 * 1024),
    callbackToleranceSeconds: read(settings.callbackToleranceSeconds, 300),
    callbackMaxAgeSeconds: read(settings.callbackMaxAgeSeconds, 86400),
    sinchProjectRequestsPerSecond: read(settings.sinchProjectRequestsPerSecond, 800),
    workerConcurrency: read(settings.workerConcurrency, 64),
    workerPollMs: read(settings.workerPollMs, 250),
    workerLeaseMs: read(settings.workerLeaseMs, 30_000),
    sendMaxAttempts: read(settings.sendMaxAttempts, 8),
    sendRetryBaseMs: read(settings.sendRetryBaseMs, 1000),
    sendRetryCapMs: read(settings.sendRetryCapMs, 60000),
    sendBacklogLimit: read(settings.sendBacklogLimit, 100_000),
    eventDestinationAllowedNetworks: read(settings.eventDestinationAllowedNetworks, []),
    eventDestinationPauseAfterHours: read(settings.eventDestinationPauseAfterHours, 72),
    eventDestinationSecretOverlapHours: read(settings.eventDestinationSecretOverlapHours, 24),
    streamsPerToken: read(settings.streamsPerToken, 10),
    importMaxBytes: read(settings.importMaxBytes, 1024 * 1024 * 1024),
    configPollMs: read(settings.configPollMs, 1000),
    shutdownGraceMs: read(settings.shutdownGraceMs, 10000),
  };
  if (databaseUrl !== undefined && masterKeys === undefined && env[settings.masterKeys.env] === undefined) {
    problems.push('MASTER_KEY is required when DATABASE_URL is set (every instance must share the key that encrypts secrets; generate one with `openssl rand -base64 32`)');
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, config };
}

/** Names of the environment variables whose values must never be logged. */
export const secretEnvNames: readonly string[] = Object.values(settings)
  .filter((s: Setting<unknown>) => s.secret === true)
  .map((s) => s.env);
