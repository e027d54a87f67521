import { isIP } from 'node:net';

/**
 * Every setting the service reads, in one place: its environment variable, default, rule and meaning.
 * `docs/configuration.md` and the README table are generated from this list (`npm run docs:config`).
 */

export type SettingParse<T> = (raw: string) => { ok: true; value: T } | { ok: false; rule: string };

export interface Setting<T> {
  readonly env: string;
  readonly description: string;
  /** Default as shown in the docs; `undefined` when the setting is optional without default. */
  readonly defaultText?: string;
  readonly secret?: boolean;
  readonly parse: SettingParse<T>;
}

function defineSetting<T>(setting: Setting<T>): Setting<T> {
  return setting;
}

const asString: SettingParse<string> = (raw) =>
  raw.length > 0 ? { ok: true, value: raw } : { ok: false, rule: 'must not be empty' };

function asInteger(min: number, max: number): SettingParse<number> {
  return (raw) => {
    const n = Number(raw);
    return /^-?\d+$/.test(raw.trim()) && Number.isSafeInteger(n) && n >= min && n <= max
      ? { ok: true, value: n }
      : { ok: false, rule: `must be an integer from ${min} to ${max}` };
  };
}

function asOneOf<const T extends string>(values: readonly T[]): SettingParse<T> {
  return (raw) =>
    (values as readonly string[]).includes(raw)
      ? { ok: true, value: raw as T }
      : { ok: false, rule: `must be one of ${values.join(', ')}` };
}

function asBoolean(): SettingParse<boolean> {
  return (raw) => {
    const v = raw.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(v)) return { ok: true, value: true };
    if (['0', 'false', 'no', 'off'].includes(v)) return { ok: true, value: false };
    return { ok: false, rule: 'must be true or false' };
  };
}

function asHttpUrl(protocols: readonly string[] = ['http:', 'https:']): SettingParse<string> {
  return (raw) => {
    try {
      const url = new URL(raw);
      if (protocols.includes(url.protocol)) return { ok: true, value: raw.replace(/\/+$/, '') };
    } catch {
      // not a URL at all: same rule as a URL of the wrong kind
    }
    return { ok: false, rule: `must be a ${protocols.map((p) => p.replace(':', '')).join(' or ')} URL` };
  };
}

const asMasterKeys: SettingParse<string[]> = (raw) => {
  const keys = raw.split(',').map((k) => k.trim()).filter(Boolean);
  for (const key of keys) {
    const bytes = /^[0-9a-f]{64}$/i.test(key) ? Buffer.from(key, 'hex') : Buffer.from(key, 'base64');
    if (bytes.length !== 32) {
      return { ok: false, rule: 'must be 32 random bytes in base64 or hex (e.g. `openssl rand -base64 32`), comma-separated when rotating' };
    }
  }
  return keys.length > 0 ? { ok: true, value: keys } : { ok: false, rule: 'must not be empty' };
};

/** Comma-separated IP networks in CIDR form (`10.0.0.0/8`, `fd00::/8`) or single addresses; empty: none. */
const asNetworks: SettingParse<string[]> = (raw) => {
  const items = raw.split(',').map((x) => x.trim()).filter(Boolean);
  for (const item of items) {
    const [address, bits, ...rest] = item.split('/');
    const family = isIP(address ?? '');
    const max = family === 6 ? 128 : 32;
    if (family === 0 || rest.length > 0 || (bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= max))) {
      return { ok: false, rule: 'must be comma-separated IP networks in CIDR form, e.g. `10.0.0.0/8,127.0.0.1/32,fd00::/8`' };
    }
  }
  return { ok: true, value: items.map((item) => (item.includes('/') ? item : `${item}/${isIP(item) === 6 ? 128 : 32}`)) };
};

const asAdminToken: SettingParse<string> = (raw) =>
  raw.length >= 24 ? { ok: true, value: raw } : { ok: false, rule: 'must be at least 24 characters' };

