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
 * ascending ("gt") or descending ("lt"): `field <= v AND (field < v OR
 * (field = v AND id < i))`. The leading range is implied by the OR; it is
 * spelled out so that an index on `field` can start at the cursor, which
 * the planners cannot read off the OR alone. One builder for every keyset
 * list (members, export, expiring soon).
 */
export function keysetAfter<F extends string>(field: F, cmp: "gt" | "lt", from: { value: Date; id: string }) {
  const orEqual = cmp === "gt" ? "gte" : "lte";
  return {
    AND: [{ [field]: { [orEqual]: from.value } }, { OR: [{ [field]: { [cmp]: from.value } }, { [field]: from.value, id: { [cmp]: from.id } }] }],
  };
}
