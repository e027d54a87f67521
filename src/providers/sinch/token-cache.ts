import { createHash } from 'node:crypto';
import type { Dispatcher } from 'undici';
import { requestAccessToken, type TokenResult } from './oauth.ts';

interface Entry { token: string; refreshAt: number; expiresAt: number }
interface Cooldown { until: number; refusals: number }

/** The first pause after Sinch's token service throttles, doubled on each refusal in a row up to the cap. */
export const TOKEN_COOLDOWN_BASE_MS = 1000;
export const TOKEN_COOLDOWN_CAP_MS = 60_000;

/**
 * OAuth tokens per set of credentials: fetched once, shared by concurrent callers, refreshed ahead of expiry
 * (60 s early, or at 90 % of a short lifetime) and dropped when Sinch says a token expired. When the token service
 * throttles (429, which Sinch sends without Retry-After, doc §1.2), nobody asks again for these credentials until a
 * pause is over (1 s, 2 s, 4 s … 60 s, the second half jittered, or longer if a Retry-After says so): meanwhile
 * every caller gets the refusal at once with the time left, so a backlog of messages backs off instead of asking
 * for a token each.
 */
export function createTokenCache(dispatcher: Dispatcher, now: () => number = Date.now, random: () => number = Math.random) {
  const entries = new Map<string, Entry>();
  const inflight = new Map<string, Promise<TokenResult>>();
  const cooldowns = new Map<string, Cooldown>();

  // The key is hashed once per distinct set of credentials (a hash per send showed up in profiles).
  const hashed = new Map<string, string>();
  function keyOf(authUrl: string, accessKey: string, accessSecret: string): string {
    const plain = `${authUrl}\n${accessKey}\n${accessSecret}`;
    let key = hashed.get(plain);
    if (key === undefined) {
      key = createHash('sha256').update(plain).digest('base64url');
      if (hashed.size > 10_000) hashed.clear();
      hashed.set(plain, key);
    }
    return key;
  }

  return {
    async get(authUrl: string, credentials: { accessKey: string; accessSecret: string }): Promise<TokenResult> {
      const key = keyOf(authUrl, credentials.accessKey, credentials.accessSecret);
      const cached = entries.get(key);
      if (cached !== undefined && now() < cached.refreshAt) return { ok: true, accessToken: cached.token, expiresInSeconds: (cached.expiresAt - now()) / 1000 };
      const running = inflight.get(key);
      if (running !== undefined) return running;
      // A token due for refresh but not expired still serves while the token service wants a pause.
      const stillValid = (): TokenResult | undefined => (cached !== undefined && now() < cached.expiresAt
        ? { ok: true, accessToken: cached.token, expiresInSeconds: (cached.expiresAt - now()) / 1000 } : undefined);
      const cooling = cooldowns.get(key);
      if (cooling !== undefined && now() < cooling.until) {
        return stillValid() ?? { ok: false, failure: { kind: 'rate_limited', status: 429, retryAfterMs: cooling.until - now() } };
      }
      const fetching = requestAccessToken(dispatcher, authUrl, credentials).then((result): TokenResult => {
        inflight.delete(key);
        if (!result.ok) {
          if (result.failure.kind !== 'rate_limited') return result;
          const refusals = (cooldowns.get(key)?.refusals ?? 0) + 1;
          const pause = Math.min(TOKEN_COOLDOWN_CAP_MS, TOKEN_COOLDOWN_BASE_MS * 2 ** (refusals - 1));
          const waitMs = Math.max(result.failure.retryAfterMs ?? 0, Math.ceil(pause / 2 + random() * (pause / 2)));
          if (cooldowns.size > 10_000) cooldowns.clear();
          cooldowns.set(key, { until: now() + waitMs, refusals });
          return stillValid() ?? { ok: false, failure: { ...result.failure, retryAfterMs: waitMs } };
        }
        cooldowns.delete(key);
        const lifetimeMs = result.expiresInSeconds * 1000;
        const t = now();
        entries.set(key, { token: result.accessToken, expiresAt: t + lifetimeMs, refreshAt: t + Math.max(0, lifetimeMs - Math.min(60_000, lifetimeMs * 0.1)) });
        return result;
      });
      inflight.set(key, fetching);
      return fetching;
    },
    invalidate(authUrl: string, credentials: { accessKey: string; accessSecret: string }, token: string): void {
      const key = keyOf(authUrl, credentials.accessKey, credentials.accessSecret);
      if (entries.get(key)?.token === token) entries.delete(key);
    },
  };
}

export type TokenCache = ReturnType<typeof createTokenCache>;
