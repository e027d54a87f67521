import { createHmac } from 'node:crypto';
import { AppError, invalidField, notFound } from '../lib/app-error.ts';
import { createId, createSecretToken } from '../lib/ids.ts';
import { buildPage, type Page, type PageRequest } from '../lib/pagination.ts';
import { hashPassword, unmatchableHash, verifyPassword } from '../lib/password.ts';
import { hashToken } from '../lib/secret-box.ts';
import type { Clock } from '../lib/time.ts';
import type { UserRow, UsersRepo } from '../db/repos/users-repo.ts';
import type { Principal, Role } from './access.ts';

export interface UserView {
  id: string; email: string; name: string; instance_admin: boolean; created_at: string;
  /** False while an invitation is open (no password yet). */
  password_set: boolean;
  last_sign_in_at: string | null;
}
export interface MemberView { user_id: string; email: string; name: string; role: Role; password_set: boolean; last_sign_in_at: string | null; added_at: string }
export interface SessionView {
  user: UserView;
  projects: { id: string; role: Role }[];
  /** Send it back as `X-CSRF-Token` on every request that changes something. */
  csrf_token: string;
  expires_at: string;
}
export interface PasswordLink { url: string; token: string; expires_at: string }

/** Sessions last this long since their last use; the cookie's value is 256 random bits, only its hash is stored. */
export const sessionIdleMs = 7 * 24 * 3600_000;
const touchEveryMs = 60_000;
const inviteTtlMs = 7 * 24 * 3600_000;
const resetTtlMs = 24 * 3600_000;
const minPasswordLength = 10;
/** Failed sign-ins allowed per email address in `failureWindowMs` (all instances together) before 429 answers. */
const maxFailures = 10;
const failureWindowMs = 15 * 60_000;

const toUserView = (row: UserRow): UserView => ({
  id: row.id, email: row.email, name: row.name, instance_admin: row.instance_admin === 1, created_at: row.created_at,
  password_set: row.password_hash !== null, last_sign_in_at: row.last_sign_in_at,
});

export function normalizeEmail(raw: string, field = 'email'): string {
  const email = raw.trim().toLowerCase();
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) || email.length > 254) throw invalidField(field, `${field} must be an email address such as ana@example.com`);
  return email;
}

function checkPassword(password: string, field = 'password'): void {
  if (password.length < minPasswordLength) throw invalidField(field, `${field} must be at least ${minPasswordLength} characters`);
  if (password.length > 1024) throw invalidField(field, `${field} must be at most 1024 characters`);
}

/** The CSRF token of a session: derived from the session's secret, so it needs no storage and dies with it. */
export function csrfTokenOf(sessionToken: string): string {
  return createHmac('sha256', sessionToken).update('csrf').digest('base64url');
}

/**
 * Console users: sign-in with email and password, sessions, the first admin, invitations to a project and
 * password resets through one-time links. API tokens stay what machines use; a user is another kind of principal.
 */
