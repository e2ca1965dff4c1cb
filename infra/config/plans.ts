/**
 * Built-in plans: what each creator's pod asks of the cluster. A stack file may
 * add plans or replace one by name under `creator-platform:plans`.
 *
 * Why these numbers: requests decide how many creators fit on a node, so they
 * decide the price (see infra/cost). Limits sit above requests so a burst, or
 * Ghost's first boot running every migration, is not OOM-killed.
 */
import type { Plan } from "./schema.ts";

export const BUILT_IN_PLANS: Readonly<Record<string, Plan>> = {
  starter: {
    description: "A personal blog: Ghost and sqld only, no cache tier.",
    ghost: {
      requests: { cpu: "50m", memory: "176Mi" },
      limits: { cpu: "500m", memory: "320Mi" },
      heapMb: 128,
    },
    sqld: {
      requests: { cpu: "10m", memory: "24Mi" },
      limits: { cpu: "200m", memory: "64Mi" },
    },
    storage: "1Gi",
  },
  standard: {
    description: "A publication with traffic spikes: a caching proxy in front of Ghost, scaled by an HPA.",
    ghost: {
      requests: { cpu: "100m", memory: "224Mi" },
      limits: { cpu: "1", memory: "384Mi" },
      heapMb: 160,
    },
    sqld: {
      requests: { cpu: "20m", memory: "32Mi" },
      limits: { cpu: "250m", memory: "96Mi" },
    },
    storage: "2Gi",
    cache: {
      enabled: true,
      minReplicas: 1,
      maxReplicas: 3,
      targetCpuUtilization: 70,
      resources: { requests: { cpu: "20m", memory: "24Mi" }, limits: { cpu: "250m", memory: "64Mi" } },
    },
  },
  pro: {
    description: "A busy publication: more memory for Ghost and a wider cache tier.",
    ghost: {
      requests: { cpu: "250m", memory: "320Mi" },
      limits: { cpu: "1500m", memory: "512Mi" },
      heapMb: 256,
    },
    sqld: {
      requests: { cpu: "50m", memory: "48Mi" },
      limits: { cpu: "500m", memory: "128Mi" },
    },
    storage: "5Gi",
    cache: {
      enabled: true,
      minReplicas: 2,
      maxReplicas: 6,
      targetCpuUtilization: 70,
      resources: { requests: { cpu: "50m", memory: "32Mi" }, limits: { cpu: "500m", memory: "96Mi" } },
    },
  },
};
