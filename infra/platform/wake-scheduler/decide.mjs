// The wake scheduler's decisions, pure: no I/O, no clock, no environment. The
// runner (wake-scheduler.mjs, beside this file) does the calls; the TypeScript
// tests import this file as it is (types: decide.d.mts). Plain JavaScript for
// Node 22 with no dependencies, because it runs as a script from a ConfigMap in
// the Ghost image (infra/platform/wake-scheduler.ts renders both files).
//
// Why it exists: Ghost publishes a scheduled post from an in-memory timer, and
// on boot publishes the overdue ones (ghost 6.65.0
// core/server/adapters/scheduling/scheduling-default.js: rescheduleOnBoot, and
// a ping in the past carries `force`). A site asleep at its post's time
// publishes it only when it next wakes. So each run records every awake
// creator's next scheduled time and wakes a creator whose time comes within the
// next run interval, or has passed while it slept.
//
// Why a run always sees a newly scheduled post: an awake period lasts at least
// `sleepAfter` after the last request that reached Ghost (the wake gate starts
// or extends the engine's session on each one), and scheduling a post is such
// a request (an admin API call). The run interval is at most the shortest
// `sleepAfter` (5 minutes against the starter plan's 10), so some run finds the
// site awake after the post was scheduled and reads its time from sqld. What
// is not covered: a run that fails or is skipped in that window.

/** Where the runner finds things; each can be replaced through the environment variable of the same name. */
export const DEFAULTS = Object.freeze({
  KUBERNETES_API: "https://kubernetes.default.svc",
  TOKEN_FILE: "/var/run/secrets/kubernetes.io/serviceaccount/token",
  CA_FILE: "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt",
  /** `{id}` is the creator id. Only awake creators are asked: sqld runs in Ghost's pod. */
  SQLD_URL_TEMPLATE: "http://ghost.creator-{id}.svc.cluster.local:8080/v2/pipeline",
  SLEEP_ENGINE_URL: "http://sablier.platform-sleep.svc.cluster.local:10000",
  /** Sablier's instance name of a creator's Ghost Deployment (infra/contract/sleep.ts sleepInstanceName). */
  SLEEP_INSTANCE_TEMPLATE: "deployment_creator-{id}_ghost_1",
  /** The namespace of the tokens and of the schedule. */
  NAMESPACE: "platform-ops",
  SCHEDULE_CONFIGMAP: "wake-schedule",
  /** Each creator's read-only sqld token (infra/render/ghost-pod.ts opsTokenSecretName, OPS_TOKEN_KEY). */
  TOKEN_SECRET_TEMPLATE: "sqld-ro-{id}",
  TOKEN_SECRET_KEY: "token",
  RUN_INTERVAL_SECONDS: "300",
  /** Each sleeping plan's `sleepAfter` in seconds, as JSON: no wake asks for a shorter session than its creator's. */
  PLAN_SLEEP_AFTER_SECONDS: "{}",
  /** For a creator whose plan is not in PLAN_SLEEP_AFTER_SECONDS: the longest `sleepAfter`. */
  MIN_SESSION_SECONDS: "600",
  /** Beyond the interval, for the next run to start and find the site still awake. */
  WAKE_MARGIN_SECONDS: "120",
  /** As long as the wake gate waits (infra/platform/shared-cache.ts). */
  WAKE_TIMEOUT_SECONDS: "45",
  /** Requests in flight at once, to sqld and to the engine each. */
  CONCURRENCY: "8",
});

/** Creator namespaces and the Deployment the sleep engine scales in each (infra/contract/namespaces.ts, render/ghost-pod.ts). */
export const CREATOR_NAMESPACE_PREFIX = "creator-";
export const GHOST_DEPLOYMENT = "ghost";
/** The label the sleep engine discovers workloads by (infra/contract/sleep.ts SABLIER_LABELS.enable). */
export const SLEEPING_SELECTOR = "sablier.enable=true";
/** Every creator object's plan (infra/render/labels.ts creatorLabels). */
export const PLAN_LABEL = "creator-platform/plan";

/**
 * Every scheduled post's and page's time. All of them rather than `min(published_at)`: one
 * that stays scheduled in the past (a publish that failed) must not hide the next one.
 */
export const SCHEDULED_SQL = "SELECT published_at FROM posts WHERE status = 'scheduled'";

/** A template with `{id}` filled in. */
export function fill(template, id) {
  return template.replaceAll("{id}", id);
}

/**
 * A listed Deployment as a sleeping creator: its id, its plan and whether Ghost is up
 * (status.readyReplicas ≥ 1); undefined for anything else the label selects.
 */
export function sleepingCreator(deployment) {
  const namespace = deployment?.metadata?.namespace ?? "";
  if (deployment?.metadata?.name !== GHOST_DEPLOYMENT || !namespace.startsWith(CREATOR_NAMESPACE_PREFIX)) return undefined;
  const id = namespace.slice(CREATOR_NAMESPACE_PREFIX.length);
  if (id === "") return undefined;
  const plan = deployment.metadata.labels?.[PLAN_LABEL];
  return { id, ...(plan ? { plan } : {}), awake: (deployment.status?.readyReplicas ?? 0) >= 1 };
}

const GHOST_DATE = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * A time as Ghost stores it, in milliseconds: "YYYY-MM-DD HH:MM:SS" in UTC on SQLite
 * (ghost 6.65.0 core/server/models/base/plugins/data-manipulation.js fixDatesWhenSave),
 * an ISO string (what the schedule holds), or a number of milliseconds. Undefined otherwise.
 */
