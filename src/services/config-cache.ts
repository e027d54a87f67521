import type { Executor } from '../db/repos/executor.ts';
import type { ProjectSettingsRow } from '../db/repos/settings-repo.ts';
import type { IntegrationSecrets } from './integrations.ts';

/** What the sender needs to know of every integration: which rate limits it draws from. */
export interface IntegrationInfo {
  id: string;
  projectId: string;
  sinchProjectId: string;
  sendRatePerSecond: number;
}

export interface ConfigCacheDeps {
  loadSettings: (projectId: string, executor?: Executor) => Promise<ProjectSettingsRow>;
  loadIntegration: (id: string, executor?: Executor) => Promise<IntegrationSecrets | undefined>;
  loadIntegrationByCallbackToken: (token: string) => Promise<IntegrationSecrets | undefined>;
  listIntegrations: () => Promise<IntegrationInfo[]>;
  /** A value that changes whenever any instance changed settings or integrations. */
  readVersion: () => Promise<string | undefined>;
  bumpVersion: () => Promise<void>;
  /** How often the version is read (another instance's change is seen within this). */
  pollMs: number;
  now: () => number;
  log: { warn(obj: object, msg: string): void };
}

/**
 * Project settings and integrations in memory, so the hot paths (a send, a callback, a tracked event) read none of
 * them from the database. A change made by this process clears the cache at once and bumps a version row; every
 * instance reads that row every `pollMs` and clears its own cache when it moved. Entries also expire on their own
 * after `maxAgeMs`, and an integration's entry when its previous webhook secret stops being accepted.
 */
export function createConfigCache(deps: ConfigCacheDeps, maxAgeMs = 60_000) {
  let settings = new Map<string, { row: ProjectSettingsRow; until: number }>();
  let byId = new Map<string, { value: IntegrationSecrets | undefined; until: number }>();
  let byToken = new Map<string, { value: IntegrationSecrets | undefined; until: number }>();
  let list: { value: IntegrationInfo[]; until: number } | undefined;
  let version: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  const listeners: Array<() => void> = [];

  function clear(): void {
    settings = new Map();
    byId = new Map();
    byToken = new Map();
    list = undefined;
    for (const listener of listeners) listener();
  }

  function untilFor(value: IntegrationSecrets | undefined, now: number): number {
    return Math.min(now + maxAgeMs, value?.changesAt ?? Number.POSITIVE_INFINITY);
  }

  async function poll(): Promise<void> {
    try {
      const current = await deps.readVersion();
      if (current !== version) {
        version = current;
        clear();
      }
    } catch (error) {
      deps.log.warn({ err: error }, 'could not read the configuration version');
    }
  }

  return {
    /** Reads the version now and then every `pollMs`. */
    async start(): Promise<void> {
      await poll();
      timer ??= setInterval(() => void poll(), deps.pollMs);
      timer.unref();
    },
    stop(): void {
      clearInterval(timer);
      timer = undefined;
    },

    /** Other caches that must be dropped with this one (e.g. authenticated tokens after a revocation). */
    onClear(listener: () => void): void {
      listeners.push(listener);
    },

    /** After a change to settings, integrations or tokens: this cache at once, every other instance within `pollMs`. */
    async invalidate(): Promise<void> {
      clear();
      await deps.bumpVersion();
      clear();
    },

    /** `executor`: inside a transaction, a miss must read through it (SQLite has one connection). */
    async settings(projectId: string, executor?: Executor): Promise<ProjectSettingsRow> {
      const now = deps.now();
      const hit = settings.get(projectId);
      if (hit !== undefined && hit.until > now) return hit.row;
      const row = await deps.loadSettings(projectId, executor);
      if (settings.size > 10_000) settings.clear();
      settings.set(projectId, { row, until: now + maxAgeMs });
      return row;
    },

    async integration(id: string, executor?: Executor): Promise<IntegrationSecrets | undefined> {
      const now = deps.now();
      const hit = byId.get(id);
      if (hit !== undefined && hit.until > now) return hit.value;
      const value = await deps.loadIntegration(id, executor);
      if (byId.size > 10_000) byId.clear();
      byId.set(id, { value, until: untilFor(value, now) });
      return value;
    },

    async integrationByCallbackToken(token: string): Promise<IntegrationSecrets | undefined> {
      const now = deps.now();
      const hit = byToken.get(token);
      if (hit !== undefined && hit.until > now) return hit.value;
      const value = await deps.loadIntegrationByCallbackToken(token);
      if (byToken.size > 10_000) byToken.clear();
      byToken.set(token, { value, until: untilFor(value, now) });
      return value;
    },

    /** Every integration of every project, with its rate (the sender's rate limits). */
    async integrations(): Promise<IntegrationInfo[]> {
      const now = deps.now();
      if (list !== undefined && list.until > now) return list.value;
      const value = await deps.listIntegrations();
      list = { value, until: now + maxAgeMs };
      return value;
    },

    /**
     * One integration's rate information, or undefined when it does not exist. An integration created on another
     * instance moments ago is not in the list yet: it is read from the database, and the list is read again.
     */
    async integrationInfo(id: string): Promise<IntegrationInfo | undefined> {
      const listed = (await this.integrations()).find((i) => i.id === id);
      if (listed !== undefined) return listed;
      const found = await this.integration(id);
      if (found === undefined) return undefined;
      list = undefined;
      return { id: found.id, projectId: found.projectId, sinchProjectId: found.sinchProjectId, sendRatePerSecond: found.sendRatePerSecond };
    },
  };
}

export type ConfigCache = ReturnType<typeof createConfigCache>;
