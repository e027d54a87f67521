/** Whether a database error is a unique-constraint violation, on SQLite or PostgreSQL (SQLSTATE 23505). */
export function isUniqueViolation(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = 'code' in error && typeof error.code === 'string' ? error.code : '';
  return code === '23505' || /UNIQUE constraint failed|duplicate key value/.test(error.message);
}
