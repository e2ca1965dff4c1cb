/**
 * Smoke test of the local control plane (scripts/cluster/control-plane.ts), all
 * through the REST API as admin (node:https with the token and the CA; no
 * kubectl): PodSecurity rejects a privileged Pod in a `restricted` namespace,
 * a ResourceQuota and a LimitRange apply, a PVC of class local-test binds, a
 * Deployment whose Pod has a native sidecar (an init container with
 * restartPolicy Always) and probes completes with its Pod Ready, a server-side
 * dry run creates nothing, and stop leaves no process behind.
 *
 * Needs the Go tools (etcd, kubernetes, kwok): built on first use by
 * ensureTools, which takes tens of minutes cold. If one cannot be built, the
 * suite fails with the build error: it never skips.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startControlPlane, STORAGE_CLASS, type ControlPlane } from "../../scripts/cluster/control-plane.ts";

const NS = "smoke";
let cp: ControlPlane | undefined;
let stopped = false;

function plane(): ControlPlane {
  if (!cp) throw new Error("the control plane did not start");
  return cp;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function create(path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await plane().request<Record<string, unknown>>("POST", path, body);
  expect(res.status, `POST ${path}: ${res.text}`).toBe(201);
  return res.body;
}

/** What the `restricted` Pod Security level asks of every container. */
const restrictedContainer = {
  securityContext: {
    allowPrivilegeEscalation: false,
    runAsNonRoot: true,
    runAsUser: 1000,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  },
};

interface Condition {
  type: string;
  status: string;
  reason?: string;
}

beforeAll(async () => {
  cp = await startControlPlane({ log: (line) => process.stderr.write(`${line}\n`) });
});

afterAll(async () => {
  if (cp && !stopped) await cp.stop();
});

