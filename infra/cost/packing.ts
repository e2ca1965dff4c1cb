/**
 * Bin packing of pods onto nodes: first-fit decreasing on four dimensions
 * (CPU, memory, pods, attached volumes), largest pods first by their dominant
 * share of a node. Pools start with their fixed or minimum nodes; a pod that
 * fits none of the open nodes opens a node in the first pool that may grow.
 */
import type { Resources } from "./providers.ts";

export interface PackPool {
  /** What one node offers to the pods being packed (DaemonSets already taken off). */
  capacity: Resources;
  /** Nodes open from the start (a fixed count or the autoscaler's minimum). */
  initial: number;
  /** Nodes at most (Infinity for a pool sized by the packing). */
  max: number;
}

export interface PackResult {
  /** Nodes used or open, per pool. */
  nodes: number[];
  /** Requests placed, per pool. */
  placed: Resources[];
  /** Pods that found no room. */
  unplaced: number;
  /** Pods larger than one empty node of every pool (no node count can place them). */
  oversized: number;
}

const fits = (free: Resources, pod: Resources) =>
  pod.cpuMillis <= free.cpuMillis &&
  pod.memoryMiB <= free.memoryMiB &&
  pod.pods <= free.pods &&
  pod.volumes <= free.volumes;

function take(free: Resources, pod: Resources): void {
  free.cpuMillis -= pod.cpuMillis;
  free.memoryMiB -= pod.memoryMiB;
  free.pods -= pod.pods;
  free.volumes -= pod.volumes;
}

const dims = ["cpuMillis", "memoryMiB", "pods", "volumes"] as const;
const sameSize = (a: Resources, b: Resources) => dims.every((d) => a[d] === b[d]);

export function pack(pods: Resources[], pools: PackPool[]): PackResult {
  const reference = pools[0]?.capacity;
  if (!reference) throw new Error("pack: no pools");
  const share = (pod: Resources) => Math.max(...dims.map((d) => (reference[d] > 0 ? pod[d] / reference[d] : 0)));
  const order = pods.map((pod) => ({ pod, share: share(pod) })).sort((a, b) => b.share - a.share);

  const nodes: Array<{ pool: number; free: Resources }> = [];
  const counts = pools.map((p) => p.initial);
  pools.forEach((pool, i) => {
    for (let n = 0; n < pool.initial; n++) nodes.push({ pool: i, free: { ...pool.capacity } });
  });
  const placed = pools.map<Resources>(() => ({ cpuMillis: 0, memoryMiB: 0, pods: 0, volumes: 0 }));
  let unplaced = 0;
  let oversized = 0;
  // Identical pods come in long runs: a node too full for one is too full for the next.
  let previous: Resources | undefined;
  let start = 0;

  for (const { pod } of order) {
    if (!previous || !sameSize(previous, pod)) start = 0;
    previous = pod;
    let home = -1;
    for (let n = start; n < nodes.length; n++) {
      if (fits(nodes[n]!.free, pod)) {
        home = n;
        break;
      }
    }
    if (home < 0) {
      const grow = pools.findIndex((pool, i) => counts[i]! < pool.max && fits(pool.capacity, pod));
      if (grow < 0) {
        unplaced++;
        if (!pools.some((pool) => fits(pool.capacity, pod))) oversized++;
        start = nodes.length;
        continue;
      }
      counts[grow]!++;
      nodes.push({ pool: grow, free: { ...pools[grow]!.capacity } });
      home = nodes.length - 1;
    }
    const node = nodes[home]!;
    take(node.free, pod);
    const sum = placed[node.pool]!;
    for (const d of dims) sum[d] += pod[d];
    start = home;
  }
  return { nodes: counts, placed, unplaced, oversized };
}
