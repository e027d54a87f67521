import { AppError } from '../lib/app-error.ts';
import type { Principal } from './access.ts';

export interface StreamSession {
  /** Aborted when the stream must end: its token was revoked (here or on another instance), or shutdown. */
  readonly signal: AbortSignal;
  /** The stream ended: frees its place under the cap. */
  close(): void;
}

/**
 * Live streams (SSE) by the token that opened them: at most `maxPerToken` open at once per token on this instance
 * (one more is refused with 429), and every stream of a token ends as soon as the token is revoked: at once when it
 * is revoked here, and on other instances when they next check (a changed configuration version, within
 * CONFIG_POLL_MS, or every `recheckMs` at the latest), so a revoked token reads nothing more.
 */
export function createStreamSessions(deps: {
  maxPerToken: number;
  /** Which of these token ids are still active. */
  activeTokenIds: (ids: readonly string[]) => Promise<Set<string>>;
  /** Which of these console sessions (hashes) are still open. */
  activeSessions: (hashes: readonly string[]) => Promise<Set<string>>;
  recheckMs: number;
  log: { warn(obj: object, msg: string): void };
}) {
  const byToken = new Map<string, Set<AbortController>>();
  let timer: NodeJS.Timeout | undefined;
  let checking: Promise<void> | undefined;
  let again = false;

  function end(tokenId: string, reason: string): void {
    const open = byToken.get(tokenId);
    if (open === undefined) return;
    byToken.delete(tokenId);
    for (const controller of open) controller.abort(new Error(reason));
  }

  async function check(): Promise<void> {
    const keys = [...byToken.keys()].filter((k) => k !== adminKey);
    const ids = keys.filter((k) => !k.startsWith(sessionPrefix));
    const sessions = keys.filter((k) => k.startsWith(sessionPrefix)).map((k) => k.slice(sessionPrefix.length));
    if (ids.length > 0) {
      const active = await deps.activeTokenIds(ids);
      for (const id of ids) if (!active.has(id)) end(id, 'token revoked');
    }
    if (sessions.length > 0) {
      const open = await deps.activeSessions(sessions);
      for (const hash of sessions) if (!open.has(hash)) end(sessionPrefix + hash, 'signed out');
    }
  }

  return {
    /** A place for one more stream of this principal's token, or 429 `too_many_streams`. */
    open(principal: Principal): StreamSession {
      const key = principal.kind === 'instance_admin' ? adminKey : principal.kind === 'user' ? sessionPrefix + principal.sessionHash : principal.tokenId;
      const open = byToken.get(key) ?? new Set<AbortController>();
      if (open.size >= deps.maxPerToken) {
        throw new AppError(429, 'too_many_streams', `this token already has ${deps.maxPerToken} live streams open (STREAMS_PER_TOKEN); close one first`, undefined, { 'retry-after': '5' });
      }
      const controller = new AbortController();
      open.add(controller);
      byToken.set(key, open);
      return {
        signal: controller.signal,
        close() {
          const set = byToken.get(key);
          set?.delete(controller);
          if (set?.size === 0) byToken.delete(key);
        },
      };
    },

    /** The token was revoked on this instance: its streams end now, before the revocation is answered. */
    revoke(tokenId: string): void {
      end(tokenId, 'token revoked');
    },

    /** The console session ended on this instance (sign-out): its streams end now. */
    endSession(sessionHash: string): void {
      end(sessionPrefix + sessionHash, 'signed out');
    },

    /** Ends the streams of tokens revoked elsewhere (one query for every token with an open stream). */
    recheck(): Promise<void> {
      if (checking !== undefined) {
        again = true; // a revocation may have come after the running check read the tokens
        return checking;
      }
      checking = (async () => {
        do {
          again = false;
          await check();
        } while (again);
      })().catch((error: unknown) => deps.log.warn({ err: error }, 'could not re-check the tokens of open streams')).finally(() => { checking = undefined; });
      return checking;
    },

    start(): void {
      timer ??= setInterval(() => void this.recheck(), deps.recheckMs);
      timer.unref();
    },

    stop(): void {
      clearInterval(timer);
      timer = undefined;
    },

    openCount(): number {
      let n = 0;
      for (const set of byToken.values()) n += set.size;
      return n;
    },
  };
}

const adminKey = '(instance admin)';
const sessionPrefix = 'session:';

export type StreamSessions = ReturnType<typeof createStreamSessions>;
