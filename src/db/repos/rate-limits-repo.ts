import { byDialect, prepareQuery, type SqlContext } from '../prepared.ts';
import type { Executor } from './executor.ts';

export interface Reservation {
  /** Permits granted now (0 … requested). */
  granted: number;
  /** The bucket's theoretical arrival time after this call, epoch ms: identifies the reservation for a refund. */
  tat: number;
  /** When the next permit becomes free (epoch ms), for sleeping exactly until then. */
  nextFreeAt: number;
}

/**
 * Token buckets shared by every instance on the database, as one row per key (an integration, a Sinch project),
 * using GCRA: a bucket of `rate` permits per second holding at most one second of them is fully described by
 * `tat`, the theoretical arrival time of the next permit. Taking `n` permits at `now` moves `tat` from
 * `max(tat, now)` by `n` intervals, as long as it stays within one second of `now`. One statement per
 * reservation, atomic under the row lock (PostgreSQL) or the single writer (SQLite).
 */
export function createRateLimitsRepo(ctx: SqlContext) {
  const dialect = ctx.dialect;
  const max = byDialect(dialect, 'max', 'greatest');
  const min = byDialect(dialect, 'min', 'least');
  const floor = (x: string) => byDialect(dialect, `cast(${x} as integer)`, `floor(${x})::integer`);
  // $1 key, $2 now (ms), $3 permits wanted, $4 interval (ms per permit), $5 window (ms: one second of permits).
  const start = `${max}(rate_limits.tat, $2::float8)`;
  const available = `${max}(0, ${floor(`($2::float8 + $5::float8 - ${start}) / $4::float8`)})`;
  const granted = `${min}($3::integer, ${available})`;
  const reserve = prepareQuery<{ tat: number; granted: number }>(ctx, `
    insert into rate_limits (key, tat, granted)
    values ($1, $2::float8 + ${min}($3::integer, ${floor('$5::float8 / $4::float8')}) * $4::float8, ${min}($3::integer, ${floor('$5::float8 / $4::float8')}))
    on conflict (key) do update set granted = ${granted}, tat = ${start} + ${granted} * $4::float8
    returning tat, granted`.replaceAll('::float8', byDialect(dialect, '', '::float8')).replaceAll('::integer', byDialect(dialect, '', '::integer')));
  const refund = prepareQuery(ctx, `update rate_limits set tat = tat - $3 where key = $1 and tat = $2`);

  return {
    /** Takes up to `wanted` permits of `key` at `ratePerSecond` now. */
    async reserve(executor: Executor, key: string, wanted: number, ratePerSecond: number, now: number): Promise<Reservation> {
      const interval = 1000 / ratePerSecond;
      const window = 1000 * Math.max(1, Math.ceil(ratePerSecond)) / ratePerSecond;
      const row = (await reserve.run(executor, [key, now, wanted, interval, window]))[0];
      if (row === undefined) throw new Error('rate limit reservation returned no row');
      const tat = Number(row.tat);
      return { granted: Number(row.granted), tat, nextFreeAt: Math.max(now, tat + interval - window) };
    },
    /**
     * Gives back permits reserved but not used, only if nobody reserved after us (else they are simply lost: the
     * bucket may under-send a little, never over-send).
     */
    async refund(executor: Executor, key: string, reservation: Reservation, unused: number, ratePerSecond: number): Promise<void> {
      if (unused <= 0) return;
      await refund.count(executor, [key, reservation.tat, unused * (1000 / ratePerSecond)]);
    },
  };
}

export type RateLimitsRepo = ReturnType<typeof createRateLimitsRepo>;
