import type { Dispatcher } from 'undici';
import { AppError, invalidField, notFound } from '../lib/app-error.ts';
import { createId, createSecretToken } from '../lib/ids.ts';
import { buildPage, type Page, type PageRequest } from '../lib/pagination.ts';
import { hashToken, type SecretBox } from '../lib/secret-box.ts';
import type { Clock } from '../lib/time.ts';
import { normalizePhone } from '../domain/phone.ts';
import { isUniqueViolation } from '../db/errors.ts';
import type { Executor } from '../db/repos/executor.ts';
import type { IntegrationRow, IntegrationsRepo } from '../db/repos/integrations-repo.ts';
import type { SettingsRepo } from '../db/repos/settings-repo.ts';
import type { SinchConsentsRepo } from '../db/repos/sinch-consents-repo.ts';
import type { Region, SinchHosts } from '../providers/sinch/hosts.ts';
import { describeTokenFailure, requestAccessToken } from '../providers/sinch/oauth.ts';
import { basicAuth, callHttp } from '../providers/sinch/http.ts';
import { consentLists, listConsentIdentities, type ConsentList } from '../providers/sinch/consents.ts';
import { callbackTriggers, listWebhooks, upsertWebhook, type WebhookTarget } from '../providers/sinch/webhooks.ts';
import { toConsentSyncView, type ConsentSyncView } from './consent-sync.ts';

export interface Senders { whatsapp?: string; rcs?: string; sms?: string }

export interface IntegrationInput {
  provider: 'sinch_mobile_messaging';
  name: string;
  sinch_project_id: string;
  app_id: string;
  access_key: string;
  access_secret: string;
  region: Region;
  webhook_secret?: string;
  senders?: Senders;
  /** Messages per second this integration sends at most (default 20, Sinch's documented app drain rate). */
  send_rate_per_second?: number | null;
}

export type IntegrationPatch = Partial<IntegrationInput>;

export interface IntegrationView {
  id: string;
  provider: 'sinch_mobile_messaging';
  name: string;
  sinch_project_id: string;
  app_id: string;
  access_key: string;
  access_secret_set: true;
  region: Region;
  webhook_secret_set: true;
  /** While a replaced webhook secret is still accepted: until when; null when only the current one is. */
  previous_webhook_secret_expires_at: string | null;
  senders: Senders;
  send_rate_per_second: number;
  callback_url: string;
  default_for: Array<'whatsapp' | 'rcs'>;
  created_at: string;
  updated_at: string;
}

/** The decrypted credentials of an integration, for code that talks to Sinch. Never serialised. */
export interface IntegrationSecrets {
  id: string;
  projectId: string;
  sinchProjectId: string;
  appId: string;
  accessKey: string;
  accessSecret: string;
  region: Region;
  senders: Senders;
  sendRatePerSecond: number;
  /** Current secret first, then a previous one still accepted during rotation. */
  webhookSecrets: string[];
  /** When `webhookSecrets` changes by itself (the previous secret stops being accepted), epoch ms; null: never. */
  changesAt: number | null;
  callbackPath: string;
}

/** Sets up a SANDBOX integration's account and webhook in the built-in emulator. */
export interface SandboxProvisioner {
  provision(integration: IntegrationSecrets): Promise<void>;
}

type Failure = { ok: false; error: { code: string; message: string } };

/** Sinch's opt-out lists (Consents API), as far as they could be read, and our last import of them (null: none yet). */
export type ConsentListsView =
  | { readable: true; lists: Record<ConsentList, { identities: string[]; more: boolean }>; sync: ConsentSyncView | null }
  | { readable: false; status: number | null; detail: string; sync: ConsentSyncView | null };

export type VerifyResult =
  | { ok: true; webhook: { registered: boolean; triggers: string[]; stale: string[]; hint?: string }; consents: ConsentListsView }
  | Failure;

export type RegisterWebhookResult = { ok: true; webhook: { target: string; triggers: string[]; removed?: string[]; warning?: string } } | Failure;

const sandboxUnavailable = { code: 'sandbox_unavailable', message: 'The built-in Sinch sandbox is not running on this instance (SANDBOX_ENABLED=false).' };

