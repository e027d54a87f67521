/**
 * RCS capability (protocol notes §6.2): Sinch's `capability_status` in our words, and what a campaign does with a
 * number given what is known of it.
 */

export type KnownCapability = 'capable' | 'not_capable' | 'unknown';

/**
 * `CAPABILITY_FULL` and `CAPABILITY_PARTIAL` (the channel works, some features may not) → capable; `NO_CAPABILITY`
 * → not capable; `CAPABILITY_UNKNOWN` and anything new (enums are open) → unknown.
 */
export function capabilityOf(sinchStatus: string | undefined): KnownCapability {
  if (sinchStatus === 'CAPABILITY_FULL' || sinchStatus === 'CAPABILITY_PARTIAL') return 'capable';
  if (sinchStatus === 'NO_CAPABILITY') return 'not_capable';
  return 'unknown';
}

/** What is known of one number now, from its cache entry (`undefined`: none). */
export type CapabilityState =
  | { kind: 'known'; capability: KnownCapability }
  /** A query is out and the wait for it is not over. */
  | { kind: 'waiting' }
  /** A query is out and its answer did not come in time: send as if unknown. */
  | { kind: 'timed_out' }
  /** Nothing usable: ask Sinch. */
  | { kind: 'ask' };

export function capabilityState(
  entry: { status: KnownCapability | 'pending'; queried_at: string | null; expires_at: string } | undefined,
  now: number,
  waitMs: number,
): CapabilityState {
  if (entry === undefined) return { kind: 'ask' };
  if (entry.status === 'pending') {
    const queried = entry.queried_at === null ? Number.NaN : Date.parse(entry.queried_at);
    if (Number.isNaN(queried)) return { kind: 'ask' };
    if (now - queried < waitMs) return { kind: 'waiting' };
    // A pending entry stays a timeout until it expires; then the number is asked again (by a later campaign).
    return Date.parse(entry.expires_at) > now ? { kind: 'timed_out' } : { kind: 'ask' };
  }
  return Date.parse(entry.expires_at) > now ? { kind: 'known', capability: entry.status } : { kind: 'ask' };
}

/** How long an answer is used: known answers `knownMs`, `unknown` ones `unknownMs`. */
export function capabilityExpiry(capability: KnownCapability, checkedAt: number, ttl: { knownMs: number; unknownMs: number }): number {
  return checkedAt + (capability === 'unknown' ? ttl.unknownMs : ttl.knownMs);
}
