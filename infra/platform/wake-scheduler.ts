/**
 * The wake scheduler: wakes a sleeping creator for its scheduled posts. Ghost
 * publishes a scheduled post from an in-memory timer (and the overdue ones when
 * it boots), so a site asleep at its post's time would publish it only when a
 * reader or the owner next woke it. A CronJob in the ops namespace runs a small
 * Node script every few minutes that records each awake creator's next
 * scheduled time (read from its sqld with its read-only token) in the ConfigMap
 * `wake-schedule`, and asks the sleep engine, through the same blocking API the
 * wake gate uses, for a session for each creator whose time comes before the
 * next run (or passed while it slept). Why a run always sees a newly scheduled
 * post, and every decision: wake-scheduler/decide.mjs.
 *
 * The script runs in the Ghost image (Node 22, already on every node that runs a
 * creator), from a ConfigMap holding wake-scheduler/decide.mjs and
 * wake-scheduler/wake-scheduler.mjs as they are in this repository (read beside
 * this module: the program runs from its sources under tsx, infra/main.js, and
 * the cluster suite's workspace copies all of infra/).
 *
 * What it may do: list Deployments cluster-wide (no get, watch, update, patch or
 * scale: waking is the engine's), get Secrets in the ops namespace (the tokens
 * are `sqld-ro-<id>`, and a Role cannot name them by pattern), get and update
 * its schedule, and create it on its first run (create cannot be limited by name).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ICronJob } from "kubernetes-models/batch/v1/CronJob";
import type { IRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import type { IRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import { PLATFORM_NAMESPACES } from "../contract/namespaces.ts";
import { SLEEP_ENGINE_PORT, SQLD_PORT } from "../contract/ports.ts";
import { SLEEP_ENGINE, sleepInstanceName } from "../contract/sleep.ts";
import { GHOST_UID } from "../ghost/contract.ts";
import { GHOST_NAME, OPS_TOKEN_KEY, opsTokenSecretName } from "../render/ghost-pod.ts";
import { namespaceOf } from "../render/labels.ts";
import type { IClusterRole, IClusterRoleBinding, IConfigMap, IServiceAccount } from "../render/objects.ts";
import { containerSecurity, podSecurity } from "../render/security.ts";
import { WAKE_TIMEOUT_SECONDS } from "./shared-cache.ts";

export const WAKE_SCHEDULER = { name: "wake-scheduler", namespace: PLATFORM_NAMESPACES.ops, schedule: "wake-schedule" } as const;
/** The pods' labels; the sleep engine's NetworkPolicy admits them by these. */
export const WAKE_SCHEDULER_LABELS = { "app.kubernetes.io/name": WAKE_SCHEDULER.name, "app.kubernetes.io/part-of": "creator-platform" } as const;
/** The ConfigMap's files, mounted here. */
export const SCRIPT_DIR = "/scheduler";
export const SCRIPT_FILES = ["decide.mjs", "wake-scheduler.mjs"] as const;
/** The runner's path on this machine (the cluster test runs it with the machine's Node). */
export const RUNNER_PATH = join(import.meta.dirname, "wake-scheduler", "wake-scheduler.mjs");

/** The longest interval between runs; shorter when a plan sleeps sooner (decide.mjs says why). */
export const MAX_RUN_MINUTES = 5;
/** Past the interval, the time for the next run to start and find a woken site still awake. */
export const WAKE_MARGIN_SECONDS = 120;

export type WakeSchedulerObject = IServiceAccount | IClusterRole | IClusterRoleBinding | IRole | IRoleBinding | IConfigMap | ICronJob;

/** Plan name → its `sleepAfter` in minutes, for the plans active creators sleep on. */
export type SleepingPlans = Readonly<Record<string, number>>;

export interface WakeSchedulerInput {
  /** The Ghost image: Node 22, already pulled wherever a creator runs. */
  image: string;
  /** At least one. */
  sleepingPlans: SleepingPlans;
  resources: { requests: { cpu: string; memory: string }; limits: { memory: string } };
}

/** Minutes between runs: five, or the shortest `sleepAfter` when that is shorter. */
export function runEveryMinutes(plans: SleepingPlans): number {
  return Math.max(1, Math.min(MAX_RUN_MINUTES, ...Object.values(plans)));
}

