/**
 * The stack configuration: one zod schema for every key under `creator-platform:`
 * in `stacks/Pulumi.<stack>.yaml`. Objects are strict, so a misspelt key is an
 * error rather than a silently ignored setting. Cross-field rules (duplicate ids
 * and domains, unknown plans) live in validate.ts, which reports them together
 * with the problems found here.
 */
import { z } from "zod";
import { RESERVED_CREATOR_IDS } from "../contract/names.ts";
import { CREATOR_NAMESPACE_PREFIX } from "../contract/namespaces.ts";
import { bytes, cpuMillis } from "./quantity.ts";
import { kubernetesVersionProblem } from "../platform/kubernetes-version.ts";

/** RFC 1123 label: what Kubernetes accepts as a namespace suffix and DNS accepts as a subdomain. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const CPU = /^([0-9]+m|[0-9]+(\.[0-9]{1,3})?)$/;
const BYTES = /^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$/;
const CIDR = /^((25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(25[0-5]|2[0-4]\d|1?\d?\d)\/(3[0-2]|[12]?\d)$/;

/** Creator ids become `creator-<id>` namespaces (63 characters at most). */
export const CREATOR_ID_MAX = 55;

export const creatorId = z
  .string()
  .max(CREATOR_ID_MAX, `at most ${CREATOR_ID_MAX} characters (the namespace is creator-<id>)`)
  .regex(DNS_LABEL, "must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit")
  .refine((id) => !(id in RESERVED_CREATOR_IDS), { error: (issue) => `is reserved for ${RESERVED_CREATOR_IDS[String(issue.input)]} (infra/contract/names.ts)` });

export const hostname = z
  .string()
  .regex(HOSTNAME, "must be a lowercase fully qualified host name such as blog.example.com");

/** A quantity as Kubernetes accepts it: text, or a YAML number (`cpu: 0.5`, `memory: 1073741824`). */
const quantity = (pattern: RegExp, what: string, value: (q: string) => number) =>
  z
    .union([z.string(), z.number().transform(String)])
    .pipe(z.string().regex(pattern, what))
    .refine((q) => {
      try {
        return value(q) > 0;
      } catch {
        return true; // not a quantity: the pattern above says so
      }
    }, "must be more than zero: a zero request or limit makes no sense here and would make the cost model lie");
export const cpuQuantity = quantity(CPU, "must be a CPU quantity such as 50m or 0.5", cpuMillis);
export const byteQuantity = quantity(BYTES, "must be a size such as 192Mi or 1Gi", bytes);

const resourcePair = z.strictObject({ cpu: cpuQuantity, memory: byteQuantity });
export const containerResources = z.strictObject({
  requests: resourcePair,
  limits: resourcePair,
});

/** A Go duration the sleep engine accepts, in whole minutes or hours, from 1m to 24h. */
export const sleepDuration = z
  .string()
  .regex(/^[1-9][0-9]*(m|h)$/, "must be a duration in minutes or hours such as 10m or 2h")
  .refine((d) => durationMinutes(d) <= 24 * 60, "must be at most 24h: a plan that sleeps after a day should not sleep");

export function durationMinutes(duration: string): number {
  const n = Number(duration.slice(0, -1));
  return duration.endsWith("h") ? n * 60 : n;
}

export const planSchema = z.strictObject({
  description: z.string().optional(),
  ghost: containerResources.extend({
    /** V8 old-space limit for Ghost's Node process (MiB); V8 otherwise sizes it from the node's memory. */
    heapMb: z.number().int().min(128, "at least 128: with less, Ghost's first boot runs out of heap during migrations").max(4096),
  }),
  sqld: containerResources,
  /** One volume per creator holds sqld's database and Ghost's content (images, themes). */
  storage: byteQuantity,
  /**
   * Idle time after which the creator's Ghost pod is scaled to zero (a duration such as 10m or
   * 2h; the sleep engine's session length). Absent: the plan never sleeps. Readers are served
   * from the shared cache while it sleeps; the first request that needs Ghost wakes it.
   */
  sleepAfter: sleepDuration.optional(),
});

const ingressSchema = z.strictObject({
  className: z.string().default("traefik"),
  /** Namespace of the ingress controller's pods; NetworkPolicies admit traffic from it alone. */
  namespace: z
    .string()
    .regex(DNS_LABEL, "must be a namespace name")
    .refine((ns) => !ns.startsWith(CREATOR_NAMESPACE_PREFIX), `must not start with ${CREATOR_NAMESPACE_PREFIX}: those are creators' namespaces`),
  podLabels: z.record(z.string(), z.string()).default({ "app.kubernetes.io/name": "traefik" }),
});

