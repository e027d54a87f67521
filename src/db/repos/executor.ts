import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../schema.ts';

/** Either the database or an open transaction: repos take one so services can compose writes atomically. */
export type Executor = Kysely<Database> | Transaction<Database>;
