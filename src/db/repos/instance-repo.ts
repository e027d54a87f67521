import type { Kysely } from 'kysely';
import type { Database } from '../schema.ts';

/** Small instance-wide key/value facts (e.g. the hash of a generated admin token). */
export function createInstanceRepo(db: Kysely<Database>) {
  return {
    async get(key: string): Promise<string | undefined> {
      const row = await db.selectFrom('instance_settings').select('value').where('key', '=', key).executeTakeFirst();
      return row?.value;
    },
    async set(key: string, value: string): Promise<void> {
      await db.insertInto('instance_settings').values({ key, value })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value })).execute();
    },
    /** Sets the value only if the key is absent; returns the value that is stored afterwards. */
    async setIfAbsent(key: string, value: string): Promise<string> {
      await db.insertInto('instance_settings').values({ key, value })
        .onConflict((oc) => oc.column('key').doNothing()).execute();
      const stored = await this.get(key);
      if (stored === undefined) throw new Error(`instance setting ${key} vanished`);
      return stored;
    },
  };
}

export type InstanceRepo = ReturnType<typeof createInstanceRepo>;
