/**
 * Built-in plans: what each creator's pod asks of the cluster. A stack file may
 * add plans or replace one by name under `creator-platform:plans`.
 *
 * Requests decide how many creators fit on a node, so they decide the price
 * (infra/cost). They sit at the measured steady working set; limits sit above
 * it so Ghost's first boot, which runs every migration, is never OOM-killed.
 * Measurements and the full reasoning: infra/config/plan-sizing.md, made with
 * `npm run bench:ghost` (Ghost 6.65.0 on the libsql driver, Node 22):
 *
 * - Ghost heap 192 MiB (`--max-old-space-size`): 96 and 112 MiB ran out of heap
 *   during the first boot's migrations; 128 booted but halved throughput;
 *   160–256 changed idle memory by a few MiB only.
 * - Ghost warm idle 165–175 MiB with the image's flags (semi space 2 MiB);
 *   first boot peaks at 229–237 MiB; 265–280 MiB after 200 page requests.
 *   Hence starter requests 192Mi (steady set plus page cache) and limits 320Mi
 *   (peak plus a larger site's migrations; above heap + ~110 MiB of non-heap,
 *   so V8 reports a heap exhaustion before the kernel OOM-kills).
 * - Ghost boots on one CPU-bound thread (~1.5 s warm on a free core): a CPU
 *   limit below one core would stretch every restart past the 2 s target.
 * - sqld could not be run here (no binary on the registry, no Docker): its
 *   24Mi is a budget, not a measurement. One public report puts it
 *   near 100 MB and growing (tursodatabase/libsql#1781). Its heap limits follow
 *   its container limit (infra/render/ghost-pod.ts); measure it in the users'
 *   CI workflow (.github/workflows/ghost-sqld.yml) or a first cluster.
 */
import type { Creator, Plan } from "./schema.ts";

/** An active creator whose plan sleeps: the sleep engine manages it and the cost model counts it in an awake pool. */
export const sleepsNow = (creator: Pick<Creator, "state" | "plan">, plans: Readonly<Record<string, Plan>>): boolean =>
  creator.state === "active" && plans[creator.plan]?.sleepAfter !== undefined;

export const BUILT_IN_PLANS: Readonly<Record<string, Plan>> = {
  starter: {
    description: "A personal blog: sleeps after 10 minutes without a request the shared cache cannot answer.",
    sleepAfter: "10m",
    ghost: {
      requests: { cpu: "50m", memory: "192Mi" },
      limits: { cpu: "1", memory: "320Mi" },
      heapMb: 192,
    },
    sqld: {
      requests: { cpu: "10m", memory: "24Mi" },
      limits: { cpu: "200m", memory: "64Mi" },
    },
    storage: "1Gi",
  },
  standard: {
    description: "A publication with members and editors: never sleeps.",
    // Never sleeps: signed-in members and editors bypass the shared cache, so a publication with
    // an active membership would wake many times a day, each wake a wait for a member, and would
    // be awake far more often than the stack's peakAwakeFraction assumes for sleeping plans.
    // The shared cache absorbs page traffic, so Ghost's steady set stays near starter's; the
    // extra request covers editors and members, the limit imports and theme uploads.
    ghost: {
      requests: { cpu: "100m", memory: "208Mi" },
      limits: { cpu: "1", memory: "384Mi" },
      heapMb: 192,
    },
    sqld: {
      requests: { cpu: "20m", memory: "32Mi" },
      limits: { cpu: "250m", memory: "96Mi" },
    },
    storage: "2Gi",
  },
  pro: {
    // Never sleeps: a busy publication is rarely idle for long, and its readers never wait for a wake-up.
    description: "A busy publication: a larger heap for bigger sites and imports; never sleeps.",
    ghost: {
      requests: { cpu: "250m", memory: "256Mi" },
      limits: { cpu: "2", memory: "512Mi" },
      heapMb: 256,
    },
    sqld: {
      requests: { cpu: "50m", memory: "48Mi" },
      limits: { cpu: "500m", memory: "128Mi" },
    },
    storage: "5Gi",
  },
};
