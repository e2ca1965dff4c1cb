/**
 * The real program through the real Pulumi engine onto a real API server: a
 * local stack (provider `existing`, pointed at the test control plane) taken
 * through a creator's whole life, one `pulumi up` per step. After every step:
 *
 * - the API server holds exactly the objects the offline plan renders for the
 *   stack file (`npm run plan -- --out`), each containing what was rendered;
 * - no object of a creator the step did not touch changed (resourceVersion);
 * - a retired or removed creator's namespace and volume are still there;
 * - every Pod the controllers created was admitted (no FailedCreate events);
 * - `pulumi preview --expect-no-changes` passes.
 * It ends with `pulumi destroy`, after which only the retained data objects
 * remain.
 *
 * Stand-ins, said plainly: kwok plays the nodes (Pods become Running and Ready
 * without running containers), PersistentVolumes are pre-created for the
 * `local-test` class, and add-ons whose charts come from the internet are off
 * (`ships: [traefik, metrics-server]`, TLS off, monitoring off): their values
 * are checked in test/platform/upstream-rules.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlane, startControlPlane } from "../../scripts/cluster/control-plane.ts";
import { type KubeObject, creatorOfKey, isCreatorObject, keyOf, liveCreatorObjects, notContained, objectPath, plannedObjects } from "./live-objects.ts";
import { type PulumiWorkspace, createWorkspace, localStackConfig } from "../../scripts/cluster/pulumi-engine.ts";

interface CreatorLine {
  id: string;
  plan: string;
  domains?: string[];
  state?: "active" | "suspended" | "retired";
}

/** What this stack adds to the local one: a mail relay (so a password secret is read) and a cost ceiling. */
const EXTRA: Record<string, unknown> = {
  "creator-platform:platform": {
    domain: "creators.test",
    tls: { mode: "off" },
    mail: { from: "Creators <noreply@creators.test>", host: "smtp.creators.test", user: "postmaster" },
  },
  "creator-platform:maxMonthlyCostPerCreator": 5,
};

const SIX: CreatorLine[] = [
  { id: "ann", plan: "starter" },
  { id: "ben", plan: "starter", domains: ["ben.blog"] },
  { id: "cat", plan: "standard" },
  { id: "dan", plan: "standard" },
  { id: "eve", plan: "pro" },
  { id: "fay", plan: "pro", domains: ["fay.news"] },
];

/** What Pulumi last wrote to an object: its field manager's entries (with their times) in managedFields. */
function pulumiWrites(o: KubeObject): unknown {
  const fields = (o.metadata as { managedFields?: Array<{ manager: string }> }).managedFields ?? [];
  return fields.filter((f) => f.manager.startsWith("pulumi-kubernetes"));
}

let cp: ControlPlane;
let ws: PulumiWorkspace;
/** Creators whose namespace and volume must outlive their workload. */
const retained = new Set<string>();
let before = new Map<string, KubeObject>();
const timings: Array<[string, number]> = [];

async function pulumiUp(step: string): Promise<void> {
  const up = await ws.pulumi(["up", "--yes", "--skip-preview"]);
  timings.push([step, up.seconds]);
  if (up.code !== 0) throw new Error(`pulumi up (${step}) failed:\n${up.stdout.slice(-6000)}\n${up.stderr.slice(-3000)}`);
}

async function failedCreates(): Promise<string[]> {
  const events = await cp.request<{ items: Array<{ involvedObject: { namespace: string; name: string }; message: string }> }>(
    "GET",
    "/api/v1/events",
    undefined,
    { query: { fieldSelector: "reason=FailedCreate" } },
  );
  return events.body.items.map((e) => `${e.involvedObject.namespace}/${e.involvedObject.name}: ${e.message}`);
}

