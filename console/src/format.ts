/** Dates in the user's time zone with the zone shown; numbers with thousands separators. */
export function when(iso: string | number | Date): string {
  return new Date(iso).toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' });
}

export function count(n: number): string {
  return n.toLocaleString();
}

/** "3 h 12 m" until a time, or undefined once it passed. */
export function timeLeft(iso: string, now = Date.now()): string | undefined {
  const ms = Date.parse(iso) - now;
  if (!(ms > 0)) return undefined;
  const minutes = Math.floor(ms / 60_000);
  return minutes >= 60 ? `${Math.floor(minutes / 60)} h ${minutes % 60} m` : `${minutes} m`;
}