/** Sinch's answer to a Webhooks API call, in plain words. */
function explainWebhookFailure(failure: { status: number | null; detail: string }, secrets: IntegrationSecrets, doing: string): Failure {
  const { status, detail } = failure;
  if (status === null) {
    return { ok: false, error: { code: 'sinch_unreachable', message: `Got a token, but could not reach the Conversation API for region ${secrets.region} (${detail}).` } };
  }
  if (status === 404) {
    return { ok: false, error: { code: 'app_not_found', message: `The credentials work, but Sinch does not know App ID "${secrets.appId}" in project "${secrets.sinchProjectId}" in region ${secrets.region}. Apps are regional: check the App ID, the Project ID and the endpoint region.` } };
  }
  if (status === 401 || status === 403) {
    return { ok: false, error: { code: 'no_access', message: `The access key is valid but has no access to Sinch project "${secrets.sinchProjectId}" (HTTP ${status}). Check the Project ID, or create the key in that project.` } };
  }
  return { ok: false, error: { code: 'sinch_refused', message: `The Conversation API answered HTTP ${status} when ${doing}: ${detail}` } };
}

export const defaultSendRatePerSecond = 20;

/** How long a replaced webhook secret is still accepted, so Sinch can be updated without losing callbacks. */
const webhookSecretOverlapMs = 24 * 60 * 60 * 1000;

function validateSenders(senders: Senders | undefined): Senders {
  const out: Senders = {};
  if (senders?.whatsapp !== undefined) {
    const phone = normalizePhone(senders.whatsapp);
    if (!phone.ok) throw invalidField('senders.whatsapp', `senders.whatsapp ${phone.reason}`);
    out.whatsapp = phone.e164;
  }
  if (senders?.rcs !== undefined) out.rcs = senders.rcs;
  if (senders?.sms !== undefined) out.sms = senders.sms;
  return out;
}

function sandboxAppTaken(appId: string): AppError {
  return new AppError(409, 'sandbox_app_taken', `app_id "${appId}" is already the sandbox app of another integration; a sandbox app belongs to one integration, so choose another app_id (any name: the sandbox creates it)`, 'app_id');
}

