import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.ts';

export type UserRow = Database['users'];
export type MemberRow = Database['project_members'];
export type SessionRow = Database['user_sessions'];
export type PasswordLinkRow = Database['password_links'];

export function createUsersRepo(db: Kysely<Database>) {
  return {
    async insert(row: UserRow): Promise<void> {
      await db.insertInto('users').values(row).execute();
    },
    /** Inserts the user only while no user exists at all (the first admin), in one statement. */
    async insertFirst(row: UserRow): Promise<boolean> {
      const r = await sql`insert into users (id, email, name, password_hash, instance_admin, created_at, password_set_at, last_sign_in_at)
        select ${row.id}, ${row.email}, ${row.name}, ${row.password_hash}, ${row.instance_admin}, ${row.created_at}, ${row.password_set_at}, ${row.last_sign_in_at}
        where not exists (select 1 from users)`.execute(db);
      return (r.numAffectedRows ?? 0n) > 0n;
    },
    async any(): Promise<boolean> {
      return (await db.selectFrom('users').select('id').limit(1).executeTakeFirst()) !== undefined;
    },
    find(id: string): Promise<UserRow | undefined> {
      return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    },
    findByEmail(email: string): Promise<UserRow | undefined> {
      return db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
    },
    list(options: { after?: string; limit: number }): Promise<UserRow[]> {
      let q = db.selectFrom('users').selectAll().orderBy('id').limit(options.limit);
      if (options.after !== undefined) q = q.where('id', '>', options.after);
      return q.execute();
    },
    async setPassword(id: string, hash: string, at: string): Promise<void> {
      await db.updateTable('users').set({ password_hash: hash, password_set_at: at }).where('id', '=', id).execute();
    },
    async update(id: string, values: Partial<Pick<UserRow, 'name' | 'instance_admin' | 'last_sign_in_at'>>): Promise<void> {
      await db.updateTable('users').set(values).where('id', '=', id).execute();
    },

    rolesOf(userId: string): Promise<Pick<MemberRow, 'project_id' | 'role'>[]> {
      return db.selectFrom('project_members').select(['project_id', 'role']).where('user_id', '=', userId).execute();
    },
    /** Adds the membership or changes its role. */
    async putMember(row: MemberRow): Promise<void> {
      await db.insertInto('project_members').values(row)
        .onConflict((oc) => oc.columns(['project_id', 'user_id']).doUpdateSet({ role: row.role })).execute();
    },
    async removeMember(projectId: string, userId: string): Promise<boolean> {
      const r = await db.deleteFrom('project_members').where('project_id', '=', projectId).where('user_id', '=', userId).executeTakeFirst();
      return r.numDeletedRows > 0n;
    },
    members(projectId: string, options: { after?: string; limit: number }) {
      let q = db.selectFrom('project_members').innerJoin('users', 'users.id', 'project_members.user_id')
        .select(['users.id', 'users.email', 'users.name', 'users.password_hash', 'users.last_sign_in_at', 'project_members.role', 'project_members.created_at'])
        .where('project_members.project_id', '=', projectId).orderBy('users.id').limit(options.limit);
      if (options.after !== undefined) q = q.where('users.id', '>', options.after);
      return q.execute();
    },
    countAdmins(projectId: string): Promise<number> {
      return db.selectFrom('project_members').select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('project_id', '=', projectId).where('role', '=', 'admin').executeTakeFirstOrThrow().then((r) => Number(r.n));
    },

    async insertSession(row: SessionRow): Promise<void> {
      await db.insertInto('user_sessions').values(row).execute();
    },
    findSession(tokenHash: string, now: string): Promise<(SessionRow & { email: string; name: string; instance_admin: number }) | undefined> {
      return db.selectFrom('user_sessions').innerJoin('users', 'users.id', 'user_sessions.user_id')
        .selectAll('user_sessions').select(['users.email', 'users.name', 'users.instance_admin'])
        .where('user_sessions.token_hash', '=', tokenHash).where('user_sessions.expires_at', '>', now).executeTakeFirst();
    },
    async activeSessions(hashes: readonly string[], now: string): Promise<Set<string>> {
      if (hashes.length === 0) return new Set();
      const rows = await db.selectFrom('user_sessions').select('token_hash').where('token_hash', 'in', [...hashes]).where('expires_at', '>', now).execute();
      return new Set(rows.map((r) => r.token_hash));
    },
    async touchSession(tokenHash: string, at: string, expiresAt: string): Promise<void> {
      await db.updateTable('user_sessions').set({ last_seen_at: at, expires_at: expiresAt }).where('token_hash', '=', tokenHash).execute();
    },
    async deleteSession(tokenHash: string): Promise<void> {
      await db.deleteFrom('user_sessions').where('token_hash', '=', tokenHash).execute();
    },
    async deleteSessionsOf(userId: string): Promise<void> {
      await db.deleteFrom('user_sessions').where('user_id', '=', userId).execute();
    },

    async insertLink(row: PasswordLinkRow): Promise<void> {
      await db.insertInto('password_links').values(row).execute();
    },
    /** Marks an unused, unexpired link used and returns it; undefined when it is unknown, used or expired. */
    async consumeLink(tokenHash: string, now: string): Promise<PasswordLinkRow | undefined> {
      return db.updateTable('password_links').set({ used_at: now })
        .where('token_hash', '=', tokenHash).where('used_at', 'is', null).where('expires_at', '>', now)
        .returningAll().executeTakeFirst();
    },
    async expireLinksOf(userId: string, now: string): Promise<void> {
      await db.updateTable('password_links').set({ used_at: now }).where('user_id', '=', userId).where('used_at', 'is', null).execute();
    },
    /** Failed sign-ins for this email (its SHA-256) in its current window (none once the window has ended). */
    async signInFailures(emailHash: string, now: number): Promise<{ failures: number; window_until: number } | undefined> {
      return db.selectFrom('sign_in_failures').select(['failures', 'window_until'])
        .where('email_hash', '=', emailHash).where('window_until', '>', now).executeTakeFirst();
    },
    /**
     * One more failed sign-in, counted in one statement whichever instance sees it: a new window of `windowMs`
     * when there is none or it has ended. Windows that have ended are deleted first (bounded by what expired).
     */
    async recordSignInFailure(emailHash: string, now: number, windowMs: number): Promise<{ failures: number; window_until: number }> {
      await db.deleteFrom('sign_in_failures').where('window_until', '<=', now).execute();
      const row = await db.insertInto('sign_in_failures').values({ email_hash: emailHash, failures: 1, window_until: now + windowMs })
        .onConflict((oc) => oc.column('email_hash').doUpdateSet({
          failures: sql<number>`case when sign_in_failures.window_until <= ${now} then 1 else sign_in_failures.failures + 1 end`,
          window_until: sql<number>`case when sign_in_failures.window_until <= ${now} then ${now + windowMs} else sign_in_failures.window_until end`,
        }))
        .returning(['failures', 'window_until']).executeTakeFirstOrThrow();
      return { failures: Number(row.failures), window_until: Number(row.window_until) };
    },
    async clearSignInFailures(emailHash: string): Promise<void> {
      await db.deleteFrom('sign_in_failures').where('email_hash', '=', emailHash).execute();
    },
  };
}

export type UsersRepo = ReturnType<typeof createUsersRepo>;
