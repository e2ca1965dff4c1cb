/**
 * An upgrade in waves on a real API server through the real Pulumi engine:
 * `npm run upgrade` (scripts/upgrade.ts, spawned as an operator runs it) moves
 * a local stack of six creators to a new Ghost image, canaries first, two a
 * wave, editing the stack file and running the real `pulumi up` for each wave.
 * While it runs, the test watches the stack file and the Deployments: whenever
 * a wave is written, exactly the creators of the waves before it run the new
 * image and no other Deployment has changed. A second upgrade, to an image the
 * cluster refuses for one creator, stops in its wave with exit 1 and the
 * rollback advice; following the advice puts that wave back.
 *
 * Stand-ins, said plainly: kwok plays the nodes (Pods become Ready without
 * running, so no image is pulled and no Ghost answers); the "site answering"
 * check is made against a local HTTP server that stands in for every site
 * (--url-template), since nothing serves the sites here; and the refused image
 * is refused by a ValidatingAdmissionPolicy that the test creates (the
 * Deployment's ReplicaSet then reports ReplicaFailure, as it does when quota or
 * PodSecurity refuses a Pod), because kwok starts any image.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { type ControlPlane, startControlPlane } from "../../scripts/cluster/control-plane.ts";
import { type PulumiWorkspace, createWorkspace, localStackConfig, pulumiBinaries } from "../../scripts/cluster/pulumi-engine.ts";
import { REPO_ROOT } from "../../scripts/tools/build-tools.ts";
import { DEFAULT_IMAGES } from "../../infra/images.ts";
import type { UpgradeReport } from "../../scripts/upgrade/run-waves.ts";

const CREATORS = [
  { id: "ann", plan: "standard" },
  { id: "ben", plan: "starter" },
  { id: "cat", plan: "standard" },
  { id: "dan", plan: "pro" },
  { id: "eve", plan: "starter" },
  { id: "sue", plan: "standard", state: "suspended" },
];
const IDS = CREATORS.map((c) => c.id);
const V2 = "ghcr.io/creator-platform/ghost-libsql:6.66.0-libsql0.5.29-r1";
/** Refused in creator-cat by the test's admission policy. */
const REFUSED = "ghcr.io/creator-platform/ghost-libsql:6.67.0-libsql0.5.29-r1";

interface Deployment {
  metadata: { generation: number };
  spec: { replicas: number; template: { spec: { containers: Array<{ name: string; image: string }> } } };
  status: { readyReplicas?: number };
}

let cp: ControlPlane;
let ws: PulumiWorkspace;
let pulumi = "";
let site: Server;
let siteUrl = "";
const requested: string[] = [];
const timings: Array<[string, number]> = [];

const deployment = async (id: string) => (await cp.request<Deployment>("GET", `/apis/apps/v1/namespaces/creator-${id}/deployments/ghost`)).body;
const ghostImage = (d: Deployment) => d.spec.template.spec.containers.find((c) => c.name === "ghost")?.image;
const stackConfig = () => (parse(readFileSync(ws.stackFile, "utf8")) as { config: Record<string, unknown> }).config;

interface Snapshot {
  rollout: string[] | undefined;
  images: Record<string, string | undefined>;
  generations: Record<string, number>;
}

async function snapshot(): Promise<Snapshot> {
  const rollout = (stackConfig()["creator-platform:rollout"] as { creators: string[] } | undefined)?.creators;
  const live = await Promise.all(IDS.map(deployment));
  return {
    rollout,
    images: Object.fromEntries(IDS.map((id, i) => [id, ghostImage(live[i] as Deployment)])),
    generations: Object.fromEntries(IDS.map((id, i) => [id, (live[i] as Deployment).metadata.generation])),
  };
}

/** Creates an admissionregistration.k8s.io/v1 object (a policy or its binding). */
async function admission(kind: string, name: string, spec: Record<string, unknown>): Promise<void> {
  const plural = `${kind.toLowerCase()}s`.replace(/ys$/, "ies");
  const created = await cp.request("POST", `/apis/admissionregistration.k8s.io/v1/${plural}`, { apiVersion: "admissionregistration.k8s.io/v1", kind, metadata: { name }, spec });
  expect(created.status, `${kind} ${name}: ${created.text}`).toBe(201);
}

