// A consistent snapshot of one creator database into a new local file, taken
// while Ghost may be writing:
// - a database file: VACUUM INTO on a read-only connection (one read transaction);
// - an sqld endpoint: a logical copy through @libsql/client inside one read
//   transaction (schema, then every table's rows, then indexes and triggers).
//   VACUUM INTO cannot write a file on this machine through sqld, and sqld's
//   GET /dump would need a dump parser; the client path is also testable here.
import Database from "libsql";
import { createClient, type InValue } from "@libsql/client";
import { fileProblem, readOnlyUri } from "./attach-batches.ts";
import { creatorToken, type FileCreator, type UrlCreator } from "./creator-databases.ts";
import type { Manifest } from "./manifest.ts";

export interface SnapshotTaken {
  takenAt: string;
  method: Manifest["method"];
  source: string;
}

const sqlString = (s: string): string => `'${s.replaceAll("'", "''")}'`;
const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;

export function snapshotFile(creator: FileCreator, dest: string, busyTimeoutMs: number): SnapshotTaken {
  const problem = fileProblem(creator.path);
  if (problem) throw new Error(problem);
  const db = new Database(readOnlyUri(creator.path));
  try {
    db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
    const takenAt = new Date().toISOString();
    db.exec(`VACUUM INTO ${sqlString(dest)}`);
    return { takenAt, method: "vacuum-into", source: creator.path };
  } finally {
    db.close();
  }
}

interface SchemaRow {
  type: string;
  name: string;
  sql: string;
}

export async function snapshotEndpoint(creator: UrlCreator, dest: string): Promise<SnapshotTaken> {
  const client = createClient({ url: creator.url, authToken: creatorToken(creator) });
  const out = new Database(dest);
  try {
    const tx = await client.transaction("read");
    try {
      const takenAt = new Date().toISOString();
      const schema = (
        await tx.execute("SELECT type, name, sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY rowid")
      ).rows.map((r) => ({ type: String(r[0]), name: String(r[1]), sql: String(r[2]) }) satisfies SchemaRow);
      out.exec("BEGIN");
      for (const s of schema.filter((s) => s.type === "table")) {
        out.exec(s.sql);
        const rs = await tx.execute(`SELECT * FROM ${quoteIdent(s.name)}`);
        if (rs.rows.length === 0) continue;
        const cols = rs.columns.map(quoteIdent).join(", ");
        const insert = out.prepare(`INSERT INTO ${quoteIdent(s.name)} (${cols}) VALUES (${rs.columns.map(() => "?").join(", ")})`);
        for (const row of rs.rows) insert.run(rs.columns.map((_, i) => toBindable(row[i] as InValue)));
      }
      for (const s of schema.filter((s) => s.type !== "table")) out.exec(s.sql);
      out.exec("COMMIT");
      return { takenAt, method: "logical-copy", source: creator.url };
    } finally {
      tx.close();
    }
  } finally {
    out.close();
    client.close();
  }
}

function toBindable(v: InValue): unknown {
  if (v instanceof ArrayBuffer) return Buffer.from(v);
  if (typeof v === "boolean") return v ? 1 : 0;
  if (v instanceof Date) return v.toISOString();
  return v;
}
