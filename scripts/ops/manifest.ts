// The manifest stored beside each creator's snapshot, and the facts it holds
// about a database file: size, sha256, rows per table.
import Database from "libsql";
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { closeSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import { InputError, UsageError } from "./cli-common.ts";
import { z } from "zod";
import { readOnlyUri } from "./attach-batches.ts";

export const manifestSchema = z.object({
  format: z.literal(1),
  creator: z.string().min(1),
  /** When the snapshot's read transaction began (ISO 8601, UTC). */
  takenAt: z.iso.datetime(),
  method: z.enum(["vacuum-into", "logical-copy"]),
  source: z.string(),
  /** The snapshot's object key in the store, beside this manifest. */
  file: z.string().min(1),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  tables: z.record(z.string(), z.number().int().nonnegative()),
  /**
   * HMAC-SHA256 of the rest of the manifest with the operators' backup key (--key-file),
   * which is never stored with the backups: whoever alters a snapshot and its manifest
   * together cannot make this match.
   */
  hmac: z.string().regex(/^[0-9a-f]{64}$/).optional(),
});
export type Manifest = z.infer<typeof manifestSchema>;

export function parseManifest(text: string, key: string): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${key}: not JSON: ${(e as Error).message}`);
  }
  const m = manifestSchema.safeParse(json);
  if (!m.success) {
    const issue = m.error.issues[0];
    throw new Error(`${key}: ${issue?.path.join(".") || "manifest"}: ${issue?.message}`);
  }
  return m.data;
}

/** The manifest's fields in one fixed order, without its HMAC: what the HMAC covers. */
function signedText(m: Manifest): string {
  const { hmac: _hmac, ...rest } = m;
  const sorted = (v: unknown): unknown =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v as object).sort().map((k) => [k, sorted((v as Record<string, unknown>)[k])]))
      : v;
  return JSON.stringify(sorted(rest));
}

export function signManifest(m: Manifest, key: Buffer): Manifest {
  return { ...m, hmac: createHmac("sha256", key).update(signedText(m)).digest("hex") };
}

/**
 * Checks a manifest's HMAC. With a key, a manifest must carry a matching HMAC
 * (one without it was stripped or made unkeyed); without a key, a keyed manifest
 * cannot be checked and is refused too.
 */
export function verifyManifest(m: Manifest, key: Buffer | undefined, where: string): void {
  if (!key) {
    if (m.hmac) throw new InputError(`${where}: this backup is keyed: give --key-file to check it before restoring`);
    return;
  }
  if (!m.hmac) throw new InputError(`${where}: the manifest has no keyed digest (hmac): it was not made with this key, or it was altered`);
  const expected = signManifest(m, key).hmac as string;
  if (!timingSafeEqual(Buffer.from(expected, "hex"), Buffer.from(m.hmac, "hex"))) {
    throw new InputError(`${where}: the manifest's keyed digest does not match: the snapshot or its manifest was altered, or the key is another`);
  }
}

/** The operators' backup key: the bytes of --key-file (or $OPS_BACKUP_KEY_FILE), at least 32. */
export function readBackupKey(path: string | undefined): Buffer | undefined {
  const file = path ?? process.env.OPS_BACKUP_KEY_FILE;
  if (!file) return undefined;
  let key: Buffer;
  try {
    key = readFileSync(file);
  } catch (e) {
    throw new UsageError(`--key-file: cannot read ${file}: ${(e as Error).message}`);
  }
  if (key.length < 32) throw new UsageError(`--key-file: ${file} holds ${key.length} bytes; a backup key needs at least 32 (openssl rand -out <file> 32)`);
  return key;
}

export function sha256File(path: string): string {
  const hash = createHash("sha256");
  const buf = Buffer.alloc(1 << 20);
  const fd = openSync(path, "r");
  try {
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) hash.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
}

const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** Rows per table (SQLite's internal tables left out), read in one read transaction. */
export function countRows(path: string): Record<string, number> {
  const db = new Database(readOnlyUri(path));
  try {
    db.exec("BEGIN");
    const names = (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").raw().all() as string[][]).map((r) => r[0] as string);
    const out: Record<string, number> = {};
    for (const name of names) out[name] = (db.prepare(`SELECT count(*) FROM ${quoteIdent(name)}`).raw().get() as number[])[0] as number;
    db.exec("COMMIT");
    return out;
  } finally {
    db.close();
  }
}

/** "ok", or SQLite's list of problems. */
export function integrityCheck(path: string): string {
  const db = new Database(readOnlyUri(path));
  try {
    return (db.prepare("PRAGMA integrity_check").raw().all() as string[][]).map((r) => r[0]).join("; ");
  } finally {
    db.close();
  }
}

/** Size, checksum and row counts of a database file. */
export function describeFile(path: string): Pick<Manifest, "size" | "sha256" | "tables"> {
  return { size: statSync(path).size, sha256: sha256File(path), tables: countRows(path) };
}

/** Differences between two row-count maps, as readable lines; empty when equal. */
export function rowCountDifferences(expected: Record<string, number>, actual: Record<string, number>): string[] {
  const names = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
  return names
    .filter((n) => expected[n] !== actual[n])
    .map((n) => `${n}: expected ${expected[n] ?? "no table"}, found ${actual[n] ?? "no table"}`);
}