/** `npm run upgrade -- <args>` with the workspace's environment; while it runs, a snapshot each time the stack file's rollout changes. */
async function upgrade(args: string[], step: string, timeoutMs = 90_000): Promise<{ code: number; stdout: string; stderr: string; snapshots: Snapshot[] }> {
  const started = Date.now();
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/upgrade.ts", "--config", ws.stackFile, "--pulumi", pulumi, ...args], {
    cwd: REPO_ROOT,
    env: ws.env,
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group: on a timeout, the command and its pulumi get Ctrl-C together.
    detached: true,
  });
  const timer = setTimeout(() => {
    stderr += `\n(the test stopped it after ${timeoutMs / 1000} s)`;
    if (child.pid !== undefined) process.kill(-child.pid, "SIGINT");
  }, timeoutMs);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number>((resolve) => child.on("close", (code) => resolve(code ?? 1)));
  let running = true;
  void exited.then(() => (running = false));
  const snapshots: Snapshot[] = [];
  let last = JSON.stringify(stackConfig()["creator-platform:rollout"] ?? null);
  while (running) {
    await Promise.race([new Promise((resolve) => setTimeout(resolve, 150)), exited]);
    const now = JSON.stringify(stackConfig()["creator-platform:rollout"] ?? null);
    if (now !== last) {
      last = now;
      snapshots.push(await snapshot());
    }
  }
  const code = await exited;
  clearTimeout(timer);
  timings.push([step, (Date.now() - started) / 1000]);
  return { code, stdout, stderr, snapshots };
}