/** Applies `creators`, runs `pulumi up`, and checks everything the file's comment promises. */
async function step(name: string, creators: CreatorLine[], touched: string[]): Promise<void> {
  ws.setConfig({ "creator-platform:creators": creators });
  await pulumiUp(name);
  const all = await plannedObjects(ws.stackFile);
  const planned = all.filter(isCreatorObject);
  const live = await liveCreatorObjects(cp);

  // The platform's own objects (priority classes, its namespaces) are there as rendered.
  for (const object of all.filter((o) => !isCreatorObject(o))) {
    const response = await cp.request<KubeObject>("GET", objectPath(object));
    expect(response.status, `${name}: ${keyOf(object)}`).toBe(200);
    expect(notContained(object.metadata.labels ?? {}, response.body.metadata.labels ?? {}), keyOf(object)).toEqual([]);
  }

  // Exactly the planned objects, plus the retained data objects of retired and removed creators.
  const expected = new Set(planned.map(keyOf));
  for (const id of retained) {
    if (planned.some((o) => creatorOfKey(keyOf(o)) === id)) continue;
    expected.add(`Namespace//creator-${id}`);
    expected.add(`PersistentVolumeClaim/creator-${id}/data`);
  }
  const missing = [...expected].filter((k) => !live.has(k));
  const extra = [...live.keys()].filter((k) => !expected.has(k));
  expect({ missing, extra }, `${name}: the objects in the cluster`).toEqual({ missing: [], extra: [] });

  // Each holds what the renderer decided (the server may add defaults).
  for (const object of planned) {
    const actual = live.get(keyOf(object));
    const { metadata, kind, apiVersion, ...body } = object;
    // Secrets are redacted in the plan; their values are checked by the component tests.
    const { stringData: _redacted, ...comparable } = body as Record<string, unknown>;
    const differences = [
      ...notContained(metadata.labels ?? {}, actual?.metadata.labels ?? {}, "metadata.labels"),
      ...notContained(kind === "Secret" ? { type: comparable.type } : comparable, actual, ""),
    ];
    // A creator's volume keeps the size it was created with (components/creator-site.ts says why).
    const resized = differences.filter((d) => !(kind === "PersistentVolumeClaim" && d.startsWith("spec.resources.requests.storage")));
    expect(resized, `${name}: ${apiVersion} ${keyOf(object)}`).toEqual([]);
  }

  // Untouched creators' objects did not change at all.
  for (const [key, object] of before) {
    if (touched.includes(creatorOfKey(key)) || !live.has(key)) continue;
    const now = live.get(key);
    if (now && now.metadata.resourceVersion !== object.metadata.resourceVersion) {
      // The cluster's own controllers may write to an untouched object (the HPA controller's first
      // sync, up to 15 s after creation, writes its status and scales the cache to minReplicas);
      // Pulumi must not have: its field manager's record is the same.
      expect(pulumiWrites(now), `${name}: Pulumi wrote to ${key}`).toEqual(pulumiWrites(object));
    }
  }
  before = live;

  expect(await failedCreates(), `${name}: pods refused by admission`).toEqual([]);
  const preview = await ws.pulumi(["preview", "--expect-no-changes"]);
  timings.push([`${name}: preview`, preview.seconds]);
  expect(preview.code, `${name}: pulumi preview --expect-no-changes\n${preview.stdout.slice(-4000)}${preview.stderr.slice(-2000)}`).toBe(0);
}

