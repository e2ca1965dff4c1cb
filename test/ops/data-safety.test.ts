// What the operations tools refuse, on real libSQL files with real writers in
// other processes: restore never replaces a database in use (an open writer in
// WAL or rollback-journal mode, a hot journal), --force or not; backup refuses
// empty and non-Ghost files and an empty source directory; a keyed manifest
// shows a snapshot and manifest altered together.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "libsql";
import { afterAll, describe, expect, test } from "vitest";
import { sha256File } from "../../scripts/ops/manifest.ts";
import { generateCreatorDbs } from "../../scripts/fixtures/ghost-db.ts";
import { ops, stop, tempDirs, writer } from "./helpers.ts";

const { temp, cleanup } = tempDirs();
afterAll(cleanup);

/**
 * A creator's database backed up, and the same database (same seed) as the restore target.
 * The target is not the file backed up: the backup ran in this process, and libSQL keeps
 * descriptors of a file it has read open after close(), which would block the writers below.
 */
async function backedUp(label: string): Promise<{ dir: string; store: string; target: string }> {
  const source = temp(`${label}-source`);
  generateCreatorDbs(source, 1, { seed: 7 });
  const store = temp(`${label}-store`);
  expect((await ops(["backup", "--dir", source, "--to", store])).code).toBe(0);
  const dir = temp(label);
  generateCreatorDbs(dir, 1, { seed: 7 });
  return { dir, store, target: join(dir, "creator-0001.db") };
}

const restore = (store: string, dir: string, ...extra: string[]) => ops(["restore", "--from", store, "--creator", "creator-0001", "--dir", dir, "--json", ...extra]);

describe("restore never replaces a database in use", () => {
  for (const mode of ["wal", "delete"] as const) {
    test(`an open writer (${mode} journal), even with --force; after it stops, the restore works`, async () => {
      const { dir, store, target } = await backedUp(`busy-${mode}`);
      const live = await writer(target, mode, "idle");
      const before = sha256File(target);
      for (const force of [[], ["--force"]]) {
        const refused = await restore(store, dir, ...force);
        expect(refused.code, refused.stdout + refused.stderr).toBe(1);
        const { failed } = JSON.parse(refused.stdout) as { failed: Array<{ error: string }> };
        expect(failed[0]?.error).toMatch(new RegExp(`the database is in use: pid ${live.pid} .*holds it open`));
        expect(sha256File(target)).toBe(before);
      }
      await stop(live);
      // The target was written after the snapshot, so it takes --force; with the writer gone, --force works.
      const after = await restore(store, dir, "--force");
      expect(after.code, after.stdout).toBe(0);
    });
  }

  test("a hot journal left by a writer killed mid-transaction", async () => {
    const { dir, store, target } = await backedUp("hot");
    const live = await writer(target, "delete", "mid-transaction");
    await stop(live, "SIGKILL");
    expect(existsSync(`${target}-journal`) && statSync(`${target}-journal`).size > 0).toBe(true);
    const refused = await restore(store, dir, "--force");
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/hot journal/);
    expect(existsSync(`${target}-journal`)).toBe(true);
  });
});

describe("backup refuses what is not a creator's database", () => {
  test("an empty file and a database without Ghost's tables fail; the others are backed up; exit 1", async () => {
    const dir = temp("not-ghost");
    generateCreatorDbs(dir, 1, { seed: 9 });
    writeFileSync(join(dir, "empty.db"), "");
    const other = new Database(join(dir, "other.db"));
    other.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('x')");
    other.close();
    const r = await ops(["backup", "--dir", dir, "--to", temp("not-ghost-store"), "--json"]);
    expect(r.code).toBe(1);
    const result = JSON.parse(r.stdout) as { backedUp: Array<{ creator: string }>; failed: Array<{ creator: string; error: string }> };
    expect(result.backedUp.map((m) => m.creator)).toEqual(["creator-0001"]);
    expect(result.failed).toEqual([
      { creator: "empty", error: expect.stringMatching(/empty\.db is empty \(0 bytes\): not a database/) },
      { creator: "other", error: expect.stringMatching(/other\.db is not a Ghost database: no posts, users, settings, migrations tables/) },
    ]);
  });

  test("an empty source directory is an error, not an empty success", async () => {
    const dir = temp("empty-dir");
    mkdirSync(dir, { recursive: true });
    const r = await ops(["backup", "--dir", dir, "--to", temp("empty-store")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/nothing to back up: .* has no <creator-id>\.db files/);
  });
});

describe("a keyed manifest", () => {
  test("detects a snapshot and manifest altered together, and a stripped digest", async () => {
    const dir = temp("keyed");
    generateCreatorDbs(dir, 1, { seed: 11 });
    const keyFile = join(temp("key"), "backup.key");
    writeFileSync(keyFile, randomBytes(32));
    const store = temp("keyed-store");
    expect((await ops(["backup", "--dir", dir, "--to", store, "--key-file", keyFile])).code).toBe(0);
    const [snapshot] = readdirSync(store);
    const snap = join(store, snapshot as string, "creator-0001.db");
    const manifestPath = join(store, snapshot as string, "creator-0001.manifest.json");
    const dest = temp("keyed-dest");
    expect((await ops(["restore", "--from", store, "--creator", "creator-0001", "--dir", dest, "--key-file", keyFile])).code).toBe(0);

    // Both altered: a row added to the snapshot, its sha256, size and row counts rewritten to match.
    const db = new Database(snap);
    db.exec("INSERT INTO tags (id, name, slug, created_at) VALUES ('evil', 'evil', 'evil', '2026-12-01 00:00:00')");
    db.close();
    const m = JSON.parse(readFileSync(manifestPath, "utf8")) as Record<string, unknown> & { tables: Record<string, number> };
    writeFileSync(manifestPath, JSON.stringify({ ...m, sha256: sha256File(snap), size: statSync(snap).size, tables: { ...m.tables, tags: (m.tables.tags ?? 0) + 1 } }));
    const other = temp("keyed-other");
    const altered = await ops(["restore", "--from", store, "--creator", "creator-0001", "--dir", other, "--key-file", keyFile]);
    expect(altered.code).toBe(1);
    expect(altered.stderr).toMatch(/keyed digest does not match: the snapshot or its manifest was altered/);
    expect(readdirSync(other)).toEqual([]);
    // Without the key, a keyed backup is not restored unchecked.
    expect((await ops(["restore", "--from", store, "--creator", "creator-0001", "--dir", other])).stderr).toMatch(/this backup is keyed: give --key-file/);
    // The digest removed: refused with the key.
    const { hmac: _removed, ...stripped } = JSON.parse(readFileSync(manifestPath, "utf8")) as Record<string, unknown>;
    writeFileSync(manifestPath, JSON.stringify(stripped));
    expect((await ops(["restore", "--from", store, "--creator", "creator-0001", "--dir", other, "--key-file", keyFile])).stderr).toMatch(/has no keyed digest/);
    expect(readdirSync(other)).toEqual([]);
  });
});
