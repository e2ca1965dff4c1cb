/**
 * The creator's pod: Ghost plus its libSQL server (sqld) as a Kubernetes native
 * sidecar (an init container with restartPolicy Always). The kubelet starts
 * sqld first and waits for its startup probe before it starts Ghost, and stops
 * it after Ghost: Ghost never runs without its database.
 *
 * Ghost supports exactly one instance per site, so the Deployment has at most
 * one replica (zero while the site sleeps or is suspended), the Recreate strategy (the old pod is gone before the new one opens
 * the database) and is never the target of an autoscaler.
 */
import { bytes, MiB } from "../config/quantity.ts";
import type { Plan, Platform } from "../config/schema.ts";

export interface ContinuousBackups {
  bucket: string;
  endpoint: string;
  region: string;
}
import { GHOST_PROBE_PATH, GHOST_UID, SQLD_HEALTH_PATH, ghostEnvironment } from "../ghost/contract.ts";
import { type Owner, creatorLabels, namespaceOf, selectorLabels } from "./labels.ts";
import { GHOST_PORT, SQLD_METRICS_PORT, SQLD_PORT } from "../contract/ports.ts";
import { SQLD_ADMIN_KEY, SQLD_ADMIN_SECRET } from "../contract/sqld.ts";
import { AWAKE_REPLICAS, SABLIER_LABELS } from "../contract/sleep.ts";
import type { IContainer, IDeployment, IProbe } from "./objects.ts";
import { containerSecurity, podSecurity } from "./security.ts";

export const GHOST_NAME = "ghost";
export const SQLD_AUTH_SECRET = "sqld-auth";
export const SQLD_PUBLIC_KEY = "jwt-public-key.pem";
export const SQLD_TOKEN = "ghost-token";
export const MAIL_SECRET = "ghost-mail";
export const BACKUP_SECRET = "backup-credentials";
export const BACKUP_KEY_ID = "access-key-id";
export const BACKUP_SECRET_KEY = "secret-access-key";
export const MAIL_PASSWORD = "smtp-password";
/**
 * The operations tools' read-only sqld token for a creator ({"a":"ro"}), kept in the
 * platform's ops namespace (not the creator's), which only the ops ServiceAccount reads.
 */
export const opsTokenSecretName = (creatorId: string): string => `sqld-ro-${creatorId}`;
export const OPS_TOKEN_KEY = "token";
/** A private registry's login (type kubernetes.io/dockerconfigjson), when images.pullSecret is set. */
export const IMAGE_PULL_SECRET = "image-pull";

/** One volume per creator, mounted in both containers. */
export const DATA_PATH = "/var/lib/creator";
export const SQLD_DB_PATH = `${DATA_PATH}/sqld`;
export const GHOST_CONTENT_PATH = `${DATA_PATH}/content`;
/** Ghost's local copy of its database (an embedded replica of sqld's), kept on the volume for fast restarts. */
export const GHOST_REPLICA_PATH = `${GHOST_CONTENT_PATH}/data/ghost-replica.db`;

/** sqld's image runs as its `sqld` user (Ghost's user is the contract's GHOST_UID). */
const SQLD_UID = 666;

export interface GhostPodInput {
  owner: Owner;
  plan: Plan;
  images: { ghost: string; sqld: string; pullSecret: boolean };
  /** Ghost's canonical URL. */
  url: string;
  /** Host header for probes, so Ghost answers as it would for its own site. */
  host: string;
  suspended: boolean;
  mail: Platform["mail"];
  /** The plan's idle time before the sleep engine scales Ghost to zero; undefined: never sleeps. */
  sleepAfter: string | undefined;
  /** Continuous backups of the database to S3-compatible storage (sqld's bottomless replication). */
  backups: ContinuousBackups | undefined;
  /** Serve sqld's Prometheus metrics to the monitoring namespace. */
  monitoring: boolean;
}

/**
 * Ghost has no health endpoint; the admin API's site resource answers without
 * authentication once Ghost has booted and reached its database. It must be
 * asked with the trailing slash (otherwise a 301) and as HTTPS (otherwise Ghost
 * redirects to its https URL).
 */
function ghostProbe(host: string, periodSeconds: number, failureThreshold: number): IProbe {
  return {
    httpGet: {
      path: GHOST_PROBE_PATH,
      port: "http",
      httpHeaders: [
        { name: "X-Forwarded-Proto", value: "https" },
        { name: "Host", value: host },
      ],
    },
    periodSeconds,
    timeoutSeconds: 5,
    failureThreshold,
  };
}

