// Benchmark: platform analytics over 1,000 generated creator databases, the
// batched-ATTACH engine against the naive loop (open, query, close each
// database) in the same run; then backup and restore of all 1,000 with a count
// of lost rows. Run alone: `npx tsx scripts/bench/analytics.ts`.
import Database from "libsql";
import { createClient } from "@libsql/client";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { generateCreatorDbs } from "../fixtures/ghost-db.ts";
import { AttachedQuery, readOnlyUri } from "../ops/attach-batches.ts";
import { backupCreators } from "../ops/backup.ts";
import { creatorsInDir, type FileCreator } from "../ops/creator-databases.ts";
import { countRows } from "../ops/manifest.ts";
import { DirStore } from "../ops/object-store.ts";
import { checkReadOnlySql } from "../ops/read-only-sql.ts";
import { REPORTS } from "../ops/reports.ts";
import { readManifests, restoreOne } from "../ops/restore.ts";

export interface BenchSection {
  title: string;
  rows: Array<Record<string, string | number>>;
  notes?: string[];
}

const CREATORS = 1000;
const ROUNDS = 5;

// libSQL keeps a closed connection's files open until its prepared statements are
// garbage-collected; collecting between timed runs (outside the timings) keeps
// the naive loop from running the process out of file descriptors.
setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

