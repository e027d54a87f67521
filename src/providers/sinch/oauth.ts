import Type from 'typebox';
import { Compile } from 'typebox/compile';
import type { Dispatcher } from 'undici';
import { parseRetryAfter } from '../../lib/backoff.ts';
import { basicAuth, callHttp, headerText } from './http.ts';

const TokenResponse = Compile(Type.Object({
  access_token: Type.String({ minLength: 1 }),
  expires_in: Type.Number(),
  token_type: Type.Optional(Type.String()),
  scope: Type.Optional(Type.String()),
}));

export type TokenFailure =
  | { kind: 'invalid_credentials'; status: number }
  | { kind: 'rate_limited'; status: number; retryAfterMs?: number }
  | { kind: 'unavailable'; status: number }
  | { kind: 'unreachable'; network: string }
  | { kind: 'unexpected'; status: number };

export type TokenResult = { ok: true; accessToken: string; expiresInSeconds: number } | { ok: false; failure: TokenFailure };

/** OAuth2 client credentials against Sinch's token service (doc §1.2). */
export async function requestAccessToken(
  dispatcher: Dispatcher,
  authUrl: string,
  credentials: { accessKey: string; accessSecret: string },
): Promise<TokenResult> {
  const outcome = await callHttp(dispatcher, `${authUrl}/oauth2/token`, {
    method: 'POST',
    headers: {
      authorization: basicAuth(credentials.accessKey, credentials.accessSecret),
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: 'grant_type=client_credentials',
  });
  if (!outcome.ok) return { ok: false, failure: { kind: 'unreachable', network: outcome.network } };
  const { status, json } = outcome.answer;
  if (status === 200 && TokenResponse.Check(json)) {
    return { ok: true, accessToken: json.access_token, expiresInSeconds: json.expires_in };
  }
  if (status === 401 || status === 403) return { ok: false, failure: { kind: 'invalid_credentials', status } };
  if (status === 429) {
    // Sinch's token service sends no Retry-After (doc §1.2); should it one day, it is kept.
    const retryAfterMs = parseRetryAfter(headerText(outcome.answer.headers['retry-after']), Date.now());
    return { ok: false, failure: { kind: 'rate_limited', status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) } };
  }
  if (status >= 500) return { ok: false, failure: { kind: 'unavailable', status } };
  return { ok: false, failure: { kind: 'unexpected', status } };
}

/** Plain words for a token failure, for people configuring an integration. */
export function describeTokenFailure(failure: TokenFailure): { code: string; message: string } {
  switch (failure.kind) {
    case 'invalid_credentials':
      return { code: 'invalid_credentials', message: `Sinch refused the Access Key and Access Secret (HTTP ${failure.status}). Check both on the Sinch Access Keys page; the secret is only shown when the key is created.` };
    case 'rate_limited':
      return { code: 'rate_limited', message: 'Sinch\'s token service is throttling requests (HTTP 429). Try again in a few seconds.' };
    case 'unavailable':
      return { code: 'sinch_unavailable', message: `Sinch's token service answered with a server error (HTTP ${failure.status}). Try again later.` };
    case 'unreachable':
      return { code: 'sinch_unreachable', message: `Could not reach Sinch's token service (${failure.network}). Check this server's network access and the SINCH_AUTH_URL setting.` };
    case 'unexpected':
      return { code: 'unexpected_answer', message: `Sinch's token service gave an unexpected answer (HTTP ${failure.status}).` };
  }
}
