/**
 * Benchmark: the offline plan of generated Civo stacks of 100, 1,000 and 5,000
 * creators, each in a fresh process (the way `npm run plan` runs), reporting
 * time and peak memory. Target: 1,000 creators in at most 15 s and 1.5 GB,
 * growing linearly.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { generateStackConfig, writeStackFile } from "../fixtures/stacks.ts";
import type { BenchSection } from "../bench.ts";

const run = promisify(execFile);
const SIZES = (process.env.BENCH_PLAN_SIZES ?? "100,1000,5000").split(",").map(Number);
const ROOT = join(import.meta.dirname, "../..");

interface Measured {
  ms: number;
  maxRssMiB: number;
  resources: number;
  creators: number;
}

export default async function bench(): Promise<BenchSection> {
  const dir = mkdtempSync(join(tmpdir(), "plan-bench-"));
  const rows: BenchSection["rows"] = [];
  const notes: string[] = [];
  try {
    const measured: Array<Measured & { size: number }> = [];
    for (const size of SIZES) {
      const stack = generateStackConfig({ provider: "civo", creators: size, mix: { starter: 8, standard: 2 }, customDomainEvery: 10 });
      // A generated stack may exceed any cost ceiling: the benchmark measures the plan, not the price.
      const file = writeStackFile(dir, `bench-${size}`, stack);
      const started = Date.now();
      const { stdout } = await run(
        process.execPath,
        ["--max-semi-space-size=64", "--import", "tsx", "scripts/plan/measure.ts", file],
        { cwd: ROOT, maxBuffer: 16 << 20 },
      );
      const m = JSON.parse(stdout) as Measured;
      measured.push({ ...m, size });
      rows.push({
        creators: size,
        resources: m.resources,
        "plan s": (m.ms / 1000).toFixed(1),
        "process s": ((Date.now() - started) / 1000).toFixed(1),
        "ms per creator": (m.ms / size).toFixed(1),
        "peak RSS MiB": m.maxRssMiB,
      });
    }
    const thousand = measured.find((m) => m.size === 1000);
    if (thousand) {
      const ok = thousand.ms <= 15_000 && thousand.maxRssMiB <= 1536;
      notes.push(`target for 1,000 creators (≤ 15 s, ≤ 1.5 GB): ${(thousand.ms / 1000).toFixed(1)} s, ${thousand.maxRssMiB} MiB: ${ok ? "met" : "NOT met"}`);
    }
    const [small, large] = [measured[0], measured.at(-1)];
    if (small && large && large.size > small.size) {
      const growth = large.ms / large.size / (small.ms / small.size);
      notes.push(`time per creator at ${large.size} ÷ at ${small.size}: ${growth.toFixed(2)} (1.00 = linear)`);
    }
    notes.push("run on an otherwise idle machine: other work on the 2 cores inflates every figure");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { title: "Offline plan: time and peak memory (npm run plan)", rows, notes };
}
