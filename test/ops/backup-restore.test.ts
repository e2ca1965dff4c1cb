import { afterAll, describe, expect, test } from "vitest";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "libsql";
import { generateCreatorDb, generateCreatorDbs, type GeneratedCounts } from "../../scripts/fixtures/ghost-db.ts";
import { ROOT, ops, spawnOps, tempDirs } from "./helpers.ts";
import { backupCreators } from "../../scripts/ops/backup.ts";
import { creatorsInDir } from "../../scripts/ops/creator-databases.ts";
import { countRows, integrityCheck, parseManifest, sha256File } from "../../scripts/ops/manifest.ts";
import { DirStore } from "../../scripts/ops/object-store.ts";
import { decideRestore, readManifests, restoreOne } from "../../scripts/ops/restore.ts";

const { temp, cleanup } = tempDirs();
afterAll(cleanup);

const readOnlyCount = (path: string, sql: string): number => {
  const db = new Database(`file:${path}?mode=ro`);
  try {
    db.exec("PRAGMA busy_timeout = 10000"); // a writer may hold the lock for a moment
    return (db.prepare(sql).raw().get() as number[])[0] as number;
  } finally {
    db.close();
  }
};

describe("backup and restore", () => {
  test("every creator backed up with a manifest, restored with zero lost rows (the restore as its own process: exit 0)", async () => {
    const src = temp("src");
    const counts = generateCreatorDbs(src, 10, { seed: 11 });
    const store = new DirStore(temp("store"));
    const result = await backupCreators({ kind: "files", creators: creatorsInDir(src) }, store, { busyTimeoutMs: 1000, concurrency: 1 });
    expect(result.failed).toEqual([]);
    expect(result.backedUp).toHaveLength(10);
    for (const m of result.backedUp) {
      const c = counts.get(m.creator) as GeneratedCounts;
      expect(m.tables).toEqual(c.rows);
      expect(m.sha256).toBe(sha256File(join(store.location, m.file)));
      expect(m.size).toBe(readFileSync(join(store.location, m.file)).length);
      expect(parseManifest(readFileSync(join(store.location, result.snapshot, `${m.creator}.manifest.json`), "utf8"), "m")).toEqual(m);
    }
    const dest = temp("dest");
    const r = spawnOps(["restore", "--from", store.location, "--all", "--dir", dest, "--json"]);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { restored: unknown[] }).restored).toHaveLength(10);
    for (const [id, c] of counts) expect(countRows(join(dest, `${id}.db`))).toEqual(c.rows);
  });

  test.each(["wal", "delete"] as const)(
    "snapshots taken while another process keeps writing (journal %s) are consistent and restore with zero lost rows",
    async (journalMode) => {
      const src = temp("live");
      const path = join(src, "busy-blog.db");
      generateCreatorDb(path, { seed: 21, journalMode });
      const writer = spawn(process.execPath, [
        "-e",
        `const D = require("libsql"); const db = new D(${JSON.stringify(path)});
         db.exec("PRAGMA busy_timeout = 10000"); db.exec("CREATE TABLE writes (n INTEGER PRIMARY KEY, at TEXT)");
         const ins = db.prepare("INSERT INTO writes (n, at) VALUES (?, datetime('now'))");
         process.on("SIGTERM", () => { db.close(); process.exit(0); });
         let n = 0; const tick = () => { for (let i = 0; i < 10; i++) ins.run(++n); if (n % 200 === 0) console.log(n); setTimeout(tick, 5); }; tick();`,
      ], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
      // The writer stops between statements on SIGTERM: killed mid-write in rollback-journal
      // mode it would leave a hot journal, which a read-only connection cannot roll back.
      // It pauses 5 ms after every 10 commits: without a pause, a rollback-journal writer
      // starved every reader for seconds (close to the 10 s busy timeout).
      try {
        await new Promise<void>((resolve) => writer.stdout.on("data", (d: Buffer) => Number(d.toString().trim().split("\n").at(-1)) >= 400 && resolve()));
        const store = new DirStore(temp("live-store"));
        const seen: Array<{ before: number; snapshot: string }> = [];
        for (let i = 0; i < 3; i++) {
          const before = readOnlyCount(path, "SELECT count(*) FROM writes");
          const r = await backupCreators({ kind: "files", creators: creatorsInDir(src) }, store, { busyTimeoutMs: 10_000, concurrency: 1, now: new Date(Date.now() + i * 1000) });
          expect(r.failed).toEqual([]);
          seen.push({ before, snapshot: r.snapshot });
        }
        writer.kill();
        await new Promise((resolve) => writer.once("exit", resolve));
        const final = readOnlyCount(path, "SELECT count(*) FROM writes");
        let previous = 0;
        for (const { before, snapshot } of seen) {
          const [m] = await readManifests(store, snapshot, ["busy-blog"]);
          const inSnapshot = m?.tables.writes as number;
          expect(inSnapshot).toBeGreaterThanOrEqual(Math.max(before, previous)); // nothing committed before the backup is missing
          expect(inSnapshot).toBeLessThanOrEqual(final);
          previous = inSnapshot;
          const dest = temp("live-dest");
          await restoreOne(store, m as NonNullable<typeof m>, join(dest, "busy-blog.db"), false);
          const restored = join(dest, "busy-blog.db");
          expect(integrityCheck(restored)).toBe("ok");
          expect(readOnlyCount(restored, "SELECT count(*) FROM writes")).toBe(inSnapshot);
          expect(readOnlyCount(restored, "SELECT coalesce(max(n), 0) FROM writes")).toBe(inSnapshot); // no gaps
          expect(countRows(restored)).toEqual(m?.tables);
        }
        expect(previous).toBeGreaterThan(400);
      } finally {
        writer.kill();
      }
    },
  );

  test("restore refuses a database changed after the snapshot unless --force, and keeps the replaced file", async () => {
    const dir = temp("newer");
    generateCreatorDbs(dir, 2, { seed: 31 });
    const store = temp("newer-store");
    expect((await ops(["backup", "--dir", dir, "--to", store, "--json"])).code).toBe(0);
    const target = join(dir, "creator-0001.db");
    // Restoring an unchanged database is allowed and replaces it.
    const first = await ops(["restore", "--from", store, "--creator", "creator-0001", "--dir", dir]);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const db = new Database(target);
    db.exec("INSERT INTO tags (id, name, slug, created_at) VALUES ('new', 'new', 'new-tag', '2026-12-01 00:00:00')");
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    db.close();
    const changed = sha256File(target);
    const refused = await ops(["restore", "--from", store, "--creator", "creator-0001", "--dir", dir, "--json"]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/after the snapshot/);
    expect(sha256File(target)).toBe(changed);
    const forced = await ops(["restore", "--from", store, "--creator", "creator-0001", "--dir", dir, "--force", "--json"]);
    expect(forced.code).toBe(0);
    const { restored } = JSON.parse(forced.stdout) as { restored: Array<{ replaced: string }> };
    const kept = restored[0]?.replaced as string;
    expect(sha256File(kept)).toBe(changed);
    expect(readOnlyCount(kept, "SELECT count(*) FROM tags WHERE id = 'new'")).toBe(1);
    expect(readOnlyCount(target, "SELECT count(*) FROM tags WHERE id = 'new'")).toBe(0);
  });

  test("a snapshot whose checksum or row counts do not match is not restored; the target is untouched", async () => {
    const dir = temp("tamper");
    generateCreatorDbs(dir, 2, { seed: 41 });
    const store = new DirStore(temp("tamper-store"));
    const { snapshot } = await backupCreators({ kind: "files", creators: creatorsInDir(dir) }, store, { busyTimeoutMs: 1000, concurrency: 1 });
    const dest = temp("tamper-dest");
    // creator-0001: a flipped byte in the snapshot file.
    const snap = join(store.location, snapshot, "creator-0001.db");
    const bytes = readFileSync(snap);
    bytes[bytes.length - 100] = (bytes[bytes.length - 100] as number) ^ 0xff;
    writeFileSync(snap, bytes);
    // creator-0002: a manifest claiming one more member (and a checksum to match the file).
    const mpath = join(store.location, snapshot, "creator-0002.manifest.json");
    const m = JSON.parse(readFileSync(mpath, "utf8")) as { tables: Record<string, number> };
    m.tables.members = (m.tables.members as number) + 1;
    writeFileSync(mpath, JSON.stringify(m));
    const r = await ops(["restore", "--from", store.location, "--all", "--dir", dest, "--json"]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { failed: Array<{ creator: string; error: string }> };
    expect(out.failed.find((f) => f.creator === "creator-0001")?.error).toMatch(/checksum mismatch/);
    expect(out.failed.find((f) => f.creator === "creator-0002")?.error).toMatch(/members: expected \d+, found \d+/);
    expect(readdirSync(dest)).toEqual([]);
  });

  test("an endpoint backup (logical copy through @libsql/client, file: URL) restores the same rows", async () => {
    const dir = temp("ep");
    const counts = generateCreatorDbs(dir, 3, { seed: 51 });
    const stacks = join(dir, "stacks");
    mkdirSync(stacks);
    writeFileSync(join(stacks, "Pulumi.ep.yaml"), `config:\n  creator-platform:creators:\n${[...counts.keys()].map((id) => `    - { id: ${id}, plan: a }`).join("\n")}\n`);
    const store = temp("ep-store");
    const b = await ops(["backup", "--stack", "ep", "--stacks-dir", stacks, "--url-template", `file:${dir}/{id}.db`, "--to", store, "--json"]);
    expect(b.code).toBe(0);
    const { backedUp } = JSON.parse(b.stdout) as { backedUp: Array<{ method: string }> };
    expect(backedUp.map((m) => m.method)).toEqual(["logical-copy", "logical-copy", "logical-copy"]);
    const dest = temp("ep-dest");
    expect((await ops(["restore", "--from", store, "--all", "--dir", dest])).code).toBe(0);
    for (const [id, c] of counts) {
      expect(countRows(join(dest, `${id}.db`))).toEqual(c.rows);
      expect(integrityCheck(join(dest, `${id}.db`))).toBe("ok");
    }
  });

  test("a missing source fails alone; backup exits 1 (as its own process)", () => {
    const dir = temp("miss");
    generateCreatorDbs(dir, 2, { seed: 61 });
    writeFileSync(join(dir, "junk.db"), "junk".repeat(1000));
    const store = temp("miss-store");
    const r = spawnOps(["backup", "--dir", dir, "--to", store, "--json"]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { backedUp: unknown[]; failed: Array<{ creator: string; error: string }> };
    expect(out.backedUp).toHaveLength(2);
    expect(out.failed).toEqual([{ creator: "junk", error: expect.stringMatching(/not a database/) as unknown as string }]);
    expect(existsSync(join(store, (out as unknown as { snapshot: string }).snapshot, "junk.db"))).toBe(false);
  });

  test("decideRestore", () => {
    const takenAt = "2026-11-27T10:00:00.000Z";
    const t = Date.parse(takenAt);
    expect(decideRestore({ targetModifiedMs: null, takenAt, force: false })).toEqual({ action: "write" });
    expect(decideRestore({ targetModifiedMs: t - 1, takenAt, force: false })).toEqual({ action: "replace" });
    expect(decideRestore({ targetModifiedMs: t + 1, takenAt, force: false }).action).toBe("refuse");
    expect(decideRestore({ targetModifiedMs: t + 1, takenAt, force: true })).toEqual({ action: "replace" });
  });

  // --help of every command: test/plan/bad-arguments.test.ts, with the exit-2 run as its own process.
  test("bad arguments exit 2, naming what is wrong", async () => {
    expect((await ops(["backup", "--dir", "/nonexistent-dir", "--to", "/tmp/x"])).code).toBe(2);
    expect((await ops(["restore", "--from", "/nonexistent-store", "--all", "--dir", "/tmp"])).code).toBe(2);
    const ftp = await ops(["backup", "--dir", "/tmp", "--to", "ftp://bucket/x"]);
    expect(ftp.code).toBe(2);
    expect(ftp.stderr).toMatch(/give a local directory or s3:\/\/bucket\/prefix/);
    const noKeys = await ops(["backup", "--dir", "/tmp", "--to", "s3://bucket/x"], { AWS_ACCESS_KEY_ID: "", AWS_SECRET_ACCESS_KEY: "" });
    expect(noKeys.code).toBe(2);
    expect(noKeys.stderr).toMatch(/need AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
    const bucket = await ops(["restore", "--from", "s3://Bad_Bucket/x", "--all", "--dir", "/tmp"], { AWS_ACCESS_KEY_ID: "k", AWS_SECRET_ACCESS_KEY: "s" });
    expect(bucket.code).toBe(2);
    expect(bucket.stderr).toMatch(/not an S3 bucket name/);
  });
});
