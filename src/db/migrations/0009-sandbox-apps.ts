import { sql, type Kysely } from 'kysely';

/**
 * A sandbox app belongs to one integration: a unique index on the app id of SANDBOX integrations. (Before it, a
 * second integration naming another's sandbox app took it over: the emulator keys apps by id.) Where a database
 * already has several, the oldest keeps the app id and each later one gets a sandbox app of its own,
 * `<app_id>-<integration id>`, which the service sets up in the emulator at the next start like every sandbox app.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    update integrations set app_id = app_id || '-' || id
    where region = 'SANDBOX' and exists (
      select 1 from integrations older
      where older.region = 'SANDBOX' and older.app_id = integrations.app_id
        and (older.created_at < integrations.created_at or (older.created_at = integrations.created_at and older.id < integrations.id)))
  `.execute(db);
  await sql`create unique index integrations_sandbox_app on integrations (app_id) where region = 'SANDBOX'`.execute(db);
}
