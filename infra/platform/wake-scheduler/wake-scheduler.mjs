// One run of the wake scheduler (a CronJob in platform-ops, infra/platform/wake-scheduler.ts):
// 1. list the sleeping creators' Ghost Deployments (label sablier.enable=true);
// 2. for each awake one, read its scheduled posts' times from its sqld, with its read-only token;
// 3. record each creator's next time in the ConfigMap `wake-schedule` (creator id → ISO time);
// 4. ask the sleep engine for a session for each creator whose time is due (decide.mjs dueNow),
//    then read again those woken past their time, which drops what Ghost has now run past.
// The decisions are decide.mjs's; this file only talks. Plain JavaScript for Node 22 with no
// dependencies. Every address is an environment variable with its in-cluster default
// (decide.mjs DEFAULTS), which is how the cluster test points it at its stand-ins.
// Output: one JSON line per event on stdout. Exit 1 when the run could not do its job (list,
// schedule or a wake failed); a creator whose sqld does not answer keeps its entry and is only
// reported.
import { existsSync, readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import * as decide from "./decide.mjs";

const setting = (name) => process.env[name] || decide.DEFAULTS[name];
const positive = (name) => {
  const value = Number(setting(name));
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name}: a positive number, not ${setting(name)}`);
  return value;
};

const settings = {
  api: setting("KUBERNETES_API"),
  namespace: setting("NAMESPACE"),
  scheduleName: setting("SCHEDULE_CONFIGMAP"),
  sqldUrl: setting("SQLD_URL_TEMPLATE"),
  secretName: setting("TOKEN_SECRET_TEMPLATE"),
  secretKey: setting("TOKEN_SECRET_KEY"),
  engine: { engineUrl: setting("SLEEP_ENGINE_URL"), instanceTemplate: setting("SLEEP_INSTANCE_TEMPLATE"), timeoutSeconds: positive("WAKE_TIMEOUT_SECONDS") },
  intervalMs: positive("RUN_INTERVAL_SECONDS") * 1000,
  minSessionMs: positive("MIN_SESSION_SECONDS") * 1000,
  sessionMsByPlan: decide.planSessions(setting("PLAN_SLEEP_AFTER_SECONDS")),
  marginMs: positive("WAKE_MARGIN_SECONDS") * 1000,
  concurrency: Math.max(1, Math.floor(positive("CONCURRENCY"))),
};
// Read once: a run lasts seconds, far less than a projected token's life.
const token = readFileSync(setting("TOKEN_FILE"), "utf8").trim();
const caFile = setting("CA_FILE");
const ca = existsSync(caFile) ? readFileSync(caFile) : undefined;

const log = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);
const message = (error) => (error instanceof Error ? error.message : String(error));

/** One request to the Kubernetes API as the wake scheduler's ServiceAccount. */
function kube(method, path, body) {
  const url = new URL(path, settings.api);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const request = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ...(ca ? { ca } : {}),
        headers: {
          Authorization: `Bearer ${token}`,
          Accept: "application/json",
          ...(payload === undefined ? {} : { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(payload) }),
        },
        timeout: 20_000,
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => (text += chunk));
        res.on("end", () => {
          let parsed;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, text });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${url.pathname}: no answer in 20 s`)));
    req.on("error", reject);
    req.end(payload);
  });
}

/** `fn` over `items`, at most `limit` at a time; results in the items' order. */
async function pool(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

async function listSleepingCreators() {
  const creators = [];
  let from = "";
  do {
    const query = new URLSearchParams({ labelSelector: decide.SLEEPING_SELECTOR, limit: "500", ...(from ? { continue: from } : {}) });
    const listed = await kube("GET", `/apis/apps/v1/deployments?${query}`);
    if (listed.status !== 200) throw new Error(`list deployments: ${listed.status} ${listed.text.slice(0, 300)}`);
    for (const deployment of listed.body.items ?? []) {
      const creator = decide.sleepingCreator(deployment);
      if (creator) creators.push(creator);
    }
    from = listed.body.metadata?.continue ?? "";
  } while (from);
  return creators;
}

const schedulePath = () => `/api/v1/namespaces/${settings.namespace}/configmaps`;

async function readSchedule() {
  const found = await kube("GET", `${schedulePath()}/${settings.scheduleName}`);
  if (found.status === 404) return undefined;
  if (found.status !== 200) throw new Error(`read ConfigMap ${settings.scheduleName}: ${found.status} ${found.text.slice(0, 300)}`);
  return found.body;
}

async function writeSchedule(current, data) {
  const written = current
    ? await kube("PUT", `${schedulePath()}/${settings.scheduleName}`, { ...current, data })
    : await kube("POST", schedulePath(), {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: settings.scheduleName, namespace: settings.namespace, labels: { "app.kubernetes.io/name": "wake-scheduler", "app.kubernetes.io/part-of": "creator-platform" } },
        data,
      });
  if (written.status !== 200 && written.status !== 201) throw new Error(`write ConfigMap ${settings.scheduleName}: ${written.status} ${written.text.slice(0, 300)}`);
}

