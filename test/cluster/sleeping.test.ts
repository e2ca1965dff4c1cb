/**
 * Sleeping creators on a real API server through the real Pulumi engine: who
 * owns a sleeping Ghost's replica count, what the sleep engine may do, and that
 * `pulumi up` never wakes a sleeping site or fights the engine.
 *
 * Real: the API server (its RBAC authorizer and server-side apply), the
 * controller-manager, the scheduler, the Pulumi engine and provider, and the
 * program. Stand-ins, said plainly: kwok plays the nodes (Pods become Ready
 * without running), and the sleep engine itself cannot be built or run here, so
 * the test does what Sablier v1.16.2 does to sleep and wake a site
 * (pkg/provider/kubernetes/workload_scale.go: GetScale, then UpdateScale of
 * `deployments/scale`), holding a token of Sablier's own ServiceAccount so the
 * real authorizer decides what it may do. The wake path through a real nginx is
 * test/cache/shared-cache.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlane, kubeRequest, startControlPlane } from "../../scripts/cluster/control-plane.ts";
import { type PulumiWorkspace, createWorkspace, localStackConfig } from "../../scripts/cluster/pulumi-engine.ts";
import { SLEEP_ENGINE } from "../../infra/contract/sleep.ts";

interface Deployment {
  metadata: { labels?: Record<string, string>; managedFields?: Array<{ manager: string; operation: string; fieldsV1?: { "f:spec"?: Record<string, unknown> } }> };
  spec: { replicas: number; template: { spec: { containers: Array<{ resources: { requests: { memory: string } } }> } } };
}
interface Scale {
  metadata: Record<string, unknown>;
  spec: { replicas: number };
}

let cp: ControlPlane;
let ws: PulumiWorkspace;
let engine: { server: string; token: string; ca: string };

const CREATORS = [
  { id: "sam", plan: "starter" },
  { id: "pat", plan: "pro" },
  { id: "sue", plan: "starter", state: "suspended" },
];

const deployment = async (id: string) => (await cp.request<Deployment>("GET", `/apis/apps/v1/namespaces/creator-${id}/deployments/ghost`)).body;
const replicaOwners = (d: Deployment) =>
  (d.metadata.managedFields ?? []).filter((f) => f.fieldsV1?.["f:spec"] && "f:replicas" in (f.fieldsV1["f:spec"] ?? {})).map((f) => f.manager);

/** What Sablier does to a Deployment: read its scale, then write the replica count through the subresource. */
async function engineScales(id: string, replicas: number): Promise<number> {
  const path = `/apis/apps/v1/namespaces/creator-${id}/deployments/ghost/scale`;
  const scale = await kubeRequest<Scale>(engine, "GET", path);
  if (scale.status !== 200) return scale.status;
  const updated = await kubeRequest(engine, "PUT", path, { ...scale.body, spec: { replicas } });
  return updated.status;
}

async function up(step: string, creators: unknown[]): Promise<void> {
  ws.setConfig({ "creator-platform:creators": creators });
  const result = await ws.pulumi(["up", "--yes", "--skip-preview"]);
  if (result.code !== 0) throw new Error(`pulumi up (${step}) failed:\n${result.stdout.slice(-6000)}\n${result.stderr.slice(-3000)}`);
}

