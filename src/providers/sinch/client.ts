import type { Dispatcher } from 'undici';
import { parseRetryAfter } from '../../lib/backoff.ts';
import { callHttp, headerText, type HttpAnswer } from './http.ts';
import type { Region, SinchHosts } from './hosts.ts';
import type { TokenCache } from './token-cache.ts';
import type { SendMessageRequest } from './wire.ts';

export interface SinchCredentials {
  sinchProjectId: string;
  accessKey: string;
  accessSecret: string;
  region: Region;
}

/** The result of handing one message to Sinch. Expected failures are values; `retryable` says whether to try again. */
export type SendOutcome =
  | { kind: 'accepted'; providerMessageId: string; acceptedTime: string; httpStatus: number }
  | { kind: 'failed'; retryable: boolean; httpStatus: number | null; code: string; message: string; retryAfterMs?: number };

function sinchErrorOf(answer: HttpAnswer): { status?: string; message?: string } {
  const body = answer.json as { error?: { status?: unknown; message?: unknown } } | undefined;
  return {
    ...(typeof body?.error?.status === 'string' ? { status: body.error.status } : {}),
    ...(typeof body?.error?.message === 'string' ? { message: body.error.message } : {}),
  };
}

/** The least wait before retrying after a 429 that did not say how long to wait. */
export const RATE_LIMITED_MIN_WAIT_MS = 1000;

function isTokenExpired(answer: HttpAnswer): boolean {
  return answer.status === 401 && /expired/i.test(headerText(answer.headers['www-authenticate']));
}

/** Maps one answer of `messages:send` to an outcome (doc §2.5: 400/401/403/404 are final; 429, 5xx are not). */
export function classifySendAnswer(answer: HttpAnswer, now: number): SendOutcome {
  const { status } = answer;
  const body = answer.json as { message_id?: unknown; accepted_time?: unknown } | undefined;
  if (status >= 200 && status < 300 && typeof body?.message_id === 'string') {
    return { kind: 'accepted', providerMessageId: body.message_id, acceptedTime: typeof body.accepted_time === 'string' ? body.accepted_time : new Date(now).toISOString(), httpStatus: status };
  }
  const sinch = sinchErrorOf(answer);
  const text = sinch.message ?? `HTTP ${status}`;
  if (status === 429) {
    // Without Retry-After (Sinch does not promise one, doc §10) the retry still waits a moment: no hot loop.
    const retryAfterMs = parseRetryAfter(headerText(answer.headers['retry-after']), now) ?? RATE_LIMITED_MIN_WAIT_MS;
    return { kind: 'failed', retryable: true, httpStatus: status, code: 'RATE_LIMITED', message: text, retryAfterMs };
  }
  if (status >= 500) return { kind: 'failed', retryable: true, httpStatus: status, code: 'SINCH_UNAVAILABLE', message: text };
  if (status === 400) return { kind: 'failed', retryable: false, httpStatus: status, code: sinch.status ?? 'INVALID_REQUEST', message: text };
  if (status === 401) return { kind: 'failed', retryable: false, httpStatus: status, code: 'INVALID_CREDENTIALS', message: text };
  if (status === 403) return { kind: 'failed', retryable: false, httpStatus: status, code: 'NO_ACCESS', message: text };
  if (status === 404) return { kind: 'failed', retryable: false, httpStatus: status, code: 'APP_NOT_FOUND', message: text };
  if (status >= 200 && status < 300) return { kind: 'failed', retryable: true, httpStatus: status, code: 'UNEXPECTED_ANSWER', message: 'Sinch accepted the request but its answer had no message_id' };
  return { kind: 'failed', retryable: false, httpStatus: status, code: `HTTP_${status}`, message: text };
}

/** Which of Sinch's APIs a call goes to (each has its own host, protocol notes §1.1). */
export type SinchApi = 'conversation' | 'templates' | 'provisioning';

/** The answer of a read (GET) or a non-send call: its JSON on 2xx, else why not. */
export type ReadOutcome = { ok: true; json: unknown } | { ok: false; httpStatus: number | null; code: string; message: string };

function readOutcomeOf(r: { answer: HttpAnswer } | { outcome: SendOutcome }): ReadOutcome {
  if ('outcome' in r) {
    const o = r.outcome;
    return o.kind === 'failed' ? { ok: false, httpStatus: o.httpStatus, code: o.code, message: o.message } : { ok: false, httpStatus: null, code: 'UNEXPECTED_ANSWER', message: 'unexpected answer' };
  }
  if (r.answer.status >= 200 && r.answer.status < 300) return { ok: true, json: r.answer.json };
  const message = sinchErrorOf(r.answer).message ?? `HTTP ${r.answer.status}`;
  return { ok: false, httpStatus: r.answer.status, code: `HTTP_${r.answer.status}`, message };
}

