/**
 * The school directory as pages and reports read it: the names behind the school ids a
 * profile carries. A port (Postgres today). A school that is not in the directory has no
 * entry: callers show its code with a neutral word, never an error.
 */
export interface School {
  id: string;
  fullName: string;
  /** What people read on pages (МБОУ «СОШ № 7»). */
  shortName: string;
  municipality: string;
  /** Two-digit region code. */
  region: string;
}

export interface SchoolDirectory {
  /** The schools among `ids` that the directory knows. */
  byIds(ids: readonly string[]): Promise<Map<string, School>>;
}

/** A page's lookup that never fails: with the directory unreachable, pages show the codes. */
export async function schoolsOrNone(directory: SchoolDirectory | undefined, ids: readonly string[], onError?: (error: unknown) => void): Promise<Map<string, School>> {
  if (!directory || ids.length === 0) return new Map();
  try {
    return await directory.byIds([...new Set(ids)]);
  } catch (error) {
    onError?.(error);
    return new Map();
  }
}