describe("sleeping creators through the real Pulumi engine", () => {
  beforeAll(async () => {
    cp = await startControlPlane({ persistentVolumes: { count: 8, size: "10Gi" } });
    ws = await createWorkspace({
      stack: "sleep",
      kubeconfig: cp.kubeconfig,
      config: localStackConfig(CREATORS),
      secrets: { "creator-platform:sqldKeySeed": "cluster-test-seed-0123456789abcdef0123" },
    });
    await up("three creators", CREATORS);
    const token = await cp.request<{ status: { token: string } }>(
      "POST",
      `/api/v1/namespaces/${SLEEP_ENGINE.namespace}/serviceaccounts/${SLEEP_ENGINE.name}/token`,
      { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: 3600 } },
    );
    if (token.status !== 201) throw new Error(`a token for the sleep engine's ServiceAccount: ${token.status} ${token.text}`);
    engine = { server: cp.server, ca: cp.ca, token: token.body.status.token };
  });

  afterAll(async () => {
    ws?.remove();
    await cp?.stop();
  });

  it("leaves a sleeping plan's replica count to the engine and keeps the others' with the program", async () => {
    const sam = await deployment("sam");
    expect(sam.spec.replicas).toBe(1); // the API server's default for a new Deployment
    expect(replicaOwners(sam).filter((m) => m.startsWith("pulumi"))).toEqual([]);
    expect(sam.metadata.labels).toMatchObject({ "sablier.enable": "true", "sablier.active.replicas": "1" });
    const pat = await deployment("pat");
    expect(pat.spec.replicas).toBe(1);
    expect(replicaOwners(pat).some((m) => m.startsWith("pulumi"))).toBe(true);
    expect((await deployment("sue")).spec.replicas).toBe(0);
  });

  it("shows the engine exactly the sleeping creators: the label it lists workloads by", async () => {
    const listed = await kubeRequest<{ items: Array<{ metadata: { namespace: string; name: string } }> }>(engine, "GET", "/apis/apps/v1/deployments", undefined, {
      query: { labelSelector: "sablier.enable=true" },
    });
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((d) => `${d.metadata.namespace}/${d.metadata.name}`)).toEqual(["creator-sam/ghost"]);
  });

  it("lets the engine's ServiceAccount scale Ghost through the subresource, and nothing more", async () => {
    expect(await engineScales("sam", 0)).toBe(200);
    expect((await deployment("sam")).spec.replicas).toBe(0);
    // It may not edit the Deployment itself, nor read a creator's secrets.
    const patch = await kubeRequest(engine, "PATCH", "/apis/apps/v1/namespaces/creator-sam/deployments/ghost", { spec: { paused: true } }, { contentType: "application/merge-patch+json" });
    expect(patch.status).toBe(403);
    expect((await kubeRequest(engine, "GET", "/api/v1/namespaces/creator-sam/secrets")).status).toBe(403);
  });

  it("does not wake a sleeping site on `pulumi up`, not even when its pod template changes", async () => {
    const changed = { "creator-platform:plans": { starter: { sleepAfter: "10m", ghost: { requests: { cpu: "50m", memory: "200Mi" }, limits: { cpu: "1", memory: "320Mi" }, heapMb: 192 }, sqld: { requests: { cpu: "10m", memory: "24Mi" }, limits: { cpu: "200m", memory: "64Mi" } }, storage: "1Gi" } } };
    ws.setConfig(changed);
    await up("a new starter request while sam sleeps", CREATORS);
    const sam = await deployment("sam");
    expect(sam.spec.template.spec.containers[0]?.resources.requests.memory).toBe("200Mi");
    expect(sam.spec.replicas).toBe(0);
    const preview = await ws.pulumi(["preview", "--expect-no-changes"]);
    expect(preview.code, `pulumi preview --expect-no-changes while sam sleeps\n${preview.stdout.slice(-3000)}`).toBe(0);
  });

  it("lets the engine wake it to one, and `pulumi up` keeps it awake", async () => {
    expect(await engineScales("sam", 1)).toBe(200);
    await up("sam awake", CREATORS);
    expect((await deployment("sam")).spec.replicas).toBe(1);
  });

  it("keeps a suspended creator at zero even when the engine is asked for it, and resumes it awake", async () => {
    await up("suspend sam", CREATORS.map((c) => (c.id === "sam" ? { ...c, state: "suspended" } : c)));
    const suspended = await deployment("sam");
    expect(suspended.spec.replicas).toBe(0);
    expect(Object.keys(suspended.metadata.labels ?? {}).filter((k) => k.startsWith("sablier."))).toEqual([]);
    // Sablier only wakes what it lists by the label, and a suspended creator no longer carries it.
    const listed = await kubeRequest<{ items: unknown[] }>(engine, "GET", "/apis/apps/v1/deployments", undefined, { query: { labelSelector: "sablier.enable=true" } });
    expect(listed.body.items ?? []).toEqual([]);
    await up("resume sam", CREATORS);
    const resumed = await deployment("sam");
    expect(resumed.spec.replicas).toBe(1);
    expect(replicaOwners(resumed).filter((m) => m.startsWith("pulumi"))).toEqual([]);
  });
});
