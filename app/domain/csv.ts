// CSV out: rows (arrays of cells) as a byte stream, pulled one page at a time,
// so a file of any length is never built in memory. Quoting is csv-stringify's;
// every cell is protected against spreadsheet formulas (member-import.ts csvCell).
import { stringify } from "csv-stringify/sync";
import { csvCell } from "./member-import";

/** Rows are stringified this many at a time (one pull of the stream). */
const ROWS_PER_PULL = 500;

export function csvStream(rows: AsyncIterable<string[]>): ReadableStream<Uint8Array> {
  const it = rows[Symbol.asyncIterator]();
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const batch: string[][] = [];
      while (batch.length < ROWS_PER_PULL) {
        const next = await it.next();
        if (next.done) break;
        batch.push(next.value.map(csvCell));
      }
      if (batch.length) controller.enqueue(encoder.encode(stringify(batch, { record_delimiter: "\r\n" })));
      if (batch.length < ROWS_PER_PULL) controller.close();
    },
    async cancel() {
      await it.return?.();
    },
  });
}

/** A download response for `rows`, streamed. */
export function csvResponse(rows: AsyncIterable<string[]>, fileName: string): Response {
  return new Response(csvStream(rows), {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="${fileName.replace(/[^\w.-]/g, "_")}"`,
      "Cache-Control": "no-store",
    },
  });
}
