/**
 * Sinch's Webhooks API (protocol notes §4.1): which webhooks an app has, and pointing one at our callback URL.
 * Never throws for HTTP or network failures: they come back as values for the caller to explain.
 */
import type { Dispatcher } from 'undici';
import { callHttp } from './http.ts';

/** What the service processes (delivery reports, inbound messages, capability answers, opt-ins and opt-outs) plus what it stores for inspection. */
export const callbackTriggers = ['MESSAGE_DELIVERY', 'MESSAGE_INBOUND', 'CAPABILITY', 'OPT_IN', 'OPT_OUT', 'EVENT_INBOUND', 'MESSAGE_SUBMIT'] as const;

export interface WebhookTarget {
  /** Conversation API base URL of the region. */
  baseUrl: string;
  /** `Bearer …` or `Basic …`. */
  authorization: string;
  sinchProjectId: string;
  appId: string;
}

export interface SinchWebhook { id: string; target: string; triggers: string[] }

export type WebhookCall<T> = { ok: true; value: T } | { ok: false; status: number | null; detail: string };

const projectPath = (t: WebhookTarget) => `${t.baseUrl}/v1/projects/${encodeURIComponent(t.sinchProjectId)}`;

function failure(outcome: Awaited<ReturnType<typeof callHttp>>): { ok: false; status: number | null; detail: string } {
  if (!outcome.ok) return { ok: false, status: null, detail: outcome.network };
  const error = (outcome.answer.json as { error?: { message?: unknown } } | undefined)?.error;
  return { ok: false, status: outcome.answer.status, detail: typeof error?.message === 'string' ? error.message : `HTTP ${outcome.answer.status}` };
}

export async function listWebhooks(dispatcher: Dispatcher, t: WebhookTarget): Promise<WebhookCall<SinchWebhook[]>> {
  const answer = await callHttp(dispatcher, `${projectPath(t)}/apps/${encodeURIComponent(t.appId)}/webhooks`, {
    method: 'GET', headers: { authorization: t.authorization, accept: 'application/json' },
  });
  if (!answer.ok || answer.answer.status !== 200) return failure(answer);
  const hooks = (answer.answer.json as { webhooks?: Array<Partial<SinchWebhook>> } | undefined)?.webhooks ?? [];
  return {
    ok: true,
    value: hooks.map((h) => ({ id: String(h.id ?? ''), target: String(h.target ?? ''), triggers: Array.isArray(h.triggers) ? h.triggers.map(String) : [] })),
  };
}

/**
 * Makes `target` the app's webhook for our triggers, signed with `secret`, without a moment with no webhook: one
 * already aimed at `target` is updated in place (PATCH with an update mask; Sinch refuses a duplicate target),
 * else one is created. Only then are the webhooks `alsoRemove` picks (e.g. this integration's callback path on an
 * old public address) deleted; a webhook already gone counts as deleted. Others are never touched.
 */
export async function upsertWebhook(
  dispatcher: Dispatcher, t: WebhookTarget, target: string, secret: string, alsoRemove: (existingTarget: string) => boolean = () => false,
): Promise<WebhookCall<SinchWebhook & { before: SinchWebhook[] }>> {
  const existing = await listWebhooks(dispatcher, t);
  if (!existing.ok) return existing;
  const headers = { authorization: t.authorization, 'content-type': 'application/json', accept: 'application/json' };
  const same = existing.value.find((h) => h.target === target);
  const body = JSON.stringify({ app_id: t.appId, target, target_type: 'HTTP', secret, triggers: callbackTriggers });
  const written = same !== undefined
    ? await callHttp(dispatcher, `${projectPath(t)}/webhooks/${encodeURIComponent(same.id)}?update_mask=target,target_type,secret,triggers`, { method: 'PATCH', headers, body })
    : await callHttp(dispatcher, `${projectPath(t)}/webhooks`, { method: 'POST', headers, body });
  if (!written.ok || written.answer.status >= 300) return failure(written);
  for (const hook of existing.value.filter((h) => h.target !== target && alsoRemove(h.target))) {
    const removed = await callHttp(dispatcher, `${projectPath(t)}/webhooks/${encodeURIComponent(hook.id)}`, { method: 'DELETE', headers: { authorization: t.authorization } });
    if (!removed.ok || (removed.answer.status >= 300 && removed.answer.status !== 404)) return failure(removed);
  }
  const hook = written.answer.json as Partial<SinchWebhook> | undefined;
  return { ok: true, value: { id: String(hook?.id ?? same?.id ?? ''), target, triggers: [...callbackTriggers], before: existing.value } };
}
