/**
 * What each creator asks of the cluster, pod by pod, as the scheduler sees it:
 * Ghost's pod (Ghost plus the sqld sidecar, holding the creator's volume).
 * Suspended and retired creators run no pods; every creator keeps its volume.
 *
 * Creators whose plan sleeps are not placed one by one: the nodes hold the
 * share of them awake at the busiest moment (`sleep.peakAwakeFraction`) plus
 * room for a burst of wake-ups (`sleep.wakeBurstFraction`), per plan, rounded
 * up to whole pods. Each sleeping creator is charged that share of its pod.
 */
import { GiB, MiB, bytes, cpuMillis } from "../config/quantity.ts";
import { sleepsNow } from "../config/plans.ts";
import type { Creator, Plan, StackConfig } from "../config/schema.ts";
import { type Resources, ZERO, add } from "./providers.ts";

export interface PodRequest extends Resources {
  /** The creator id or the system workload's name. */
  owner: string;
}

export interface CreatorWorkload {
  id: string;
  plan: string;
  state: Creator["state"];
  /** Serving (active or suspended): retired creators have no site. */
  hasSite: boolean;
  /** An active creator whose plan sleeps: its pods are in the awake pool (`SleepingPool`), not here. */
  sleeps: boolean;
  /** The pods placed for this creator alone. */
  pods: PodRequest[];
  /** What the creator requests at the busiest moment: its pods, or its share of the awake pool. */
  requested: Resources;
  /** The volume's requested size in GiB (billing rounds it up to the provider's steps). */
  volumeGiB: number;
}

const containerRequests = (r: Plan["sqld"]) => ({ cpuMillis: cpuMillis(r.requests.cpu), memoryMiB: bytes(r.requests.memory) / MiB });

/** The pods of one running creator of `plan`; `blockVolume`: Ghost's pod attaches a block volume. */
export function planPods(plan: Plan, owner: string, blockVolume: boolean): PodRequest[] {
  const ghost = containerRequests(plan.ghost);
  const sqld = containerRequests(plan.sqld);
  // sqld is a native sidecar (an init container that keeps running): the pod requests the sum.
  const pods: PodRequest[] = [
    {
      owner,
      cpuMillis: ghost.cpuMillis + sqld.cpuMillis,
      memoryMiB: ghost.memoryMiB + sqld.memoryMiB,
      pods: 1,
      volumes: blockVolume ? 1 : 0,
    },
  ];
  return pods;
}

export interface SleepingPool {
  plan: string;
  /** Active creators of the plan. */
  creators: number;
  /** Pods awake at the peak: ceil(creators × peakAwakeFraction). */
  awake: number;
  /** Room kept for a burst of wake-ups: ceil(creators × wakeBurstFraction). */
  burst: number;
  /** The pods the nodes must hold for the plan: awake + burst of them. */
  pods: PodRequest[];
}

const scale = (r: Resources, k: number): Resources => ({ cpuMillis: r.cpuMillis * k, memoryMiB: r.memoryMiB * k, pods: r.pods * k, volumes: r.volumes * k });

/** The awake pools of the sleeping plans, one per plan with active creators. */
export function sleepingPools(creators: Creator[], plans: Record<string, Plan>, sleep: StackConfig["sleep"], blockVolumes: boolean): SleepingPool[] {
  const counts = new Map<string, number>();
  for (const c of creators) if (sleepsNow(c, plans)) counts.set(c.plan, (counts.get(c.plan) ?? 0) + 1);
  return [...counts].map(([plan, n]) => {
    const awake = Math.ceil(n * sleep.peakAwakeFraction);
    const burst = Math.ceil(n * sleep.wakeBurstFraction);
    const template = planPods(plans[plan]!, `${plan} (awake pool)`, blockVolumes);
    return { plan, creators: n, awake, burst, pods: Array.from({ length: awake + burst }, () => template).flat() };
  });
}

export function creatorWorkloads(
  creators: Creator[],
  plans: Record<string, Plan>,
  blockVolumes: boolean,
  pools: SleepingPool[] = [],
): CreatorWorkload[] {
  const perPlan = new Map<string, PodRequest[]>();
  const share = new Map(pools.map((p) => [p.plan, (p.awake + p.burst) / p.creators]));
  return creators.map((creator) => {
    const plan = plans[creator.plan];
    if (!plan) throw new Error(`creator ${creator.id}: unknown plan ${creator.plan} (validateStackConfig checks this)`);
    let template = perPlan.get(creator.plan);
    if (!template) {
      template = planPods(plan, "", blockVolumes);
      perPlan.set(creator.plan, template);
    }
    const sleeps = sleepsNow(creator, plans);
    const pods = creator.state === "active" && !sleeps ? template.map((p) => ({ ...p, owner: creator.id })) : [];
    const own = (sleeps ? template : pods).reduce<Resources>((sum, pod) => add(sum, pod), ZERO);
    return {
      id: creator.id,
      plan: creator.plan,
      state: creator.state,
      hasSite: creator.state !== "retired",
      sleeps,
      pods,
      requested: sleeps ? scale(own, share.get(creator.plan) ?? 1) : own,
      volumeGiB: bytes(plan.storage) / GiB,
    };
  });
}
