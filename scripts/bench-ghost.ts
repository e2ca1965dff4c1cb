/**
 * `npm run bench:ghost [-- --json] [-- --variants none,256,192,160,192:0] [-- --requests 200] [-- --restarts 3]`
 *
 * Measures the real Ghost the image runs (same version, libsql driver through
 * the image's preload module, the image's Node flags) on a local database file:
 *   cold start   spawn → /ghost/api/admin/site/ 200 on a fresh database (all migrations)
 *   boot peak    VmHWM right after the cold start (what a first boot needs under a limit)
 *   idle         VmRSS after owner setup + one post, then --idle-seconds of quiet
 *   200 req      VmRSS and VmHWM after --requests page requests (home, post, tag, Content API)
 *   warm start   restart on the same database (--restarts times, median), then VmRSS after --idle-seconds
 * for each V8 heap limit (--max-old-space-size) and variant asked for.
 * RSS is of the Ghost process (/proc/<pid>/status), in MiB.
 */
import { Command } from "commander";
import { table as plainTable } from "./table.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureGhost, type GhostInstall } from "./ghost/install-ghost.ts";
import { SEMI_SPACE_MB } from "../infra/ghost/contract.ts";
import {
  admin,
  createContentKey,
  freePort,
  imageNodeOptions,
  login,
  memoryOf,
  setupOwner,
  startGhost,
  tailFile,
  type RunningGhost,
} from "./ghost/ghost-harness.ts";

interface Variant {
  label: string;
  heapMb: number | null;
  /** undefined: the image's SEMI_SPACE_MB; null: V8's default. */
  semiSpaceMb?: number | null;
}

export interface BenchRow {
  variant: string;
  heapMb: number | null;
  /** The NODE_OPTIONS Ghost ran with (preload path shortened). */
  nodeOptions: string;
  coldStartS: number;
  coldRssMiB: number;
  coldHwmMiB: number;
  idleRssMiB: number;
  afterRequestsRssMiB: number;
  afterRequestsHwmMiB: number;
  requests: number;
  requestsPerS: number;
  /** Median over --restarts warm restarts; all samples in warmStartsS. */
  warmStartS: number;
  warmStartsS: number[];
  warmIdleRssMiB: number;
  warmHwmMiB: number;
  /** Set when this variant failed (e.g. V8 ran out of heap during the first boot). */
  error?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Variants: "none" = V8's defaults (no old-space or semi-space limit);
 * "H" = the image's flags with old space H MiB; "H:S" = old space H, semi space
 * S MiB ("H:0" = V8's default semi space).
 */
function parseVariants(spec: string): Variant[] {
  const out: Variant[] = [];
  for (const item of spec.split(",").map((s) => s.trim()).filter(Boolean)) {
    if (item === "none") {
      out.push({ label: "V8 defaults", heapMb: null, semiSpaceMb: null });
      continue;
    }
    const m = /^(\d+)(?::(\d+))?$/.exec(item);
    const heap = Number(m?.[1]);
    if (!m || heap < 128) {
      throw new Error(`--variants: ${JSON.stringify(item)} is not "none", "HEAP" or "HEAP:SEMI" in MiB with HEAP >= 128`);
    }
    if (m[2] === undefined) out.push({ label: `heap ${heap} (image semi ${SEMI_SPACE_MB})`, heapMb: heap });
    else if (m[2] === "0") out.push({ label: `heap ${heap}, V8 semi`, heapMb: heap, semiSpaceMb: null });
    else out.push({ label: `heap ${heap}, semi ${m[2]}`, heapMb: heap, semiSpaceMb: Number(m[2]) });
  }
  if (out.length === 0) throw new Error("--variants: no variant to run");
  return out;
}

async function load(g: RunningGhost, slug: string, contentKey: string, n: number): Promise<number> {
  const paths = ["/", `/${slug}/`, "/tag/bench/", `/ghost/api/content/posts/?key=${contentKey}`];
  const t0 = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      const res = await fetch(`${g.url}${paths[i % paths.length] ?? "/"}`);
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`GET ${paths[i % paths.length] ?? "/"} answered ${res.status}`);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return n / ((performance.now() - t0) / 1000);
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? NaN) : ((s[m - 1] ?? NaN) + (s[m] ?? NaN)) / 2;
};

async function measure(install: GhostInstall, v: Variant, requests: number, idleS: number, restarts: number): Promise<BenchRow> {
  const siteDir = mkdtempSync(join(tmpdir(), "ghost-bench-"));
  let g: RunningGhost | undefined;
  try {
    const base = { install, siteDir, mode: "file" as const, heapMb: v.heapMb, semiSpaceMb: v.semiSpaceMb };
    g = await startGhost({ ...base, port: await freePort() });
    const cold = memoryOf(g.pid);
    const coldStartS = g.readyMs / 1000;
    await setupOwner(g.url);
    const s = await login(g.url);
    const contentKey = await createContentKey(s, "bench");
    const post = await admin(
      s,
      "POST",
      "posts/?source=html",
      { posts: [{ title: "Bench post", html: "<p>Some text.</p>".repeat(40), status: "published", tags: [{ name: "bench" }] }] },
      [201],
    );
    const slug = (post.posts as Array<{ slug: string }>)[0]?.slug ?? "";
    await sleep(idleS * 1000);
    const idle = memoryOf(g.pid);
    const rps = await load(g, slug, contentKey, requests);
    await sleep(2000);
    const after = memoryOf(g.pid);
    const warmStartsS: number[] = [];
    let warm = { rssMiB: NaN, hwmMiB: NaN };
    for (let i = 0; i < restarts; i++) {
      await g.stop();
      g = await startGhost({ ...base, port: await freePort() });
      warmStartsS.push(g.readyMs / 1000);
      if (i === 0) {
        await sleep(idleS * 1000);
        warm = memoryOf(g.pid);
      }
    }
    const warmStartS = median(warmStartsS);
    return {
      variant: v.label,
      heapMb: v.heapMb,
      nodeOptions: nodeOptionsOf(v),
      coldStartS,
      coldRssMiB: cold.rssMiB,
      coldHwmMiB: cold.hwmMiB,
      idleRssMiB: idle.rssMiB,
      afterRequestsRssMiB: after.rssMiB,
      afterRequestsHwmMiB: after.hwmMiB,
      requests,
      requestsPerS: rps,
      warmStartS,
      warmStartsS,
      warmIdleRssMiB: warm.rssMiB,
      warmHwmMiB: warm.hwmMiB,
    };
  } catch (e) {
    const log = tailFile(join(siteDir, "ghost.log"), 400);
    const fatal = /FATAL ERROR[^\n]*|JavaScript heap out of memory[^\n]*/.exec(log)?.[0];
    throw new VariantFailed(`${e instanceof Error ? e.message : String(e)}${fatal ? `: ${fatal.trim()}` : ""}`);
  } finally {
    await g?.stop();
    rmSync(siteDir, { recursive: true, force: true });
  }
}