export function createUsersService(deps: {
  users: UsersRepo; clock: Clock; publicUrl: string;
  /** A session ended here (sign-out, reset, new password): its live streams end now. */
  onSessionEnded?: (sessionHash: string) => void;
}) {
  const now = () => deps.clock.now();
  // Failed sign-ins by email (its SHA-256, as tokens are kept), counted in the database: guessing passwords gets slow
  // on every instance together, and a restart does not forget. Seconds until the window ends, when its failures are
  // used up.
  async function throttled(failureKey: string): Promise<number | undefined> {
    const at = now().getTime();
    const entry = await deps.users.signInFailures(failureKey, at);
    return entry !== undefined && entry.failures >= maxFailures ? Math.ceil((entry.window_until - at) / 1000) : undefined;
  }

  async function link(userId: string, purpose: 'invite' | 'reset'): Promise<PasswordLink> {
    const token = createSecretToken(purpose === 'invite' ? 'mmi' : 'mmr');
    const at = now();
    const expiresAt = new Date(at.getTime() + (purpose === 'invite' ? inviteTtlMs : resetTtlMs)).toISOString();
    await deps.users.expireLinksOf(userId, at.toISOString());
    await deps.users.insertLink({ token_hash: hashToken(token), user_id: userId, purpose, created_at: at.toISOString(), expires_at: expiresAt, used_at: null });
    return { token, url: `${deps.publicUrl}/set-password#token=${token}`, expires_at: expiresAt };
  }

  async function newUser(input: { email: string; name?: string | undefined; password?: string | undefined; instanceAdmin: boolean }): Promise<UserRow> {
    const email = normalizeEmail(input.email);
    if (input.password !== undefined) checkPassword(input.password);
    const at = now().toISOString();
    return {
      id: createId('usr'), email, name: input.name?.trim() || email.split('@')[0]!,
      password_hash: input.password !== undefined ? await hashPassword(input.password) : null,
      instance_admin: input.instanceAdmin ? 1 : 0, created_at: at, password_set_at: input.password !== undefined ? at : null, last_sign_in_at: null,
    };
  }

  async function sessionView(token: string, user: UserRow, expiresAt: string): Promise<SessionView> {
    const roles = await deps.users.rolesOf(user.id);
    return {
      user: toUserView(user), projects: roles.map((r) => ({ id: r.project_id, role: r.role })),
      csrf_token: csrfTokenOf(token), expires_at: expiresAt,
    };
  }

  function duplicateEmail(): AppError {
    return new AppError(409, 'conflict', 'a user with this email already exists', 'email');
  }

  return {
    /** Whether the console still needs its first admin (no user at all). */
    async setupNeeded(): Promise<boolean> {
      return !(await deps.users.any());
    },

    /** Creates a user (instance admin). Without a password, the answer carries a link to set one. */
    async createUser(input: { email: string; name?: string | undefined; password?: string | undefined; instance_admin?: boolean | undefined }): Promise<UserView & { set_password?: PasswordLink }> {
      const row = await newUser({ ...input, instanceAdmin: input.instance_admin === true });
      if (await deps.users.findByEmail(row.email) !== undefined) throw duplicateEmail();
      await deps.users.insert(row);
      return { ...toUserView(row), ...(row.password_hash === null ? { set_password: await link(row.id, 'invite') } : {}) };
    },

    /** The first admin of a new install, allowed only while no user exists (then signs in). */
    async createFirstAdmin(input: { email: string; name?: string | undefined; password: string }): Promise<UserView> {
      const row = await newUser({ ...input, instanceAdmin: true });
      if (!(await deps.users.insertFirst(row))) throw new AppError(409, 'conflict', 'the first admin exists already; sign in, or ask an admin to invite you');
      return toUserView(row);
    },

    async listUsers(page: PageRequest): Promise<Page<UserView>> {
      const rows = await deps.users.list({ ...(page.after !== undefined ? { after: page.after } : {}), limit: page.limit + 1 });
      return buildPage(rows, page.limit, (r) => r.id, toUserView);
    },

    /** A one-time link (24 h) to set a new password; the user's sessions end now (instance admin). */
    async resetPassword(userId: string): Promise<PasswordLink> {
      const user = await deps.users.find(userId);
      if (user === undefined) throw notFound('user');
      await deps.users.deleteSessionsOf(userId);
      return link(userId, 'reset');
    },

    /** Sets the password through an invitation or reset link (used once). */
    async setPasswordWithLink(token: string, password: string): Promise<UserView> {
      checkPassword(password);
      const hash = await hashPassword(password);
      const at = now().toISOString();
      const row = await deps.users.consumeLink(hashToken(token), at);
      if (row === undefined) throw invalidField('token', 'this link is unknown, used or expired; ask an admin for a new one', 'invalid_link');
      await deps.users.setPassword(row.user_id, hash, at);
      await deps.users.deleteSessionsOf(row.user_id);
      return toUserView((await deps.users.find(row.user_id))!);
    },

    async changePassword(userId: string, current: string, next: string): Promise<void> {
      checkPassword(next, 'new_password');
      const user = await deps.users.find(userId);
      if (user?.password_hash == null || !(await verifyPassword(current, user.password_hash))) {
        throw invalidField('current_password', 'current_password is not right', 'invalid_credentials');
      }
      await deps.users.setPassword(userId, await hashPassword(next), now().toISOString());
    },

    /** Signs in: a new session (its secret goes into the cookie) or 401 with one message for every wrong case. */
    async signIn(emailRaw: string, password: string): Promise<{ token: string; session: SessionView }> {
      const email = emailRaw.trim().toLowerCase();
      const failureKey = hashToken(email);
      const wait = await throttled(failureKey);
      if (wait !== undefined) {
        throw new AppError(429, 'too_many_attempts', `too many failed sign-ins for this email; try again in ${Math.ceil(wait / 60)} minutes, or ask an admin for a reset link`, undefined, { 'retry-after': String(wait) });
      }
      const user = await deps.users.findByEmail(email);
      const ok = await verifyPassword(password, user?.password_hash ?? unmatchableHash);
      if (user === undefined || user.password_hash === null || !ok) {
        await deps.users.recordSignInFailure(failureKey, now().getTime(), failureWindowMs);
        throw new AppError(401, 'invalid_credentials', 'the email or the password is not right');
      }
      await deps.users.clearSignInFailures(failureKey);
      const token = createSecretToken('mms');
      const at = now();
      const expiresAt = new Date(at.getTime() + sessionIdleMs).toISOString();
      await deps.users.insertSession({ token_hash: hashToken(token), user_id: user.id, created_at: at.toISOString(), last_seen_at: at.toISOString(), expires_at: expiresAt });
      await deps.users.update(user.id, { last_sign_in_at: at.toISOString() });
      return { token, session: await sessionView(token, { ...user, last_sign_in_at: at.toISOString() }, expiresAt) };
    },

    async signOut(token: string): Promise<void> {
      await deps.users.deleteSession(hashToken(token));
      deps.onSessionEnded?.(hashToken(token));
    },

    /** Which of these sessions (hashes) are still open. */
    activeSessions(hashes: readonly string[]): Promise<Set<string>> {
      return deps.users.activeSessions(hashes, now().toISOString());
    },

    /** The principal behind a session cookie, or undefined when it is unknown or expired. Slides the expiry. */
    async authenticate(token: string): Promise<(Principal & { kind: 'user' }) | undefined> {
      const hash = hashToken(token);
      const at = now();
      const session = await deps.users.findSession(hash, at.toISOString());
      if (session === undefined) return undefined;
      if (Date.parse(session.last_seen_at) < at.getTime() - touchEveryMs) {
        await deps.users.touchSession(hash, at.toISOString(), new Date(at.getTime() + sessionIdleMs).toISOString());
      }
      const roles = new Map((await deps.users.rolesOf(session.user_id)).map((m) => [m.project_id, m.role] as const));
      return { kind: 'user', userId: session.user_id, instanceAdmin: session.instance_admin === 1, roles, sessionHash: hash };
    },

    async describe(token: string): Promise<SessionView> {
      const session = await deps.users.findSession(hashToken(token), now().toISOString());
      if (session === undefined) throw new AppError(401, 'unauthorized', 'sign in first');
      return sessionView(token, (await deps.users.find(session.user_id))!, session.expires_at);
    },

    async listMembers(projectId: string, page: PageRequest): Promise<Page<MemberView>> {
      const rows = await deps.users.members(projectId, { ...(page.after !== undefined ? { after: page.after } : {}), limit: page.limit + 1 });
      return buildPage(rows, page.limit, (r) => r.id, (r) => ({
        user_id: r.id, email: r.email, name: r.name, role: r.role, password_set: r.password_hash !== null, last_sign_in_at: r.last_sign_in_at, added_at: r.created_at,
      }));
    },

    /**
     * Invites a person to the project: an existing user gets the role at once; a new one is created and the
     * answer carries the one-time link to set a password (7 days), for the inviting admin to pass on.
     */
    async invite(projectId: string, input: { email: string; name?: string | undefined; role: Role }): Promise<MemberView & { set_password?: PasswordLink }> {
      const email = normalizeEmail(input.email);
      let user = await deps.users.findByEmail(email);
      let setPassword: PasswordLink | undefined;
      if (user === undefined) {
        user = await newUser({ email, name: input.name, instanceAdmin: false });
        await deps.users.insert(user);
        setPassword = await link(user.id, 'invite');
      }
      const at = now().toISOString();
      await deps.users.putMember({ project_id: projectId, user_id: user.id, role: input.role, created_at: at });
      return {
        user_id: user.id, email: user.email, name: user.name, role: input.role, password_set: user.password_hash !== null,
        last_sign_in_at: user.last_sign_in_at, added_at: at, ...(setPassword !== undefined ? { set_password: setPassword } : {}),
      };
    },

    async setRole(projectId: string, userId: string, role: Role): Promise<void> {
      const roles = await deps.users.rolesOf(userId);
      const current = roles.find((r) => r.project_id === projectId);
      if (current === undefined) throw notFound('member');
      if (current.role === 'admin' && role !== 'admin' && (await deps.users.countAdmins(projectId)) <= 1) {
        throw new AppError(409, 'conflict', 'a project keeps at least one admin; make someone else admin first', 'role');
      }
      await deps.users.putMember({ project_id: projectId, user_id: userId, role, created_at: now().toISOString() });
    },

    async removeMember(projectId: string, userId: string): Promise<void> {
      const roles = await deps.users.rolesOf(userId);
      const current = roles.find((r) => r.project_id === projectId);
      if (current === undefined) throw notFound('member');
      if (current.role === 'admin' && (await deps.users.countAdmins(projectId)) <= 1) {
        throw new AppError(409, 'conflict', 'a project keeps at least one admin; make someone else admin first');
      }
      await deps.users.removeMember(projectId, userId);
    },
  };
}

export type UsersService = ReturnType<typeof createUsersService>;