/** sqld's heap limits follow the container's memory limit, leaving room for the binary and page cache. */
function sqldHeapLimitsMb(plan: Plan): { soft: number; hard: number } {
  const limitMb = Math.floor(bytes(plan.sqld.limits.memory) / MiB);
  return { soft: Math.max(8, Math.floor(limitMb * 0.4)), hard: Math.max(16, Math.floor(limitMb * 0.6)) };
}

function sqldSidecar(input: GhostPodInput): IContainer {
  const heap = sqldHeapLimitsMb(input.plan);
  const health: IProbe = { httpGet: { path: SQLD_HEALTH_PATH, port: "sqld" }, timeoutSeconds: 2 };
  return {
    name: "sqld",
    image: input.images.sqld,
    restartPolicy: "Always",
    command: ["/bin/sqld"],
    args: [
      `--db-path=${SQLD_DB_PATH}`,
      // All interfaces so the kubelet's probes reach it. Ghost uses 127.0.0.1; the
      // NetworkPolicies admit only the platform's ops namespace (analytics, backups) to this
      // port, and every request needs the creator's JWT.
      `--http-listen-addr=0.0.0.0:${SQLD_PORT}`,
      `--auth-jwt-key-file=/etc/sqld/${SQLD_PUBLIC_KEY}`,
      `--soft-heap-limit-mb=${heap.soft}`,
      `--hard-heap-limit-mb=${heap.hard}`,
      // The admin listener serves /metrics and the admin API, both behind the admin key
      // (LIBSQL_ADMIN_AUTH_KEY below); the NetworkPolicies admit only the monitoring
      // namespace's Prometheus to this port. Without monitoring there is no admin listener.
      ...(input.monitoring ? [`--admin-listen-addr=0.0.0.0:${SQLD_METRICS_PORT}`] : []),
      ...(input.backups ? ["--enable-bottomless-replication"] : []),
    ],
    ...(input.backups || input.monitoring
      ? {
          env: [
            ...(input.monitoring ? [{ name: "LIBSQL_ADMIN_AUTH_KEY", valueFrom: { secretKeyRef: { name: SQLD_ADMIN_SECRET, key: SQLD_ADMIN_KEY } } }] : []),
            ...(input.backups ? bottomlessEnvironment(input.owner.id, input.backups) : []),
          ],
        }
      : {}),
    ports: [
      { name: "sqld", containerPort: SQLD_PORT, protocol: "TCP" },
      ...(input.monitoring ? [{ name: "metrics", containerPort: SQLD_METRICS_PORT, protocol: "TCP" as const }] : []),
    ],
    // Ghost starts only once this succeeds (native sidecar ordering).
    startupProbe: { ...health, periodSeconds: 2, failureThreshold: 60 },
    livenessProbe: { ...health, periodSeconds: 20, failureThreshold: 6 },
    resources: input.plan.sqld,
    securityContext: containerSecurity(SQLD_UID),
    volumeMounts: [
      { name: "data", mountPath: DATA_PATH },
      { name: "sqld-auth", mountPath: "/etc/sqld", readOnly: true },
      { name: "sqld-tmp", mountPath: "/tmp" },
    ],
  };
}

/**
 * sqld streams its WAL to <bucket>/<creator id> and, on a boot with an empty local
 * database (a lost node-local volume), restores from it before it answers /health.
 */
function bottomlessEnvironment(creatorId: string, backups: ContinuousBackups): NonNullable<IContainer["env"]> {
  const fromSecret = (key: string) => ({ secretKeyRef: { name: BACKUP_SECRET, key } });
  return [
    { name: "LIBSQL_BOTTOMLESS_BUCKET", value: backups.bucket },
    { name: "LIBSQL_BOTTOMLESS_ENDPOINT", value: backups.endpoint },
    { name: "LIBSQL_BOTTOMLESS_AWS_DEFAULT_REGION", value: backups.region },
    { name: "LIBSQL_BOTTOMLESS_DATABASE_ID", value: creatorId },
    { name: "LIBSQL_BOTTOMLESS_AWS_ACCESS_KEY_ID", valueFrom: fromSecret(BACKUP_KEY_ID) },
    { name: "LIBSQL_BOTTOMLESS_AWS_SECRET_ACCESS_KEY", valueFrom: fromSecret(BACKUP_SECRET_KEY) },
  ];
}

/** Ghost's mail settings: the platform's SMTP relay, or no staff device codes that could never arrive. */
function mailEnvironment(mail: Platform["mail"]): NonNullable<IContainer["env"]> {
  if (!mail) return [{ name: "security__staffDeviceVerification", value: "false" }];
  return [
    { name: "mail__transport", value: "SMTP" },
    { name: "mail__from", value: mail.from },
    { name: "mail__options__host", value: mail.host },
    { name: "mail__options__port", value: String(mail.port) },
    { name: "mail__options__secure", value: String(mail.secure) },
    { name: "mail__options__auth__user", value: mail.user },
    { name: "mail__options__auth__pass", valueFrom: { secretKeyRef: { name: MAIL_SECRET, key: MAIL_PASSWORD } } },
  ];
}

