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
