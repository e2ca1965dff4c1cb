/**
 * The wake scheduler on a real API server: the runner script the CronJob mounts
 * (infra/platform/wake-scheduler/wake-scheduler.mjs, this very file) run with
 * this machine's Node, holding a token of its own ServiceAccount, after the real
 * Pulumi engine has applied the program (its CronJob, Role and ClusterRole, and
 * each creator's read-only sqld token in platform-ops).
 *
 * Real: the API server and its RBAC authorizer, the controller-manager and the
 * scheduler (the Deployments scale), the Pulumi engine and the program, the
 * tokens as the program stores them, a Ghost-schema libSQL database
 * (scripts/fixtures/ghost-db.ts) and all of the runner's code.
 *
 * STAND-INS, said plainly:
 * - kwok plays the nodes: Pods become Ready without running, so no Ghost and no
 *   sqld run, and nothing publishes a post;
 * - sqld: an HTTP server in this process answers sqld's Hrana pipeline
 *   (`POST /v2/pipeline`) by executing the SQL on the creator's libSQL file, and
 *   refuses any token but the creator's read-only one from its Secret;
 * - the sleep engine: an HTTP server in this process answers Sablier's blocking
 *   API (`GET /api/strategies/blocking`): it records each call, scales the named
 *   Deployment to 1 through `deployments/scale` with Sablier's own ServiceAccount
 *   token (GetScale then UpdateScale, as Sablier v1.16.2 does) and answers 200
 *   once the Deployment is ready;
 * - the CronJob is applied (the API server validates it), but the test starts
 *   the runner itself, pointed at the stand-ins through its environment, with a
 *   run interval of seconds instead of minutes.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "libsql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SLEEP_ENGINE, sleepInstanceName } from "../../infra/contract/sleep.ts";
import { PLATFORM_NAMESPACES } from "../../infra/contract/namespaces.ts";
import { RUNNER_PATH, WAKE_SCHEDULER } from "../../infra/platform/wake-scheduler.ts";
import { OPS_TOKEN_KEY, opsTokenSecretName } from "../../infra/render/ghost-pod.ts";
import { type ControlPlane, kubeRequest, startControlPlane } from "../../scripts/cluster/control-plane.ts";
import { type PulumiWorkspace, createWorkspace, localStackConfig } from "../../scripts/cluster/pulumi-engine.ts";
import { generateCreatorDb, ghostDate } from "../../scripts/fixtures/ghost-db.ts";

interface Identity {
  server: string;
  token: string;
  ca: string;
}
interface Deployment {
  spec: { replicas?: number };
  status: { readyReplicas?: number };
}
interface Scale {
  metadata: Record<string, unknown>;
  spec: { replicas: number };
}
interface Event {
  event: string;
  creator?: string;
  woken?: string[];
  failed?: string[];
  written?: boolean;
}
interface CronJob {
  spec: {
    schedule: string;
    concurrencyPolicy: string;
    jobTemplate: { spec: { template: { spec: { containers: Array<{ command: string[]; env?: Array<{ name: string; value: string }> }> } } } };
  };
}
type SqlValue = string | number | bigint | null | Uint8Array;

const SLEEPING = ["sam", "kim"] as const;
const CREATORS = [
  { id: "sam", plan: "starter" },
  { id: "kim", plan: "starter" },
  { id: "pat", plan: "pro" },
];
/** The interval the runner is told: seconds, so that a time "after the next run" is a few seconds away. */
const RUN_INTERVAL_SECONDS = 3;

