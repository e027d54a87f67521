/**
 * Sinch's Consents API (protocol notes §6.4), read-only: the identities on an app's opt-out lists. Never throws for
 * HTTP or network failures: they come back as values.
 */
import type { Dispatcher } from 'undici';
import { callHttp } from './http.ts';
import type { WebhookCall, WebhookTarget } from './webhooks.ts';

export const consentLists = ['OPT_OUT_ALL', 'OPT_OUT_MARKETING', 'OPT_OUT_NOTIFICATION'] as const;
export type ConsentList = (typeof consentLists)[number];

/** Sinch's largest page of a consent list. */
export const maxConsentPageSize = 50;

/** The most identities `readConsentList` reads from one list before it gives up (an error, never a partial list). */
export const defaultConsentListCap = 200_000;

/** One page of a consent list: its identities and the token of the next page ('' when this is the last). */
export async function listConsentIdentities(
  dispatcher: Dispatcher, t: WebhookTarget, list: ConsentList, options: { pageSize?: number; pageToken?: string } = {},
): Promise<WebhookCall<{ identities: string[]; nextPageToken: string }>> {
  const query = new URLSearchParams({ page_size: String(options.pageSize ?? maxConsentPageSize) });
  if (options.pageToken !== undefined && options.pageToken !== '') query.set('page_token', options.pageToken);
  const url = `${t.baseUrl}/v1/projects/${encodeURIComponent(t.sinchProjectId)}/apps/${encodeURIComponent(t.appId)}/consents/${list}?${query.toString()}`;
  const answer = await callHttp(dispatcher, url, { method: 'GET', headers: { authorization: t.authorization, accept: 'application/json' } });
  if (!answer.ok) return { ok: false, status: null, detail: answer.network };
  if (answer.answer.status !== 200) {
    const error = (answer.answer.json as { error?: { message?: unknown } } | undefined)?.error;
    return { ok: false, status: answer.answer.status, detail: typeof error?.message === 'string' ? error.message : `HTTP ${answer.answer.status}` };
  }
  const body = answer.answer.json as { identities?: Array<{ identity?: unknown }>; next_page_token?: unknown } | undefined;
  const identities = (body?.identities ?? []).flatMap((i) => (typeof i?.identity === 'string' ? [i.identity] : []));
  return { ok: true, value: { identities, nextPageToken: typeof body?.next_page_token === 'string' ? body.next_page_token : '' } };
}

export type ConsentListRead =
  | { ok: true; identities: string[] }
  /**
   * `status`: Sinch's HTTP status of the failed page (null: no answer); `tooLong`: more than `cap` identities, or a
   * paging that does not end, so nothing of the list is returned.
   */
  | { ok: false; status: number | null; detail: string; tooLong?: true };

/**
 * A whole consent list, page after page (`page_token` ← `next_page_token` while non-empty), or why not: a failed
 * page, or more than `cap` identities. Never a partial list.
 */
export async function readConsentList(
  dispatcher: Dispatcher, t: WebhookTarget, list: ConsentList, options: { cap?: number; pageSize?: number } = {},
): Promise<ConsentListRead> {
  const cap = options.cap ?? defaultConsentListCap;
  const pageSize = options.pageSize ?? maxConsentPageSize;
  const identities: string[] = [];
  const tokens = new Set<string>();
  let pageToken = '';
  // A page of fewer identities than asked for still counts: the page count bounds a paging that never ends.
  for (let pages = 0; pages <= Math.ceil(cap / pageSize) + 1; pages++) {
    const page = await listConsentIdentities(dispatcher, t, list, { pageSize, pageToken });
    if (!page.ok) return page;
    identities.push(...page.value.identities);
    if (identities.length > cap) return { ok: false, status: null, tooLong: true, detail: `${list} has more than ${cap} identities; none of it was read` };
    pageToken = page.value.nextPageToken;
    if (pageToken === '') return { ok: true, identities };
    if (tokens.has(pageToken)) return { ok: false, status: null, tooLong: true, detail: `${list}: Sinch answered the page token ${pageToken} twice; the list was not read` };
    tokens.add(pageToken);
  }
  return { ok: false, status: null, tooLong: true, detail: `${list} did not end within ${cap} identities; none of it was read` };
}
