import type { Kysely } from 'kysely';
import type { Database } from '../schema.ts';

export type TokenRow = Database['api_tokens'];

export function createTokensRepo(db: Kysely<Database>) {
  return {
    async insert(row: TokenRow): Promise<void> {
      await db.insertInto('api_tokens').values(row).execute();
    },
    findActiveByHash(tokenHash: string): Promise<TokenRow | undefined> {
      return db.selectFrom('api_tokens').selectAll()
        .where('token_hash', '=', tokenHash).where('revoked_at', 'is', null).executeTakeFirst();
    },
    /** Which of these token ids are still active (not revoked). */
    async activeIds(ids: readonly string[]): Promise<Set<string>> {
      if (ids.length === 0) return new Set();
      const rows = await db.selectFrom('api_tokens').select('id').where('id', 'in', [...ids]).where('revoked_at', 'is', null).execute();
      return new Set(rows.map((r) => r.id));
    },
    list(projectId: string, options: { after?: string; limit: number }): Promise<TokenRow[]> {
      let q = db.selectFrom('api_tokens').selectAll().where('project_id', '=', projectId).orderBy('id').limit(options.limit);
      if (options.after !== undefined) q = q.where('id', '>', options.after);
      return q.execute();
    },
    async revoke(projectId: string, id: string, at: string): Promise<boolean> {
      const r = await db.updateTable('api_tokens').set({ revoked_at: at })
        .where('project_id', '=', projectId).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },
    async touch(id: string, at: string): Promise<void> {
      await db.updateTable('api_tokens').set({ last_used_at: at }).where('id', '=', id).execute();
    },
  };
}

export type TokensRepo = ReturnType<typeof createTokensRepo>;