let cp: ControlPlane;
let ws: PulumiWorkspace;
let dir: string;
let scheduler: Identity;
let engine: Identity;
const databases = new Map<string, Database.Database>();
const tokens = new Map<string, string>();
let cronJob: CronJob;
let cronJobEnvironment: Record<string, string> = {};
let sqld: Server;
let sablier: Server;
/** What the stand-ins saw. */
const queries: Array<{ creator: string; sql: string }> = [];
const wakes: Array<{ names: string; session_duration: string | null; timeout: string | null }> = [];

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));
const deployment = async (id: string) => (await cp.request<Deployment>("GET", `/apis/apps/v1/namespaces/creator-${id}/deployments/ghost`)).body;
const schedule = async () =>
  (await cp.request<{ data?: Record<string, string> }>("GET", `/api/v1/namespaces/${WAKE_SCHEDULER.namespace}/configmaps/${WAKE_SCHEDULER.schedule}`)).body.data ?? {};

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}
const ready = (id: string) => until(`${id} ready`, async () => ((await deployment(id)).status.readyReplicas ?? 0) >= 1);

/** What Sablier does to wake or sleep a site: read the scale, write the replica count through the subresource. */
async function scale(as: Identity, namespace: string, name: string, replicas: number): Promise<number> {
  const path = `/apis/apps/v1/namespaces/${namespace}/deployments/${name}/scale`;
  const current = await kubeRequest<Scale>(as, "GET", path);
  if (current.status !== 200) return current.status;
  return (await kubeRequest(as, "PUT", path, { ...current.body, spec: { replicas } })).status;
}

function listen(handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Promise<Server> {
  const server = createServer((req, res) => {
    handler(req, res).catch((error: unknown) => {
      res.writeHead(500, { "Content-Type": "text/plain" }).end(String(error));
    });
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok(server)));
}
const port = (server: Server) => (server.address() as AddressInfo).port;
async function body(req: IncomingMessage): Promise<string> {
  let text = "";
  for await (const chunk of req) text += String(chunk);
  return text;
}
const json = (res: ServerResponse, status: number, value: unknown) => res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(value));

/** A libSQL value as Hrana encodes it over HTTP (integers as strings). */
function hrana(value: SqlValue): Record<string, unknown> {
  if (value === null) return { type: "null" };
  if (typeof value === "string") return { type: "text", value };
  if (typeof value === "bigint" || Number.isInteger(value)) return { type: "integer", value: String(value) };
  if (typeof value === "number") return { type: "float", value };
  return { type: "blob", base64: Buffer.from(value).toString("base64") };
}

/** STAND-IN for sqld's HTTP API: `POST /<creator>/v2/pipeline`, each execute run on the creator's libSQL file. */
async function sqldStandIn(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const match = /^\/([a-z0-9-]+)\/v2\/pipeline$/.exec(req.url ?? "");
  const db = match?.[1] ? databases.get(match[1]) : undefined;
  if (req.method !== "POST" || !match?.[1] || !db) return void json(res, 404, { error: "not found" });
  const creator = match[1];
  // sqld checks the JWT's signature; the stand-in accepts exactly the token the creator's Secret holds.
  if (req.headers.authorization !== `Bearer ${tokens.get(creator)}`) return void json(res, 401, { error: "Unauthorized" });
  const pipeline = JSON.parse(await body(req)) as { requests: Array<{ type: string; stmt?: { sql: string; args?: Array<{ value?: unknown }> } }> };
  const results = pipeline.requests.map((request) => {
    if (request.type === "close") return { type: "ok", response: { type: "close" } };
    if (request.type !== "execute" || !request.stmt) return { type: "error", error: { message: `unsupported request ${request.type}` } };
    queries.push({ creator, sql: request.stmt.sql });
    try {
      const statement = db.prepare(request.stmt.sql);
      const args = (request.stmt.args ?? []).map((a) => a.value);
      const columns = statement.columns().map((c) => ({ name: c.name, decltype: c.type }));
      const rows = (statement.raw(true).all(...args) as SqlValue[][]).map((row) => row.map(hrana));
      return { type: "ok", response: { type: "execute", result: { cols: columns, rows, affected_row_count: 0, last_insert_rowid: null } } };
    } catch (error) {
      return { type: "error", error: { message: String(error), code: "SQLITE_ERROR" } };
    }
  });
  json(res, 200, { baton: null, base_url: null, results });
}

