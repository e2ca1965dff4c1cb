/**
 * What each creator asks of the cluster, pod by pod, as the scheduler sees it:
 * Ghost's pod (Ghost plus the sqld sidecar, holding the creator's volume) and
 * the cache tier's minimum replicas as pods of their own. Suspended and retired
 * creators run no pods; every creator keeps its volume.
 */
import { GiB, MiB, bytes, cpuMillis } from "../config/quantity.ts";
import type { Creator, Plan } from "../config/schema.ts";
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
  pods: PodRequest[];
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
  if (plan.cache?.enabled) {
    const cache = containerRequests(plan.cache.resources);
    for (let i = 0; i < plan.cache.minReplicas; i++) pods.push({ owner, ...cache, pods: 1, volumes: 0 });
  }
  return pods;
}

export function creatorWorkloads(creators: Creator[], plans: Record<string, Plan>, blockVolumes: boolean): CreatorWorkload[] {
  const perPlan = new Map<string, PodRequest[]>();
  return creators.map((creator) => {
    const plan = plans[creator.plan];
    if (!plan) throw new Error(`creator ${creator.id}: unknown plan ${creator.plan} (validateStackConfig checks this)`);
    let template = perPlan.get(creator.plan);
    if (!template) {
      template = planPods(plan, "", blockVolumes);
      perPlan.set(creator.plan, template);
    }
    const pods = creator.state === "active" ? template.map((p) => ({ ...p, owner: creator.id })) : [];
    return {
      id: creator.id,
      plan: creator.plan,
      state: creator.state,
      hasSite: creator.state !== "retired",
      pods,
      requested: pods.reduce<Resources>((sum, pod) => add(sum, pod), ZERO),
      volumeGiB: bytes(plan.storage) / GiB,
    };
  });
}
