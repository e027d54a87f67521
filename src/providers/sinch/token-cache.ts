import { createHash } from 'node:crypto';
import type { Dispatcher } from 'undici';
import { requestAccessToken, type TokenResult } from './oauth.ts';

interface Entry { token: string; refreshAt: number; expiresAt: number }

/**
 * OAuth tokens per set of credentials: fetched once, shared by concurrent callers, refreshed ahead of expiry
 * (60 s early, or at 90 % of a short lifetime) and dropped when Sinch says a token expired.
 */
export function createTokenCache(dispatcher: Dispatcher, now: () => number = Date.now) {
  const entries = new Map<string, Entry>();
  const inflight = new Map<string, Promise<TokenResult>>();

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
      const fetching = requestAccessToken(dispatcher, authUrl, credentials).then((result) => {
        inflight.delete(key);
        if (result.ok) {
          const lifetimeMs = result.expiresInSeconds * 1000;
          const t = now();
          entries.set(key, { token: result.accessToken, expiresAt: t + lifetimeMs, refreshAt: t + Math.max(0, lifetimeMs - Math.min(60_000, lifetimeMs * 0.1)) });
        }
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