function ghostContainer(input: GhostPodInput): IContainer {
  const { ghost } = input.plan;
  return {
    name: "ghost",
    image: input.images.ghost,
    env: [
      ...ghostEnvironment({
      url: input.url,
      mode: "replica",
      sqldUrl: `http://127.0.0.1:${SQLD_PORT}`,
      tokenSecretName: SQLD_AUTH_SECRET,
      tokenSecretKey: SQLD_TOKEN,
      heapMb: ghost.heapMb,
      localDbPath: GHOST_REPLICA_PATH,
      contentPath: GHOST_CONTENT_PATH,
      }),
      ...mailEnvironment(input.mail),
    ],
    ports: [{ name: "http", containerPort: GHOST_PORT, protocol: "TCP" }],
    // The first boot runs every migration: allow ten minutes before giving up. Both probes ask
    // every second: a site woken from sleep takes traffic within a second of Ghost being ready
    // (the kubelet runs the first readiness probe on its next period after the startup probe
    // passes), and 30 failures in a row still mean 30 s before a busy Ghost is taken out.
    startupProbe: ghostProbe(input.host, 1, 600),
    readinessProbe: ghostProbe(input.host, 1, 30),
    // Deliberately lax. The admin API also fails while sqld is briefly unavailable, and
    // restarting Ghost then would turn a database blip into a restart loop of slow boots.
    // A TCP check restarts only a process that stopped accepting connections for 5 minutes.
    livenessProbe: { tcpSocket: { port: "http" }, periodSeconds: 30, timeoutSeconds: 5, failureThreshold: 10 },
    resources: { requests: ghost.requests, limits: ghost.limits },
    securityContext: containerSecurity(GHOST_UID),
    volumeMounts: [
      { name: "data", mountPath: DATA_PATH },
      { name: "ghost-tmp", mountPath: "/tmp" },
    ],
  };
}

/**
 * Who sets the replica count. A suspended creator: the program, at zero, and the
 * sleep engine does not see it (no label). A sleeping plan: the sleep engine, so
 * the manifest leaves `replicas` out and Pulumi's server-side apply never owns it
 * (an `up` neither wakes a sleeping site nor fights the engine); the API server
 * defaults a new Deployment to one. Any other plan: the program, at one.
 */
function replicaOwner(input: GhostPodInput): { replicas?: number; labels: Record<string, string> } {
  if (input.suspended) return { replicas: 0, labels: {} };
  if (input.sleepAfter === undefined) return { replicas: AWAKE_REPLICAS, labels: {} };
  return {
    labels: {
      [SABLIER_LABELS.enable]: "true",
      [SABLIER_LABELS.group]: namespaceOf(input.owner.id),
      // Whatever replica count the engine is asked for, it scales up to this one.
      [SABLIER_LABELS.activeReplicas]: String(AWAKE_REPLICAS),
    },
  };
}

export function ghostDeployment(input: GhostPodInput): IDeployment {
  const namespace = namespaceOf(input.owner.id);
  const labels = creatorLabels(input.owner, "ghost");
  const { replicas, labels: sleepLabels } = replicaOwner(input);
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: GHOST_NAME, namespace, labels: { ...labels, ...sleepLabels } },
    spec: {
      ...(replicas === undefined ? {} : { replicas }),
      strategy: { type: "Recreate" },
      revisionHistoryLimit: 2,
      selector: { matchLabels: selectorLabels(input.owner.id, "ghost") },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: "ghost",
          ...(input.images.pullSecret ? { imagePullSecrets: [{ name: IMAGE_PULL_SECRET }] } : {}),
          automountServiceAccountToken: false,
          priorityClassName: "creator-site",
          // No environment variables for every Service in the namespace.
          enableServiceLinks: false,
          securityContext: podSecurity(GHOST_UID),
          terminationGracePeriodSeconds: 30,
          initContainers: [sqldSidecar(input)],
          containers: [ghostContainer(input)],
          volumes: [
            { name: "data", persistentVolumeClaim: { claimName: "data" } },
            { name: "sqld-auth", secret: { secretName: SQLD_AUTH_SECRET, items: [{ key: SQLD_PUBLIC_KEY, path: SQLD_PUBLIC_KEY }] } },
            { name: "ghost-tmp", emptyDir: { sizeLimit: "128Mi" } },
            { name: "sqld-tmp", emptyDir: { sizeLimit: "64Mi" } },
          ],
        },
      },
    },
  };
}
