import type { Kysely } from 'kysely';

/** A customer import's column mapping (the file's column → phone, a field, an attribute or ignore), as JSON; null: by name. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('customer_imports').addColumn('columns_json', 'text').execute();
}