/** The creator's scheduled times as its sqld holds them, read with its read-only token. */
async function scheduledTimes(id) {
  const secret = await kube("GET", `/api/v1/namespaces/${settings.namespace}/secrets/${decide.fill(settings.secretName, id)}`);
  const encoded = secret.body?.data?.[settings.secretKey];
  if (secret.status !== 200 || typeof encoded !== "string") throw new Error(`token ${decide.fill(settings.secretName, id)}: ${secret.status}`);
  const response = await fetch(decide.fill(settings.sqldUrl, id), {
    method: "POST",
    headers: { Authorization: `Bearer ${Buffer.from(encoded, "base64").toString("utf8")}`, "Content-Type": "application/json" },
    body: JSON.stringify(decide.pipelineRequest(decide.SCHEDULED_SQL)),
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`sqld: ${response.status} ${(await response.text()).slice(0, 200)}`);
  return decide.firstColumn(await response.json());
}

/** Observations of the given creators: id → values, for those that answered. */
async function observe(ids) {
  const observed = new Map();
  await pool(ids, settings.concurrency, async (id) => {
    try {
      observed.set(id, await scheduledTimes(id));
    } catch (error) {
      log({ event: "unread", creator: id, error: message(error) });
    }
  });
  return observed;
}

/** The sleep engine's blocking call: answers 200 once Ghost is ready; starts or extends the session. */
async function wake(due) {
  const started = Date.now();
  try {
    const response = await fetch(decide.wakeUrl(settings.engine, due), { signal: AbortSignal.timeout((settings.engine.timeoutSeconds + 15) * 1000) });
    const ok = response.status === 200;
    log({ event: "wake", creator: due.id, at: due.at, asleep: due.asleep, sessionSeconds: due.sessionSeconds, status: response.status, seconds: (Date.now() - started) / 1000 });
    if (!ok) log({ event: "wake-failed", creator: due.id, error: (await response.text()).slice(0, 300) });
    return { ...due, ok };
  } catch (error) {
    log({ event: "wake-failed", creator: due.id, error: message(error) });
    return { ...due, ok: false };
  }
}

async function run() {
  const now = Date.now();
  const creators = await listSleepingCreators();
  const current = await readSchedule();
  const previous = current?.data ?? {};
  const observed = await observe(creators.filter((c) => c.awake).map((c) => c.id));
  let schedule = decide.nextWakes({ previous, creators, observed, now });

  const { intervalMs, minSessionMs, sessionMsByPlan, marginMs } = settings;
  const due = decide.dueNow({ schedule, creators, now, intervalMs, minSessionMs, sessionMsByPlan, marginMs });
  const woken = await pool(due, settings.concurrency, wake);
  // Woken past their time: Ghost has booted and publishes what is overdue, so read the next time now.
  const booted = new Set(woken.filter((w) => w.ok && w.asleep && Date.parse(w.at) <= now).map((w) => w.id));
  if (booted.size > 0) {
    const again = await observe([...booted]);
    schedule = decide.nextWakes({ previous: schedule, creators: creators.map((c) => (booted.has(c.id) ? { ...c, awake: true } : c)), observed: again, now });
  }

  const changed = current === undefined || !decide.sameSchedule(previous, schedule);
  if (changed) await writeSchedule(current, schedule);
  const failed = woken.filter((w) => !w.ok).map((w) => w.id);
  log({
    event: "run",
    sleeping: creators.length,
    awake: creators.filter((c) => c.awake).length,
    read: observed.size,
    scheduled: Object.keys(schedule).length,
    woken: woken.filter((w) => w.ok).map((w) => w.id),
    failed,
    written: changed,
    seconds: (Date.now() - now) / 1000,
  });
  if (failed.length > 0) process.exitCode = 1;
}

run().catch((error) => {
  log({ event: "error", error: message(error) });
  process.exitCode = 1;
});
