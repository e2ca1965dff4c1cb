/**
 * Everything one creator needs, as plain Kubernetes objects: the decision of
 * what a creator gets, free of Pulumi, so tests and the offline plan can read
 * it directly. Every name derives from the creator's id, never from its place
 * in the list, so adding, removing or reordering creators leaves the others alone.
 */
import { bytes, cpuMillis, formatCpu, formatMiB } from "../config/quantity.ts";
import type { Creator, IngressController, Plan, Platform, Storage } from "../config/schema.ts";
import type { Images } from "../images.ts";
import {
  BACKUP_KEY_ID,
  BACKUP_SECRET,
  BACKUP_SECRET_KEY,
  type ContinuousBackups,
  GHOST_NAME,
  MAIL_PASSWORD,
  MAIL_SECRET,
  IMAGE_PULL_SECRET,
  OPS_TOKEN_KEY,
  opsTokenSecretName,
  SQLD_AUTH_SECRET,
  SQLD_PUBLIC_KEY,
  SQLD_TOKEN,
  ghostDeployment,
} from "./ghost-pod.ts";
import { PLATFORM_NAMESPACES } from "../contract/namespaces.ts";
import { SQLD_ADMIN_KEY, SQLD_ADMIN_SECRET } from "../contract/sqld.ts";
import { type Owner, creatorLabels, namespaceOf, selectorLabels } from "./labels.ts";
import { SQLD_PORT } from "../contract/ports.ts";
import { CREATOR_HEADERS, SHARED_CACHE, sharedCacheHost } from "../contract/sleep.ts";
import { networkPolicies } from "./network-policies.ts";
import type { IIngress, ILimitRange, IResourceQuota, ISecret, IService, ITraefikMiddleware, KubeObject } from "./objects.ts";
import { type CreatorTls, creatorTls } from "./tls.ts";

/** Kinds that hold a creator's data: retiring or removing the creator leaves them in the cluster (retainOnDelete). */
export const RETAINED_KINDS: ReadonlySet<string> = new Set(["Namespace", "PersistentVolumeClaim"]);

export interface CreatorInput {
  creator: Creator;
  plan: Plan;
  platform: Platform;
  ingress: IngressController;
  storage: Storage;
  images: Images;
  /** Prometheus scrapes sqld's metrics (PlatformAddons' monitoring stack). */
  monitoring: boolean;
  /** Where sqld streams its database continuously; undefined: no continuous backups. */
  backups?: ContinuousBackups | undefined;
}

export interface RenderedCreator {
  id: string;
  namespace: string;
  /** <id>.<platform domain> first, then the custom domains. */
  hosts: string[];
  urls: string[];
  /** Ghost's canonical URL: the first custom domain if there is one. */
  siteUrl: string;
  /** The Service the Ingress sends traffic to: the shared cache, through the creator's ExternalName Service. */
  serviceName: string;
  objects: KubeObject[];
}

/** Resources cert-manager's HTTP-01 solver asks for (its defaults); the quota leaves room for them. */
const ACME_SOLVER = { cpu: 10, memoryMiB: 64, cpuLimit: 100, memoryLimitMiB: 64 };

interface Totals {
  cpu: number;
  memory: number;
  cpuLimit: number;
  memoryLimit: number;
  pods: number;
}

/** Adds `count` containers; `newPods` is false for a container that shares a pod already counted. */
function add(totals: Totals, resources: Plan["sqld"], count = 1, newPods = true): void {
  totals.cpu += cpuMillis(resources.requests.cpu) * count;
  totals.memory += bytes(resources.requests.memory) * count;
  totals.cpuLimit += cpuMillis(resources.limits.cpu) * count;
  totals.memoryLimit += bytes(resources.limits.memory) * count;
  if (newPods) totals.pods += count;
}

/**
 * The namespace's ceiling: the plan's pod plus one ACME solver per certificate host. No LoadBalancer or
 * NodePort Service can be created in a creator namespace: one shared ingress
 * serves every site.
 */
function quota(owner: Owner, plan: Plan, solvers: number): IResourceQuota {
  const totals: Totals = { cpu: 0, memory: 0, cpuLimit: 0, memoryLimit: 0, pods: 0 };
  add(totals, { requests: plan.ghost.requests, limits: plan.ghost.limits });
  add(totals, plan.sqld, 1, false); // the sidecar, in Ghost's pod
  totals.cpu += ACME_SOLVER.cpu * solvers;
  totals.memory += ACME_SOLVER.memoryMiB * 2 ** 20 * solvers;
  totals.cpuLimit += ACME_SOLVER.cpuLimit * solvers;
  totals.memoryLimit += ACME_SOLVER.memoryLimitMiB * 2 ** 20 * solvers;
  totals.pods += solvers;
  return {
    apiVersion: "v1",
    kind: "ResourceQuota",
    metadata: { name: "creator", namespace: namespaceOf(owner.id), labels: creatorLabels(owner, "quota") },
    spec: {
      hard: {
        "requests.cpu": formatCpu(totals.cpu),
        "requests.memory": formatMiB(totals.memory),
        "limits.cpu": formatCpu(totals.cpuLimit),
        "limits.memory": formatMiB(totals.memoryLimit),
        pods: String(totals.pods),
        persistentvolumeclaims: "1",
        "requests.storage": plan.storage,
        "services.loadbalancers": "0",
        "services.nodeports": "0",
      },
    },
  };
}

