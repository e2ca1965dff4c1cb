/**
 * The program: one cluster target, its platform add-ons, one CreatorSite per
 * creator that is not retired, and the stack's outputs. Called by
 * infra/index.ts under `pulumi up`, and under the mock runtime by the offline
 * plan and the tests.
 */
import * as pulumi from "@pulumi/pulumi";
import { CreatorSite } from "../components/creator-site.ts";
import { type NodeCounts, createCluster } from "../components/clusters/index.ts";
import { PlatformAddons } from "../components/platform-addons.ts";
import type { ResolvedConfig } from "./config/validate.ts";
import { resolveImages } from "./images.ts";

export interface CreatorOutput {
  namespace: pulumi.Output<string>;
  plan: string;
  state: "active" | "suspended";
  urls: pulumi.Output<string[]>;
}

export interface ProgramOutputs {
  cluster: {
    provider: string;
    nodePools: unknown;
    addons: string[];
    backups: { bucket: pulumi.Output<string>; endpoint: pulumi.Output<string> } | null;
    limitations: string[];
  };
  creators: Record<string, CreatorOutput>;
  creatorCount: { total: number; active: number; suspended: number; retired: number };
}

export interface ProgramOptions {
  /** Nodes per pool where the stack fixes no count (the cost model's packing). */
  nodeCounts?: NodeCounts;
}

export function creatorPlatform(config: ResolvedConfig, stack: string, options: ProgramOptions = {}): ProgramOutputs {
  const cluster = createCluster(stack, config, options.nodeCounts ?? {});
  const addons = new PlatformAddons(`${stack}-platform`, { config, kubernetes: cluster.kubernetes });
  const images = resolveImages(config.images);
  const storage = { ...config.storage, className: config.storage.className ?? cluster.defaultStorageClass };
  const creators: Record<string, CreatorOutput> = {};
  for (const creator of config.creators) {
    if (creator.state === "retired") continue;
    const plan = config.plans[creator.plan];
    if (!plan) throw new Error(`creators: ${creator.id} has unknown plan ${creator.plan}`); // validation rejects this earlier
    const site = new CreatorSite(
      creator.id,
      { creator, plan, platform: config.platform, ingress: cluster.ingress, storage, images, monitoring: config.monitoring.enabled },
      { providers: { kubernetes: cluster.kubernetes }, dependsOn: addons.priorityClasses },
    );
    creators[creator.id] = { namespace: site.namespace, plan: creator.plan, state: creator.state, urls: site.urls };
  }
  const count = (state: string) => config.creators.filter((c) => c.state === state).length;
  return {
    cluster: {
      provider: config.cluster.provider,
      nodePools: cluster.nodePools,
      addons: addons.installed,
      backups: cluster.backups ? { bucket: cluster.backups.bucket, endpoint: cluster.backups.endpoint } : null,
      limitations: cluster.limitations,
    },
    creators,
    creatorCount: {
      total: config.creators.length,
      active: count("active"),
      suspended: count("suspended"),
      retired: count("retired"),
    },
  };
}