describe("an upgrade in waves through the real Pulumi engine", () => {
  beforeAll(async () => {
    site = createServer((req, res) => {
      requested.push(req.url ?? "");
      res.writeHead(200).end("a stand-in for every site");
    });
    await new Promise<void>((resolve) => site.listen(0, "127.0.0.1", resolve));
    siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}/{id}`;
    cp = await startControlPlane({ persistentVolumes: { count: 8, size: "10Gi" } });
    pulumi = (await pulumiBinaries()).pulumi;
    const secrets = { "creator-platform:sqldKeySeed": "cluster-test-seed-0123456789abcdef0123" };
    ws = await createWorkspace({ stack: "waves", kubeconfig: cp.kubeconfig, config: localStackConfig(CREATORS), secrets });
    const up = await ws.pulumi(["up", "--yes", "--skip-preview"]);
    timings.push(["first pulumi up", up.seconds]);
    if (up.code !== 0) throw new Error(`pulumi up failed:\n${up.stdout.slice(-6000)}\n${up.stderr.slice(-3000)}`);
    // eve's plan sleeps: put her to sleep as the sleep engine does (the scale subresource).
    const scale = await cp.request("PATCH", "/apis/apps/v1/namespaces/creator-eve/deployments/ghost/scale", { spec: { replicas: 0 } }, { contentType: "application/merge-patch+json" });
    if (scale.status !== 200) throw new Error(`scaling eve to 0: ${scale.status}`);
  });

  afterAll(async () => {
    process.stderr.write(`timings (s):\n${timings.map(([s, t]) => `  ${s}: ${t.toFixed(1)}`).join("\n")}\n`);
    ws?.remove();
    await cp?.stop();
    await new Promise<void>((resolve) => (site ? site.close(() => resolve()) : resolve()));
  });

  it("moves the canaries, then two creators a wave, touching no other Deployment, then makes the image the stack's", async () => {
    const before = await snapshot();
    expect(Object.values(before.images)).toEqual(IDS.map(() => DEFAULT_IMAGES.ghost));
    const run = await upgrade(["--ghost", V2, "--canaries", "ann", "--wave-size", "2", "--url-template", siteUrl], "upgrade to V2 (3 waves)");
    process.stderr.write(`npm run upgrade, as printed:\n${run.stdout}${run.stderr}\n`);
    expect(run.code, run.stderr).toBe(0);

    // Every time a wave was written, the waves before it (and no one else) ran the new image, each changed once.
    const waves = [["ann"], ["ben", "cat"], ["dan", "eve", "sue"]];
    expect(run.snapshots.map((s) => s.rollout)).toEqual([["ann"], ["ann", "ben", "cat"], ["ann", "ben", "cat", "dan", "eve", "sue"], undefined]);
    run.snapshots.forEach((shot, k) => {
      const done = new Set(waves.slice(0, k).flat());
      for (const id of IDS) {
        expect(shot.images[id], `when wave ${k + 1} was written: ${id}`).toBe(done.has(id) ? V2 : DEFAULT_IMAGES.ghost);
        expect(shot.generations[id], `when wave ${k + 1} was written: ${id}'s generation`).toBe((before.generations[id] as number) + (done.has(id) ? 1 : 0));
      }
    });
    const after = await snapshot();
    expect(after.images).toEqual(Object.fromEntries(IDS.map((id) => [id, V2])));
    // The last pulumi up (images set, rollout removed) changed nothing in the cluster.
    expect(after.generations).toEqual(Object.fromEntries(IDS.map((id) => [id, (before.generations[id] as number) + 1])));
    expect((await deployment("eve")).spec.replicas, "eve still asleep").toBe(0);
    expect((await deployment("sue")).spec.replicas, "sue still suspended").toBe(0);

    const config = stackConfig();
    expect(config["creator-platform:images"]).toEqual({ ghost: V2 });
    expect(config["creator-platform:rollout"]).toBeUndefined();
    expect(run.stdout).toContain("wave 1/3 (canaries) passed");
    expect(run.stdout).toMatch(/eve: asleep, 0 replicas: the template has the new images, it wakes on them \(not woken to check\)/);
    expect(run.stdout).toMatch(/sue: suspended, 0 replicas/);
    // The awake creators' sites were asked (the stand-in), the sleeping and suspended ones' not.
    expect([...new Set(requested)].sort()).toEqual(["/ann", "/ben", "/cat", "/dan"]);
  });

  it("stops in the wave the cluster refuses, says how to roll back, and the advice puts that wave back", async () => {
    // Pods of the refused image, in creator-cat only, are denied at admission.
    const name = "test-refuses-an-image";
    await admission("ValidatingAdmissionPolicy", name, {
      failurePolicy: "Fail",
      matchConstraints: { resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"] }] },
      validations: [{ expression: `!object.spec.containers.exists(c, c.image == '${REFUSED}')`, message: "the test refuses this image in creator-cat" }],
    });
    await admission("ValidatingAdmissionPolicyBinding", name, {
      policyName: name,
      validationActions: ["Deny"],
      matchResources: { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "creator-cat" } } },
    });
    // The API server loads the policy within a second or so; the first wave (ann's pulumi up) takes longer than that.
    const failed = await upgrade(["--ghost", REFUSED, "--canaries", "ann", "--wave-size", "2", "--url-template", siteUrl, "--json"], "upgrade to a refused image (fails in wave 2)");
    expect(failed.code, failed.stderr).toBe(1);
    const report = JSON.parse(failed.stdout) as UpgradeReport;
    process.stderr.write(`the failed wave, as reported:\n${report.message}\n`);
    expect(report.outcome).toBe("failed");
    expect(report.waves.map((w) => w.status)).toEqual(["passed", "failed", "not-run"]);
    expect(report.waves[1]?.failure).toMatchObject({ creator: "cat", reason: expect.stringMatching(/its Pods are refused \(ReplicaFailure, FailedCreate\): .*the test refuses this image in creator-cat/) });
    expect(report.rollback?.creators).toEqual(["ben", "cat"]);
    expect(report.message).toContain(`--rollback ben,cat`);
    // It stopped in wave 2: dan, eve and sue were not touched.
    expect(stackConfig()["creator-platform:rollout"]).toEqual({ ghost: REFUSED, creators: ["ann", "ben", "cat"] });
    for (const id of ["dan", "eve", "sue"]) expect(ghostImage(await deployment(id)), id).toBe(V2);
    expect((await deployment("cat")).status.readyReplicas ?? 0).toBe(0);
    // Follow the advice as printed: `npm run upgrade -- <its arguments>`.
    const advised = (report.rollback?.command ?? "").replace(/^npm run upgrade -- /, "").split(" ");
    expect(advised).toEqual(["--config", ws.stackFile, "--rollback", "ben,cat"]);
    const back = await upgrade([...advised.slice(2), "--url-template", siteUrl], "rollback of wave 2");
    process.stderr.write(`the advised rollback, as printed:\n${back.stdout}${back.stderr}\n`);
    expect(back.code, back.stdout + back.stderr).toBe(0);
    for (const id of ["ben", "cat"]) {
      const d = await deployment(id);
      expect(ghostImage(d), id).toBe(V2);
      expect(d.status.readyReplicas, `${id} ready again`).toBe(1);
    }
    expect(ghostImage(await deployment("ann"))).toBe(REFUSED);
    expect(stackConfig()["creator-platform:rollout"]).toEqual({ ghost: REFUSED, creators: ["ann"] });

    // And every creator back: the rollout key goes, the stack file names V2 alone.
    const all = await upgrade(["--rollback", "--no-check-url"], "rollback of the rest (ann)");
    expect(all.code, all.stdout + all.stderr).toBe(0);
    expect(ghostImage(await deployment("ann"))).toBe(V2);
    expect(stackConfig()["creator-platform:rollout"]).toBeUndefined();
    expect(stackConfig()["creator-platform:images"]).toEqual({ ghost: V2 });
    const preview = await ws.pulumi(["preview", "--expect-no-changes"]);
    expect(preview.code, preview.stdout.slice(-3000)).toBe(0);
  });
});
