import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateCreatorDb, generateCreatorDbs, type GeneratedCounts } from "../../scripts/fixtures/ghost-db.ts";
import { ROOT, ops, tempDir } from "./helpers.ts";
import { runAnalytics } from "../../scripts/ops/analytics.ts";
import { sha256File } from "../../scripts/ops/manifest.ts";

interface Out {
  rows: Array<Record<string, unknown> & { creator: string }>;
  totals: Record<string, number | string | null>;
  failed: Array<{ creator: string; error: string }>;
}

const sink = (): { stream: NodeJS.WritableStream; text: () => string } => {
  let s = "";
  return { stream: { write: (c: string) => ((s += c), true) } as unknown as NodeJS.WritableStream, text: () => s };
};

async function analyticsJson(o: Parameters<typeof runAnalytics>[0]): Promise<{ code: number; out: Out }> {
  const s = sink();
  const code = await runAnalytics({ ...o, json: true }, s.stream);
  return { code, out: JSON.parse(s.text()) as Out };
}

const base = { stacksDir: "", concurrency: 4, busyTimeout: 300 };
const sum = (m: Map<string, GeneratedCounts>, f: (c: GeneratedCounts) => number): number => [...m.values()].reduce((a, c) => a + f(c), 0);

describe("analytics over a directory of creator databases", () => {
  const t = tempDir("analytics");
  let counts: Map<string, GeneratedCounts>;
  let locker: ChildProcess | undefined;

  beforeAll(async () => {
    // 23 good databases: more than two batches of SQLite's 10 attached databases.
    counts = generateCreatorDbs(t.dir, 23, { seed: 7 });
  });
  afterAll(() => {
    locker?.kill();
    t.cleanup();
  });

  test("report totals equal the generator's own counts", async () => {
    const { code, out } = await analyticsJson({ ...base, dir: t.dir, report: "overview" });
    expect(code).toBe(0);
    expect(out.failed).toEqual([]);
    expect(out.rows.map((r) => r.creator)).toEqual([...counts.keys()]);
    expect(out.totals).toMatchObject({
      creators: 23,
      rows: 23,
      published_posts: sum(counts, (c) => c.publishedPosts),
      draft_posts: sum(counts, (c) => c.draftPosts),
      scheduled_posts: sum(counts, (c) => c.scheduledPosts),
      pages: sum(counts, (c) => c.pages),
      members: sum(counts, (c) => c.rows.members),
      paid_members: sum(counts, (c) => c.paidMembers),
      free_members: sum(counts, (c) => c.freeMembers),
      comped_members: sum(counts, (c) => c.compedMembers),
      last_activity: [...counts.values()].map((c) => c.lastActivity).sort().at(-1),
      failed: 0,
    });
    for (const row of out.rows) {
      const c = counts.get(row.creator) as GeneratedCounts;
      expect(row).toMatchObject({ published_posts: c.publishedPosts, members: c.rows.members, last_activity: c.lastActivity });
      expect(row.db_bytes).toBe(readFileSync(join(t.dir, `${row.creator}.db`)).length);
    }
  });

  test("custom SQL runs per creator, several rows each, creator id first", async () => {
    const { out } = await analyticsJson({ ...base, dir: t.dir, sql: "SELECT type, count(*) AS n FROM posts GROUP BY type ORDER BY type" });
    expect(out.totals.n).toBe(sum(counts, (c) => c.rows.posts));
    expect(Object.keys(out.rows[0] ?? {})[0]).toBe("creator");
    const pages = out.rows.filter((r) => r.type === "page");
    expect(pages.map((r) => [r.creator, r.n])).toEqual([...counts].filter(([, c]) => c.pages > 0).map(([id, c]) => [id, c.pages]));
  });

  test("the endpoint path (@libsql/client, file: URLs) gives the same rows as the ATTACH path", async () => {
    const stacks = join(t.dir, "stacks");
    mkdirSync(stacks);
    const ids = [...counts.keys()];
    writeFileSync(
      join(stacks, "Pulumi.test.yaml"),
      `config:\n  creator-platform:creators:\n${ids.map((id) => `    - { id: ${id}, plan: starter }`).join("\n")}\n    - { id: gone, plan: starter, state: retired }\n`,
    );
    const sql = "SELECT count(*) AS tags, (SELECT count(*) FROM posts_tags) AS links FROM tags";
    const viaFiles = await analyticsJson({ ...base, dir: t.dir, sql });
    const viaClient = await analyticsJson({ ...base, stack: "test", stacksDir: stacks, urlTemplate: `file:${t.dir}/{id}.db`, sql });
    expect(viaClient.code).toBe(0);
    const byId = (o: Out) => [...o.rows].sort((a, b) => a.creator.localeCompare(b.creator));
    expect(byId(viaClient.out)).toEqual(byId(viaFiles.out));
    expect(viaClient.out.totals.tags).toBe(sum(counts, (c) => c.rows.tags));
    expect(viaClient.out.totals.links).toBe(sum(counts, (c) => c.rows.posts_tags));
  });

  test("missing, corrupt, truncated, unreadable and locked databases are listed under failed; the others still answer", async () => {
    const bad = tempDir("analytics-bad");
    try {
      const good = generateCreatorDbs(bad.dir, 12, { seed: 9 });
      writeFileSync(join(bad.dir, "corrupt.db"), Buffer.alloc(8192, 0x5a));
      generateCreatorDb(join(bad.dir, "truncated.db"), { seed: 3, journalMode: "delete" });
      truncateSync(join(bad.dir, "truncated.db"), 4096); // header intact, most pages gone
      mkdirSync(join(bad.dir, "adirectory.db"));
      const unreadable = process.getuid?.() !== 0;
      if (unreadable) {
        copyFileSync(join(bad.dir, "creator-0001.db"), join(bad.dir, "noperm.db"));
        chmodSync(join(bad.dir, "noperm.db"), 0o000);
      } else {
        console.log("running as root: a chmod 000 file stays readable, so unreadability is checked with a directory named adirectory.db");
      }
      // A rollback-journal database held under an EXCLUSIVE lock by another process.
      generateCreatorDb(join(bad.dir, "locked.db"), { seed: 4, journalMode: "delete" });
      locker = spawn(process.execPath, [
        "-e",
        `const D = require("libsql"); const db = new D(${JSON.stringify(join(bad.dir, "locked.db"))});
         db.exec("BEGIN EXCLUSIVE"); db.exec("UPDATE members SET note = 'x'"); console.log("locked"); setInterval(() => {}, 1000);`,
      ], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
      await new Promise<void>((resolve) => locker?.stdout?.once("data", () => resolve()));
      const before = sha256File(join(bad.dir, "creator-0002.db"));

      const { code, out } = await analyticsJson({ ...base, dir: bad.dir, report: "members" });
      expect(code).toBe(1);
      const reasons = Object.fromEntries(out.failed.map((f) => [f.creator, f.error]));
      expect(reasons.corrupt).toMatch(/not a database/);
      expect(reasons.truncated).toMatch(/malformed|corrupt|disk image/i);
      expect(reasons.adirectory).toMatch(/not a regular file/);
      expect(reasons.locked).toMatch(/locked|busy/i);
      if (unreadable) expect(reasons.noperm).toMatch(/permission denied/);
      expect(out.rows.map((r) => r.creator)).toEqual([...good.keys()]);
      expect(out.totals.members).toBe(sum(good, (c) => c.rows.members));
      expect(sha256File(join(bad.dir, "creator-0002.db"))).toBe(before);

      // A creator named on the command line whose file is missing (stack + path template).
      const stacks = join(bad.dir, "stacks");
      mkdirSync(stacks);
      writeFileSync(join(stacks, "Pulumi.x.yaml"), "config:\n  creator-platform:creators:\n    - { id: creator-0001, plan: a }\n    - { id: nobody, plan: a }\n");
      const missing = await analyticsJson({ ...base, stack: "x", stacksDir: stacks, pathTemplate: join(bad.dir, "{id}.db"), report: "content" });
      expect(missing.out.failed).toEqual([{ creator: "nobody", error: `database file not found: ${join(bad.dir, "nobody.db")}` }]);
      expect(missing.out.rows.map((r) => r.creator)).toEqual(["creator-0001"]);
    } finally {
      locker?.kill();
      bad.cleanup();
    }
  });

  test("the CLI refuses writes before anything runs, exit 2, files unchanged", async () => {
    const file = join(t.dir, "creator-0003.db");
    const before = sha256File(file);
    for (const sql of ["WITH x AS (SELECT 1) INSERT INTO tags (id) SELECT * FROM x", "PRAGMA writable_schema = 1", "ATTACH 'y.db' AS y", "SELECT 1; DELETE FROM posts"]) {
      const r = await ops(["analytics", "--dir", t.dir, "--sql", sql, "--json"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/refused/);
      // Under --json the refusal is the one document on stdout.
      expect(JSON.parse(r.stdout)).toEqual({ error: { message: expect.stringMatching(/refused/), exitCode: 2 } });
    }
    expect(sha256File(file)).toBe(before);
  });

  test("the CLI prints JSON and exits 1 when a creator fails", async () => {
    const d = tempDir("cli");
    try {
      generateCreatorDbs(d.dir, 2, { seed: 5 });
      writeFileSync(join(d.dir, "broken.db"), "not sqlite at all, just text".repeat(200));
      const r = await ops(["analytics", "--dir", d.dir, "--report", "content", "--json"]);
      expect(r.code).toBe(1);
      const out = JSON.parse(r.stdout) as Out;
      expect(out.failed.map((f) => f.creator)).toEqual(["broken"]);
      expect(out.rows).toHaveLength(2);
      expect((await ops(["analytics", "--dir", d.dir, "--report", "nope"])).code).toBe(2);
      expect((await ops(["analytics"])).stderr).toMatch(/exactly one of --dir/);
    } finally {
      d.cleanup();
    }
  });
});

describe("analytics leaves its source directory as it was", () => {
  const listing = (dir: string) =>
    readdirSync(dir)
      .sort()
      .map((f) => `${f} ${statSync(join(dir, f)).size} ${statSync(join(dir, f)).mtimeMs}`);

  test("no -wal or -shm appears beside idle WAL databases, and no file changes", async () => {
    const t = tempDir("untouched");
    try {
      generateCreatorDbs(t.dir, 4, { seed: 77 });
      const before = listing(t.dir);
      const dirMtime = statSync(t.dir).mtimeMs;
      const r = await ops(["analytics", "--dir", t.dir, "--report", "overview", "--json"]);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).rows).toHaveLength(4);
      expect(listing(t.dir)).toEqual(before);
      expect(statSync(t.dir).mtimeMs).toBe(dirMtime);
    } finally {
      t.cleanup();
    }
  });
});