export function createSinchClient(deps: { dispatcher: Dispatcher; hosts: SinchHosts; tokens: TokenCache; now?: () => number; timeoutMs?: number }) {
  const now = deps.now ?? Date.now;

  async function authorizedCall(
    credentials: SinchCredentials, path: string, body: string | undefined, api: SinchApi = 'conversation',
  ): Promise<{ answer: HttpAnswer } | { outcome: SendOutcome }> {
    const authUrl = deps.hosts.authUrl(credentials.region);
    const baseUrl = api === 'conversation' ? deps.hosts.conversationUrl(credentials.region)
      : api === 'templates' ? deps.hosts.templatesUrl(credentials.region) : deps.hosts.provisioningUrl(credentials.region);
    if (authUrl === undefined || baseUrl === undefined) {
      return { outcome: { kind: 'failed', retryable: true, httpStatus: null, code: 'SANDBOX_UNAVAILABLE', message: 'the built-in Sinch sandbox is not running on this instance' } };
    }
    // A token that expired between our cache and Sinch is refreshed once, as Sinch's own SDKs do.
    for (let round = 0; round < 2; round++) {
      const token = await deps.tokens.get(authUrl, credentials);
      if (!token.ok) {
        const f = token.failure;
        switch (f.kind) {
          case 'invalid_credentials':
            return { outcome: { kind: 'failed', retryable: false, httpStatus: f.status, code: 'INVALID_CREDENTIALS', message: 'Sinch refused the access key and secret' } };
          case 'rate_limited':
            return { outcome: { kind: 'failed', retryable: true, httpStatus: f.status, code: 'RATE_LIMITED', message: 'Sinch\'s token service is throttling', retryAfterMs: f.retryAfterMs ?? RATE_LIMITED_MIN_WAIT_MS } };
          case 'unavailable':
          case 'unexpected':
            return { outcome: { kind: 'failed', retryable: true, httpStatus: f.status, code: 'SINCH_UNAVAILABLE', message: `token service answered HTTP ${f.status}` } };
          case 'unreachable':
            return { outcome: { kind: 'failed', retryable: true, httpStatus: null, code: 'NETWORK_ERROR', message: `token service unreachable (${f.network})` } };
        }
      }
      const result = await callHttp(deps.dispatcher, `${baseUrl}${path}`, body === undefined
        ? { method: 'GET', headers: { authorization: `Bearer ${token.accessToken}`, accept: 'application/json' }, timeoutMs: deps.timeoutMs ?? 15_000 }
        : {
          method: 'POST',
          headers: { authorization: `Bearer ${token.accessToken}`, 'content-type': 'application/json', accept: 'application/json' },
          body,
          timeoutMs: deps.timeoutMs ?? 15_000,
        });
      if (!result.ok) {
        return { outcome: { kind: 'failed', retryable: true, httpStatus: null, code: 'NETWORK_ERROR', message: `could not reach Sinch (${result.network})` } };
      }
      if (isTokenExpired(result.answer) && round === 0) {
        deps.tokens.invalidate(authUrl, credentials, token.accessToken);
        continue;
      }
      return { answer: result.answer };
    }
    return { outcome: { kind: 'failed', retryable: false, httpStatus: 401, code: 'INVALID_CREDENTIALS', message: 'Sinch rejected a fresh token' } };
  }

  return {
    /** `POST /v1/projects/{project}/messages:send` (doc §2). Never throws for HTTP or network failures. */
    async sendMessage(credentials: SinchCredentials, request: SendMessageRequest): Promise<SendOutcome> {
      const path = `/v1/projects/${encodeURIComponent(credentials.sinchProjectId)}/messages:send`;
      const r = await authorizedCall(credentials, path, JSON.stringify(request));
      return 'outcome' in r ? r.outcome : classifySendAnswer(r.answer, now());
    },

    /** A GET on one of Sinch's APIs (`path` from the host root, query included). Never throws for HTTP or network failures. */
    async read(credentials: SinchCredentials, api: SinchApi, path: string): Promise<ReadOutcome> {
      return readOutcomeOf(await authorizedCall(credentials, path, undefined, api));
    },

    /** A JSON POST on one of Sinch's APIs other than `messages:send`. Never throws for HTTP or network failures. */
    async post(credentials: SinchCredentials, api: SinchApi, path: string, body: unknown): Promise<ReadOutcome> {
      return readOutcomeOf(await authorizedCall(credentials, path, JSON.stringify(body), api));
    },
  };
}

export type SinchClient = ReturnType<typeof createSinchClient>;