/** Defaults for containers that name no resources (the ACME solver), and a ceiling per container. */
function limitRange(owner: Owner, plan: Plan): ILimitRange {
  const largest = [plan.ghost, plan.sqld];
  const maxCpu = Math.max(...largest.map((r) => cpuMillis(r.limits.cpu)));
  const maxMemory = Math.max(...largest.map((r) => bytes(r.limits.memory)));
  return {
    apiVersion: "v1",
    kind: "LimitRange",
    metadata: { name: "creator", namespace: namespaceOf(owner.id), labels: creatorLabels(owner, "quota") },
    spec: {
      limits: [
        {
          type: "Container",
          default: { cpu: `${ACME_SOLVER.cpuLimit}m`, memory: `${ACME_SOLVER.memoryLimitMiB}Mi` },
          defaultRequest: { cpu: `${ACME_SOLVER.cpu}m`, memory: `${ACME_SOLVER.memoryMiB}Mi` },
          max: { cpu: formatCpu(maxCpu), memory: formatMiB(maxMemory) },
        },
      ],
    },
  };
}

/** The Service every host of the creator's Ingress sends to: the shared cache's, by its cluster DNS name. */
export const FRONT_NAME = "front";
/** The Traefik Middleware that sets the creator's headers (infra/contract/sleep.ts) on every request. */
export const HEADERS_MIDDLEWARE = "creator-headers";

/**
 * The headers the shared cache routes, wakes and refuses by. An empty value makes
 * Traefik remove a header a client sent (Traefik's headers middleware: "" removes).
 */
function creatorHeaders(owner: Owner, plan: Plan, suspended: boolean): ITraefikMiddleware {
  return {
    apiVersion: "traefik.io/v1alpha1",
    kind: "Middleware",
    metadata: { name: HEADERS_MIDDLEWARE, namespace: namespaceOf(owner.id), labels: creatorLabels(owner, "ingress") },
    spec: {
      headers: {
        customRequestHeaders: {
          [CREATOR_HEADERS.id]: owner.id,
          [CREATOR_HEADERS.sleepAfter]: plan.sleepAfter ?? "",
          [CREATOR_HEADERS.state]: suspended ? "suspended" : "",
        },
      },
    },
  };
}

function frontService(owner: Owner): IService {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: FRONT_NAME, namespace: namespaceOf(owner.id), labels: creatorLabels(owner, "ingress") },
    spec: {
      type: "ExternalName",
      externalName: sharedCacheHost,
      // Traefik sends to <externalName>:<this port> (traefik v3.7.9 pkg/provider/kubernetes/ingress/kubernetes.go).
      ports: [{ name: "http", port: SHARED_CACHE.port, protocol: "TCP" }],
    },
  };
}

function ingress(owner: Owner, input: CreatorInput, hosts: string[], serviceName: string, tls: CreatorTls): IIngress {
  const namespace = namespaceOf(owner.id);
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: {
      name: "ghost",
      namespace,
      labels: creatorLabels(owner, "ingress"),
      annotations: { ...tls.annotations, "traefik.ingress.kubernetes.io/router.middlewares": `${namespace}-${HEADERS_MIDDLEWARE}@kubernetescrd` },
    },
    spec: {
      ingressClassName: input.ingress.className,
      rules: hosts.map((host) => ({
        host,
        http: {
          paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: serviceName, port: { name: "http" } } } }],
        },
      })),
      ...(tls.certificateHosts.length > 0
        ? { tls: [{ hosts: tls.certificateHosts, secretName: "site-tls" }] }
        : {}),
    },
  };
}

