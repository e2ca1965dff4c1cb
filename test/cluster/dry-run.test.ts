/**
 * Every object the offline plan renders for every shipped stack
 * (`npm run plan -- --out`), created with a server-side dry run on the real API
 * server: its schema, defaulting, validation and admission (PodSecurity of the
 * namespace, quotas) all run; nothing is stored. The namespaces themselves are
 * created for real first, since a dry run into a namespace that does not exist
 * is refused. Objects whose kinds come from add-on charts' CRDs (cert-manager,
 * the Prometheus operator, Traefik) cannot be checked here: the test prints
 * them, and they stay validated by their schemas in the unit tests.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { availableStacks } from "../../scripts/stack-option.ts";
import { type ControlPlane, startControlPlane } from "../../scripts/cluster/control-plane.ts";
import { stackFilePath } from "../../infra/config/stack-file.ts";
import { type KubeObject, keyOf, plannedObjects } from "./live-objects.ts";

const STACKS = availableStacks();

let cp: ControlPlane;
/** apiVersion → kind → {plural, namespaced}, from the server's discovery. */
const discovery = new Map<string, Map<string, { name: string; namespaced: boolean }>>();

async function resourceOf(object: KubeObject): Promise<{ name: string; namespaced: boolean } | undefined> {
  if (!discovery.has(object.apiVersion)) {
    const path = object.apiVersion.includes("/") ? `/apis/${object.apiVersion}` : `/api/${object.apiVersion}`;
    const response = await cp.request<{ resources: Array<{ name: string; kind: string; namespaced: boolean }> }>("GET", path);
    const kinds = new Map<string, { name: string; namespaced: boolean }>();
    if (response.status === 200) {
      for (const r of response.body.resources) if (!r.name.includes("/")) kinds.set(r.kind, { name: r.name, namespaced: r.namespaced });
    }
    discovery.set(object.apiVersion, kinds);
  }
  return discovery.get(object.apiVersion)?.get(object.kind);
}

describe("server-side dry run of every shipped stack's objects", () => {
  beforeAll(async () => {
    cp = await startControlPlane({ persistentVolumes: { count: 1, size: "10Gi" } });
  });
  afterAll(async () => {
    await cp?.stop();
  });

  it.each(STACKS)("stack %s: the API server accepts every object", async (stack) => {
    const objects = await plannedObjects(stackFilePath(stack));
    expect(objects.length).toBeGreaterThan(10);
    const notChecked: string[] = [];
    const refused: string[] = [];
    // Namespaces for real (cluster-scoped objects that others live in), then everything else dry.
    const ordered = [...objects.filter((o) => o.kind === "Namespace"), ...objects.filter((o) => o.kind !== "Namespace")];
    for (const object of ordered) {
      const resource = await resourceOf(object);
      if (!resource) {
        notChecked.push(`${object.apiVersion} ${keyOf(object)}`);
        continue;
      }
      const base = object.apiVersion.includes("/") ? `/apis/${object.apiVersion}` : `/api/${object.apiVersion}`;
      const path = resource.namespaced ? `${base}/namespaces/${object.metadata.namespace ?? "default"}/${resource.name}` : `${base}/${resource.name}`;
      const real = object.kind === "Namespace";
      const response = await cp.request("POST", path, object, real ? {} : { query: { dryRun: "All" } });
      const exists = response.status === 409 && real;
      if (response.status >= 300 && !exists) refused.push(`${keyOf(object)}: ${response.status} ${response.text.slice(0, 400)}`);
    }
    process.stderr.write(
      `${stack}: ${objects.length - notChecked.length} objects accepted by a server-side dry run; not checked (CRDs of add-on charts): ${notChecked.length}` +
        (notChecked.length ? `\n  ${notChecked.join("\n  ")}` : "") +
        "\n",
    );
    expect(refused).toEqual([]);
    // Only chart-provided kinds may go unchecked.
    for (const entry of notChecked) expect(entry).toMatch(/^(cert-manager\.io|monitoring\.coreos\.com|traefik\.io)\//);
  });

  it("a claim can neither grow on a class without expansion nor shrink: why a creator's volume keeps its size", async () => {
    // components/creator-site.ts ignores storage changes of a creator's claim: the API server refuses both.
    await cp.request("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "resize" } });
    const claim = {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: "data", namespace: "resize" },
      spec: { accessModes: ["ReadWriteOnce"], storageClassName: "local-test", resources: { requests: { storage: "2Gi" } } },
    };
    expect((await cp.request("POST", "/api/v1/namespaces/resize/persistentvolumeclaims", claim)).status).toBe(201);
    const resize = (storage: string) =>
      cp.request("PATCH", "/api/v1/namespaces/resize/persistentvolumeclaims/data", { spec: { resources: { requests: { storage } } } }, { contentType: "application/merge-patch+json" });
    // Only a bound claim may change its request at all.
    for (let i = 0; i < 40 && (await cp.request<{ status: { phase?: string } }>("GET", "/api/v1/namespaces/resize/persistentvolumeclaims/data")).body.status.phase !== "Bound"; i++) {
      await new Promise((r) => setTimeout(r, 250));
    }
    const grow = await resize("5Gi");
    expect(grow.status).toBe(403);
    expect(grow.text).toMatch(/storageclass that provisions the pvc must support resize/);
    const shrink = await resize("1Gi");
    expect(shrink.status).toBe(422);
    expect(shrink.text).toMatch(/can not be less than/);
  });
});

