/**
 * Node counts per pool. By default a pool is sized from the packing, so more
 * creators mean more nodes in the same preview; a `count` or `autoscaler`
 * bound in the stack file overrides it, and a stack whose pods do not fit
 * those bounds is rejected with the nodes needed against the nodes allowed.
 */
import { ConfigError, type Problem } from "../config/validate.ts";
import { type PackResult, pack } from "./packing.ts";
import { type NodeShape, type ProviderModel, type Resources, type SystemWorkload, ZERO, add } from "./providers.ts";

export type PoolSource = "derived" | "count" | "autoscaler";

export interface PoolInput {
  name: string;
  size: string;
  shape: NodeShape;
  count?: number;
  autoscaler?: { min: number; max: number };
}

export interface SizedPool {
  name: string;
  size: string;
  source: PoolSource;
  count: number;
  bounds: { min: number; max: number | null };
  /** One node's allocatable CPU, memory, pods and volume slots. */
  perNode: Resources;
  /** What the pods placed here plus the DaemonSets on each node request. */
  requested: Resources;
}

/** Thrown when explicit counts or autoscaler bounds cannot hold the stack's pods. */
export class CapacityError extends ConfigError {
  constructor(source: string, problems: Problem[]) {
    super(source, problems);
    this.name = "CapacityError";
  }
}

export function nodeAllocatable(model: ProviderModel, shape: NodeShape): Resources {
  return { ...model.allocatable(shape), pods: model.maxPods, volumes: model.volumeAttachLimit(shape) };
}

const perNodeLoad = (daemonSets: SystemWorkload[]): Resources =>
  daemonSets.reduce<Resources>((sum, d) => add(sum, { cpuMillis: d.cpuMillis, memoryMiB: d.memoryMiB, pods: d.pods, volumes: 0 }), ZERO);

const sourceOf = (pool: PoolInput): PoolSource => (pool.count !== undefined ? "count" : pool.autoscaler ? "autoscaler" : "derived");

function bounds(pool: PoolInput): { min: number; max: number } {
  if (pool.count !== undefined) return { min: pool.count, max: pool.count };
  if (pool.autoscaler) return pool.autoscaler;
  return { min: 0, max: Infinity };
}

const describe = (r: Resources) => `${Math.round(r.cpuMillis)}m CPU, ${Math.round(r.memoryMiB)} MiB`;

export interface SizingInput {
  model: ProviderModel;
  pools: PoolInput[];
  /** The provider's field for a pool's size: `size` (Civo) or `type` (Linode), for error paths. */
  sizeField: string;
  pods: Resources[];
  daemonSets: SystemWorkload[];
  /** Named in a CapacityError (the stack file). */
  source: string;
  /** What the pods are, for the error message ("500 creators and the platform add-ons"). */
  what: string;
}

export function sizePools(input: SizingInput): SizedPool[] {
  const load = perNodeLoad(input.daemonSets);
  const capacities = input.pools.map((pool) => {
    const all = nodeAllocatable(input.model, pool.shape);
    return { all, free: add(all, load, -1) };
  });
  const packPools = (relaxed: boolean) =>
    input.pools.map((pool, i) => ({
      capacity: capacities[i]!.free,
      initial: bounds(pool).min,
      max: relaxed ? Infinity : bounds(pool).max,
    }));
  const result = pack(input.pods, packPools(false));
  if (result.unplaced > 0) throw capacityError(input, result, pack(input.pods, packPools(true)), capacities.map((c) => c.all));

  return input.pools.map((pool, i) => {
    const source = sourceOf(pool);
    // A pool sized by the packing keeps at least one node.
    const count = source === "derived" ? Math.max(1, result.nodes[i]!) : result.nodes[i]!;
    const b = bounds(pool);
    return {
      name: pool.name,
      size: pool.size,
      source,
      count,
      bounds: { min: b.min, max: Number.isFinite(b.max) ? b.max : null },
      perNode: capacities[i]!.all,
      requested: add(result.placed[i]!, load, count),
    };
  });
}

function capacityError(input: SizingInput, bounded: PackResult, relaxed: PackResult, allocatable: Resources[]): CapacityError {
  const problems: Problem[] = [];
  if (bounded.oversized > 0) {
    const largest = input.pods.reduce((a, b) => (b.memoryMiB + b.cpuMillis > a.memoryMiB + a.cpuMillis ? b : a));
    input.pools.forEach((pool, i) => {
      problems.push({
        path: `cluster.nodePools[${i}].${input.sizeField}`,
        message: `a pod requesting ${describe(largest)} does not fit one ${pool.size} node (allocatable ${describe(allocatable[i]!)} after system pods); choose a larger size`,
      });
    });
  } else {
    input.pools.forEach((pool, i) => {
      const b = bounds(pool);
      const needed = relaxed.nodes[i]!;
      if (!Number.isFinite(b.max) || needed <= b.max) return;
      const field = pool.count !== undefined ? "count" : "autoscaler.max";
      problems.push({
        path: `cluster.nodePools[${i}].${field}`,
        message: `${input.what} need ${needed} ${pool.size} nodes but ${field} allows ${b.max} (${bounded.unplaced} pods left unscheduled); raise ${field}, remove it to size the pool from the creators, or move creators to another stack`,
      });
    });
  }
  if (problems.length === 0) {
    problems.push({ path: "cluster.nodePools", message: `${bounded.unplaced} pods of ${input.what} find no room within the pools' bounds` });
  }
  return new CapacityError(input.source, problems);
}
