/** `GET /v1/projects/{project_id}/apps/{app_id}`: one app as Sinch's App API shows it (doc §4.9). */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { EmulatorContext } from '../context.ts';
import { notFound, sendRpcError } from '../errors.ts';
import type { AppRecord } from '../state.ts';

const AppParams = Type.Object({ project_id: Type.String({ minLength: 1 }), app_id: Type.String({ minLength: 1 }) });

/** Per-second rates Sinch documents as defaults for an app (inbound, webhooks: 25). */
const DEFAULT_RATE = 25;

export function presentSinchApp(ctx: EmulatorContext, app: AppRecord): Record<string, unknown> {
  return {
    id: app.app_id,
    display_name: app.display_name,
    // The order of the credentials is the app's channel priority; the emulator holds no channel secrets.
    channel_credentials: app.channels.map((channel) => ({ channel, state: { status: 'ACTIVE', description: '' }, channel_known_id: '' })),
    conversation_metadata_report_view: 'NONE',
    rate_limits: { outbound: app.knobs.outbound_rate ?? 0, inbound: DEFAULT_RATE, webhooks: DEFAULT_RATE },
    retention_policy: { retention_type: 'MESSAGE_EXPIRE_POLICY', ttl_days: 180 },
    dispatch_retention_policy: { retention_type: 'MESSAGE_EXPIRE_POLICY', ttl_days: 0 },
    processing_mode: 'DISPATCH',
    smart_conversation: { enabled: false },
    queue_stats: { outbound_size: ctx.lifecycle.queueSize(app.app_id), outbound_limit: app.knobs.outbound_queue_limit },
    persist_message_status: { enabled: false },
    message_search: { enabled: false },
    callback_settings: { secret_for_overridden_callback_urls: app.secret_for_overridden_callback_urls },
    delivery_report_based_fallback: { enabled: false, delivery_report_waiting_time: 0 },
    message_retry_settings: null,
  };
}

export function registerAppRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  app.get<{ Params: { project_id: string; app_id: string } }>('/v1/projects/:project_id/apps/:app_id', {
    schema: { params: AppParams },
  }, async (request, reply) => {
    const record = ctx.state.apps.get(request.params.app_id);
    if (record?.project_id !== request.params.project_id) {
      return sendRpcError(reply, notFound(`App ${request.params.app_id} not found in project ${request.params.project_id}`));
    }
    return reply.send(presentSinchApp(ctx, record));
  });
}
