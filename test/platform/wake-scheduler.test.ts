/**
 * The wake scheduler (infra/platform/wake-scheduler.ts): its decisions, which
 * are the same file the CronJob runs (wake-scheduler/decide.mjs), and the
 * objects it is installed as. The runner against a real API server:
 * test/cluster/wake-scheduler.test.ts.
 */
import { readFileSync } from "node:fs";
import { CronJob, type ICronJob } from "kubernetes-models/batch/v1/CronJob";
import { ClusterRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole";
import { ClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding";
import type { IPolicyRule } from "kubernetes-models/rbac.authorization.k8s.io/v1/PolicyRule";
import { describe, expect, it } from "vitest";
import { PLATFORM_NAMESPACES, PLATFORM_ROLE_LABEL } from "../../infra/contract/namespaces.ts";
import { SABLIER_LABELS, SLEEP_ENGINE, sleepInstanceName } from "../../infra/contract/sleep.ts";
import { resolveImages } from "../../infra/images.ts";
import { platformAddons } from "../../infra/platform/addons.ts";
import { sleepEngineObjects } from "../../infra/platform/sleep-engine.ts";
import {
  RUNNER_PATH,
  WAKE_SCHEDULER,
  type WakeSchedulerObject,
  runEveryMinutes,
  wakeSchedulerEnvironment,
  wakeSchedulerObjects,
} from "../../infra/platform/wake-scheduler.ts";
import {
  CREATOR_NAMESPACE_PREFIX,
  DEFAULTS,
  GHOST_DEPLOYMENT,
  PLAN_LABEL,
  SLEEPING_SELECTOR,
  type Setting,
  dueNow,
  firstColumn,
  ghostTime,
  nextScheduled,
  nextWakes,
  pipelineRequest,
  planSessions,
  sameSchedule,
  sleepingCreator,
  wakeUrl,
} from "../../infra/platform/wake-scheduler/decide.mjs";
import { GHOST_NAME } from "../../infra/render/ghost-pod.ts";
import { creatorLabels } from "../../infra/render/labels.ts";
import type { INetworkPolicy } from "../../infra/render/objects.ts";
import { validateAgainstKubernetesSchema } from "../support/kube-schema.ts";
import { resolvedConfig } from "../support/config.ts";

const MIN = 60_000;
const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();
/** Ghost's own format on SQLite: UTC, no zone. */
const ghost = (ms: number) => iso(ms).slice(0, 19).replace("T", " ");
const timing = { now: NOW, intervalMs: 5 * MIN, minSessionMs: 10 * MIN, marginMs: 2 * MIN };

describe("what the scheduler reads", () => {
  it("takes a sleeping creator's id, plan and whether Ghost is up from its listed Deployment", () => {
    const labels = { [PLAN_LABEL]: "starter" };
    expect(sleepingCreator({ metadata: { name: "ghost", namespace: "creator-sam", labels }, status: { readyReplicas: 1 } })).toEqual({ id: "sam", plan: "starter", awake: true });
    expect(sleepingCreator({ metadata: { name: "ghost", namespace: "creator-sam" }, status: { readyReplicas: 0 } })).toEqual({ id: "sam", awake: false });
    // Scaled to zero the API server drops readyReplicas altogether.
    expect(sleepingCreator({ metadata: { name: "ghost", namespace: "creator-sam" }, status: {} })).toEqual({ id: "sam", awake: false });
    expect(sleepingCreator({ metadata: { name: "other", namespace: "creator-sam" } })).toBeUndefined();
    expect(sleepingCreator({ metadata: { name: "ghost", namespace: "platform-ops" } })).toBeUndefined();
    expect(sleepingCreator({ metadata: { name: "ghost", namespace: "creator-" } })).toBeUndefined();
  });

  it("reads times as Ghost stores them on SQLite (UTC without a zone), as ISO, and as milliseconds", () => {
    expect(ghostTime("2026-12-01 12:30:00")).toBe(Date.UTC(2026, 11, 1, 12, 30));
    expect(ghostTime("2026-12-01T12:30:00.000Z")).toBe(Date.UTC(2026, 11, 1, 12, 30));
    expect(ghostTime("2026-12-01T13:30:00+01:00")).toBe(Date.UTC(2026, 11, 1, 12, 30));
    expect(ghostTime(Date.UTC(2026, 11, 1, 12, 30))).toBe(Date.UTC(2026, 11, 1, 12, 30));
    for (const bad of ["", "tomorrow", "2026-13-45 99:00:00", null, undefined, Number.NaN, {}]) expect(ghostTime(bad), String(bad)).toBeUndefined();
  });

  it("wants the first scheduled time after now: earlier ones are Ghost's own while it is awake", () => {
    expect(nextScheduled([ghost(NOW + 30 * MIN), ghost(NOW + 5 * MIN), ghost(NOW - MIN)], NOW)).toBe(NOW + 5 * MIN);
    // A post stuck in the past (a publish that failed) does not hide the next one.
    expect(nextScheduled([ghost(NOW - 60 * MIN), ghost(NOW + 60 * MIN)], NOW)).toBe(NOW + 60 * MIN);
    expect(nextScheduled([ghost(NOW)], NOW)).toBeUndefined();
    expect(nextScheduled([ghost(NOW + 1000)], NOW)).toBe(NOW + 1000);
    expect(nextScheduled([], NOW)).toBeUndefined();
    expect(nextScheduled([null, "garbage"], NOW)).toBeUndefined();
  });

  it("speaks sqld's Hrana pipeline: one execute then close, rows' first column as JavaScript values", () => {
    expect(pipelineRequest("SELECT 1")).toEqual({ baton: null, requests: [{ type: "execute", stmt: { sql: "SELECT 1", want_rows: true } }, { type: "close" }] });
    const rows = firstColumn({
      results: [
        {
          type: "ok",
          response: {
            type: "execute",
            result: { cols: [{ name: "published_at" }], rows: [[{ type: "text", value: "2026-12-01 12:30:00" }], [{ type: "integer", value: "1796214600000" }], [{ type: "null" }]] },
          },
        },
        { type: "ok", response: { type: "close" } },
      ],
    });
    expect(rows).toEqual(["2026-12-01 12:30:00", 1796214600000, null]);
    expect(() => firstColumn({ results: [{ type: "error", error: { message: "no such table: posts" } }] })).toThrow(/no such table/);
    expect(() => firstColumn({})).toThrow(/no execute result/);
  });
});

describe("what the scheduler records", () => {
  const observed = (entries: Record<string, unknown[]>) => new Map(Object.entries(entries));

  it("records an awake creator's next time and drops it once none is left", () => {
    const creators = [{ id: "sam", awake: true }, { id: "kim", awake: true }];
    const previous = { kim: iso(NOW - MIN) };
    const next = nextWakes({ previous, creators, observed: observed({ sam: [ghost(NOW + 90 * MIN)], kim: [] }), now: NOW });
    expect(next).toEqual({ sam: iso(NOW + 90 * MIN) });
  });

  it("keeps what it knew of a sleeping creator, and of an awake one whose sqld did not answer", () => {
    const creators = [{ id: "sam", awake: false }, { id: "kim", awake: true }];
    const previous = { sam: iso(NOW + 30 * MIN), kim: iso(NOW + 40 * MIN) };
    expect(nextWakes({ previous, creators, observed: observed({}), now: NOW })).toEqual(previous);
  });

  it("forgets creators no longer listed (suspended, retired, moved to a plan that never sleeps) and entries it cannot read", () => {
    const previous = { gone: iso(NOW + MIN), sam: "not a time" };
    expect(nextWakes({ previous, creators: [{ id: "sam", awake: false }], observed: observed({}), now: NOW })).toEqual({});
  });

  it("writes the same schedule for the same facts, in creator order", () => {
    const creators = [{ id: "zoe", awake: true }, { id: "amy", awake: true }];
    const facts = observed({ zoe: [ghost(NOW + MIN)], amy: [ghost(NOW + 2 * MIN)] });
    const next = nextWakes({ previous: {}, creators, observed: facts, now: NOW });
    expect(Object.keys(next)).toEqual(["amy", "zoe"]);
    expect(sameSchedule(next, { zoe: iso(NOW + MIN), amy: iso(NOW + 2 * MIN) })).toBe(true);
    expect(sameSchedule(next, { amy: iso(NOW + 2 * MIN) })).toBe(false);
    expect(sameSchedule(next, { amy: iso(NOW + 2 * MIN), zoe: iso(NOW + 3 * MIN) })).toBe(false);
  });
});

describe("whom the scheduler wakes", () => {
  it("wakes a sleeping creator whose time comes before the next run, ahead of it, so Ghost's own timer publishes on time", () => {
    const due = dueNow({ ...timing, schedule: { sam: iso(NOW + 3 * MIN) }, creators: [{ id: "sam", awake: false }] });
    // The session lasts past the time by an interval and the margin: the next run finds it awake after it.
    expect(due).toEqual([{ id: "sam", at: iso(NOW + 3 * MIN), asleep: true, sessionSeconds: (3 + 5 + 2) * 60 }]);
  });

  it("does not wake one whose time is after the next run: that run will", () => {
    expect(dueNow({ ...timing, schedule: { sam: iso(NOW + 5 * MIN + 1) }, creators: [{ id: "sam", awake: false }] })).toEqual([]);
  });

  it("counts a time exactly one interval ahead as due (the next run may start a moment late)", () => {
    expect(dueNow({ ...timing, schedule: { sam: iso(NOW + 5 * MIN) }, creators: [{ id: "sam", awake: false }] }).map((w) => w.id)).toEqual(["sam"]);
  });

  it("wakes a creator whose time passed while it slept: Ghost publishes overdue posts when it boots", () => {
    for (const at of [NOW, NOW - 1000, NOW - 3 * 24 * 60 * MIN]) {
      const due = dueNow({ ...timing, schedule: { sam: iso(at) }, creators: [{ id: "sam", awake: false }] });
      expect(due, iso(at)).toEqual([{ id: "sam", at: iso(at), asleep: true, sessionSeconds: 10 * 60 }]);
    }
  });

  it("leaves alone an awake creator whose time has passed: Ghost is running past it", () => {
    expect(dueNow({ ...timing, schedule: { sam: iso(NOW) }, creators: [{ id: "sam", awake: true }] })).toEqual([]);
    expect(dueNow({ ...timing, schedule: { sam: iso(NOW - MIN) }, creators: [{ id: "sam", awake: true }] })).toEqual([]);
  });

  it("keeps an awake creator awake through a time before the next run", () => {
    const due = dueNow({ ...timing, schedule: { sam: iso(NOW + 4 * MIN) }, creators: [{ id: "sam", awake: true }] });
    expect(due).toEqual([{ id: "sam", at: iso(NOW + 4 * MIN), asleep: false, sessionSeconds: (4 + 5 + 2) * 60 }]);
  });

  it("never asks for a session shorter than the creator's sleepAfter, which would cut short one the wake gate started", () => {
    const quick = { ...timing, intervalMs: MIN, marginMs: 1000 };
    const schedule = { sam: iso(NOW + 1000), kim: iso(NOW + 1000), ann: iso(NOW + 1000) };
    const creators = [
      { id: "sam", plan: "starter", awake: true },
      { id: "kim", plan: "hobby", awake: true },
      { id: "ann", plan: "unknown", awake: true },
    ];
    const due = dueNow({ ...quick, minSessionMs: 120 * MIN, sessionMsByPlan: { starter: 10 * MIN, hobby: 30 * MIN }, schedule, creators });
    // Its own plan's; the longest for a plan the scheduler was not told of.
    expect(Object.fromEntries(due.map((w) => [w.id, w.sessionSeconds]))).toEqual({ sam: 600, kim: 1800, ann: 7200 });
  });

  it("reads the plans' sessions from its environment, refusing nonsense", () => {
    expect(planSessions('{"starter":600}')).toEqual({ starter: 600_000 });
    expect(planSessions(DEFAULTS.PLAN_SLEEP_AFTER_SECONDS)).toEqual({});
    for (const bad of ["[]", "null", '{"starter":"10m"}', '{"starter":0}', "not json"]) expect(() => planSessions(bad), bad).toThrow();
  });

  it("wakes nobody when nothing is scheduled", () => {
    expect(dueNow({ ...timing, schedule: {}, creators: [{ id: "sam", awake: false }, { id: "kim", awake: true }] })).toEqual([]);
  });

  it("wakes exactly the due creators among several, earliest first", () => {
    const creators = [
      { id: "ann", awake: false },
      { id: "bea", awake: false },
      { id: "cid", awake: true },
      { id: "dan", awake: false },
      { id: "eve", awake: true },
    ];
    const schedule = {
      ann: iso(NOW + 4 * MIN), // asleep, due before the next run
      bea: iso(NOW + 60 * MIN), // later
      cid: iso(NOW - MIN), // awake past its time
      dan: iso(NOW - 10 * MIN), // asleep past its time
      eve: iso(NOW + 2 * MIN), // awake, due: kept awake
      gone: iso(NOW), // not listed any more
    };
    expect(dueNow({ ...timing, schedule, creators }).map((w) => [w.id, w.asleep])).toEqual([
      ["dan", true],
      ["eve", false],
      ["ann", true],
    ]);
  });

  it("calls the sleep engine's blocking API with the contract's instance name", () => {
    const url = new URL(wakeUrl({ engineUrl: DEFAULTS.SLEEP_ENGINE_URL, instanceTemplate: DEFAULTS.SLEEP_INSTANCE_TEMPLATE, timeoutSeconds: 45 }, { id: "sam", sessionSeconds: 600 }));
    expect(url.pathname).toBe("/api/strategies/blocking");
    expect(Object.fromEntries(url.searchParams)).toEqual({ names: sleepInstanceName("creator-sam", GHOST_NAME), session_duration: "600s", timeout: "45s" });
  });
});

describe("the script's own terms agree with the platform's contract", () => {
  it("uses the label, namespaces and names the renderers use", () => {
    expect(SLEEPING_SELECTOR).toBe(`${SABLIER_LABELS.enable}=true`);
    expect(CREATOR_NAMESPACE_PREFIX).toBe("creator-");
    expect(GHOST_DEPLOYMENT).toBe(GHOST_NAME);
  });

  it("has in-cluster defaults equal to what the CronJob sets from the contract", () => {
    const environment = wakeSchedulerEnvironment({ starter: 10 });
    const addresses: Setting[] = ["SQLD_URL_TEMPLATE", "SLEEP_ENGINE_URL", "SLEEP_INSTANCE_TEMPLATE", "NAMESPACE", "SCHEDULE_CONFIGMAP", "TOKEN_SECRET_TEMPLATE", "TOKEN_SECRET_KEY", "WAKE_TIMEOUT_SECONDS"];
    for (const key of addresses) expect(DEFAULTS[key], key).toBe(environment[key]);
    // The starter plan's terms, as the CronJob is told them.
    expect(environment).toMatchObject({ RUN_INTERVAL_SECONDS: DEFAULTS.RUN_INTERVAL_SECONDS, MIN_SESSION_SECONDS: DEFAULTS.MIN_SESSION_SECONDS, PLAN_SLEEP_AFTER_SECONDS: '{"starter":600}' });
    expect(PLAN_LABEL).toBe(Object.keys(creatorLabels({ id: "sam", plan: "starter" }, "ghost")).find((k) => k.endsWith("/plan")));
    expect(new URL(DEFAULTS.SLEEP_ENGINE_URL).hostname).toBe(`${SLEEP_ENGINE.name}.${SLEEP_ENGINE.namespace}.svc.cluster.local`);
  });

  it("is plain Node: the decisions import nothing, the runner only Node's own modules and the decisions", () => {
    const decide = readFileSync(new URL("../../infra/platform/wake-scheduler/decide.mjs", import.meta.url), "utf8");
    expect(decide).not.toMatch(/^\s*import\b/m);
    const runner = readFileSync(RUNNER_PATH, "utf8");
    const imports = [...runner.matchAll(/^import[^"]*"([^"]+)";$/gm)].map((m) => m[1]);
    expect(imports.sort()).toEqual(["./decide.mjs", "node:fs", "node:http", "node:https"]);
  });
});

describe("the rendered objects", () => {
  const image = resolveImages({}).ghost;
  const resources = { requests: { cpu: "10m", memory: "64Mi" }, limits: { memory: "128Mi" } };
  const objects = wakeSchedulerObjects({ image, sleepingPlans: { starter: 10 }, resources });
  const of = <K extends WakeSchedulerObject["kind"]>(kind: K) => objects.filter((o): o is Extract<WakeSchedulerObject, { kind: K }> => o.kind === kind);
  const cronJob = of("CronJob")[0] as ICronJob;
  const pod = cronJob.spec?.jobTemplate.spec?.template.spec;
  const container = pod?.containers[0];

  it("are valid against the Kubernetes schemas and live in the ops namespace", () => {
    new CronJob(cronJob).validate();
    for (const role of of("ClusterRole")) new ClusterRole(role).validate();
    for (const binding of of("ClusterRoleBinding")) new ClusterRoleBinding(binding).validate();
    for (const o of objects.filter((o) => !o.kind.startsWith("Cluster") && o.kind !== "CronJob")) validateAgainstKubernetesSchema(o);
    for (const o of objects.filter((o) => !o.kind.startsWith("Cluster"))) expect(o.metadata?.namespace, o.kind).toBe(PLATFORM_NAMESPACES.ops);
  });

  it("runs every five minutes, one run at a time, skipping a run that cannot start in time", () => {
    expect(cronJob.spec?.schedule).toBe("*/5 * * * *");
    expect(cronJob.spec?.concurrencyPolicy).toBe("Forbid");
    expect(cronJob.spec?.startingDeadlineSeconds).toBeGreaterThan(0);
    expect(cronJob.spec?.startingDeadlineSeconds).toBeLessThan(5 * 60);
    expect(cronJob.spec?.jobTemplate.spec?.backoffLimit).toBe(0);
    expect(cronJob.spec?.jobTemplate.spec?.activeDeadlineSeconds).toBeLessThan(5 * 60);
  });

  it("runs oftener only when a plan sleeps sooner than five minutes, and wakes for the longest sleepAfter", () => {
    expect(runEveryMinutes({ starter: 10, slow: 60 })).toBe(5);
    expect(runEveryMinutes({ quick: 3, starter: 10 })).toBe(3);
    const short = wakeSchedulerObjects({ image, sleepingPlans: { quick: 3, slow: 120 }, resources }).find((o): o is ICronJob => o.kind === "CronJob");
    expect(short?.spec?.schedule).toBe("*/3 * * * *");
    const env = Object.fromEntries((short?.spec?.jobTemplate.spec?.template.spec?.containers[0]?.env ?? []).map((e) => [e.name, e.value]));
    expect(env).toMatchObject({ RUN_INTERVAL_SECONDS: "180", MIN_SESSION_SECONDS: "7200", PLAN_SLEEP_AFTER_SECONDS: '{"quick":180,"slow":7200}' });
    expect(() => wakeSchedulerObjects({ image, sleepingPlans: {}, resources })).toThrow(/sleeping plans/);
  });

  it("runs the script from its ConfigMap with the Ghost image's Node, without Ghost's preload", () => {
    expect(container?.image).toBe(image);
    expect(container?.command).toEqual(["node", "/scheduler/wake-scheduler.mjs"]);
    expect(container?.env?.find((e) => e.name === "NODE_OPTIONS")?.value).not.toContain("--require");
    expect(container?.volumeMounts).toEqual([{ name: "scripts", mountPath: "/scheduler", readOnly: true }]);
    expect(pod?.volumes).toEqual([{ name: "scripts", configMap: { name: WAKE_SCHEDULER.name } }]);
    const scripts = of("ConfigMap").find((c) => c.metadata?.name === WAKE_SCHEDULER.name);
    expect(Object.keys(scripts?.data ?? {}).sort()).toEqual(["decide.mjs", "wake-scheduler.mjs"]);
    expect(scripts?.data?.["wake-scheduler.mjs"]).toBe(readFileSync(RUNNER_PATH, "utf8"));
  });

  it("runs under the restricted profile with small requests and its own ServiceAccount's token", () => {
    expect(pod?.serviceAccountName).toBe(WAKE_SCHEDULER.name);
    expect(pod?.automountServiceAccountToken).toBe(true);
    expect(pod?.restartPolicy).toBe("Never");
    expect(pod?.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(container?.securityContext).toMatchObject({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ["ALL"] },
    });
    expect(container?.resources).toEqual(resources);
  });

  it("may list Deployments and nothing more cluster-wide; it never updates, patches or scales them", () => {
    const [clusterRole] = of("ClusterRole");
    expect(clusterRole?.rules).toEqual([{ apiGroups: ["apps"], resources: ["deployments"], verbs: ["list"] }]);
    const rules: IPolicyRule[] = objects.flatMap((o) => (o.kind === "ClusterRole" || o.kind === "Role" ? (o.rules ?? []) : []));
    for (const rule of rules) {
      const touchesDeployments = (rule.resources ?? []).some((r) => r.startsWith("deployments"));
      if (touchesDeployments) expect(rule.verbs).toEqual(["list"]);
      expect(rule.resources ?? []).not.toContain("deployments/scale");
      expect(rule.verbs).not.toContain("*");
    }
    const [binding] = of("ClusterRoleBinding");
    expect(binding?.subjects).toEqual([{ kind: "ServiceAccount", name: WAKE_SCHEDULER.name, namespace: PLATFORM_NAMESPACES.ops }]);
  });

  it("reads Secrets and keeps its schedule in the ops namespace only", () => {
    const [role] = of("Role");
    expect(role?.metadata?.namespace).toBe(PLATFORM_NAMESPACES.ops);
    expect(role?.rules).toEqual([
      { apiGroups: [""], resources: ["secrets"], verbs: ["get"] },
      { apiGroups: [""], resources: ["configmaps"], resourceNames: [WAKE_SCHEDULER.schedule], verbs: ["get", "update"] },
      { apiGroups: [""], resources: ["configmaps"], verbs: ["create"] },
    ]);
    expect(of("RoleBinding")[0]?.roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: WAKE_SCHEDULER.name });
  });
});

describe("wired into the sleep engine's add-on", () => {
  it("installs with the sleep engine when a creator sleeps, its requests counted as the add-on's", () => {
    const config = resolvedConfig();
    const addon = platformAddons(config.cluster, config).find((a) => a.name === "sleep-engine");
    const kinds = (addon?.objects ?? []).filter((o) => o.metadata?.namespace === PLATFORM_NAMESPACES.ops || o.metadata?.name?.includes("wake")).map((o) => o.kind);
    expect(kinds).toEqual(["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "ConfigMap", "CronJob"]);
    const cronJob = addon?.objects?.find((o): o is ICronJob => o.kind === "CronJob");
    const requests = cronJob?.spec?.jobTemplate.spec?.template.spec?.containers[0]?.resources?.requests;
    expect(addon?.requests).toEqual({ cpuMillis: 10 + parseInt(String(requests?.cpu)), memoryMiB: 32 + parseInt(String(requests?.memory)), pods: 2 });
    expect(cronJob?.spec?.jobTemplate.spec?.template.spec?.containers[0]?.image).toBe(resolveImages(config.images).ghost);
  });

  it("is not installed when no active creator sleeps", () => {
    const config = resolvedConfig({ creators: [{ id: "bob", plan: "standard" }, { id: "sue", plan: "starter", state: "suspended" }] });
    expect(platformAddons(config.cluster, config).some((a) => a.name === "sleep-engine")).toBe(false);
  });

  it("lets the wake scheduler's pods reach the sleep engine, from the ops namespace only", () => {
    const policy = sleepEngineObjects({ image: "sablier", resources: { requests: { cpu: "1m", memory: "1Mi" }, limits: { cpu: "1m", memory: "1Mi" } }, storageClassName: undefined }).find(
      (o): o is INetworkPolicy => o.kind === "NetworkPolicy",
    );
    expect(policy?.spec?.ingress?.[0]?.from).toContainEqual({
      namespaceSelector: { matchLabels: { [PLATFORM_ROLE_LABEL]: "ops" } },
      podSelector: { matchLabels: { "app.kubernetes.io/name": WAKE_SCHEDULER.name } },
    });
    expect(policy?.spec?.ingress).toHaveLength(1);
  });
});
