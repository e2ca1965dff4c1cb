// What a query against one creator's database gave: its rows, or why it failed.
export type CreatorOutcome =
  | { creator: string; ok: true; columns: string[]; rows: unknown[][] }
  | { creator: string; ok: false; error: string };

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Makes a database value JSON-safe: big integers as numbers when exact (else strings), blobs as base64. */
export function plainValue(v: unknown): unknown {
  if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof ArrayBuffer) return Buffer.from(v).toString("base64");
  if (ArrayBuffer.isView(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64");
  return v;
}

/** The column name reserved for the creator id in every result row. */
export const CREATOR_COLUMN = "creator";
