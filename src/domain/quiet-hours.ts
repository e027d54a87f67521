/**
 * Quiet hours in the recipient's time zone: `start`–`end` as `HH:MM` local times, possibly across midnight
 * (`21:00`–`08:00`). Pure; time zones through `Intl`.
 */
export interface QuietHours { start: string; end: string }

const hhmm = /^([01]\d|2[0-3]):([0-5]\d)$/;

export function isClockTime(value: string): boolean {
  return hhmm.test(value);
}

function minutesOf(value: string): number {
  const m = hhmm.exec(value);
  if (m === null) throw new Error(`not HH:MM: ${value}`);
  return Number(m[1]) * 60 + Number(m[2]);
}

/** The wall-clock parts of an instant in a time zone. */
function localParts(at: Date, timeZone: string): { y: number; mo: number; d: number; minutes: number } {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(at);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? '0');
  return { y: get('year'), mo: get('month'), d: get('day'), minutes: get('hour') * 60 + get('minute') };
}

/** The time zone's offset from UTC at an instant, in minutes. */
function offsetMinutes(at: Date, timeZone: string): number {
  const p = localParts(at, timeZone);
  const asUtc = Date.UTC(p.y, p.mo - 1, p.d, Math.floor(p.minutes / 60), p.minutes % 60);
  return Math.round((asUtc - Math.floor(at.getTime() / 60_000) * 60_000) / 60_000);
}

/** Whether `at` falls in the quiet hours in `timeZone`; if so, when they end (the next local `end`). */
export function quietUntil(quiet: QuietHours, at: Date, timeZone: string): Date | undefined {
  const start = minutesOf(quiet.start);
  const end = minutesOf(quiet.end);
  if (start === end) return undefined;
  const local = localParts(at, timeZone);
  const now = local.minutes;
  const inside = start < end ? now >= start && now < end : now >= start || now < end;
  if (!inside) return undefined;
  // Minutes until the local end time, then corrected for an offset change (DST) on the way.
  const wait = (end - now + 1440) % 1440;
  const guess = new Date(Math.floor(at.getTime() / 60_000) * 60_000 + wait * 60_000);
  const drift = offsetMinutes(at, timeZone) - offsetMinutes(guess, timeZone);
  return new Date(guess.getTime() + drift * 60_000);
}

const localStamp = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

/**
 * `2026-12-01T09:00` as a wall-clock time in `timeZone` → the instant, or undefined when it is not such a time.
 * A time skipped by a DST change moves forward by the change; a repeated one is the first of the two.
 */
export function instantOfLocal(value: string, timeZone: string): Date | undefined {
  const m = localStamp.exec(value);
  if (m === null) return undefined;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number) as [number, number, number, number, number, number];
  const asUtc = Date.UTC(y, mo - 1, d, h, mi, s);
  const check = new Date(asUtc);
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return undefined;
  const first = asUtc - offsetMinutes(new Date(asUtc), timeZone) * 60_000;
  return new Date(asUtc - offsetMinutes(new Date(first), timeZone) * 60_000);
}
