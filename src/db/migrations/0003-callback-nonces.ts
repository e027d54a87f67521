import type { Kysely } from 'kysely';

/** Signature nonces seen per integration, for replay protection within the timestamp window. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('callback_nonces')
    .addColumn('integration_id', 'text', (c) => c.notNull())
    .addColumn('nonce', 'text', (c) => c.notNull())
    .addColumn('body_hash', 'text', (c) => c.notNull())
    .addColumn('seen_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('callback_nonces_pk', ['integration_id', 'nonce'])
    .execute();
  await db.schema.createIndex('callback_nonces_seen').on('callback_nonces').column('seen_at').execute();
}
