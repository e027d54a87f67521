/**
 * The emulator's state on disk (`EmulatorOptions.dataDir`): one SQLite file the emulator owns, `sandbox.sqlite`,
 * with one row per record of each collection (apps, webhooks, windows, messages, inbound, callbacks, templates,
 * tokens). Changes are written in one transaction shortly after they happen (only the records that changed) and on
 * close; the collections are bounded in memory, so the file is too. A new kind of state is one more entry in the
 * collection list given to `EmulatorStore` (see docs/emulator.md, "State on disk").
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { TrackedMap } from './tracked-map.ts';

export const STORE_FILE = 'sandbox.sqlite';
/** Bump when a stored shape changes in a way old rows cannot be read: a store of another version starts empty. */
const FORMAT_VERSION = 1;
/** How long after a change the store writes (changes within it are written together). */
const SAVE_DELAY_MS = 50;

/** One kind of state: its map, and how a record goes to JSON and back (identity when omitted). */
export type Collection<V = unknown> = {
  name: string;
  map: TrackedMap<V>;
  encode?(value: V): unknown;
  decode?(json: unknown): V | undefined;
};

export class EmulatorStore {
  readonly file: string;
  readonly #db: DatabaseSync;
  readonly #collections: Collection[];
  readonly #upsert: StatementSync;
  readonly #remove: StatementSync;
  readonly #removeKind: StatementSync;
  #timer: NodeJS.Timeout | null = null;
  #seq = 0;
  #closed = false;

  /** Opens (or creates, readable by this user only) the store in `dataDir`. Collections load in the given order. */
  constructor(dataDir: string, collections: Collection[]) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    this.file = path.join(dataDir, STORE_FILE);
    if (!existsSync(this.file)) closeSync(openSync(this.file, 'a', 0o600));
    this.#db = new DatabaseSync(this.file, { timeout: 5000 });
    this.#db.exec('PRAGMA journal_mode = WAL');
    this.#db.exec('PRAGMA synchronous = NORMAL');
    for (const f of [this.file, `${this.file}-wal`, `${this.file}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
    this.#db.exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS records (kind TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL, json TEXT NOT NULL, PRIMARY KEY (kind, id))`);
    const version = this.#db.prepare('SELECT value FROM meta WHERE key = ?').get('format') as { value: string } | undefined;
    if (version?.value !== String(FORMAT_VERSION)) {
      this.#db.exec('DELETE FROM records');
      this.#db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run('format', String(FORMAT_VERSION));
    }
    this.#upsert = this.#db.prepare('INSERT INTO records (kind, id, seq, json) VALUES (?, ?, ?, ?) ON CONFLICT (kind, id) DO UPDATE SET json = excluded.json');
    this.#remove = this.#db.prepare('DELETE FROM records WHERE kind = ? AND id = ?');
    this.#removeKind = this.#db.prepare('DELETE FROM records WHERE kind = ?');
    this.#collections = collections;
  }

  /**
   * Fills the collections from the file (in their order, oldest record first), replacing what they held, then
   * follows their changes. A new file keeps what the collections hold (the seeds) and saves it. True when state
   * was read.
   */
  load(): boolean {
    const max = this.#db.prepare('SELECT MAX(seq) AS seq, COUNT(*) AS n FROM records').get() as { seq: number | null; n: number };
    this.#seq = max.seq ?? 0;
    const found = max.n > 0;
    const rows = this.#db.prepare('SELECT id, json FROM records WHERE kind = ? ORDER BY seq');
    for (const c of this.#collections) {
      if (found) {
        Map.prototype.clear.call(c.map);
        for (const row of rows.iterate(c.name) as Iterable<{ id: string; json: string }>) {
          const json = JSON.parse(row.json) as unknown;
          const value = c.decode === undefined ? json : c.decode(json);
          if (value !== undefined) c.map.restore(row.id, value);
        }
        c.map.markSaved();
      }
      c.map.onChange = () => { this.#schedule(); };
    }
    if (!found) this.save();
    return found;
  }

  #schedule(): void {
    if (this.#timer !== null || this.#closed) return;
    this.#timer = setTimeout(() => { this.#timer = null; this.save(); }, SAVE_DELAY_MS);
    this.#timer.unref();
  }

  /** Writes every change since the last save, in one transaction. */
  save(): void {
    if (this.#timer !== null) { clearTimeout(this.#timer); this.#timer = null; }
    if (!this.#collections.some((c) => c.map.cleared || c.map.dirty.size > 0)) return;
    this.#db.exec('BEGIN');
    try {
      for (const c of this.#collections) {
        if (c.map.cleared) this.#removeKind.run(c.name);
        for (const id of c.map.dirty) {
          const value = c.map.get(id);
          if (value === undefined) this.#remove.run(c.name, id);
          else this.#upsert.run(c.name, id, ++this.#seq, JSON.stringify(c.encode === undefined ? value : c.encode(value)));
        }
      }
      this.#db.exec('COMMIT');
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
    for (const c of this.#collections) c.map.markSaved();
  }

  /** Saves what is left and closes the file; later changes stay in memory only. */
  close(): void {
    if (this.#closed) return;
    this.save();
    this.#closed = true;
    for (const c of this.#collections) c.map.onChange = null;
    this.#db.close();
  }
}
