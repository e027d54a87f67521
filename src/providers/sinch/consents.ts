/**
 * Sinch's Consents API (protocol notes §6.4), read-only: the identities on an app's opt-out lists. Never throws for
 * HTTP or network failures: they come back as values.
 */
import type { Dispatcher } from 'undici';
import { callHttp } from './http.ts';
import type { WebhookCall, WebhookTarget } from './webhooks.ts';

export const consentLists = ['OPT_OUT_ALL', 'OPT_OUT_MARKETING', 'OPT_OUT_NOTIFICATION'] as const;
export type ConsentList = (typeof consentLists)[number];

/** One page (at most 50, Sinch's maximum) of a consent list: its identities and whether more follow. */
export async function listConsentIdentities(
  dispatcher: Dispatcher, t: WebhookTarget, list: ConsentList, pageSize = 50,
): Promise<WebhookCall<{ identities: string[]; more: boolean }>> {
  const url = `${t.baseUrl}/v1/projects/${encodeURIComponent(t.sinchProjectId)}/apps/${encodeURIComponent(t.appId)}/consents/${list}?page_size=${pageSize}`;
  const answer = await callHttp(dispatcher, url, { method: 'GET', headers: { authorization: t.authorization, accept: 'application/json' } });
  if (!answer.ok) return { ok: false, status: null, detail: answer.network };
  if (answer.answer.status !== 200) {
    const error = (answer.answer.json as { error?: { message?: unknown } } | undefined)?.error;
    return { ok: false, status: answer.answer.status, detail: typeof error?.message === 'string' ? error.message : `HTTP ${answer.answer.status}` };
  }
  const body = answer.answer.json as { identities?: Array<{ identity?: unknown }>; next_page_token?: unknown } | undefined;
  const identities = (body?.identities ?? []).flatMap((i) => (typeof i?.identity === 'string' ? [i.identity] : []));
  return { ok: true, value: { identities, more: typeof body?.next_page_token === 'string' && body.next_page_token !== '' } };
}