export function createIntegrationsService(deps: {
  integrations: IntegrationsRepo;
  settings: SettingsRepo;
  box: SecretBox;
  clock: Clock;
  publicUrl: string;
  hosts: SinchHosts;
  dispatcher: Dispatcher;
  sandbox: SandboxProvisioner | undefined;
  /** The consent import's last outcome per integration, shown by verify. */
  consentSyncs: Pick<SinchConsentsRepo, 'lastSync'>;
  log: { warn(obj: object, msg: string): void };
  /** Called after an integration changed or went away (caches of its secrets drop it, on every instance). */
  onChanged?: () => Promise<void>;
}) {
  async function changed(): Promise<void> {
    await deps.onChanged?.();
  }

  function callbackPath(row: IntegrationRow): string {
    return `/callbacks/sinch/${deps.box.open(row.callback_token_enc)}`;
  }

  /** An OAuth token for the integration and where its Conversation API is, or why not (in plain words). */
  async function connect(row: IntegrationRow): Promise<{ ok: true; secrets: IntegrationSecrets; api: WebhookTarget } | { ok: false; error: { code: string; message: string } }> {
    const secrets = toSecrets(row, deps.clock.now());
    const authUrl = deps.hosts.authUrl(secrets.region);
    const conversationUrl = deps.hosts.conversationUrl(secrets.region);
    if (authUrl === undefined || conversationUrl === undefined) return { ok: false, error: sandboxUnavailable };
    const token = await requestAccessToken(deps.dispatcher, authUrl, secrets);
    if (!token.ok) return { ok: false, error: describeTokenFailure(token.failure) };
    return {
      ok: true, secrets,
      api: { baseUrl: conversationUrl, authorization: `Bearer ${token.accessToken}`, sinchProjectId: secrets.sinchProjectId, appId: secrets.appId },
    };
  }

  function toView(row: IntegrationRow, defaults: { whatsapp: string | null; rcs: string | null }): IntegrationView {
    const defaultFor: Array<'whatsapp' | 'rcs'> = [];
    if (defaults.whatsapp === row.id) defaultFor.push('whatsapp');
    if (defaults.rcs === row.id) defaultFor.push('rcs');
    return {
      id: row.id,
      provider: row.provider,
      name: row.name,
      sinch_project_id: row.sinch_project_id,
      app_id: row.app_id,
      access_key: row.access_key,
      access_secret_set: true,
      region: row.region,
      webhook_secret_set: true,
      previous_webhook_secret_expires_at: row.previous_webhook_secret_enc !== null && row.previous_webhook_secret_until !== null
        && Date.parse(row.previous_webhook_secret_until) > deps.clock.now().getTime() ? row.previous_webhook_secret_until : null,
      senders: JSON.parse(row.senders_json) as Senders,
      send_rate_per_second: row.send_rate_per_second ?? defaultSendRatePerSecond,
      callback_url: `${deps.publicUrl}${callbackPath(row)}`,
      default_for: defaultFor,
      created_at: row.created_at,
      updated_at: row.updated_at,
    };
  }

  async function defaultsOf(projectId: string) {
    const s = await deps.settings.get(projectId);
    return { whatsapp: s.whatsapp_integration_id, rcs: s.rcs_integration_id };
  }

  function toSecrets(row: IntegrationRow, now: Date): IntegrationSecrets {
    const webhookSecrets = [deps.box.open(row.webhook_secret_enc)];
    let changesAt: number | null = null;
    if (row.previous_webhook_secret_enc !== null && row.previous_webhook_secret_until !== null
      && Date.parse(row.previous_webhook_secret_until) > now.getTime()) {
      webhookSecrets.push(deps.box.open(row.previous_webhook_secret_enc));
      changesAt = Date.parse(row.previous_webhook_secret_until);
    }
    return {
      id: row.id,
      projectId: row.project_id,
      sinchProjectId: row.sinch_project_id,
      appId: row.app_id,
      accessKey: row.access_key,
      accessSecret: deps.box.open(row.access_secret_enc),
      region: row.region,
      senders: JSON.parse(row.senders_json) as Senders,
      sendRatePerSecond: row.send_rate_per_second ?? defaultSendRatePerSecond,
      webhookSecrets,
      changesAt,
      callbackPath: callbackPath(row),
    };
  }

  async function provisionSandbox(row: IntegrationRow): Promise<void> {
    if (row.region !== 'SANDBOX' || deps.sandbox === undefined) return;
    try {
      await deps.sandbox.provision(toSecrets(row, deps.clock.now()));
    } catch (error) {
      deps.log.warn({ integration_id: row.id, err: error instanceof Error ? error.message : String(error) }, 'could not set up the sandbox account for an integration');
    }
  }

  /** A SANDBOX integration may not name the sandbox app of another one (it would take over its traffic). */
  async function claimSandboxApp(row: IntegrationRow): Promise<void> {
    if (row.region !== 'SANDBOX') return;
    const holder = await deps.integrations.findSandboxByAppId(row.app_id);
    if (holder !== undefined && holder.id !== row.id) throw sandboxAppTaken(row.app_id);
  }

  /** The unique index behind claimSandboxApp, for two integrations claiming one app at the same moment. */
  async function writing(row: IntegrationRow, write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (error) {
      if (row.region === 'SANDBOX' && isUniqueViolation(error)) throw sandboxAppTaken(row.app_id);
      throw error;
    }
  }

  /** The first page of each of Sinch's opt-out lists; unreadable (consent management off, no access) is a value. */
  async function readConsentLists(integrationId: string, api: WebhookTarget): Promise<ConsentListsView> {
    const last = await deps.consentSyncs.lastSync(integrationId);
    const sync = last === undefined ? null : toConsentSyncView(last);
    const lists = {} as Record<ConsentList, { identities: string[]; more: boolean }>;
    for (const list of consentLists) {
      const page = await listConsentIdentities(deps.dispatcher, api, list);
      if (!page.ok) return { readable: false, status: page.status, detail: page.detail, sync };
      lists[list] = { identities: page.value.identities.map((i) => (i.startsWith('+') ? i : `+${i}`)), more: page.value.nextPageToken !== '' };
    }
    return { readable: true, lists, sync };
  }

  async function requireRow(projectId: string, id: string): Promise<IntegrationRow> {
    const row = await deps.integrations.find(projectId, id);
    if (row === undefined) throw notFound('integration');
    return row;
  }

  return {
    async create(projectId: string, input: IntegrationInput): Promise<IntegrationView> {
      const senders = validateSenders(input.senders);
      const now = deps.clock.now().toISOString();
      const callbackToken = createSecretToken('cb', 24);
      const row: IntegrationRow = {
        id: createId('int'),
        project_id: projectId,
        provider: input.provider,
        name: input.name,
        sinch_project_id: input.sinch_project_id,
        app_id: input.app_id,
        access_key: input.access_key,
        access_secret_enc: deps.box.seal(input.access_secret),
        region: input.region,
        webhook_secret_enc: deps.box.seal(input.webhook_secret ?? createSecretToken('whsec')),
        previous_webhook_secret_enc: null,
        previous_webhook_secret_until: null,
        senders_json: JSON.stringify(senders),
        send_rate_per_second: input.send_rate_per_second ?? null,
        callback_token_hash: hashToken(callbackToken),
        callback_token_enc: deps.box.seal(callbackToken),
        created_at: now,
        updated_at: now,
      };
      await claimSandboxApp(row);
      await writing(row, () => deps.integrations.insert(row));
      await changed();
      await provisionSandbox(row);
      return toView(row, await defaultsOf(projectId));
    },

    async list(projectId: string, page: PageRequest): Promise<Page<IntegrationView>> {
      const rows = await deps.integrations.list(projectId, { ...(page.after !== undefined ? { after: page.after } : {}), limit: page.limit + 1 });
      const defaults = await defaultsOf(projectId);
      return buildPage(rows, page.limit, (r) => r.id, (r) => toView(r, defaults));
    },

    async get(projectId: string, id: string): Promise<IntegrationView> {
      return toView(await requireRow(projectId, id), await defaultsOf(projectId));
    },

    async update(projectId: string, id: string, patch: IntegrationPatch): Promise<IntegrationView> {
      const row = await requireRow(projectId, id);
      const now = deps.clock.now();
      const next: IntegrationRow = { ...row, updated_at: now.toISOString() };
      if (patch.name !== undefined) next.name = patch.name;
      if (patch.sinch_project_id !== undefined) next.sinch_project_id = patch.sinch_project_id;
      if (patch.app_id !== undefined) next.app_id = patch.app_id;
      if (patch.access_key !== undefined) next.access_key = patch.access_key;
      if (patch.access_secret !== undefined) next.access_secret_enc = deps.box.seal(patch.access_secret);
      if (patch.region !== undefined) next.region = patch.region;
      if (patch.send_rate_per_second !== undefined) next.send_rate_per_second = patch.send_rate_per_second;
      if (patch.senders !== undefined) next.senders_json = JSON.stringify(validateSenders(patch.senders));
      if (patch.webhook_secret !== undefined) {
        next.previous_webhook_secret_enc = row.webhook_secret_enc;
        next.previous_webhook_secret_until = new Date(now.getTime() + webhookSecretOverlapMs).toISOString();
        next.webhook_secret_enc = deps.box.seal(patch.webhook_secret);
      }
      const { id: _id, project_id: _p, created_at: _c, callback_token_hash: _h, callback_token_enc: _e, provider: _v, ...changes } = next;
      await claimSandboxApp(next);
      await writing(next, () => deps.integrations.update(projectId, id, changes));
      await changed();
      await provisionSandbox(next);
      return toView(next, await defaultsOf(projectId));
    },

    /**
     * Stops accepting the previous webhook secret now instead of at the end of its overlap (it leaked, or Sinch
     * already has the new one): callbacks signed with it are refused at once here, within CONFIG_POLL_MS elsewhere.
     */
    async revokePreviousWebhookSecret(projectId: string, id: string): Promise<IntegrationView> {
      const row = await requireRow(projectId, id);
      const next: IntegrationRow = { ...row, previous_webhook_secret_enc: null, previous_webhook_secret_until: null, updated_at: deps.clock.now().toISOString() };
      await deps.integrations.update(projectId, id, { previous_webhook_secret_enc: null, previous_webhook_secret_until: null, updated_at: next.updated_at });
      await changed();
      return toView(next, await defaultsOf(projectId));
    },

    async remove(projectId: string, id: string): Promise<void> {
      const result = await deps.integrations.deleteUnlessDefault(projectId, id);
      if (result === 'missing') throw notFound('integration');
      if (result === 'deleted') await changed();
      if (result === 'in_use') {
        throw new AppError(409, 'default_provider_in_use', 'this integration is a default provider of the project; choose another default in the channel settings first');
      }
    },

    /**
     * Tries the credentials the way the sender will: an OAuth token, then a read of the app's webhooks, which also
     * tells whether Sinch will deliver callbacks to this integration's callback URL.
     */
    async verify(projectId: string, id: string): Promise<VerifyResult> {
      const connected = await connect(await requireRow(projectId, id));
      if (!connected.ok) return connected;
      const hooks = await listWebhooks(deps.dispatcher, connected.api);
      if (!hooks.ok) return explainWebhookFailure(hooks, connected.secrets, 'reading the app\'s webhooks');
      const sandbox = connected.secrets.region === 'SANDBOX';
      const callbackUrl = `${deps.publicUrl}${connected.secrets.callbackPath}`;
      // The sandbox calls us on the local address; Sinch must call the callback_url itself.
      const mine = hooks.value.find((h) => (sandbox ? h.target.endsWith(connected.secrets.callbackPath) : h.target === callbackUrl));
      // This integration's callback path on another address (an old PUBLIC_URL, another deployment restored from the
      // same backup): Sinch sends those callbacks there too, whether or not the current address is registered.
      const stale = sandbox ? [] : hooks.value.filter((h) => h.target.endsWith(connected.secrets.callbackPath) && h.target !== callbackUrl).map((h) => h.target);
      const staleHint = stale.length === 0 ? undefined
        : `Sinch also sends this integration's callbacks to ${stale.join(', ')}; if that address is gone, POST …/register-webhook?replace_stale=true deletes it.`;
      if (mine === undefined) {
        let hint: string;
        if (sandbox) hint = 'The sandbox lost this integration\'s webhook; POST …/register-webhook sets it up again.';
        else if (stale.length > 0) hint = `Sinch's webhook for this integration points at ${stale.join(', ')}, not at the callback_url (PUBLIC_URL changed?). POST …/register-webhook updates it.`;
        else hint = 'Sinch has no webhook for this integration\'s callback_url, so no delivery reports or replies will arrive. POST …/register-webhook creates it (PUBLIC_URL must be reachable from Sinch), or add the callback_url and the webhook secret in the Sinch dashboard.';
        return { ok: true, webhook: { registered: false, triggers: [], stale, hint }, consents: await readConsentLists(id, connected.api) };
      }
      const missing = ['MESSAGE_DELIVERY', 'MESSAGE_INBOUND'].filter((trigger) => !mine.triggers.includes(trigger));
      const hints = [
        ...(missing.length > 0 ? [`The webhook lacks ${missing.join(' and ')}, so those callbacks never arrive. POST …/register-webhook sets the triggers.`] : []),
        ...(!mine.triggers.includes('CAPABILITY') ? ['The webhook lacks CAPABILITY, so RCS campaigns wait for capability answers that never arrive and then send RCS as if unknown. POST …/register-webhook sets the triggers.'] : []),
        ...(staleHint !== undefined ? [staleHint] : []),
      ];
      return { ok: true, webhook: { registered: true, triggers: mine.triggers, stale, ...(hints.length > 0 ? { hint: hints.join(' ') } : {}) }, consents: await readConsentLists(id, connected.api) };
    },

    /**
     * Points the app's webhook at this integration's callback URL with its webhook secret and the triggers the
     * service uses (Sinch's Webhooks API; a webhook already aiming at the URL is updated in place). Webhooks for
     * this integration's callback path on another address (an old PUBLIC_URL, or another deployment restored from
     * the same backup) are deleted only with `replaceStale`, after the new one exists; otherwise they are listed.
     */
    async registerWebhook(projectId: string, id: string, options: { replaceStale?: boolean } = {}): Promise<RegisterWebhookResult> {
      const row = await requireRow(projectId, id);
      if (row.region === 'SANDBOX') {
        if (deps.sandbox === undefined) return { ok: false, error: sandboxUnavailable };
        const secrets = toSecrets(row, deps.clock.now());
        await deps.sandbox.provision(secrets);
        return { ok: true, webhook: { target: `${deps.publicUrl}${secrets.callbackPath}`, triggers: [...callbackTriggers] } };
      }
      const connected = await connect(row);
      if (!connected.ok) return connected;
      const target = `${deps.publicUrl}${connected.secrets.callbackPath}`;
      const path = connected.secrets.callbackPath; // an unguessable token: a webhook ending with it is this integration's
      const isStale = (x: string) => x !== target && x.endsWith(path);
      const hook = await upsertWebhook(deps.dispatcher, connected.api, target, connected.secrets.webhookSecrets[0]!, options.replaceStale === true ? isStale : () => false);
      if (!hook.ok) return explainWebhookFailure(hook, connected.secrets, 'registering the webhook');
      const local = /^https?:\/\/(localhost|127\.|\[::1\])/.test(deps.publicUrl);
      const stale = hook.value.before.filter((h) => isStale(h.target)).map((h) => h.target);
      const warnings = [
        ...(local ? [`PUBLIC_URL is ${deps.publicUrl}: Sinch cannot reach it. Set PUBLIC_URL to this service's public HTTPS address and register again.`] : []),
        ...(stale.length > 0 && options.replaceStale !== true
          ? [`Sinch also sends this integration's callbacks to ${stale.join(', ')}; if that address is gone, register again with ?replace_stale=true to delete it.`] : []),
      ];
      return {
        ok: true,
        webhook: {
          target, triggers: hook.value.triggers,
          ...(options.replaceStale === true ? { removed: stale } : {}),
          ...(warnings.length > 0 ? { warning: warnings.join(' ') } : {}),
        },
      };
    },

    /** An OAuth token for the integration, its Conversation API and its senders (the consent import), or why not. */
    async connectToSinch(row: IntegrationRow): Promise<{ ok: true; senders: Senders; api: WebhookTarget } | Failure> {
      const connected = await connect(row);
      return connected.ok ? { ok: true, senders: connected.secrets.senders, api: connected.api } : { ok: false, error: connected.error };
    },

    /** Decrypted credentials by id (any project), read from the database: the config cache keeps them. */
    async loadSecrets(id: string, executor?: Executor): Promise<IntegrationSecrets | undefined> {
      const row = await deps.integrations.findById(id, executor);
      return row === undefined ? undefined : toSecrets(row, deps.clock.now());
    },

    async loadSecretsByCallbackToken(token: string): Promise<IntegrationSecrets | undefined> {
      const row = await deps.integrations.findByCallbackTokenHash(hashToken(token));
      return row === undefined ? undefined : toSecrets(row, deps.clock.now());
    },

    /** Re-creates every SANDBOX integration's account in the emulator, whose state lives in memory. */
    async provisionAllSandbox(): Promise<void> {
      for (const row of await deps.integrations.listByRegion('SANDBOX')) await provisionSandbox(row);
    },
  };
}

