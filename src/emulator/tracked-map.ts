/**
 * A Map that remembers which keys changed since it was last saved (set, delete, clear, or `touch` after a value was
 * changed in place), so that the emulator's store writes only those. Without a store attached it is a plain Map.
 * Always create it empty (Map's constructor would call set() before the fields exist).
 */
export class TrackedMap<V> extends Map<string, V> {
  /** Keys set, deleted or touched since the last save. */
  readonly dirty = new Set<string>();
  /** Cleared since the last save: every stored row of this map goes before the dirty ones are written. */
  cleared = false;
  /** Called after every change (the store schedules a save). */
  onChange: (() => void) | null = null;

  override set(key: string, value: V): this {
    super.set(key, value);
    this.#mark(key);
    return this;
  }

  override delete(key: string): boolean {
    const existed = super.delete(key);
    if (existed) this.#mark(key);
    return existed;
  }

  override clear(): void {
    super.clear();
    this.dirty.clear();
    this.cleared = true;
    this.onChange?.();
  }

  /** A value held here was changed in place: save it again. */
  touch(key: string): void {
    if (super.has(key)) this.#mark(key);
  }

  /** Puts a value read from the store: not a change. */
  restore(key: string, value: V): void {
    super.set(key, value);
  }

  /** After a save. */
  markSaved(): void {
    this.dirty.clear();
    this.cleared = false;
  }

  #mark(key: string): void {
    this.dirty.add(key);
    this.onChange?.();
  }
}