class VariantFailed extends Error {}

function nodeOptionsOf(v: Variant): string {
  return imageNodeOptions(v.heapMb, [], v.semiSpaceMb).replace(/--require=\S+/, "--require=libsql-preload.cjs");
}

function failedRow(v: Variant, requests: number, error: string): BenchRow {
  return {
    variant: v.label,
    heapMb: v.heapMb,
    nodeOptions: nodeOptionsOf(v),
    coldStartS: NaN,
    coldRssMiB: NaN,
    coldHwmMiB: NaN,
    idleRssMiB: NaN,
    afterRequestsRssMiB: NaN,
    afterRequestsHwmMiB: NaN,
    requests,
    requestsPerS: NaN,
    warmStartS: NaN,
    warmStartsS: [],
    warmIdleRssMiB: NaN,
    warmHwmMiB: NaN,
    error,
  };
}

async function main(): Promise<void> {
  const program = new Command()
    .name("bench:ghost")
    .description("Cold/warm start and RSS of Ghost on the libsql driver with the image's Node flags")
    .option("--json", "print JSON instead of a table")
    .option(
      "--variants <list>",
      'comma-separated: "none" (V8 defaults), "HEAP" (image flags, old space HEAP MiB), "HEAP:SEMI" (semi space SEMI MiB, 0 = V8 default)',
      "none,256,192,160,192:0",
    )
    .option("--requests <n>", "page requests between idle and the after-load sample", "200")
    .option("--idle-seconds <n>", "quiet time before each idle sample", "10")
    .option("--restarts <n>", "warm restarts per variant (the median is reported)", "3");
  program.parse();
  const o = program.opts<{
    json?: boolean;
    variants: string;
    requests: string;
    idleSeconds: string;
    restarts: string;
  }>();
  const restarts = Number(o.restarts);
  if (!Number.isInteger(restarts) || restarts < 1) throw new Error(`--restarts: ${o.restarts} is not a positive integer`);
  const requests = Number(o.requests);
  const idleS = Number(o.idleSeconds);
  if (!Number.isInteger(requests) || requests < 1) throw new Error(`--requests: ${o.requests} is not a positive integer`);
  if (!Number.isFinite(idleS) || idleS < 0) throw new Error(`--idle-seconds: ${o.idleSeconds} is not a number >= 0`);
  const variants = parseVariants(o.variants);

  const install = ensureGhost();
  const rows: BenchRow[] = [];
  for (const v of variants) {
    process.stderr.write(`[bench:ghost] ${v.label} …\n`);
    try {
      rows.push(await measure(install, v, requests, idleS, restarts));
    } catch (e) {
      if (!(e instanceof VariantFailed)) throw e;
      process.stderr.write(`[bench:ghost] ${v.label} FAILED: ${e.message}\n`);
      rows.push(failedRow(v, requests, e.message));
    }
  }
  if (o.json) {
    const clean = rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === "number" && Number.isNaN(v) ? null : v])));
    process.stdout.write(
      `${JSON.stringify({ ghost: install.ghostVersion, libsql: install.libsqlVersion, node: "22", date: new Date().toISOString(), rows: clean }, null, 2)}\n`,
    );
    return;
  }
  const f0 = (n: number) => n.toFixed(0);
  const f2 = (n: number) => n.toFixed(2);
  // The project's table: no colour codes, which would end up in a file the output is piped to.
  const table = plainTable(["variant", "cold s", "cold RSS/HWM", "idle RSS", `after ${requests} req RSS/HWM`, "req/s", "warm s (median/max)", "warm idle RSS"]);
  for (const r of rows) {
    if (r.error) {
      table.push([r.variant, { colSpan: 7, content: `FAILED: ${r.error}` }]);
      continue;
    }
    table.push([
      r.variant,
      f2(r.coldStartS),
      `${f0(r.coldRssMiB)}/${f0(r.coldHwmMiB)}`,
      f0(r.idleRssMiB),
      `${f0(r.afterRequestsRssMiB)}/${f0(r.afterRequestsHwmMiB)}`,
      f0(r.requestsPerS),
      `${f2(r.warmStartS)}/${f2(Math.max(...r.warmStartsS))}`,
      f0(r.warmIdleRssMiB),
    ]);
  }
  process.stdout.write(`Ghost ${install.ghostVersion} on libsql ${install.libsqlVersion}, Node 22, local file; MiB\n${table.toString()}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:ghost failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
