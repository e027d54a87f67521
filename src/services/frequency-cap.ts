import type { ProjectSettingsRow } from '../db/repos/settings-repo.ts';

/** A project's frequency cap: at most `max` campaign messages per customer in a rolling day or week. */
export interface FrequencyCap { max: number; period: 'day' | 'week' }

export function frequencyCapOf(settings: Pick<ProjectSettingsRow, 'frequency_cap_json'>): FrequencyCap | null {
  return settings.frequency_cap_json === null ? null : JSON.parse(settings.frequency_cap_json) as FrequencyCap;
}

export function periodMs(period: FrequencyCap['period']): number {
  return period === 'day' ? 86_400_000 : 7 * 86_400_000;
}