/** A pinned cluster version must run native sidecars (infra/platform/kubernetes-version.ts). */
function minimumVersion(version: string, ctx: z.RefinementCtx): void {
  const problem = kubernetesVersionProblem(version);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
}

const autoscaler = z.strictObject({ min: z.number().int().min(1), max: z.number().int().min(1) });

const poolCommon = {
  name: z.string().regex(DNS_LABEL, "must be a DNS-1123 label"),
  /** Fixed node count. Omit both count and autoscaler to size the pool from the creators' requests. */
  count: z.number().int().min(1).max(1000).optional(),
  autoscaler: autoscaler.optional(),
};

export const CIVO_NODE_SIZES = [
  "g4s.kube.xsmall",
  "g4s.kube.small",
  "g4s.kube.medium",
  "g4s.kube.large",
  "g4s.kube.xlarge",
  "g4s.kube.2xlarge",
] as const;
export const LINODE_NODE_TYPES = ["g6-standard-1", "g6-standard-2", "g6-standard-4", "g6-standard-6"] as const;

/** Platform add-ons a cluster may already run; PlatformAddons installs only the others. */
export const ADDONS = ["traefik", "cert-manager", "metrics-server", "monitoring"] as const;
export type AddonName = (typeof ADDONS)[number];

const existingCluster = z.strictObject({
  provider: z.literal("existing"),
  /** kubeconfig context to deploy to; omit for the current context. */
  context: z.string().min(1).optional(),
  /** Add-ons this cluster already runs (k3d and k3s ship traefik and metrics-server). */
  ships: z.array(z.enum(ADDONS)).default([]),
  /** The cluster's own ingress controller; default: k3s's Traefik in kube-system if it ships one, else the platform's. */
  ingress: ingressSchema.optional(),
});

const civoCluster = z.strictObject({
  provider: z.literal("civo"),
  region: z.string().regex(/^[A-Z]{3}[0-9]$/, "must be a Civo region code such as LON1 or NYC1"),
  /** Pinned k3s release, as `civo kubernetes versions` lists it (e.g. 1.30.5-k3s1): unpinned, Civo picks one. */
  kubernetesVersion: z
    .string()
    .regex(/^1\.[0-9]+\.[0-9]+-k3s[0-9]+$/, "must be a Civo k3s release such as 1.30.5-k3s1 (civo kubernetes versions)")
    .superRefine(minimumVersion),
  /**
   * Not supported: @pulumi/civo 1.0.7 cannot attach a firewall to a cluster (validate.ts
   * explains); kept in the schema only so that setting it gets that explanation.
   */
  apiAllowedCidrs: z.array(z.string()).optional(),
  nodePools: z.array(z.strictObject({ ...poolCommon, size: z.enum(CIVO_NODE_SIZES) })).min(1),
  ingress: ingressSchema.optional(),
});

const linodeCluster = z.strictObject({
  provider: z.literal("linode"),
  region: z.string().regex(/^[a-z]{2}-[a-z]+$/, "must be a Linode region such as us-east or eu-west"),
  kubernetesVersion: z.string().regex(/^1\.[0-9]+$/, "must be a minor version such as 1.33").superRefine(minimumVersion),
  highAvailability: z.boolean().default(false),
  /** Who may reach the Kubernetes API (LKE control-plane ACL); omit to leave the API open. */
  apiAllowedCidrs: z.array(z.string().regex(CIDR, "must be an IPv4 CIDR such as 203.0.113.0/24")).min(1).optional(),
  nodePools: z.array(z.strictObject({ ...poolCommon, type: z.enum(LINODE_NODE_TYPES) })).min(1),
  ingress: ingressSchema.optional(),
});

export const clusterSchema = z.discriminatedUnion("provider", [existingCluster, civoCluster, linodeCluster]);

