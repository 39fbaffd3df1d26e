// Keyset-pagination cursors: (sort value, id) of the last row shown, opaque to
// the browser. Pure. A cursor that does not decode is treated as "first page".
export function encodeCursor(value: Date, id: string): string {
  return Buffer.from(`${value.toISOString()}|${id}`).toString("base64url");
}

export function decodeCursor(cursor: string): { value: Date; id: string } | null {
  try {
    const [iso, id] = Buffer.from(cursor, "base64url").toString("utf8").split("|");
    const value = new Date(iso ?? "");
    return id && !Number.isNaN(value.getTime()) ? { value, id } : null;
  } catch {
    return null;
  }
}

/**
 * The Prisma `where` for rows after `from` in (field, id) order, read
 * ascending ("gt") or descending ("lt"). Written as `field <= v AND (field < v
 * OR (field = v AND id < i))` rather than only the OR: the leading range
 * lets SQLite and PostgreSQL start an index scan on `field` at the cursor,
 * where the bare OR made each page scan (and look up) every row before it, so
 * a 100,000-row export read the table O(n^2) times over.
 */
export function keysetAfter<F extends string>(field: F, cmp: "gt" | "lt", from: { value: Date; id: string }) {
  const orEqual = cmp === "gt" ? "gte" : "lte";
  return {
    AND: [{ [field]: { [orEqual]: from.value } }, { OR: [{ [field]: { [cmp]: from.value } }, { [field]: from.value, id: { [cmp]: from.id } }] }],
  };
}