export const settings = {
  port: defineSetting({
    env: 'PORT', defaultText: '3000', description: 'TCP port the HTTP server listens on.', parse: asInteger(1, 65535),
  }),
  host: defineSetting({
    env: 'HOST', defaultText: '0.0.0.0', description: 'Address the HTTP server binds to.', parse: asString,
  }),
  publicUrl: defineSetting({
    env: 'PUBLIC_URL', defaultText: 'http://localhost:$PORT',
    description: 'Externally reachable base URL of this service; callback URLs given to Sinch are built from it.',
    parse: asHttpUrl(),
  }),
  dataDir: defineSetting({
    env: 'DATA_DIR', defaultText: './data',
    description: 'Directory for the SQLite database, the generated master key, the generated admin token and the sandbox\'s state (`sandbox.sqlite`, when the sandbox is on).',
    parse: asString,
  }),
  databaseUrl: defineSetting({
    env: 'DATABASE_URL', secret: true,
    description: 'PostgreSQL connection URL (`postgres://user:pass@host:5432/db`). When unset, embedded SQLite in `DATA_DIR` is used.',
    parse: asHttpUrl(['postgres:', 'postgresql:']),
  }),
  databasePreparedStatements: defineSetting({
    env: 'DATABASE_PREPARED_STATEMENTS', defaultText: 'true',
    description: 'PostgreSQL: run the hot queries (sending, callbacks, claims) as named prepared statements, parsed and planned by the server once per connection. Set `false` behind a connection pooler that cannot keep prepared statements (PgBouncer in transaction mode before 1.21, or without `max_prepared_statements`).',
    parse: asBoolean(),
  }),
  adminToken: defineSetting({
    env: 'ADMIN_TOKEN', secret: true,
    description: 'Instance admin API token. When unset, one is generated on first start, printed once and written to `DATA_DIR/admin-token` (mode 0600).',
    parse: asAdminToken,
  }),
  masterKeys: defineSetting({
    env: 'MASTER_KEY', secret: true,
    description: 'Key that encrypts secrets at rest (AES-256-GCM): 32 bytes, base64 or hex. Comma-separate several to rotate: the first encrypts, all decrypt. When unset with SQLite, one is generated into `DATA_DIR/master.key` (mode 0600); required with `DATABASE_URL` so that every instance shares it.',
    parse: asMasterKeys,
  }),
  role: defineSetting({
    env: 'ROLE', defaultText: 'all',
    description: 'What this process runs: `api` (HTTP only), `worker` (background jobs only) or `all`.',
    parse: asOneOf(['all', 'api', 'worker'] as const),
  }),
  logLevel: defineSetting({
    env: 'LOG_LEVEL', defaultText: 'info',
    description: 'Log level. Logs are JSON lines on stdout, written without ever blocking the service: while more than 1 MiB waits for a stdout nobody reads, new lines are dropped, and their count is logged as a warning once it drains.',
    parse: asOneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const),
  }),
  sandboxEnabled: defineSetting({
    env: 'SANDBOX_ENABLED', defaultText: 'true',
    description: 'Run the built-in Sinch emulator under `/sandbox` so integrations with region `SANDBOX` work offline.',
    parse: asBoolean(),
  }),
  sandboxAccess: defineSetting({
    env: 'SANDBOX_ACCESS', defaultText: 'local',
    description: 'Who may use the sandbox under `/sandbox` (its control API `/sandbox/_emulator`, which injects customer messages and registers webhooks, and its Sinch API): `local`: only requests made on this machine (loopback, not forwarded by a proxy, not from another web page), or, for the control API, with the instance admin token as `Authorization: Bearer`; `open`: anyone who can reach the port (a sandbox in a container or VM on a private network). The phone page itself is always served; its data comes from the control API.',
    parse: asOneOf(['local', 'open'] as const),
  }),
  sinchAuthUrl: defineSetting({
    env: 'SINCH_AUTH_URL', defaultText: 'https://auth.sinch.com',
    description: 'Base URL of Sinch\'s OAuth2 token service (override for proxies and tests).', parse: asHttpUrl(),
  }),
  sinchConversationUrlEu: defineSetting({
    env: 'SINCH_CONVERSATION_URL_EU', defaultText: 'https://eu.conversation.api.sinch.com',
    description: 'Base URL of the Conversation API for region EU.', parse: asHttpUrl(),
  }),
  sinchConversationUrlUs: defineSetting({
    env: 'SINCH_CONVERSATION_URL_US', defaultText: 'https://us.conversation.api.sinch.com',
    description: 'Base URL of the Conversation API for region US.', parse: asHttpUrl(),
  }),
  sinchConversationUrlBr: defineSetting({
    env: 'SINCH_CONVERSATION_URL_BR', defaultText: 'https://br.conversation.api.sinch.com',
    description: 'Base URL of the Conversation API for region BR (Brazil).', parse: asHttpUrl(),
  }),
  sinchTemplatesUrlEu: defineSetting({
    env: 'SINCH_TEMPLATES_URL_EU', defaultText: 'https://eu.template.api.sinch.com',
    description: 'Base URL of Sinch\'s Template Management API (omni-channel templates, v2) for region EU.', parse: asHttpUrl(),
  }),
  sinchTemplatesUrlUs: defineSetting({
    env: 'SINCH_TEMPLATES_URL_US', defaultText: 'https://us.template.api.sinch.com',
    description: 'Base URL of Sinch\'s Template Management API (omni-channel templates, v2) for region US.', parse: asHttpUrl(),
  }),
  sinchTemplatesUrlBr: defineSetting({
    env: 'SINCH_TEMPLATES_URL_BR', defaultText: 'https://br.template.api.sinch.com',
    description: 'Base URL of Sinch\'s Template Management API (omni-channel templates, v2) for region BR.', parse: asHttpUrl(),
  }),
  sinchProvisioningUrl: defineSetting({
    env: 'SINCH_PROVISIONING_URL', defaultText: 'https://provisioning.api.sinch.com',
    description: 'Base URL of Sinch\'s Provisioning API (one for every region), where the approved WhatsApp templates are listed.', parse: asHttpUrl(),
  }),
  templateCacheSeconds: defineSetting({
    env: 'TEMPLATE_CACHE_SECONDS', defaultText: '3600',
    description: 'How long an integration\'s template list from Sinch is used before it is fetched again (`?refresh=true` fetches it at once).', parse: asInteger(0, 7 * 86400),
  }),
  rcsCapabilityTtlSeconds: defineSetting({
    env: 'RCS_CAPABILITY_TTL_SECONDS', defaultText: '604800',
    description: 'How long Sinch\'s answer that a number can or cannot receive RCS is used by campaigns before the number is asked again (a week by default; Sinch documents no expiry).', parse: asInteger(60, 90 * 86400),
  }),
  rcsCapabilityUnknownTtlSeconds: defineSetting({
    env: 'RCS_CAPABILITY_UNKNOWN_TTL_SECONDS', defaultText: '3600',
    description: 'How long an unknown RCS capability (Sinch answered `CAPABILITY_UNKNOWN`, a query failed, or its answer did not come in time) is used before the number is asked again.', parse: asInteger(60, 30 * 86400),
  }),
  rcsCapabilityWaitSeconds: defineSetting({
    env: 'RCS_CAPABILITY_WAIT_SECONDS', defaultText: '30',
    description: 'How long an RCS campaign\'s fan-out waits for the answers to its capability queries; a number still unanswered then gets RCS as if its capability were unknown.', parse: asInteger(1, 3600),
  }),
  rcsCapabilityQueriesPerSecond: defineSetting({
    env: 'RCS_CAPABILITY_QUERIES_PER_SECOND', defaultText: '20',
    description: 'Capability queries RCS campaigns\' fan-outs make per second at most, per integration, across every instance sharing the database (they count against Sinch\'s per-project request limit).', parse: asInteger(1, 800),
  }),
  sinchConsentSyncSeconds: defineSetting({
    env: 'SINCH_CONSENT_SYNC_SECONDS', defaultText: '900',
    description: 'How often every integration\'s opt-out lists at Sinch (consent management\'s Consents API) are imported into the consent ledger (docs/two-way.md "Consent import"): 15 minutes by default (Sinch refreshes its block list every 10); 0 turns the periodic import off (`POST …/integrations/{id}/consents/sync` still runs one). One job for the whole deployment; the first run is one interval after the first start, and a changed interval applies after the next run.', parse: asInteger(0, 86400),
  }),
  bodyLimitBytes: defineSetting({
    env: 'BODY_LIMIT_BYTES', defaultText: '1048576',
    description: 'Largest accepted request body in bytes (API and callbacks).', parse: asInteger(1024, 64 * 1024 * 1024),
  }),
  sinchProjectRequestsPerSecond: defineSetting({
    env: 'SINCH_PROJECT_REQUESTS_PER_SECOND', defaultText: '800',
    description: 'Most requests per second this instance makes to one Sinch project (Sinch\'s documented limit is 800/s per project; raise it only if Sinch raised yours).', parse: asInteger(1, 100000),
  }),
  callbackToleranceSeconds: defineSetting({
    env: 'CALLBACK_TOLERANCE_SECONDS', defaultText: '300',
    description: 'How far ahead of now a callback\'s signature timestamp may be (clock skew); later ones are refused. How old it may be is CALLBACK_MAX_AGE_SECONDS.', parse: asInteger(1, 86400),
  }),
  callbackMaxAgeSeconds: defineSetting({
    env: 'CALLBACK_MAX_AGE_SECONDS', defaultText: '86400',
    description: 'How old a callback\'s signature timestamp may be: Sinch retries failed callbacks for hours, perhaps with their first signature. A nonce is applied once however late; nonces are kept with the callbacks, at least this long.', parse: asInteger(60, 7 * 86400),
  }),
  workerConcurrency: defineSetting({
    env: 'WORKER_CONCURRENCY', defaultText: '64',
    description: 'Messages one process hands to Sinch at once, all integrations together (each integration also has its own cap, about half a second of its send rate, so one slow Sinch app cannot take them all).', parse: asInteger(1, 1000),
  }),
  workerPollMs: defineSetting({
    env: 'WORKER_POLL_MS', defaultText: '250',
    description: 'How often a worker reads the database for due work written by other instances (messages queued elsewhere, retries, stored callbacks, event forwarding). Sends queued by the same process go at once.', parse: asInteger(10, 60000),
  }),
  workerLeaseMs: defineSetting({
    env: 'WORKER_LEASE_MS', defaultText: '30000',
    description: 'How long a message being sent (or a job) stays with its worker; renewed every third of it while it runs. After a crash, the dead process\'s messages and jobs go again once their lease runs out (a message whose send may have reached Sinch is flagged `possible_duplicate`).', parse: asInteger(1000, 600000),
  }),
  sendMaxAttempts: defineSetting({
    env: 'SEND_MAX_ATTEMPTS', defaultText: '8',
    description: 'Attempts to hand a message to Sinch (on 429, 5xx and network errors) before it becomes `enqueued_failed`.', parse: asInteger(1, 100),
  }),
  sendRetryBaseMs: defineSetting({
    env: 'SEND_RETRY_BASE_MS', defaultText: '1000',
    description: 'First retry delay ceiling; doubles per attempt, full jitter, never below Sinch\'s Retry-After.', parse: asInteger(1, 3600000),
  }),
  sendRetryCapMs: defineSetting({
    env: 'SEND_RETRY_CAP_MS', defaultText: '60000',
    description: 'Largest retry delay ceiling.', parse: asInteger(1, 86400000),
  }),
  sendBacklogLimit: defineSetting({
    env: 'SEND_BACKLOG_LIMIT', defaultText: '100000',
    description: 'Most API sends one project may have waiting to be handed to Sinch; beyond it `POST …/messages` answers 429 with `Retry-After` (replies typed in a conversation are always accepted).', parse: asInteger(1, 100_000_000),
  }),
  eventDestinationAllowedNetworks: defineSetting({
    env: 'EVENT_DESTINATION_ALLOWED_NETWORKS', defaultText: '(none)',
    description: 'Private, loopback, link-local or otherwise non-public networks that event destinations may reach (comma-separated CIDRs, e.g. `10.20.0.0/16,127.0.0.1/32` for an on-premise receiver). By default destinations reach public addresses only: a URL whose host is, or resolves to, anything else is refused when saved and again at every delivery.',
    parse: asNetworks,
  }),
  eventDestinationPauseAfterHours: defineSetting({
    env: 'EVENT_DESTINATION_PAUSE_AFTER_HOURS', defaultText: '72',
    description: 'An event destination that has failed without a single success for this long is paused (`delivery.state` `paused`, with `paused_reason`); re-enable it with PATCH `{"enabled": true}`. 0: never pause.',
    parse: asInteger(0, 8760),
  }),
  eventDestinationSecretOverlapHours: defineSetting({
    env: 'EVENT_DESTINATION_SECRET_OVERLAP_HOURS', defaultText: '24',
    description: 'After an event destination\'s secret is changed, requests are signed with the new and the previous secret for this long (two signatures in `webhook-signature`), so the receiver can switch without rejecting a batch. 0: the new secret only.',
    parse: asInteger(0, 720),
  }),
  streamsPerToken: defineSetting({
    env: 'STREAMS_PER_TOKEN', defaultText: '10',
    description: 'Most live streams (`…/events/stream`, `…/report/stream`) one API token may hold open on one instance; one more answers 429 `too_many_streams`.',
    parse: asInteger(1, 10000),
  }),
  importMaxBytes: defineSetting({
    env: 'IMPORT_MAX_BYTES', defaultText: '1073741824',
    description: 'Largest CSV file one customer import reads, in bytes (read as a stream: memory stays small however large).', parse: asInteger(1024, 64 * 1024 * 1024 * 1024),
  }),
  configPollMs: defineSetting({
    env: 'CONFIG_POLL_MS', defaultText: '1000',
    description: 'How often an instance checks whether another instance changed settings or integrations (it keeps them in memory); a change made on the same instance applies at once.', parse: asInteger(50, 60000),
  }),
  shutdownGraceMs: defineSetting({
    env: 'SHUTDOWN_GRACE_MS', defaultText: '10000',
    description: 'On SIGTERM, how long to wait for in-flight requests and jobs before exiting.', parse: asInteger(0, 600000),
  }),
} as const;
