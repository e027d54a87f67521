import { invalidField } from '../lib/app-error.ts';
import type { Clock } from '../lib/time.ts';
import type { IntegrationsRepo } from '../db/repos/integrations-repo.ts';
import type { SettingsRepo } from '../db/repos/settings-repo.ts';
import { frequencyCapOf, type FrequencyCap } from './frequency-cap.ts';

export interface ChannelSettings {
  whatsapp_integration_id: string | null;
  rcs_integration_id: string | null;
  /** Two-way messaging needs a default provider per channel (seed: "required to enable two-way messaging"). */
  two_way: { whatsapp: boolean; rcs: boolean };
}

export interface EventMapping { whatsapp: string; rcs: string }

export interface TwoWaySettings {
  /** Refuse free-form WhatsApp sends outside the 24 h window before they reach Sinch (default true). */
  whatsapp_window_check: boolean;
  whatsapp: { enabled: boolean; reason: string | null };
  rcs: { enabled: boolean; reason: string | null };
}

function toTwoWay(row: { whatsapp_integration_id: string | null; rcs_integration_id: string | null; whatsapp_window_check: number }): TwoWaySettings {
  const state = (id: string | null, name: string) => id !== null
    ? { enabled: true, reason: null }
    : { enabled: false, reason: `Two-way ${name} messaging is not enabled: set a default ${name} provider in the channel settings. Incoming ${name} messages are still stored and consent keywords (STOP, START) still change consent, but no auto-response is sent.` };
  return {
    whatsapp_window_check: row.whatsapp_window_check === 1,
    whatsapp: state(row.whatsapp_integration_id, 'WhatsApp'),
    rcs: state(row.rcs_integration_id, 'RCS'),
  };
}

export const eventNamePattern = '^[a-z0-9_]{1,64}$';

export function createSettingsService(deps: {
  settings: SettingsRepo;
  integrations: IntegrationsRepo;
  clock: Clock;
  /** After a change (the config cache drops the project's settings, on every instance). */
  onChanged: () => Promise<void>;
}) {
  function toChannels(row: { whatsapp_integration_id: string | null; rcs_integration_id: string | null }): ChannelSettings {
    return {
      whatsapp_integration_id: row.whatsapp_integration_id,
      rcs_integration_id: row.rcs_integration_id,
      two_way: { whatsapp: row.whatsapp_integration_id !== null, rcs: row.rcs_integration_id !== null },
    };
  }

  async function update(projectId: string, patch: Parameters<SettingsRepo['update']>[1]): Promise<void> {
    await deps.settings.update(projectId, patch);
    await deps.onChanged();
  }

  async function requireOwnIntegration(projectId: string, id: string | null, field: string): Promise<void> {
    if (id === null) return;
    if ((await deps.integrations.find(projectId, id)) === undefined) {
      throw invalidField(field, `${field} must be the id of an integration of this project`);
    }
  }

  return {
    async getChannels(projectId: string): Promise<ChannelSettings> {
      return toChannels(await deps.settings.get(projectId));
    },

    async putChannels(projectId: string, input: { whatsapp_integration_id: string | null; rcs_integration_id: string | null }): Promise<ChannelSettings> {
      await requireOwnIntegration(projectId, input.whatsapp_integration_id, 'whatsapp_integration_id');
      await requireOwnIntegration(projectId, input.rcs_integration_id, 'rcs_integration_id');
      await update(projectId, { ...input, updated_at: deps.clock.now().toISOString() });
      return toChannels(input);
    },

    async getTwoWay(projectId: string): Promise<TwoWaySettings> {
      const row = await deps.settings.get(projectId);
      return toTwoWay(row);
    },

    async putTwoWay(projectId: string, input: { whatsapp_window_check: boolean }): Promise<TwoWaySettings> {
      await update(projectId, { whatsapp_window_check: input.whatsapp_window_check ? 1 : 0, updated_at: deps.clock.now().toISOString() });
      return toTwoWay(await deps.settings.get(projectId));
    },

    async getFrequencyCap(projectId: string): Promise<{ frequency_cap: FrequencyCap | null }> {
      return { frequency_cap: frequencyCapOf(await deps.settings.get(projectId)) };
    },

    async putFrequencyCap(projectId: string, cap: FrequencyCap | null): Promise<{ frequency_cap: FrequencyCap | null }> {
      await update(projectId, { frequency_cap_json: cap === null ? null : JSON.stringify({ max: cap.max, period: cap.period }), updated_at: deps.clock.now().toISOString() });
      return { frequency_cap: cap };
    },

    async getEventMapping(projectId: string): Promise<EventMapping> {
      const row = await deps.settings.get(projectId);
      return { whatsapp: row.event_name_whatsapp, rcs: row.event_name_rcs };
    },

    /** Sets the channels given; a channel left out keeps its name. */
    async putEventMapping(projectId: string, input: Partial<EventMapping>): Promise<EventMapping> {
      if (input.whatsapp === undefined && input.rcs === undefined) throw invalidField('whatsapp', 'give the event name of whatsapp, rcs or both');
      await update(projectId, {
        ...(input.whatsapp !== undefined ? { event_name_whatsapp: input.whatsapp } : {}),
        ...(input.rcs !== undefined ? { event_name_rcs: input.rcs } : {}),
        updated_at: deps.clock.now().toISOString(),
      });
      const row = await deps.settings.get(projectId);
      return { whatsapp: row.event_name_whatsapp, rcs: row.event_name_rcs };
    },
  };
}

export type SettingsService = ReturnType<typeof createSettingsService>;