/** Lets the finalizers of collected connections run (they close the files). */
async function settle(): Promise<void> {
  for (let i = 0; i < 2; i++) {
    collectGarbage();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

async function timed<T>(fn: () => T | Promise<T>): Promise<[T, number]> {
  await settle();
  const t = performance.now();
  const r = await fn();
  return [r, performance.now() - t];
}

/** The naive loop: open each database (read-only), query, close. Returns the summed first column. */
function naiveLoop(creators: readonly FileCreator[], sql: string): number {
  let total = 0;
  for (const c of creators) {
    const db = new Database(readOnlyUri(c.path));
    for (const row of db.prepare(sql).raw().all() as number[][]) total += row[0] as number;
    db.close();
  }
  return total;
}

/**
 * The floor under any engine that reads each file read-only: open it, load its
 * schema (which also takes the WAL read lock and maps the -shm file), close it.
 * ATTACH pays the same per file, so naive / floor bounds what batching can win
 * on one thread; with `immutable` the files are read without locks (only valid
 * for files nothing writes, as here).
 */
function perFileFloor(creators: readonly FileCreator[], immutable = false): number {
  let n = 0;
  for (const c of creators) {
    const db = new Database(readOnlyUri(c.path) + (immutable ? "&immutable=1" : ""));
    n += (db.prepare("SELECT count(*) FROM sqlite_schema").raw().get() as number[])[0] as number;
    db.close();
  }
  return n;
}

async function naiveClientLoop(creators: readonly FileCreator[], sql: string): Promise<number> {
  let total = 0;
  for (const c of creators) {
    const client = createClient({ url: `file:${c.path}` });
    for (const row of (await client.execute(sql)).rows) total += Number(row[0]);
    client.close();
  }
  return total;
}

function batched(creators: readonly FileCreator[], sql: string): number {
  const engine = new AttachedQuery(checkReadOnlySql(sql), { busyTimeoutMs: 2000 });
  let total = 0;
  try {
    for (const r of engine.run(creators)) {
      if (!r.ok) throw new Error(`${r.creator}: ${r.error}`);
      for (const row of r.rows) total += row[0] as number;
    }
  } finally {
    engine.close();
  }
  return total;
}

export default async function bench(): Promise<BenchSection> {
  const root = mkdtempSync(join(tmpdir(), "bench-analytics-"));
  try {
    const dir = join(root, "dbs");
    const [counts, genMs] = await timed(() => generateCreatorDbs(dir, CREATORS, { seed: 1 }));
    const creators = creatorsInDir(dir);
    const expectedPublished = [...counts.values()].reduce((a, c) => a + c.publishedPosts, 0);
    const rows: BenchSection["rows"] = [];
    const notes: string[] = [];

    for (const report of ["overview", "content"] as const) {
      const sql = REPORTS[report]?.sql as string; // both reports start with published_posts
      await timed(() => naiveLoop(creators, sql)); // warm-up: page cache and -shm files, for both
      await timed(() => batched(creators, sql));
      const naive: number[] = [];
      const fast: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const [a, ta] = await timed(() => naiveLoop(creators, sql));
        const [b, tb] = await timed(() => batched(creators, sql));
        if (a !== expectedPublished || b !== expectedPublished) throw new Error(`published posts: naive ${a}, batched ${b}, generated ${expectedPublished}`);
        naive.push(ta);
        fast.push(tb);
      }
      const ratio = median(naive) / median(fast);
      rows.push({ step: `analytics --report ${report}: batched ATTACH (median of ${ROUNDS})`, creators: CREATORS, ms: Math.round(median(fast)), detail: `min ${Math.round(Math.min(...fast))} ms` });
      rows.push({ step: `analytics --report ${report}: naive loop, same driver, read-only (median of ${ROUNDS})`, creators: CREATORS, ms: Math.round(median(naive)), detail: `min ${Math.round(Math.min(...naive))} ms` });
      rows.push({ step: `analytics --report ${report}: ratio naive / batched`, creators: CREATORS, ms: "", detail: `${ratio.toFixed(2)}×` });
      if (report === "overview") {
        await settle();
        const t = performance.now();
        const c = await naiveClientLoop(creators, sql);
        const clientMs = performance.now() - t;
        if (c !== expectedPublished) throw new Error(`@libsql/client loop: ${c} published posts, generated ${expectedPublished}`);
        rows.push({ step: "analytics --report overview: naive loop with @libsql/client (one run)", creators: CREATORS, ms: Math.round(clientMs), detail: `${(clientMs / median(fast)).toFixed(2)}× the batched time` });
        notes.push(`target ≤ 2000 ms for 1,000 databases: ${median(fast) <= 2000 ? "met" : "NOT met"} (${Math.round(median(fast))} ms)`);
        notes.push(`target ≥ 3× the naive loop (same driver): ${ratio >= 3 ? "met" : "NOT met"} (${ratio.toFixed(2)}×)`);
        const floor: number[] = [];
        const floorImmutable: number[] = [];
        for (let i = 0; i < ROUNDS; i++) {
          floor.push((await timed(() => perFileFloor(creators)))[1]);
          floorImmutable.push((await timed(() => perFileFloor(creators, true)))[1]);
        }
        const bound = median(naive) / median(floor);
        rows.push({ step: "per-file floor: open read-only + load schema + close, no query (median)", creators: CREATORS, ms: Math.round(median(floor)), detail: `${Math.round((100 * median(floor)) / median(naive))}% of the naive loop` });
        rows.push({ step: "per-file floor with immutable=1 (no locks; only for files nothing writes)", creators: CREATORS, ms: Math.round(median(floorImmutable)), detail: "not used by the tool on live databases" });
        const cores = availableParallelism();
        notes.push(
          `ceilings (each file opened read-only, as on live databases): one thread, an engine whose queries cost nothing: naive / floor = ${bound.toFixed(2)}×; ` +
            `${cores} cores used perfectly: this engine ${(cores * ratio).toFixed(2)}×, the zero-query-cost engine ${(cores * bound).toFixed(2)}× ` +
            `(load average during the run ${loadavg()[0]?.toFixed(2)} on ${cores} cores)`,
        );
      }
    }

    // Backup and restore of every creator, then rows compared with what the generator wrote.
    const store = new DirStore(join(root, "backups"));
    await settle();
    const t0 = performance.now();
    const backup = await backupCreators({ kind: "files", creators }, store, { busyTimeoutMs: 2000, concurrency: 1 });
    const backupMs = performance.now() - t0;
    const dest = join(root, "restored");
    const [, restoreMs] = await timed(async () => {
      for (const m of await readManifests(store, backup.snapshot, "all")) await restoreOne(store, m, join(dest, `${m.creator}.db`), false);
    });
    let lost = 0;
    let total = 0;
    for (const [id, c] of counts) {
      const restored = countRows(join(dest, `${id}.db`));
      for (const [table, n] of Object.entries(c.rows)) {
        total += n;
        lost += Math.max(0, n - (restored[table] ?? 0));
      }
    }
    rows.push({ step: "backup (VACUUM INTO + manifest)", creators: backup.backedUp.length, ms: Math.round(backupMs), detail: `${backup.failed.length} failed` });
    rows.push({ step: "restore (verify sha256 + rows, then place)", creators: CREATORS, ms: Math.round(restoreMs), detail: `${total} rows, ${lost} lost` });
    notes.push(`generated ${CREATORS} databases in ${Math.round(genMs)} ms; peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`);
    notes.push(
      "Both analytics paths read every file read-only and pay SQLite's per-file cost (open, WAL read lock and -shm mapping, schema parse, table scan); " +
        "batching saves only the connection setup, and its UNION ALL of 10 query copies costs about as much to prepare as 10 separate prepares.",
    );
    return { title: `Platform analytics over ${CREATORS} creator databases`, rows, notes };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  console.log(JSON.stringify(await bench(), null, 2));
}
