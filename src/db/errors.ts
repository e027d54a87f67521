/** Whether a database error is a unique-constraint violation, on SQLite or PostgreSQL (SQLSTATE 23505). */
export function isUniqueViolation(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = 'code' in error && typeof error.code === 'string' ? error.code : '';
  return code === '23505' || /UNIQUE constraint failed|duplicate key value/.test(error.message);
}

/** Whether a database error is a foreign-key violation (the row referred to is gone), on SQLite or PostgreSQL (23503). */
export function isForeignKeyViolation(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = 'code' in error && typeof error.code === 'string' ? error.code : '';
  return code === '23503' || /FOREIGN KEY constraint failed|violates foreign key constraint/.test(error.message);
}