/** STAND-IN for Sablier's blocking API: record the call, scale the Deployment to 1 as Sablier would, answer once it is ready. */
async function sablierStandIn(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://sablier");
  if (req.method !== "GET" || url.pathname !== "/api/strategies/blocking") return void json(res, 404, { error: "not found" });
  const names = url.searchParams.get("names") ?? "";
  wakes.push({ names, session_duration: url.searchParams.get("session_duration"), timeout: url.searchParams.get("timeout") });
  // deployment_<namespace>_<name>_<replicas> (Sablier v1.16.2 pkg/provider/kubernetes/parse_name.go).
  const [kind, namespace, name] = names.split("_");
  if (kind !== "deployment" || !namespace || !name) return void json(res, 404, { error: `instance ${names} not found` });
  const scaled = await scale(engine, namespace, name, 1);
  if (scaled !== 200) return void json(res, 500, { error: `scale ${namespace}/${name}: ${scaled}` });
  await ready(namespace.replace(/^creator-/, ""));
  json(res, 200, { session: { status: "ready", instances: [{ instance: { name: names, status: "ready" } }] } });
}

/**
 * Runs the runner once with the environment of the CronJob's container as the program applied
 * it, but for the seams: the real API server's address and the stand-ins', and seconds for minutes.
 */
