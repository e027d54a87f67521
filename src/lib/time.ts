/** The clock every service uses; tests of time-dependent rules pass their own. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export function toIso(date: Date): string {
  return date.toISOString();
}
