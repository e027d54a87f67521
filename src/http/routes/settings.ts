import Type from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ProjectsService } from '../../services/projects.ts';
import { eventNamePattern, type SettingsService } from '../../services/settings.ts';
import { projectGuard } from '../context.ts';
import { authErrors, ProjectParams } from '../schemas.ts';

const NullableId = Type.Union([Type.String({ minLength: 1 }), Type.Null()]);
const ChannelsBody = Type.Object({ whatsapp_integration_id: NullableId, rcs_integration_id: NullableId }, { additionalProperties: false });
const Channels = Type.Object({
  whatsapp_integration_id: NullableId,
  rcs_integration_id: NullableId,
  two_way: Type.Object({ whatsapp: Type.Boolean(), rcs: Type.Boolean() }, { description: 'Whether two-way messaging is enabled (it needs the channel\'s default provider)' }),
});
const EventName = Type.String({ pattern: eventNamePattern, description: '1 to 64 characters of a-z, 0-9, _' });
const Mapping = Type.Object({ whatsapp: EventName, rcs: EventName }, { additionalProperties: false });
const MappingChange = Type.Object({ whatsapp: Type.Optional(EventName), rcs: Type.Optional(EventName) }, {
  additionalProperties: false, description: 'One channel or both; a channel left out keeps its name',
});

export const settingsRoutes: FastifyPluginAsyncTypebox<{ projects: ProjectsService; settings: SettingsService }> = async (app, { projects, settings }) => {
  const tags = ['Project settings'];

  app.get('/projects/:project_id/settings/channels', {
    preValidation: projectGuard(projects, 'member'),
    schema: { tags, summary: 'Default provider per channel', params: ProjectParams, response: { 200: Channels, ...authErrors } },
  }, async (request) => {
    return settings.getChannels(request.params.project_id);
  });

  app.put('/projects/:project_id/settings/channels', {
    preValidation: projectGuard(projects, 'admin'),
    schema: { tags, summary: 'Set the default provider per channel (project admin)', params: ProjectParams, body: ChannelsBody, response: { 200: Channels, ...authErrors } },
  }, async (request) => {
    return settings.putChannels(request.params.project_id, request.body);
  });

  const TwoWayState = Type.Object({ enabled: Type.Boolean(), reason: Type.Union([Type.String(), Type.Null()]) });
  const TwoWay = Type.Object({
    whatsapp_window_check: Type.Boolean({ description: 'Refuse free-form WhatsApp sends outside the customer\'s 24 h window before they reach Sinch (templates are always allowed). Turn off when another system also uses this number and sees replies this service does not.' }),
    whatsapp: TwoWayState,
    rcs: TwoWayState,
  });

  app.get('/projects/:project_id/settings/two-way', {
    preValidation: projectGuard(projects, 'member'),
    schema: { tags, summary: 'Whether two-way messaging is enabled per channel, and the WhatsApp window check', params: ProjectParams, response: { 200: TwoWay, ...authErrors } },
  }, async (request) => {
    return settings.getTwoWay(request.params.project_id);
  });

  app.put('/projects/:project_id/settings/two-way', {
    preValidation: projectGuard(projects, 'admin'),
    schema: {
      tags, summary: 'Turn the WhatsApp window check on or off (project admin)', params: ProjectParams,
      body: Type.Object({ whatsapp_window_check: Type.Boolean() }, { additionalProperties: false }), response: { 200: TwoWay, ...authErrors },
    },
  }, async (request) => {
    return settings.putTwoWay(request.params.project_id, request.body);
  });

  const Cap = Type.Object({
    frequency_cap: Type.Union([Type.Object({
      max: Type.Integer({ minimum: 1, maximum: 1000, description: 'Campaign messages per customer at most' }),
      period: Type.Enum(['day', 'week'], { description: 'A rolling day or week' }),
    }, { additionalProperties: false }), Type.Null()], { description: 'null: no cap. Checked when a campaign starts (skip) and again when each message goes (FREQUENCY_CAPPED).' }),
  }, { additionalProperties: false });
  app.get('/projects/:project_id/settings/frequency-cap', {
    preValidation: projectGuard(projects, 'member'),
    schema: { tags, summary: 'At most N campaign messages per customer per day or week', params: ProjectParams, response: { 200: Cap, ...authErrors } },
  }, async (request) => settings.getFrequencyCap(request.params.project_id));
  app.put('/projects/:project_id/settings/frequency-cap', {
    preValidation: projectGuard(projects, 'admin'),
    schema: { tags, summary: 'Set the frequency cap for campaigns (project admin; null removes it)', params: ProjectParams, body: Cap, response: { 200: Cap, ...authErrors } },
  }, async (request) => settings.putFrequencyCap(request.params.project_id, request.body.frequency_cap));

  app.get('/projects/:project_id/settings/event-mapping', {
    preValidation: projectGuard(projects, 'member'),
    schema: { tags, summary: 'Event name tracked for each channel', params: ProjectParams, response: { 200: Mapping, ...authErrors } },
  }, async (request) => {
    return settings.getEventMapping(request.params.project_id);
  });

  app.put('/projects/:project_id/settings/event-mapping', {
    preValidation: projectGuard(projects, 'admin'),
    schema: { tags, summary: 'Map events to other names (project admin; one channel or both)', params: ProjectParams, body: MappingChange, response: { 200: Mapping, ...authErrors } },
  }, async (request) => {
    return settings.putEventMapping(request.params.project_id, request.body);
  });
};