describe("local control plane", () => {
  it("serves the API as v1.34 and has Ready fake nodes", async () => {
    const version = await plane().request<{ gitVersion: string }>("GET", "/version");
    expect(version.body.gitVersion).toMatch(/^v1\.34\./);
    const nodes = await plane().request<{ items: Array<{ status: { conditions: Condition[] } }> }>("GET", "/api/v1/nodes");
    expect(nodes.body.items.length).toBe(3);
    for (const node of nodes.body.items) expect(node.status.conditions.find((c) => c.type === "Ready")?.status).toBe("True");
    expect(existsSync(plane().kubeconfig)).toBe(true);
  });

  it("creates a restricted namespace with a ResourceQuota and a LimitRange", async () => {
    await create("/api/v1/namespaces", {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: {
        name: NS,
        labels: { "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "latest" },
      },
    });
    await create(`/api/v1/namespaces/${NS}/resourcequotas`, {
      apiVersion: "v1",
      kind: "ResourceQuota",
      metadata: { name: "quota" },
      spec: {
        hard: {
          pods: "10",
          "requests.cpu": "2",
          "requests.memory": "4Gi",
          "limits.cpu": "4",
          "limits.memory": "8Gi",
          persistentvolumeclaims: "5",
          "requests.storage": "50Gi",
        },
      },
    });
    await create(`/api/v1/namespaces/${NS}/limitranges`, {
      apiVersion: "v1",
      kind: "LimitRange",
      metadata: { name: "defaults" },
      spec: {
        limits: [{ type: "Container", default: { cpu: "200m", memory: "256Mi" }, defaultRequest: { cpu: "50m", memory: "64Mi" } }],
      },
    });
    // The quota controller fills in status.hard once it has seen the quota.
    await until("the quota's status", async () => {
      const res = await plane().request<{ status?: { hard?: Record<string, string> } }>("GET", `/api/v1/namespaces/${NS}/resourcequotas/quota`);
      return res.body.status?.hard?.pods ? true : undefined;
    });
  });

  it("rejects a privileged Pod by PodSecurity", async () => {
    const res = await plane().request<{ message: string }>("POST", `/api/v1/namespaces/${NS}/pods`, {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "privileged" },
      spec: { containers: [{ name: "c", image: "busybox", securityContext: { privileged: true } }] },
    });
    expect(res.status).toBe(403);
    expect(res.body.message).toContain('violates PodSecurity "restricted:latest"');
    expect(res.body.message).toContain("privileged");
  });

  it("binds a PVC of class local-test", async () => {
    await create(`/api/v1/namespaces/${NS}/persistentvolumeclaims`, {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: "data" },
      spec: { storageClassName: STORAGE_CLASS, accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
    });
    const pvc = await until("the PVC to bind", async () => {
      const res = await plane().request<{ status?: { phase?: string }; spec: { volumeName?: string } }>(
        "GET",
        `/api/v1/namespaces/${NS}/persistentvolumeclaims/data`,
      );
      return res.body.status?.phase === "Bound" ? res.body : undefined;
    });
    expect(pvc.spec.volumeName).toMatch(/^local-test-pv-/);
  });

  it("completes a Deployment whose Pod has a native sidecar and probes", async () => {
    const labels = { app: "web" };
    await create(`/apis/apps/v1/namespaces/${NS}/deployments`, {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web" },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
            initContainers: [
              {
                name: "sidecar",
                image: "busybox",
                restartPolicy: "Always",
                ...restrictedContainer,
                startupProbe: { exec: { command: ["true"] }, periodSeconds: 1 },
                readinessProbe: { exec: { command: ["true"] }, periodSeconds: 5 },
                resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "50m", memory: "32Mi" } },
              },
            ],
            containers: [
              {
                name: "web",
                image: "ghost:6",
                ports: [{ name: "http", containerPort: 2368 }],
                ...restrictedContainer,
                startupProbe: { httpGet: { path: "/", port: "http" }, periodSeconds: 2, failureThreshold: 30 },
                readinessProbe: { httpGet: { path: "/", port: "http" }, periodSeconds: 5 },
                livenessProbe: { tcpSocket: { port: "http" }, periodSeconds: 10 },
                volumeMounts: [{ name: "data", mountPath: "/var/lib/ghost/content" }],
              },
            ],
            volumes: [{ name: "data", persistentVolumeClaim: { claimName: "data" } }],
          },
        },
      },
    });
    const deployment = await until("the Deployment to complete", async () => {
      const res = await plane().request<{
        metadata: { generation: number };
        status?: { availableReplicas?: number; observedGeneration?: number; conditions?: Condition[] };
      }>("GET", `/apis/apps/v1/namespaces/${NS}/deployments/web`);
      const s = res.body.status;
      const progressing = s?.conditions?.find((c) => c.type === "Progressing");
      return s?.availableReplicas === 1 && s.observedGeneration === res.body.metadata.generation && progressing?.reason === "NewReplicaSetAvailable"
        ? res.body
        : undefined;
    });
    expect(deployment.status?.conditions?.find((c) => c.type === "Available")?.status).toBe("True");

    const pods = await plane().request<{
      items: Array<{
        spec: { nodeName?: string; containers: Array<{ resources?: { limits?: Record<string, string> } }> };
        status: {
          phase: string;
          conditions: Condition[];
          initContainerStatuses?: Array<{ name: string; started?: boolean; ready: boolean }>;
          containerStatuses?: Array<{ name: string; ready: boolean }>;
        };
      }>;
    }>("GET", `/api/v1/namespaces/${NS}/pods`, undefined, { query: { labelSelector: "app=web" } });
    expect(pods.body.items).toHaveLength(1);
    const pod = pods.body.items[0]!;
    expect(pod.spec.nodeName).toMatch(/^kwok-node-/);
    expect(pod.status.phase).toBe("Running");
    expect(pod.status.conditions.find((c) => c.type === "Ready")?.status).toBe("True");
    expect(pod.status.initContainerStatuses?.find((c) => c.name === "sidecar")).toMatchObject({ started: true, ready: true });
    expect(pod.status.containerStatuses?.find((c) => c.name === "web")?.ready).toBe(true);
    // The LimitRange filled in the main container's limits.
    expect(pod.spec.containers[0]?.resources?.limits).toMatchObject({ cpu: "200m", memory: "256Mi" });
    // The quota counts the Pod and the PVC.
    const quota = await until("the quota to count the Pod and the PVC", async () => {
      const res = await plane().request<{ status?: { used?: Record<string, string> } }>("GET", `/api/v1/namespaces/${NS}/resourcequotas/quota`);
      const used = res.body.status?.used;
      return used?.pods === "1" && used.persistentvolumeclaims === "1" ? used : undefined;
    });
    expect(quota["requests.storage"]).toBe("1Gi");
  });

  it("runs a server-side dry run without creating anything", async () => {
    const res = await plane().request<{ metadata: { name: string; uid?: string }; data: Record<string, string> }>(
      "POST",
      `/api/v1/namespaces/${NS}/configmaps`,
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "dry" }, data: { a: "1" } },
      { query: { dryRun: "All" } },
    );
    expect(res.status).toBe(201);
    expect(res.body.metadata.name).toBe("dry");
    expect(res.body.data.a).toBe("1");
    expect((await plane().request("GET", `/api/v1/namespaces/${NS}/configmaps/dry`)).status).toBe(404);
    // A dry run goes through admission too: PodSecurity still rejects.
    const rejected = await plane().request(
      "POST",
      `/api/v1/namespaces/${NS}/pods`,
      { apiVersion: "v1", kind: "Pod", metadata: { name: "dry-privileged" }, spec: { containers: [{ name: "c", image: "busybox", securityContext: { privileged: true } }] } },
      { query: { dryRun: "All" } },
    );
    expect(rejected.status).toBe(403);
  });

  it("stops cleanly, leaving no process behind", async () => {
    const { dir, pids } = plane();
    const result = await plane().stop();
    stopped = true;
    expect(result.killed).toEqual([]);
    for (const [component, pid] of Object.entries(pids)) {
      expect(() => process.kill(pid, 0), `${component} (pid ${pid}) is still running`).toThrow();
    }
    // No process whose command line names the state directory (every component's does).
    let left = "";
    try {
      left = execFileSync("pgrep", ["-a", "-f", dir], { encoding: "utf8" });
    } catch (error) {
      expect((error as { status?: number }).status, "pgrep: 1 means no process matched").toBe(1);
    }
    expect(left).toBe("");
    expect(existsSync(dir)).toBe(false);
  });
});
