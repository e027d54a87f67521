/**
 * Sinch's consent management (protocol notes §6.4): opt-out lists per app (OPT_OUT_ALL, OPT_OUT_MARKETING,
 * OPT_OUT_NOTIFICATION), changed by a customer's opt-out / opt-in keyword (when the app's `consent_management` knob
 * is on: secondary mode, nothing is blocked) or by the control API, each change reported as an OPT_OUT / OPT_IN
 * callback; `GET /v1/projects/{project_id}/apps/{app_id}/consents/{list_type}` lists an app's identities (the
 * Consents API, read-only).
 */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { newId, type EmulatorContext } from '../context.ts';
import { badRequest, notFound, sendRpcError } from '../errors.ts';
import type { AppRecord, CallbackRecord } from '../state.ts';
import { formatTimestamp } from '../time.ts';
import { callbackEnvelope } from '../wire.ts';

export const CONSENT_LISTS = ['OPT_OUT_ALL', 'OPT_OUT_MARKETING', 'OPT_OUT_NOTIFICATION'] as const;
export type ConsentList = (typeof CONSENT_LISTS)[number];
export type ConsentAction = 'opt_out' | 'opt_in';

export type ConsentRecord = { app_id: string; list: ConsentList; identity: string; channel: string; at: string };

/**
 * Sinch's default English keywords (an exact, case-insensitive match of the whole message): STOP / UNSUBSCRIBE and
 * START / SUBSCRIBE for all messages, the same followed by MARKETING or NOTIFICATION for one kind.
 */
export function consentKeyword(text: string): { action: ConsentAction; list: ConsentList } | undefined {
  const words = text.trim().toUpperCase().split(/\s+/);
  if (words.length === 0 || words.length > 2) return undefined;
  const action = words[0] === 'STOP' || words[0] === 'UNSUBSCRIBE' ? 'opt_out' : words[0] === 'START' || words[0] === 'SUBSCRIBE' ? 'opt_in' : undefined;
  if (action === undefined) return undefined;
  if (words.length === 1) return { action, list: 'OPT_OUT_ALL' };
  if (words[1] === 'MARKETING') return { action, list: 'OPT_OUT_MARKETING' };
  if (words[1] === 'NOTIFICATION') return { action, list: 'OPT_OUT_NOTIFICATION' };
  return undefined;
}

export function consentKey(appId: string, list: ConsentList, identity: string): string {
  return `${appId}\u0000${list}\u0000${identity}`;
}

/**
 * Puts the identity on the list (opt-out) or takes it off (opt-in), and reports it as OPT_OUT / OPT_IN unless
 * `notify` is false (the control API's way to list identities whose callback never came).
 */
export function registerConsent(
  ctx: EmulatorContext, app: AppRecord, input: { identity: string; channel: string; action: ConsentAction; list: ConsentList; notify?: boolean },
): CallbackRecord[] {
  const now = ctx.now();
  const key = consentKey(app.app_id, input.list, input.identity);
  if (input.action === 'opt_out') ctx.state.consents.set(key, { app_id: app.app_id, list: input.list, identity: input.identity, channel: input.channel, at: formatTimestamp(now, 6) });
  else ctx.state.consents.delete(key);
  if (input.notify === false) return [];
  const trigger = input.action === 'opt_out' ? 'OPT_OUT' : 'OPT_IN';
  const notification = {
    request_id: newId(), contact_id: '', channel: input.channel, identity: input.identity,
    status: `${trigger}_SUCCEEDED`, processing_mode: 'DISPATCH',
  };
  return ctx.callbacks.emit({
    app, trigger, messageId: null, inboundId: null, status: notification.status, overrideUrl: null,
    body: {
      ...callbackEnvelope(app, now),
      [trigger === 'OPT_OUT' ? 'opt_out_notification' : 'opt_in_notification']: notification, message_metadata: '', correlation_id: '',
    },
  });
}

const ListParams = Type.Object({ project_id: Type.String(), app_id: Type.String(), list_type: Type.String() });
const ListQuery = Type.Object({ page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })), page_token: Type.Optional(Type.String()) });

export function registerConsentRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  app.get<{ Params: { project_id: string; app_id: string; list_type: string }; Querystring: { page_size?: number; page_token?: string } }>(
    '/v1/projects/:project_id/apps/:app_id/consents/:list_type',
    { schema: { params: ListParams, querystring: ListQuery } },
    async (request, reply) => {
      const target = ctx.state.apps.get(request.params.app_id);
      if (target?.project_id !== request.params.project_id) {
        return sendRpcError(reply, notFound(`App ${request.params.app_id} not found in project ${request.params.project_id}`));
      }
      const list = request.params.list_type;
      if (!(CONSENT_LISTS as readonly string[]).includes(list)) {
        return sendRpcError(reply, badRequest([{ field: 'list_type', description: `one of ${CONSENT_LISTS.join(', ')}` }]));
      }
      const offset = request.query.page_token === undefined || request.query.page_token === '' ? 0 : Number(request.query.page_token);
      if (!Number.isSafeInteger(offset) || offset < 0) return sendRpcError(reply, badRequest([{ field: 'page_token', description: 'not a page token of this list' }]));
      const size = request.query.page_size ?? 10;
      const all = [...ctx.state.consents.values()].filter((c) => c.app_id === target.app_id && c.list === list).map((c) => c.identity).sort();
      const page = all.slice(offset, offset + size);
      return reply.send({ identities: page.map((identity) => ({ identity })), next_page_token: offset + size < all.length ? String(offset + size) : '' });
    },
  );
}