export type IntegrationsService = ReturnType<typeof createIntegrationsService>;

/** Sandbox provisioning through the emulator's control API and Sinch's own webhooks API, over HTTP. */
export function createSandboxProvisioner(deps: {
  dispatcher: Dispatcher;
  sandboxUrl: () => string | undefined;
  localBaseUrl: () => string | undefined;
}): SandboxProvisioner {
  return {
    async provision(integration) {
      const base = deps.sandboxUrl();
      const local = deps.localBaseUrl();
      if (base === undefined || local === undefined) return;
      const put = await callHttp(deps.dispatcher, `${base}/_emulator/apps/${encodeURIComponent(integration.appId)}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          project_id: integration.sinchProjectId,
          access_key: integration.accessKey,
          access_secret: integration.accessSecret,
          secret_for_overridden_callback_urls: integration.webhookSecrets[0],
        }),
      });
      if (!put.ok || put.answer.status >= 300) throw new Error(`emulator refused the account (${put.ok ? put.answer.status : put.network})`);
      const hook = await upsertWebhook(deps.dispatcher, {
        baseUrl: base, authorization: basicAuth(integration.accessKey, integration.accessSecret), sinchProjectId: integration.sinchProjectId, appId: integration.appId,
      }, `${local}${integration.callbackPath}`, integration.webhookSecrets[0]!, (x) => x.endsWith(integration.callbackPath));
      if (!hook.ok) throw new Error(`emulator refused the webhook (${hook.status ?? 'network'}: ${hook.detail})`);
    },
  };
}