/** The runner's settings (decide.mjs DEFAULTS holds the same in-cluster addresses), from the platform's contract. */
export function wakeSchedulerEnvironment(plans: SleepingPlans): Record<string, string> {
  const creatorNamespace = namespaceOf("{id}");
  const seconds = Object.fromEntries(Object.entries(plans).map(([plan, minutes]) => [plan, minutes * 60]));
  return {
    SQLD_URL_TEMPLATE: `http://${GHOST_NAME}.${creatorNamespace}.svc.cluster.local:${SQLD_PORT}/v2/pipeline`,
    SLEEP_ENGINE_URL: `http://${SLEEP_ENGINE.name}.${SLEEP_ENGINE.namespace}.svc.cluster.local:${SLEEP_ENGINE_PORT}`,
    SLEEP_INSTANCE_TEMPLATE: sleepInstanceName(creatorNamespace, GHOST_NAME),
    NAMESPACE: WAKE_SCHEDULER.namespace,
    SCHEDULE_CONFIGMAP: WAKE_SCHEDULER.schedule,
    TOKEN_SECRET_TEMPLATE: opsTokenSecretName("{id}"),
    TOKEN_SECRET_KEY: OPS_TOKEN_KEY,
    RUN_INTERVAL_SECONDS: String(runEveryMinutes(plans) * 60),
    PLAN_SLEEP_AFTER_SECONDS: JSON.stringify(seconds),
    MIN_SESSION_SECONDS: String(Math.max(...Object.values(seconds))),
    WAKE_MARGIN_SECONDS: String(WAKE_MARGIN_SECONDS),
    WAKE_TIMEOUT_SECONDS: String(WAKE_TIMEOUT_SECONDS),
  };
}

/** The script files' text as the ConfigMap holds them. */
export function wakeSchedulerScripts(): Record<string, string> {
  return Object.fromEntries(SCRIPT_FILES.map((file) => [file, readFileSync(join(import.meta.dirname, "wake-scheduler", file), "utf8")]));
}

export function wakeSchedulerObjects(input: WakeSchedulerInput): WakeSchedulerObject[] {
  if (Object.keys(input.sleepingPlans).length === 0) throw new Error("the wake scheduler is for sleeping plans: none given");
  const { name, namespace } = WAKE_SCHEDULER;
  const labels = { ...WAKE_SCHEDULER_LABELS };
  const metadata = { name, namespace, labels };
  const clusterName = `creator-platform-${name}`;
  const every = runEveryMinutes(input.sleepingPlans);
  const environment = { ...wakeSchedulerEnvironment(input.sleepingPlans), NODE_OPTIONS: "--max-old-space-size=48" };
  const cronJob: ICronJob = {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata,
    spec: {
      schedule: `*/${every} * * * *`,
      // One run at a time: a slow run makes the next one skip, never two write the schedule.
      concurrencyPolicy: "Forbid",
      // A run that cannot start within a minute is skipped; the next comes at most `every` minutes later.
      startingDeadlineSeconds: 60,
      successfulJobsHistoryLimit: 1,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        spec: {
          // The next run is the retry.
          backoffLimit: 0,
          // Ends a stuck run before the next is due (Forbid would skip it); a wake waits at most WAKE_TIMEOUT_SECONDS.
          activeDeadlineSeconds: Math.max(120, every * 60 - 30),
          ttlSecondsAfterFinished: 3600,
          template: {
            metadata: { labels },
            spec: {
              serviceAccountName: name,
              // Its own ServiceAccount's token, to list Deployments and read the tokens.
              automountServiceAccountToken: true,
              enableServiceLinks: false,
              restartPolicy: "Never",
              // Its requests are reserved with the sleep engine's (addons.ts); late runs mean late posts.
              priorityClassName: "platform-critical",
              securityContext: podSecurity(GHOST_UID),
              containers: [
                {
                  name,
                  image: input.image,
                  imagePullPolicy: "IfNotPresent",
                  command: ["node", `${SCRIPT_DIR}/wake-scheduler.mjs`],
                  // The image's NODE_OPTIONS loads Ghost's libSQL preload; this script needs none of it.
                  env: Object.entries(environment).map(([key, value]) => ({ name: key, value })),
                  resources: input.resources,
                  securityContext: containerSecurity(GHOST_UID),
                  volumeMounts: [{ name: "scripts", mountPath: SCRIPT_DIR, readOnly: true }],
                },
              ],
              volumes: [{ name: "scripts", configMap: { name } }],
            },
          },
        },
      },
    },
  };
  const subject = [{ kind: "ServiceAccount", name, namespace }];
  return [
    { apiVersion: "v1", kind: "ServiceAccount", metadata },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: clusterName, labels },
      rules: [{ apiGroups: ["apps"], resources: ["deployments"], verbs: ["list"] }],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: clusterName, labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: clusterName },
      subjects: subject,
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata,
      rules: [
        { apiGroups: [""], resources: ["secrets"], verbs: ["get"] },
        { apiGroups: [""], resources: ["configmaps"], resourceNames: [WAKE_SCHEDULER.schedule], verbs: ["get", "update"] },
        { apiGroups: [""], resources: ["configmaps"], verbs: ["create"] },
      ],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata,
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name },
      subjects: subject,
    },
    { apiVersion: "v1", kind: "ConfigMap", metadata, data: wakeSchedulerScripts() },
    cronJob,
  ];
}