describe("a local stack through the real Pulumi engine", () => {
  beforeAll(async () => {
    cp = await startControlPlane({ persistentVolumes: { count: 24, size: "10Gi" } });
    ws = await createWorkspace({
      stack: "local",
      kubeconfig: cp.kubeconfig,
      config: localStackConfig(SIX, EXTRA),
      // A string secret that looks like a number: `pulumi up` must read it as text.
      secrets: { "creator-platform:sqldKeySeed": "cluster-test-seed-0123456789abcdef0123", "creator-platform:smtpPassword": "20261127" },
    });
  });

  afterAll(async () => {
    process.stderr.write(`pulumi timings (s):\n${timings.map(([s, t]) => `  ${s}: ${t.toFixed(1)}`).join("\n")}\n`);
    ws?.remove();
    await cp?.stop();
  });

  it("creates six creators across every built-in plan", async () => {
    await step("six creators", SIX, SIX.map((c) => c.id));
  });

  it("reads the stack's config under pulumi up exactly as the offline plan reads the stack file", async () => {
    const outputs = await ws.pulumi(["stack", "output", "--json", "--show-secrets"]);
    expect(outputs.code).toBe(0);
    const underUp = JSON.parse(outputs.stdout) as Record<string, unknown>;
    const { execFileSync } = await import("node:child_process");
    const { REPO_ROOT } = await import("../../scripts/tools/build-tools.ts");
    const offline = JSON.parse(
      execFileSync(process.execPath, ["--import", "tsx", "scripts/plan.ts", "--config", ws.stackFile, "--json"], { cwd: REPO_ROOT, encoding: "utf8" }),
    ) as { outputs: Record<string, unknown> };
    for (const key of ["creators", "creatorCount", "cost"]) expect(underUp[key], key).toEqual(offline.outputs[key]);
    // The SMTP password "20261127" reached Ghost's Secret as the text it is.
    const secret = await cp.request<{ data: Record<string, string> }>("GET", "/api/v1/namespaces/creator-ann/secrets/ghost-mail");
    expect(Buffer.from(secret.body.data["smtp-password"] ?? "", "base64").toString()).toBe("20261127");
  });

  it("adds a creator", async () => {
    await step("add gus", [...SIX, { id: "gus", plan: "starter" }], ["gus"]);
  });

  it("changes a creator's plan", async () => {
    await step("ann to standard", [{ id: "ann", plan: "standard" }, ...SIX.slice(1), { id: "gus", plan: "starter" }], ["ann"]);
  });

  const now = (): CreatorLine[] => [{ id: "ann", plan: "standard" }, ...SIX.slice(1), { id: "gus", plan: "starter" }];
  const withState = (id: string, state: CreatorLine["state"]) => now().map((c) => (c.id === id ? { ...c, state } : c));

  it("suspends and resumes a creator", async () => {
    await step("suspend ben", withState("ben", "suspended"), ["ben"]);
    const ghost = await cp.request<{ spec: { replicas: number } }>("GET", "/apis/apps/v1/namespaces/creator-ben/deployments/ghost");
    expect(ghost.body.spec.replicas).toBe(0);
    await step("resume ben", now(), ["ben"]);
  });

  it("retires a creator and keeps its namespace and volume", async () => {
    retained.add("cat");
    await step("retire cat", withState("cat", "retired"), ["cat"]);
  });

  it("re-adds the retired creator onto its kept namespace and volume", async () => {
    const pvc = await cp.request<{ metadata: { uid: string } }>("GET", "/api/v1/namespaces/creator-cat/persistentvolumeclaims/data");
    await step("re-add cat", now(), ["cat"]);
    const again = await cp.request<{ metadata: { uid: string } }>("GET", "/api/v1/namespaces/creator-cat/persistentvolumeclaims/data");
    expect(again.body.metadata.uid, "the same volume claim, not a new one").toBe(pvc.body.metadata.uid);
  });

  it("removes a creator from the list and keeps its data", async () => {
    retained.add("dan");
    await step("remove dan", now().filter((c) => c.id !== "dan"), ["dan"]);
  });

  it("reorders the list without touching anyone", async () => {
    await step("reorder", now().filter((c) => c.id !== "dan").reverse(), []);
  });

  it("destroys the stack, leaving only the retained data objects", async () => {
    const destroy = await ws.pulumi(["destroy", "--yes", "--skip-preview"]);
    timings.push(["destroy", destroy.seconds]);
    expect(destroy.code, destroy.stdout.slice(-4000)).toBe(0);
    const live = [...(await liveCreatorObjects(cp)).keys()].sort();
    const ids = ["ann", "ben", "cat", "dan", "eve", "fay", "gus"];
    expect(live).toEqual(ids.flatMap((id) => [`Namespace//creator-${id}`, `PersistentVolumeClaim/creator-${id}/data`]).sort());
    const classes = await cp.request<{ items: Array<{ metadata: { name: string } }> }>("GET", "/apis/scheduling.k8s.io/v1/priorityclasses");
    expect(classes.body.items.map((c) => c.metadata.name)).not.toContain("creator-site");
  });
});
