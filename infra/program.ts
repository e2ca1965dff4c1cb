/**
 * The program: one cluster target, one CreatorSite per creator that is not
 * retired, and the stack's outputs. Called by infra/index.ts under `pulumi up`
 * and under the mock runtime by the offline plan and the tests.
 */
import { CreatorSite } from "../components/creator-site.ts";
import { createCluster } from "../components/clusters/index.ts";
import type { ResolvedConfig } from "./config/validate.ts";
import { resolveImages } from "./images.ts";
import type * as pulumi from "@pulumi/pulumi";

export interface CreatorOutput {
  namespace: pulumi.Output<string>;
  plan: string;
  state: "active" | "suspended";
  urls: pulumi.Output<string[]>;
}

export interface ProgramOutputs {
  creators: Record<string, CreatorOutput>;
  creatorCount: { total: number; active: number; suspended: number; retired: number };
}

export function creatorPlatform(config: ResolvedConfig, stack: string): ProgramOutputs {
  const cluster = createCluster(stack, config.cluster);
  const images = resolveImages(config.images);
  const storage = { ...config.storage, className: config.storage.className ?? cluster.defaultStorageClass };
  const creators: Record<string, CreatorOutput> = {};
  for (const creator of config.creators) {
    if (creator.state === "retired") continue;
    const plan = config.plans[creator.plan];
    if (!plan) throw new Error(`creators: ${creator.id} has unknown plan ${creator.plan}`); // validation rejects this earlier
    const site = new CreatorSite(
      creator.id,
      { creator, plan, platform: config.platform, ingress: cluster.ingress, storage, images },
      { providers: { kubernetes: cluster.kubernetes } },
    );
    creators[creator.id] = { namespace: site.namespace, plan: creator.plan, state: creator.state, urls: site.urls };
  }
  const count = (state: string) => config.creators.filter((c) => c.state === state).length;
  return {
    creators,
    creatorCount: {
      total: config.creators.length,
      active: count("active"),
      suspended: count("suspended"),
      retired: count("retired"),
    },
  };
}