function runScheduler(): Promise<{ code: number; events: Event[]; stderr: string }> {
  const env = {
    PATH: process.env.PATH ?? "",
    ...cronJobEnvironment,
    KUBERNETES_API: scheduler.server,
    TOKEN_FILE: join(dir, "token"),
    CA_FILE: join(dir, "ca.crt"),
    SQLD_URL_TEMPLATE: `http://127.0.0.1:${port(sqld)}/{id}/v2/pipeline`,
    SLEEP_ENGINE_URL: `http://127.0.0.1:${port(sablier)}`,
    RUN_INTERVAL_SECONDS: String(RUN_INTERVAL_SECONDS),
    WAKE_MARGIN_SECONDS: "2",
  };
  return new Promise((ok) => {
    const child = spawn(process.execPath, [RUNNER_PATH], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("close", (code) => {
      const events = stdout.split("\n").filter(Boolean).map((line) => JSON.parse(line) as Event);
      ok({ code: code ?? 1, events, stderr });
    });
  });
}

/** Ghost's posts row for a scheduled post (what the admin API writes when a post is scheduled). */
function schedulePost(db: Database.Database, slug: string, at: number): void {
  const now = ghostDate(Date.now());
  db.prepare(
    "INSERT INTO posts (id, uuid, title, slug, status, type, created_at, created_by, updated_at, published_at) VALUES (?, ?, ?, ?, 'scheduled', 'post', ?, '1', ?, ?)",
  ).run(slug.padEnd(24, "0").slice(0, 24), `00000000-0000-4000-a000-${slug.padEnd(12, "0").slice(0, 12)}`, slug, slug, now, now, ghostDate(at));
}
const setPostTime = (db: Database.Database, slug: string, at: number) => db.prepare("UPDATE posts SET published_at = ? WHERE slug = ?").run(ghostDate(at), slug);

async function serviceAccountToken(namespace: string, name: string): Promise<string> {
  const response = await cp.request<{ status: { token: string } }>("POST", `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, {
    apiVersion: "authentication.k8s.io/v1",
    kind: "TokenRequest",
    spec: { expirationSeconds: 3600 },
  });
  if (response.status !== 201) throw new Error(`a token for ${namespace}/${name}: ${response.status} ${response.text}`);
  return response.body.status.token;
}

describe("the wake scheduler's runner against a real API server", () => {
  /** sam's post to wake for (set a few seconds ahead), and a later one. */
  let first = 0;
  const later = Date.now() + 3 * 3600_000;

  beforeAll(async () => {
    const stack = { stack: "wake", config: localStackConfig(CREATORS), secrets: { "creator-platform:sqldKeySeed": "wake-test-seed-0123456789abcdef0123456" } };
    cp = await startControlPlane({ persistentVolumes: { count: 8, size: "10Gi" } });
    ws = await createWorkspace({ ...stack, kubeconfig: cp.kubeconfig });
    const up = await ws.pulumi(["up", "--yes", "--skip-preview"]);
    if (up.code !== 0) throw new Error(`pulumi up failed:\n${up.stdout.slice(-6000)}\n${up.stderr.slice(-3000)}`);

    const applied = await cp.request<CronJob>("GET", `/apis/batch/v1/namespaces/${WAKE_SCHEDULER.namespace}/cronjobs/${WAKE_SCHEDULER.name}`);
    if (applied.status !== 200) throw new Error(`the program's CronJob: ${applied.status} ${applied.text}`);
    cronJob = applied.body;
    cronJobEnvironment = Object.fromEntries((cronJob.spec.jobTemplate.spec.template.spec.containers[0]?.env ?? []).map((e) => [e.name, e.value]));

    dir = mkdtempSync(join(tmpdir(), "wake-scheduler-"));
    scheduler = { server: cp.server, ca: cp.ca, token: await serviceAccountToken(WAKE_SCHEDULER.namespace, WAKE_SCHEDULER.name) };
    engine = { server: cp.server, ca: cp.ca, token: await serviceAccountToken(SLEEP_ENGINE.namespace, SLEEP_ENGINE.name) };
    writeFileSync(join(dir, "token"), scheduler.token);
    writeFileSync(join(dir, "ca.crt"), cp.ca);

    for (const [i, id] of SLEEPING.entries()) {
      const path = join(dir, `${id}.db`);
      generateCreatorDb(path, { seed: 40 + i });
      const db = new Database(path);
      // The generator schedules some posts at random times: none here but the test's own.
      db.prepare("UPDATE posts SET status = 'published' WHERE status = 'scheduled'").run();
      databases.set(id, db);
      const secret = await cp.request<{ data: Record<string, string> }>("GET", `/api/v1/namespaces/${PLATFORM_NAMESPACES.ops}/secrets/${opsTokenSecretName(id)}`);
      if (secret.status !== 200) throw new Error(`the program's read-only token for ${id}: ${secret.status}`);
      tokens.set(id, Buffer.from(secret.body.data[OPS_TOKEN_KEY] ?? "", "base64").toString("utf8"));
    }
    const sam = databases.get("sam") as Database.Database;
    schedulePost(sam, "first-post", later);
    schedulePost(sam, "later-post", later);
    sqld = await listen(sqldStandIn);
    sablier = await listen(sablierStandIn);
    for (const id of SLEEPING) await ready(id);
  });

  afterAll(async () => {
    for (const server of [sqld, sablier]) await new Promise((ok) => (server ? server.close(ok) : ok(undefined)));
    for (const db of databases.values()) db.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    ws?.remove();
    await cp?.stop();
  });

  it("is installed by the program: its CronJob, in the ops namespace", () => {
    expect(cronJob.spec).toMatchObject({ schedule: "*/5 * * * *", concurrencyPolicy: "Forbid" });
    expect(cronJob.spec.jobTemplate.spec.template.spec.containers[0]?.command).toEqual(["node", "/scheduler/wake-scheduler.mjs"]);
    expect(cronJobEnvironment).toMatchObject({ PLAN_SLEEP_AFTER_SECONDS: '{"starter":600}', RUN_INTERVAL_SECONDS: "300" });
  });

  it("records an awake creator's next scheduled time, and nothing for one with none", async () => {
    first = Date.now() + 12_000;
    setPostTime(databases.get("sam") as Database.Database, "first-post", first);
    const run = await runScheduler();
    expect(run.code, `${run.stderr}\n${JSON.stringify(run.events)}`).toBe(0);
    // Ghost's "YYYY-MM-DD HH:MM:SS" keeps whole seconds.
    expect(await schedule()).toEqual({ sam: new Date(Math.floor(first / 1000) * 1000).toISOString() });
    // Both sleeping creators were read, with their own read-only tokens (the stand-in refuses others); the one that never sleeps was not.
    expect([...new Set(queries.map((q) => q.creator))].sort()).toEqual(["kim", "sam"]);
    expect(queries.every((q) => /^SELECT published_at FROM posts WHERE status = 'scheduled'$/.test(q.sql))).toBe(true);
    // Its time is after the next run: nobody is woken yet.
    expect(wakes).toEqual([]);
  });

  it("once the site sleeps and its time comes, the next run wakes exactly that creator, and no other", async () => {
    for (const id of SLEEPING) expect(await scale(engine, `creator-${id}`, "ghost", 0)).toBe(200);
    for (const id of SLEEPING) await until(`${id} asleep`, async () => ((await deployment(id)).status.readyReplicas ?? 0) === 0);
    await sleep(Math.max(0, first - Date.now() + 1000));
    queries.length = 0;

    const run = await runScheduler();
    expect(run.code, `${run.stderr}\n${JSON.stringify(run.events)}`).toBe(0);
    expect(wakes).toEqual([{ names: sleepInstanceName("creator-sam", "ghost"), session_duration: "600s", timeout: "45s" }]);
    expect(run.events.find((e) => e.event === "run")).toMatchObject({ woken: ["sam"], failed: [] });
    expect((await deployment("sam")).status.readyReplicas).toBe(1);
    expect((await deployment("kim")).spec.replicas).toBe(0);
    // Asleep, neither was read before the wake; woken past its time, sam was read again and its
    // entry moved on to the next post (Ghost publishes the overdue one as it boots).
    expect(queries.map((q) => q.creator)).toEqual(["sam"]);
    expect(await schedule()).toEqual({ sam: new Date(Math.floor(later / 1000) * 1000).toISOString() });
  });

  it("wakes nobody on the next run: nothing is due", async () => {
    wakes.length = 0;
    const run = await runScheduler();
    expect(run.code, run.stderr).toBe(0);
    expect(wakes).toEqual([]);
    expect(run.events.find((e) => e.event === "run")).toMatchObject({ woken: [], written: false });
    expect((await deployment("kim")).spec.replicas).toBe(0);
  });

  it("may list Deployments, but not read, update, patch or scale them, nor read a creator's Secrets", async () => {
    const list = await kubeRequest(scheduler, "GET", "/apis/apps/v1/deployments", undefined, { query: { labelSelector: "sablier.enable=true" } });
    expect(list.status).toBe(200);
    const path = "/apis/apps/v1/namespaces/creator-kim/deployments/ghost";
    expect((await kubeRequest(scheduler, "GET", path)).status).toBe(403);
    const live = await cp.request<Record<string, unknown>>("GET", path);
    expect((await kubeRequest(scheduler, "PUT", path, live.body)).status).toBe(403);
    expect((await kubeRequest(scheduler, "PATCH", path, { spec: { replicas: 1 } }, { contentType: "application/merge-patch+json" })).status).toBe(403);
    expect(await scale(scheduler, "creator-kim", "ghost", 1)).toBe(403);
    expect((await kubeRequest(scheduler, "GET", "/api/v1/namespaces/creator-kim/secrets")).status).toBe(403);
    // In its own namespace: only its schedule, not another ConfigMap.
    expect((await kubeRequest(scheduler, "GET", `/api/v1/namespaces/${WAKE_SCHEDULER.namespace}/configmaps/${WAKE_SCHEDULER.name}`)).status).toBe(403);
  });
});