export function ghostTime(value) {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value !== "string") return undefined;
  const match = GHOST_DATE.exec(value.trim());
  if (!match) return undefined;
  const ms = Date.parse(`${match[1]}T${match[2]}${match[3] ?? "Z"}`);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * The first scheduled time after `now`, in milliseconds. Earlier ones are Ghost's while it is
 * awake (its timer has fired, or fires now), so only later ones need a wake.
 */
export function nextScheduled(values, now) {
  let next;
  for (const value of values) {
    const at = ghostTime(value);
    if (at !== undefined && at > now && (next === undefined || at < next)) next = at;
  }
  return next;
}

/**
 * The schedule after a run's observations, keyed by creator id, ISO times as values.
 * - An awake creator that answered: its next scheduled time, or no entry when none is left
 *   (this is how an entry is dropped once Ghost has run past it).
 * - Asleep, or awake without an answer: the entry as it was (nobody knows better).
 * - A creator no longer listed (suspended, retired, no longer on a sleeping plan): no entry.
 *
 * @param previous the schedule as the last run left it
 * @param creators every listed sleeping creator
 * @param observed creator id to the values SCHEDULED_SQL returned, for those that answered
 */
export function nextWakes({ previous, creators, observed, now }) {
  const next = {};
  for (const { id, awake } of [...creators].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    const values = observed.get(id);
    if (awake && values !== undefined) {
      const at = nextScheduled(values, now);
      if (at !== undefined) next[id] = new Date(at).toISOString();
    } else if (ghostTime(previous[id]) !== undefined) {
      next[id] = previous[id];
    }
  }
  return next;
}

/**
 * Whom to call the sleep engine for now, earliest first:
 * - a recorded time within the next run interval (`at ≤ now + interval`), asleep or awake:
 *   woken ahead, or kept awake, so Ghost's own timer publishes on time;
 * - a time already past while the site sleeps: Ghost publishes it when it boots.
 * A time past while the site is awake needs nothing: Ghost is running past it.
 *
 * The session asked for lasts past the time by a run interval and a margin, so a later run
 * finds Ghost awake past it and reads the next time; and never less than the creator's plan's
 * `sleepAfter` (`sessionMsByPlan`; `minSessionMs`, the longest, for a plan not in it), because
 * each call replaces the session's expiry (sablier v1.16.2 pkg/sablier/instance_request.go:
 * sessions.Put(state, duration)) and a shorter one would cut short an awake period the wake
 * gate started.
 */
export function dueNow({ schedule, creators, now, intervalMs, minSessionMs, sessionMsByPlan = {}, marginMs }) {
  const due = [];
  for (const { id, plan, awake } of creators) {
    const at = ghostTime(schedule[id]);
    if (at === undefined || at > now + intervalMs) continue;
    if (at <= now && awake) continue;
    const planMs = plan !== undefined && Object.hasOwn(sessionMsByPlan, plan) ? sessionMsByPlan[plan] : minSessionMs;
    const sessionMs = Math.max(planMs, Math.max(0, at - now) + intervalMs + marginMs);
    due.push({ id, at: new Date(at).toISOString(), asleep: !awake, sessionSeconds: Math.ceil(sessionMs / 1000) });
  }
  return due.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.id < b.id ? -1 : 1));
}

/** PLAN_SLEEP_AFTER_SECONDS's JSON as milliseconds by plan; throws on anything but names and positive numbers. */
export function planSessions(json) {
  const parsed = JSON.parse(json);
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("PLAN_SLEEP_AFTER_SECONDS: a JSON object of plan → seconds");
  const sessions = {};
  for (const [plan, seconds] of Object.entries(parsed)) {
    if (typeof seconds !== "number" || !(seconds > 0)) throw new Error(`PLAN_SLEEP_AFTER_SECONDS: ${plan}: a positive number of seconds`);
    sessions[plan] = seconds * 1000;
  }
  return sessions;
}

/** Whether two schedules hold the same entries. */
export function sameSchedule(a, b) {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

/** The body of one read over sqld's HTTP API (Hrana over HTTP, `POST /v2/pipeline`): execute, then close. */
export function pipelineRequest(sql) {
  return { baton: null, requests: [{ type: "execute", stmt: { sql, want_rows: true } }, { type: "close" }] };
}

/** A Hrana value as JavaScript: null, a string, or a number (integers arrive as strings). */
function hranaValue(value) {
  switch (value?.type) {
    case "text":
      return value.value;
    case "integer":
      return Number(value.value);
    case "float":
      return value.value;
    default:
      return null;
  }
}

/** The first column of the execute result in a pipeline response; throws on an error result. */
export function firstColumn(response) {
  const result = response?.results?.[0];
  if (result?.type === "error") throw new Error(`sqld: ${result.error?.message ?? "error"}`);
  if (result?.type !== "ok" || result.response?.type !== "execute") throw new Error("sqld: no execute result in the pipeline response");
  return (result.response.result?.rows ?? []).map((row) => hranaValue(row[0]));
}

/** Sablier's blocking call for one due creator (the same API the wake gate calls). */
export function wakeUrl({ engineUrl, instanceTemplate, timeoutSeconds }, wake) {
  const url = new URL("/api/strategies/blocking", engineUrl);
  url.searchParams.set("names", fill(instanceTemplate, wake.id));
  url.searchParams.set("session_duration", `${wake.sessionSeconds}s`);
  url.searchParams.set("timeout", `${timeoutSeconds}s`);
  return url.toString();
}
