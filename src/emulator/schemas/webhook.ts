/** Webhooks API bodies (doc §4.1). */
import { Type, type Static } from 'typebox';
import { TRIGGERS } from '../wire.ts';

const closed = { additionalProperties: false } as const;

export const TriggerEnum = Type.Enum([...TRIGGERS, 'UNSPECIFIED_TRIGGER']);

export const ClientCredentials = Type.Object({
  client_id: Type.String({ minLength: 1 }),
  client_secret: Type.String({ minLength: 1 }),
  endpoint: Type.String({ minLength: 1 }),
  scope: Type.Optional(Type.String()),
  response_type: Type.Optional(Type.String()),
  token_request_type: Type.Optional(Type.Union([Type.Literal('BASIC'), Type.Literal('FORM')])),
}, closed);

const webhookFields = {
  app_id: Type.String({ minLength: 1 }),
  target: Type.String({ minLength: 1, maxLength: 742 }),
  target_type: Type.Optional(Type.Union([Type.Literal('HTTP'), Type.Literal('DISMISS')])),
  triggers: Type.Array(TriggerEnum, { minItems: 1 }),
  secret: Type.Optional(Type.String()),
  client_credentials: Type.Optional(ClientCredentials),
};

export const WebhookCreate = Type.Object({ ...webhookFields, id: Type.Optional(Type.String()) }, closed);
export type WebhookCreate = Static<typeof WebhookCreate>;

export const WebhookUpdate = Type.Partial(Type.Object({ ...webhookFields, id: Type.String() }, closed), closed);
export type WebhookUpdate = Static<typeof WebhookUpdate>;

export const Webhook = Type.Object({
  id: Type.String(),
  app_id: Type.String(),
  target: Type.String(),
  target_type: Type.String(),
  secret: Type.String(),
  triggers: Type.Array(Type.String()),
  client_credentials: Type.Optional(Type.Unknown()),
});

export const WebhookParams = Type.Object({ project_id: Type.String({ minLength: 1 }), webhook_id: Type.String({ minLength: 1 }) });
export const AppWebhooksParams = Type.Object({ project_id: Type.String({ minLength: 1 }), app_id: Type.String({ minLength: 1 }) });
export const UpdateQuery = Type.Object({ update_mask: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])) });