export function renderCreator(input: CreatorInput): RenderedCreator {
  const { creator, plan } = input;
  const owner: Owner = { id: creator.id, plan: creator.plan };
  const namespace = namespaceOf(creator.id);
  const suspended = creator.state === "suspended";
  const hosts = [`${creator.id}.${input.platform.domain}`, ...creator.domains];
  const tls = creatorTls(input.platform.tls, hosts[0] ?? "", creator.domains);
  const urls = hosts.map((host) => `${tls.scheme}://${host}`);
  const siteUrl = urls[creator.domains.length > 0 ? 1 : 0] ?? "";
  const serviceName = FRONT_NAME;

  const ghostService: IService = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: GHOST_NAME, namespace, labels: creatorLabels(owner, "ghost") },
    spec: {
      type: "ClusterIP",
      selector: selectorLabels(creator.id, "ghost"),
      ports: [
        { name: "http", port: 80, targetPort: "http", protocol: "TCP" },
        // For the operations tools, from the ops namespace only (NetworkPolicy) and with the JWT.
        { name: "sqld", port: SQLD_PORT, targetPort: "sqld", protocol: "TCP" },
      ],
    },
  };

  const objects: KubeObject[] = [
    {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: {
        name: namespace,
        labels: {
          ...creatorLabels(owner, "namespace"),
          "pod-security.kubernetes.io/enforce": "restricted",
          "pod-security.kubernetes.io/enforce-version": "latest",
          "pod-security.kubernetes.io/warn": "restricted",
          "pod-security.kubernetes.io/audit": "restricted",
        },
      },
    },
    {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: "ghost", namespace, labels: creatorLabels(owner, "ghost") },
      automountServiceAccountToken: false,
    },
    quota(owner, plan, tls.certificateHosts.length),
    limitRange(owner, plan),
    {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: "data", namespace, labels: creatorLabels(owner, "storage") },
      spec: {
        accessModes: ["ReadWriteOnce"],
        ...(input.storage.className ? { storageClassName: input.storage.className } : {}),
        resources: { requests: { storage: plan.storage } },
      },
    },
    ghostDeployment({
      owner,
      plan,
      images: input.images,
      url: siteUrl,
      // Probes ask as the site's own host, the one in Ghost's url.
      host: new URL(siteUrl).host,
      suspended,
      sleepAfter: plan.sleepAfter,
      mail: input.platform.mail,
      backups: input.backups,
      monitoring: input.monitoring,
    }),
    ghostService,
    frontService(owner),
    creatorHeaders(owner, plan, suspended),
    ingress(owner, input, hosts, serviceName, tls),
    ...networkPolicies({ owner, ingress: input.ingress, monitoring: input.monitoring }),
  ];
  return { id: creator.id, namespace, hosts, urls, siteUrl, serviceName, objects };
}

/** The secret values a creator's pod reads, as the component holds them (Pulumi secrets). */
export interface SecretValues<V> {
  /** The public half of the creator's Ed25519 key (for sqld) and the token signed with the private half (for Ghost). */
  sqld: { publicKeyPem: V; token: V };
  /** The platform's SMTP password, when platform.mail is set. */
  mailPassword?: V | undefined;
  /** The key sqld writes its continuous backups with. */
  backupKey?: { accessKeyId: V; secretAccessKey: V } | undefined;
  /** sqld's admin API key, when Prometheus scrapes its metrics. */
  adminKey?: V | undefined;
  /** A private registry's login as `.dockerconfigjson` (infra/images.ts dockerConfigJson). */
  imagePull?: V | undefined;
}

export type CreatorSecret<V> = Omit<ISecret, "stringData"> & { stringData: Record<string, V> };

/** One Secret of a creator's, in its namespace unless another is named. */
function creatorSecret<V>(
  creator: Owner,
  name: string,
  stringData: Record<string, V>,
  options: { reader?: "ghost" | "sqld"; type?: string; namespace?: string } = {},
): CreatorSecret<V> {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace: options.namespace ?? namespaceOf(creator.id), labels: creatorLabels(creator, options.reader ?? "sqld") },
    type: options.type ?? "Opaque",
    stringData,
  };
}

/** The creator's read-only sqld token for the operations tools, in the platform's ops namespace. */
export function opsTokenSecret<V>(creator: Owner, token: V): CreatorSecret<V> {
  return creatorSecret(creator, opsTokenSecretName(creator.id), { [OPS_TOKEN_KEY]: token }, { namespace: PLATFORM_NAMESPACES.ops });
}

/**
 * The creator's Secrets. Generic over the value type so the component can pass
 * Pulumi secrets; the objects that read them (infra/render/ghost-pod.ts) name
 * the same Secrets and keys.
 */
export function creatorSecrets<V>(creator: Owner, values: SecretValues<V>): CreatorSecret<V>[] {
  const secret = (name: string, stringData: Record<string, V>, options?: { reader?: "ghost" | "sqld"; type?: string }) =>
    creatorSecret(creator, name, stringData, options);
  const { sqld, mailPassword, backupKey, adminKey, imagePull } = values;
  return [
    secret(SQLD_AUTH_SECRET, { [SQLD_PUBLIC_KEY]: sqld.publicKeyPem, [SQLD_TOKEN]: sqld.token }),
    ...(mailPassword === undefined ? [] : [secret(MAIL_SECRET, { [MAIL_PASSWORD]: mailPassword }, { reader: "ghost" })]),
    ...(adminKey === undefined ? [] : [secret(SQLD_ADMIN_SECRET, { [SQLD_ADMIN_KEY]: adminKey })]),
    ...(imagePull === undefined
      ? []
      : [secret(IMAGE_PULL_SECRET, { ".dockerconfigjson": imagePull }, { reader: "ghost", type: "kubernetes.io/dockerconfigjson" })]),
    ...(backupKey === undefined
      ? []
      : [secret(BACKUP_SECRET, { [BACKUP_KEY_ID]: backupKey.accessKeyId, [BACKUP_SECRET_KEY]: backupKey.secretAccessKey })]),
  ];
}
