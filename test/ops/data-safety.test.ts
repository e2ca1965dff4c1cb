// What the operations tools refuse, on real libSQL files with real writers in
// other processes: restore never replaces a database in use (an open writer in
// WAL or rollback-journal mode, a hot journal), --force or not; backup refuses
// empty and non-Ghost files and an empty source directory; a keyed manifest
// shows a snapshot and manifest altered together.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "libsql";
import { afterAll, describe, expect, test } from "vitest";
import { sha256File } from "../../scripts/ops/manifest.ts";
import { generateCreatorDbs } from "../../scripts/fixtures/ghost-db.ts";
import { ops, tempDirs } from "./helpers.ts";

const { temp, cleanup } = tempDirs();
afterAll(cleanup);

/**
 * A writer in another process: opens the database in `mode`, optionally starts
 * a transaction and writes without committing, prints "ready" and waits.
 */
function writer(path: string, mode: "wal" | "delete", open: "idle" | "mid-transaction"): Promise<ChildProcessWithoutNullStreams> {
  const script = `
    const Database = require("libsql");
    const db = new Database(${JSON.stringify(path)});
    db.exec("PRAGMA journal_mode = ${mode}");
    ${open === "mid-transaction" ? `db.exec("BEGIN IMMEDIATE"); db.exec("INSERT INTO tags (id, name, slug, created_at) VALUES ('w', 'w', 'writer-tag', '2026-12-01 00:00:00')");` : ""}
    process.stdout.write("ready\\n");
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ["-e", script], { cwd: join(import.meta.dirname, "../.."), stdio: ["pipe", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    child.stdout.once("data", () => resolve(child));
    child.once("exit", (code) => reject(new Error(`the writer exited with ${code}`)));
  });
}

const stop = (child: ChildProcessWithoutNullStreams, signal: NodeJS.Signals = "SIGTERM") =>
  new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.kill(signal);
  });

function backedUp(label: string): { dir: string; store: string; target: string } {
  const dir = temp(label);
  generateCreatorDbs(dir, 1, { seed: 7 });
  const store = temp(`${label}-store`);
  expect(ops(["backup", "--dir", dir, "--to", store]).code).toBe(0);
  return { dir, store, target: join(dir, "creator-0001.db") };
}

const restore = (store: string, dir: string, ...extra: string[]) => ops(["restore", "--from", store, "--creator", "creator-0001", "--dir", dir, "--json", ...extra]);

describe("restore never replaces a database in use", () => {
  for (const mode of ["wal", "delete"] as const) {
    test(`an open writer (${mode} journal), even with --force; after it stops, the restore works`, async () => {
      const { dir, store, target } = backedUp(`busy-${mode}`);
      const live = await writer(target, mode, "idle");
      const before = sha256File(target);
      for (const force of [[], ["--force"]]) {
        const refused = restore(store, dir, ...force);
        expect(refused.code, refused.stdout + refused.stderr).toBe(1);
        const { failed } = JSON.parse(refused.stdout) as { failed: Array<{ error: string }> };
        expect(failed[0]?.error).toMatch(new RegExp(`the database is in use: pid ${live.pid} .*holds it open`));
        expect(sha256File(target)).toBe(before);
      }
      await stop(live);
      // Switching the journal mode rewrote the file, so it is newer than the snapshot: --force now works.
      const after = restore(store, dir, "--force");
      expect(after.code, after.stdout).toBe(0);
    });
  }

  test("a hot journal left by a writer killed mid-transaction", async () => {
    const { dir, store, target } = backedUp("hot");
    const live = await writer(target, "delete", "mid-transaction");
    await stop(live, "SIGKILL");
    expect(existsSync(`${target}-journal`) && statSync(`${target}-journal`).size > 0).toBe(true);
    const refused = restore(store, dir, "--force");
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/hot journal/);
    expect(existsSync(`${target}-journal`)).toBe(true);
  });
});

describe("backup refuses what is not a creator's database", () => {
  test("an empty file and a database without Ghost's tables fail; the others are backed up; exit 1", () => {
    const dir = temp("not-ghost");
    generateCreatorDbs(dir, 1, { seed: 9 });
    writeFileSync(join(dir, "empty.db"), "");
    const other = new Database(join(dir, "other.db"));
    other.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('x')");
    other.close();
    const r = ops(["backup", "--dir", dir, "--to", temp("not-ghost-store"), "--json"]);
    expect(r.code).toBe(1);
    const result = JSON.parse(r.stdout) as { backedUp: Array<{ creator: string }>; failed: Array<{ creator: string; error: string }> };
    expect(result.backedUp.map((m) => m.creator)).toEqual(["creator-0001"]);
    expect(result.failed).toEqual([
      { creator: "empty", error: expect.stringMatching(/empty\.db is empty \(0 bytes\): not a database/) },
      { creator: "other", error: expect.stringMatching(/other\.db is not a Ghost database: no posts, users, settings, migrations tables/) },
    ]);
  });

  test("an empty source directory is an error, not an empty success", () => {
    const dir = temp("empty-dir");
    mkdirSync(dir, { recursive: true });
    const r = ops(["backup", "--dir", dir, "--to", temp("empty-store")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/nothing to back up: .* has no <creator-id>\.db files/);
  });
});

describe("a keyed manifest", () => {
  test("detects a snapshot and manifest altered together, and a stripped digest", () => {
    const dir = temp("keyed");
    generateCreatorDbs(dir, 1, { seed: 11 });
    const keyFile = join(temp("key"), "backup.key");
    writeFileSync(keyFile, randomBytes(32));
    const store = temp("keyed-store");
    expect(ops(["backup", "--dir", dir, "--to", store, "--key-file", keyFile]).code).toBe(0);
    const [snapshot] = readdirSync(store);
    const snap = join(store, snapshot as string, "creator-0001.db");
    const manifestPath = join(store, snapshot as string, "creator-0001.manifest.json");
    const dest = temp("keyed-dest");
    expect(ops(["restore", "--from", store, "--creator", "creator-0001", "--dir", dest, "--key-file", keyFile]).code).toBe(0);

    // Both altered: a row added to the snapshot, its sha256, size and row counts rewritten to match.
    const db = new Database(snap);
    db.exec("INSERT INTO tags (id, name, slug, created_at) VALUES ('evil', 'evil', 'evil', '2026-12-01 00:00:00')");
    db.close();
    const m = JSON.parse(readFileSync(manifestPath, "utf8")) as Record<string, unknown> & { tables: Record<string, number> };
    writeFileSync(manifestPath, JSON.stringify({ ...m, sha256: sha256File(snap), size: statSync(snap).size, tables: { ...m.tables, tags: (m.tables.tags ?? 0) + 1 } }));
    const other = temp("keyed-other");
    const altered = ops(["restore", "--from", store, "--creator", "creator-0001", "--dir", other, "--key-file", keyFile]);
    expect(altered.code).toBe(1);
    expect(altered.stderr).toMatch(/keyed digest does not match: the snapshot or its manifest was altered/);
    expect(readdirSync(other)).toEqual([]);
    // Without the key, a keyed backup is not restored unchecked.
    expect(ops(["restore", "--from", store, "--creator", "creator-0001", "--dir", other]).stderr).toMatch(/this backup is keyed: give --key-file/);
    // The digest removed: refused with the key.
    const { hmac: _removed, ...stripped } = JSON.parse(readFileSync(manifestPath, "utf8")) as Record<string, unknown>;
    writeFileSync(manifestPath, JSON.stringify(stripped));
    expect(ops(["restore", "--from", store, "--creator", "creator-0001", "--dir", other, "--key-file", keyFile]).stderr).toMatch(/has no keyed digest/);
    expect(readdirSync(other)).toEqual([]);
  });
});
