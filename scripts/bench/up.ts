/**
 * Benchmark: a real `pulumi up` of 50 and 200 starter creators (BENCH_UP_SIZES)
 * onto the local control plane (test/cluster: etcd, kube-apiserver, kwok nodes)
 * through the real engine, with a file backend. Reports wall time, the peak
 * memory of the engine (the CLI, its language host and the Kubernetes provider)
 * and of the program (node), and the state file's size, and what they imply
 * for the largest stack one region should hold.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { startControlPlane } from "../cluster/control-plane.ts";
import { createWorkspace, localStackConfig } from "../cluster/pulumi-engine.ts";
import type { BenchSection } from "../bench.ts";

const SIZES = (process.env.BENCH_UP_SIZES ?? "50,200").split(",").map(Number);

/** Peak resident memory, summed over a process tree, split into node (the program) and the rest (the engine). */
class TreeMemory {
  engineMiB = 0;
  programMiB = 0;
  private timer: NodeJS.Timeout | undefined;

  start(root: number): void {
    this.timer = setInterval(() => this.sample(root), 250);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private sample(root: number): void {
    const children = new Map<number, number[]>();
    const info = new Map<number, { comm: string; rssKiB: number }>();
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
        const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${entry}/status`, "utf8"));
        info.set(Number(entry), { comm, rssKiB: rss ? Number(rss[1]) : 0 });
        children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
      } catch {
        // the process ended while we looked
      }
    }
    let engine = 0;
    let program = 0;
    const walk = (pid: number) => {
      const p = info.get(pid);
      if (p) {
        if (p.comm === "node") program += p.rssKiB;
        else engine += p.rssKiB;
      }
      for (const child of children.get(pid) ?? []) walk(child);
    };
    walk(root);
    this.engineMiB = Math.max(this.engineMiB, engine / 1024);
    this.programMiB = Math.max(this.programMiB, program / 1024);
  }
}

function stateBytes(dir: string): number {
  let total = 0;
  const visit = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.name.endsWith(".json") && d.includes(join(".pulumi", "stacks"))) total += statSync(path).size;
    }
  };
  visit(dir);
  return total;
}

export default async function bench(): Promise<BenchSection> {
  const total = SIZES.reduce((a, b) => a + b, 0);
  const cp = await startControlPlane({ nodes: 6, persistentVolumes: { count: total + 10, size: "2Gi" } });
  const rows: BenchSection["rows"] = [];
  const measured: Array<{ creators: number; resources: number; seconds: number; stateMiB: number }> = [];
  try {
    for (const size of SIZES) {
      const creators = Array.from({ length: size }, (_, i) => ({ id: `b${size}-${String(i + 1).padStart(4, "0")}`, plan: "starter" }));
      const ws = await createWorkspace({
        stack: `bench${size}`,
        kubeconfig: cp.kubeconfig,
        config: localStackConfig(creators),
        secrets: { "creator-platform:sqldKeySeed": "bench-seed-0123456789abcdef0123456789" },
      });
      const memory = new TreeMemory();
      try {
        process.stderr.write(`pulumi up of ${size} creators…\n`);
        const up = await ws.pulumi(["up", "--yes", "--skip-preview"], { timeoutMs: 3_600_000, onSpawn: (pid) => memory.start(pid) });
        memory.stop();
        if (up.code !== 0) throw new Error(`pulumi up of ${size} creators failed:\n${up.stdout.slice(-3000)}${up.stderr.slice(-2000)}`);
        const resources = Number(/\+ (\d+) created/.exec(up.stdout)?.[1] ?? 0);
        const stateMiB = stateBytes(ws.state) / 2 ** 20;
        measured.push({ creators: size, resources, seconds: up.seconds, stateMiB });
        rows.push({
          creators: size,
          resources,
          "wall (s)": up.seconds.toFixed(1),
          "s per creator": (up.seconds / size).toFixed(2),
          "engine peak (MiB)": Math.round(memory.engineMiB),
          "program peak (MiB)": Math.round(memory.programMiB),
          "state (MiB)": stateMiB.toFixed(2),
        });
      } finally {
        memory.stop();
        ws.remove();
      }
    }
  } finally {
    await cp.stop();
  }
  const notes: string[] = [];
  const [small, large] = [measured[0], measured[measured.length - 1]];
  if (small && large && large.creators > small.creators) {
    const sizeRatio = large.stateMiB / small.stateMiB;
    const timeRatio = large.seconds / small.seconds;
    const creatorRatio = large.creators / small.creators;
    notes.push(
      `${creatorRatio}× the creators: ${sizeRatio.toFixed(2)}× the state, ${timeRatio.toFixed(2)}× the time ` +
        `(${timeRatio > creatorRatio * 1.3 ? "superlinear: the file backend rewrites the whole state at every step" : "about linear"})`,
    );
    const perCreator = large.seconds / large.creators;
    notes.push(
      `a first up of 500 creators at this rate: about ${Math.round((perCreator * 500 * Math.max(1, timeRatio / creatorRatio)) / 60)} min; ` +
        "kwok answers at once, so a real cluster (image pulls, Ghost boots) adds its own time per wave",
    );
  }
  notes.push("kwok plays the nodes: Pods become Ready without running containers; the engine, provider and API server are real");
  return { title: "pulumi up on the local control plane (real engine)", rows, notes };
}