export const creatorSchema = z.strictObject({
  id: creatorId,
  plan: z.string().regex(DNS_LABEL, "must name a plan"),
  /** Custom domains in addition to <id>.<platform domain>. */
  domains: z.array(hostname).default([]),
  /** active: serving; suspended: scaled to zero, data kept; retired: no workload, data kept. */
  state: z.enum(["active", "suspended", "retired"]).default("active"),
  /**
   * A move to another stack is under way (`npm run ops -- move`): the creator may then be
   * listed in both stacks, which is otherwise an error (backups are kept by creator id).
   */
  movingTo: z.string().regex(/^[A-Za-z0-9_.-]+$/, "must name a stack").optional(),
  /** Bump to rotate this creator's sqld key and tokens (infra/sqld-auth.ts derives them from the stack's sqldKeySeed). */
  sqldKeyGeneration: z.number().int().min(1).default(1),
});

export const platformSchema = z.strictObject({
  /** Every creator is served at <id>.<domain>. */
  domain: hostname,
  tls: z
    .strictObject({
      /** off: plain HTTP (local clusters); letsencrypt: cert-manager ACME certificates. */
      mode: z.enum(["off", "letsencrypt"]),
      email: z.email("must be an e-mail address for the ACME account").optional(),
      /** Let's Encrypt's staging directory: untrusted certificates, generous rate limits. */
      staging: z.boolean().default(false),
      /**
       * A DNS-01 wildcard certificate for *.<domain>, served by Traefik by default: creators on the
       * platform domain then need no certificate of their own (Let's Encrypt allows 50 per domain a week).
       */
      wildcard: z.strictObject({ dnsProvider: z.enum(["cloudflare"]) }).optional(),
    })
    .default({ mode: "off", staging: false }),
  /**
   * The SMTP relay every Ghost sends through (staff sign-in codes, member sign-up links,
   * newsletters); its password is the secret `smtpPassword`. Without it, Ghost cannot send
   * mail, so its staff device verification is turned off (a code could never arrive).
   */
  mail: z
    .strictObject({
      from: z.string().min(3, "must be a sender such as 'Creators <noreply@creators.example>'"),
      host: hostname,
      port: z.number().int().min(1).max(65535).default(587),
      secure: z.boolean().default(false),
      user: z.string().min(1),
    })
    .optional(),
});

export const storageSchema = z.strictObject({
  /**
   * block: one cloud block volume per creator (billed per GB, provider minimums, per-node attach limits).
   * local: node-local disk through a local-path provisioner (no per-volume bill; the data lives on one
   * node, so backups are what protect it).
   */
  type: z.enum(["block", "local"]).default("block"),
  /** StorageClass for creator volumes; omit for the cluster's default class. */
  className: z.string().min(1).optional(),
});

export const sleepSchema = z.strictObject({
  /**
   * The share of sleeping-plan creators awake at the busiest moment: the nodes are sized for it.
   * 0.35 by default: with a 10-minute idle time a blog is awake 1 - e^(-10λ) of the time at λ
   * cache misses a minute, so 0.35 allows about 2.6 misses an hour per blog at the peak, the
   * rate at which the shared cache keeps a small blog's readers and crawlers away from Ghost.
   * An ASSUMPTION, not a measurement: measure it from the monitoring stack (README, Sleeping).
   */
  peakAwakeFraction: z.number().gt(0, "must be more than 0").max(1, "must be at most 1 (every creator awake)").default(0.35),
  /** Extra room for a burst of wake-ups above the peak, as a share of the sleeping creators. */
  wakeBurstFraction: z.number().min(0).max(1).default(0.05),
});

export const monitoringSchema = z.strictObject({
  /** A small Prometheus with alerts (OOM kills, restart loops, sqld down, full volumes, expiring certificates). */
  enabled: z.boolean().default(true),
  retentionDays: z.number().int().min(1).max(90).default(7),
  /** Size of Prometheus's own volume. */
  storage: byteQuantity.default("10Gi"),
  /**
   * Grafana with the creators' dashboard (infra/platform/dashboards.ts), in the monitoring
   * stack. Off by default: it costs a pod of 40m CPU and 224 MiB requested (Grafana 20m /
   * 128 MiB, its dashboard and datasource sidecars 10m / 48 MiB each; infra/platform/addons.ts),
   * which the cost report counts. No volume: dashboards come from ConfigMaps, the admin
   * password from the stack's seed.
   */
  grafana: z.strictObject({ enabled: z.boolean().default(false) }).default({ enabled: false }),
}).refine((m) => m.enabled || !m.grafana.enabled, { path: ["grafana", "enabled"], message: "needs monitoring.enabled: Grafana is part of the monitoring stack" });

