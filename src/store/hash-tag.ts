/**
 * Redis Cluster hashes only the part of a key between its first `{` and the next `}` (when that
 * part is not empty), so keys that carry the same `{tag}` live in one slot, on one node. A
 * script or transaction over keys of different slots is refused there (CROSSSLOT), so every
 * store operation that touches several keys at once requires them to share what is hashed. Both
 * store backends check it, so a key family without a common tag fails in every test, not only
 * against a cluster.
 */
export function hashedPart(key: string): string {
  const open = key.indexOf('{');
  if (open === -1) return key;
  const close = key.indexOf('}', open + 1);
  if (close === -1 || close === open + 1) return key;
  return key.slice(open + 1, close);
}

/** Throws (a programming error, not an outage) when the keys of one atomic step would span slots. */
export function assertOneSlot(operation: string, keys: readonly string[]): void {
  const hashed = new Set(keys.map(hashedPart));
  if (hashed.size > 1) {
    throw new Error(`${operation}: the ${keys.length} keys of one atomic step must share one {hash tag}, so Redis Cluster keeps them in one slot`);
  }
}
