/**
 * The program: one cluster target, its platform add-ons, one CreatorSite per
 * creator that is not retired, and the stack's outputs. Called by
 * infra/index.ts under `pulumi up`, and under the mock runtime by the offline
 * plan and the tests.
 */
import * as pulumi from "@pulumi/pulumi";
import { CreatorSite } from "../components/creator-site.ts";
import type { BackupStore } from "../components/clusters/cluster.ts";
import { existingClusterVersion } from "../components/clusters/existing.ts";
import { type NodeCounts, createCluster } from "../components/clusters/index.ts";
import { PlatformAddons } from "../components/platform-addons.ts";
import { ConfigError, type ResolvedConfig } from "./config/validate.ts";
import { type CostReport, costCeilingViolation, costReport } from "./cost/index.ts";
import { imagesFor, resolveImages } from "./images.ts";
import { kubernetesVersionProblem } from "./platform/kubernetes-version.ts";

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
    backups: { bucket: string; endpoint: string; continuous: boolean } | null;
    limitations: string[];
  };
  creators: Record<string, CreatorOutput>;
  creatorCount: { total: number; active: number; suspended: number; retired: number };
  /** What the stack costs a month, in total and per creator, from the dated price table. */
  cost: CostReport;
}

/**
 * Checks that need the real cluster before anything is registered. `pulumi up`
 * and `preview` run them; the offline plan turns them off and says so.
 */
export const deployChecks: { clusterVersion: ((context: string | undefined) => Promise<string>) | undefined } = {
  clusterVersion: existingClusterVersion,
};

export interface ProgramOptions {
  /** Nodes per pool; default: the cost model's packing, or the stack's own count or bounds. */
  nodeCounts?: NodeCounts;
}

/**
 * Creators are registered in waves. Under `pulumi up` nothing waits between
 * waves. The offline plan sets `drain` to wait until a wave's registrations
 * reached its mock engine: otherwise every object of every creator is in
 * flight at once, and a plan's memory grows with the stack (3 GB at 1,000
 * creators instead of under 1 GB).
 */
export const registrationWaves: { size: number; drain: (() => Promise<void>) | undefined } = { size: 50, drain: undefined };

/** Whether every sqld streams to the backups bucket: it needs a bucket and a key for it. */
function continuousBackups(wanted: boolean, store: BackupStore | undefined) {
  if (!wanted) return { settings: undefined, credentials: undefined, off: undefined };
  if (!store?.credentials) {
    const off = store
      ? "continuous backups are off: no key for the backups bucket (pulumi config set --secret backupAccessKeyId / backupSecretAccessKey)"
      : "continuous backups are off: no backups bucket (backups.bucket and backups.endpoint)";
    return { settings: undefined, credentials: undefined, off };
  }
  return { settings: { bucket: store.bucket, endpoint: store.endpoint, region: store.region }, credentials: store.credentials, off: undefined };
}

export async function creatorPlatform(
  config: ResolvedConfig,
  stack: string,
  options: ProgramOptions = {},
): Promise<ProgramOutputs> {
  // Cost decides the node counts, so it comes first: a stack whose creators cannot fit its
  // pools' bounds, or that costs more than maxMonthlyCostPerCreator, stops here, before any
  // resource is registered.
  if (config.cluster.provider === "existing" && deployChecks.clusterVersion) {
    const version = await deployChecks.clusterVersion(config.cluster.context);
    const problem = kubernetesVersionProblem(version);
    if (problem) throw new ConfigError(`stack ${stack}`, [{ path: "cluster", message: `the existing cluster runs ${version}: ${problem}` }]);
  }
  const cost = costReport(config, { source: `stack ${stack}` });
  const violation = costCeilingViolation(cost, config);
  if (violation) throw new ConfigError(`stack ${stack}`, [{ path: "maxMonthlyCostPerCreator", message: violation }]);
  // Sharding past ~300 creators, a cheaper node size: shown by `pulumi preview` as warnings.
  for (const warning of cost.warnings) pulumi.log.warn(warning);
  const nodeCounts = options.nodeCounts ?? Object.fromEntries(cost.nodes.map((n) => [n.pool, n.count]));
  const cluster = createCluster(stack, config, nodeCounts);
  const addons = new PlatformAddons(`${stack}-platform`, { config, kubernetes: cluster.kubernetes, cost });
  const images = resolveImages(config.images);
  const store = cluster.backups;
  const continuous = continuousBackups(config.backups.continuous, store);
  const limitations = [...cluster.limitations, ...(continuous.off ? [continuous.off] : [])];
  const backups = continuous.settings;
  const storage = { ...config.storage, className: config.storage.className ?? cluster.defaultStorageClass };
  const creators: Record<string, CreatorOutput> = {};
  let sites = 0;
  for (const creator of config.creators) {
    if (creator.state === "retired") continue;
    if (++sites % registrationWaves.size === 0) await registrationWaves.drain?.();
    const plan = config.plans[creator.plan];
    // Validation rejects an unknown plan and a missing seed earlier.
    if (!plan || !config.sqldKeySeed) throw new Error(`creators: ${creator.id} has unknown plan ${creator.plan} or no sqldKeySeed`);
    const site = new CreatorSite(
      creator.id,
      {
        creator,
        plan,
        platform: config.platform,
        ingress: cluster.ingress,
        storage,
        images: imagesFor(creator.id, images, config.rollout),
        monitoring: config.monitoring.enabled,
        backups,
        sqldKeySeed: config.sqldKeySeed,
        opsNamespace: addons.opsNamespace,
        ...(config.smtpPassword ? { smtpPassword: config.smtpPassword } : {}),
        ...(config.images.pullSecret && config.imagePullPassword
          ? { imagePull: { ...config.images.pullSecret, password: config.imagePullPassword } }
          : {}),
        ...(continuous.credentials ? { backupCredentials: continuous.credentials } : {}),
      },
      { providers: { kubernetes: cluster.kubernetes }, dependsOn: addons.forCreators },
    );
    creators[creator.id] = { namespace: site.namespace, plan: creator.plan, state: creator.state, urls: site.urls };
  }
  return {
    cluster: {
      provider: config.cluster.provider,
      nodePools: cluster.nodePools,
      addons: addons.installed,
      backups: store ? { bucket: store.bucket, endpoint: store.endpoint, continuous: backups !== undefined } : null,
      limitations,
    },
    creators,
    creatorCount: { total: config.creators.length, ...cost.creatorStates },
    cost,
  };
}