export const backupsSchema = z.strictObject({
  /**
   * S3-compatible storage for creator database backups. On Linode the program creates a bucket
   * and a key scoped to it when no bucket is named; Civo's provider has no object-store resource,
   * so a Civo stack names an existing bucket and its endpoint here.
   */
  bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be an S3 bucket name").optional(),
  endpoint: z.url("must be an https URL such as https://objectstore.lon1.civo.com").optional(),
  region: z.string().min(1).default("us-east-1"),
  /**
   * Continuous backups: every sqld streams its database to the bucket (sqld's bottomless
   * replication, under <bucket>/<creator id>) and restores from it on boot when its local
   * database is empty, e.g. after a node-local volume is lost with its node.
   */
  continuous: z.boolean().default(true),
});

export const imagesSchema = z.strictObject({
  ghost: z.string().min(1).optional(),
  sqld: z.string().min(1).optional(),
  cache: z.string().min(1).optional(),
  sleep: z.string().min(1).optional(),
  /**
   * Credentials for a private registry (GHCR packages are private until made public): every
   * creator namespace gets a pull Secret for it; the password is the secret `imagePullPassword`.
   */
  pullSecret: z.strictObject({ registry: z.string().regex(/^[a-z0-9.-]+(:[0-9]+)?$/, "must be a registry host such as ghcr.io"), username: z.string().min(1) }).optional(),
});

/**
 * An image upgrade under way (`npm run upgrade`, docs/runbooks/upgrade-in-waves.md):
 * the creators listed run these images, every other creator keeps images.ghost and
 * images.sqld. The command adds a wave's ids, runs `pulumi up` and checks the wave
 * before the next; when every wave passed it moves the images into `images` and
 * removes this key. Removing ids (or the key) is the rollback.
 */
export const rolloutSchema = z.strictObject({
  ghost: z.string().min(1).optional(),
  sqld: z.string().min(1).optional(),
  /** Creator ids of this stack (validate.ts checks them against `creators`). */
  creators: z.array(z.string()),
});

/** Keys under `creator-platform:` in a stack file. */
export const stackConfigSchema = z.strictObject({
  cluster: clusterSchema,
  platform: platformSchema,
  storage: storageSchema.default({ type: "block" }),
  /** Plans defined here add to, or replace by name, the built-in plans (infra/config/plans.ts). */
  plans: z.record(z.string().regex(DNS_LABEL, "plan names must be DNS-1123 labels"), planSchema).default({}),
  creators: z.array(creatorSchema),
  images: imagesSchema.default({}),
  rollout: rolloutSchema.optional(),
  sleep: sleepSchema.default({ peakAwakeFraction: 0.35, wakeBurstFraction: 0.05 }),
  monitoring: monitoringSchema.default({ enabled: true, retentionDays: 7, storage: "10Gi", grafana: { enabled: false } }),
  backups: backupsSchema.default({ region: "us-east-1", continuous: true }),
  /** Object-storage key (Pulumi secrets) for a bucket the program does not create (Civo, existing clusters). */
  backupAccessKeyId: z.string().min(1).optional(),
  backupSecretAccessKey: z.string().min(1).optional(),
  /** Registry password or token (a Pulumi secret) for images.pullSecret. */
  imagePullPassword: z.string().min(1).optional(),
  /** SMTP password (a Pulumi secret) for platform.mail. */
  smtpPassword: z.string().min(1).optional(),
  /**
   * The secret every creator's sqld key pair is derived from (infra/sqld-auth.ts): required.
   * `pulumi config set --secret sqldKeySeed "$(openssl rand -base64 32)"`.
   */
  sqldKeySeed: z.string().min(32, "at least 32 characters of randomness (openssl rand -base64 32)").optional(),
  /** Cloudflare API token (a Pulumi secret) for the DNS-01 wildcard certificate. */
  cloudflareApiToken: z.string().min(1).optional(),
  /** The offline plan and `pulumi preview` fail when the stack costs more than this per creator. */
  maxMonthlyCostPerCreator: z.number().positive().optional(),
});

export type StackConfigInput = z.input<typeof stackConfigSchema>;
export type StackConfig = z.output<typeof stackConfigSchema>;
export type Cluster = StackConfig["cluster"];
export type Creator = z.output<typeof creatorSchema>;
export type Plan = z.output<typeof planSchema>;
export type Rollout = z.output<typeof rolloutSchema>;
export type ContainerResources = z.output<typeof containerResources>;
export type Platform = z.output<typeof platformSchema>;
export type Storage = z.output<typeof storageSchema>;
export type IngressController = z.output<typeof ingressSchema>;
