/**
 * The guardrails: each rule catches what it names, the platform's own objects
 * pass, and the policy pack reports through Pulumi's policy interface.
 */
import type { ResourceValidationArgs } from "@pulumi/policy";
import { describe, expect, it, vi } from "vitest";
import { type Manifest, guardrailViolations } from "../../infra/platform/guardrails.ts";
import { clusterFacts } from "../../infra/platform/cluster-facts.ts";
import { resolveImages } from "../../infra/images.ts";
import { renderCreator } from "../../infra/render/creator.ts";
import { guardrailsPolicy, validateGuardrails } from "../../policy/guardrails-policy.ts";
import { resolvedConfig } from "../support/config.ts";

const config = resolvedConfig();
const rendered = config.creators.map((creator) =>
  renderCreator({
    creator,
    plan: config.plans[creator.plan] ?? (undefined as never),
    platform: config.platform,
    ingress: clusterFacts(config.cluster).ingress,
    storage: config.storage,
    images: resolveImages({}),
    monitoring: true,
  }),
);
const alice = rendered[0]!.objects; // starter plan: sleeps
const bob = rendered[1]!.objects; // standard plan: never sleeps
const find = (kind: string, name: string) => structuredClone(bob.find((o) => o.kind === kind && o.metadata?.name === name)) as Manifest & { spec: Record<string, unknown> };

describe("guardrails", () => {
  it("pass every object the platform renders", () => {
    for (const object of rendered.flatMap((r) => r.objects)) expect(guardrailViolations(object), `${object.kind} ${object.metadata?.name}`).toEqual([]);
  });

  it("refuse a second Ghost and a rolling update of Ghost", () => {
    const ghost = find("Deployment", "ghost");
    ghost.spec.replicas = 2;
    ghost.spec.strategy = { type: "RollingUpdate" };
    expect(guardrailViolations(ghost)).toEqual([
      "Deployment creator-bob/ghost: Ghost supports one instance per site, not 2 replicas",
      "Deployment creator-bob/ghost: Ghost must roll with the Recreate strategy (two Ghosts would share one database)",
    ]);
  });

  it("refuse an autoscaler on Ghost", () => {
    const hpa: Manifest = {
      apiVersion: "autoscaling/v2",
      kind: "HorizontalPodAutoscaler",
      metadata: { name: "ghost", namespace: "creator-bob" },
      spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "ghost" } },
    };
    expect(guardrailViolations(hpa)).toEqual([
      "HorizontalPodAutoscaler creator-bob/ghost: nothing may scale Ghost (one instance per site); only the sleep engine scales it, between zero and one",
    ]);
  });

  it("let the sleep engine wake a sleeping Ghost to one replica only", () => {
    const ghost = structuredClone(alice.find((o) => o.kind === "Deployment")) as Manifest;
    expect(guardrailViolations(ghost)).toEqual([]);
    ghost.metadata!.labels!["sablier.active.replicas"] = "2";
    expect(guardrailViolations(ghost)).toEqual([
      'Deployment creator-alice/ghost: the sleep engine would wake it to 2 replicas; set sablier.active.replicas: "1"',
    ]);
    delete ghost.metadata!.labels!["sablier.active.replicas"];
    expect(guardrailViolations(ghost)).toHaveLength(1);
  });

  it("allow the one ExternalName Service that points at the shared cache, and no other", () => {
    const front = find("Service", "front");
    expect(guardrailViolations(front)).toEqual([]);
    front.spec.externalName = "evil.example.com";
    expect(guardrailViolations(front)).toEqual([
      "Service creator-bob/front: an ExternalName Service to evil.example.com would send a creator's traffic past the shared cache (shared-cache.platform-cache.svc.cluster.local)",
    ]);
  });

  it("refuse a load balancer or node port in a creator namespace, not in the platform's", () => {
    const service = find("Service", "ghost");
    service.spec.type = "LoadBalancer";
    expect(guardrailViolations(service)).toEqual([
      "Service creator-bob/ghost: type LoadBalancer in a creator namespace: one shared ingress serves every site",
    ]);
    expect(guardrailViolations({ ...service, metadata: { name: "traefik", namespace: "traefik" } })).toEqual([]);
  });

  it("refuse a container outside the restricted profile", () => {
    const ghost = find("Deployment", "ghost");
    const pod = (ghost.spec.template as { spec: { containers: Array<{ securityContext: Record<string, unknown> }> } }).spec;
    pod.containers[0]!.securityContext = { runAsNonRoot: true, allowPrivilegeEscalation: true, capabilities: { drop: ["NET_RAW"] } };
    expect(guardrailViolations(ghost)).toEqual([
      "Deployment creator-bob/ghost: container ghost: readOnlyRootFilesystem is not true",
      "Deployment creator-bob/ghost: container ghost: allowPrivilegeEscalation is not false",
      "Deployment creator-bob/ghost: container ghost: capabilities do not drop ALL",
    ]);
  });
});

describe("the policy pack", () => {
  const args = (type: string, props: unknown) => ({ type, props, urn: `urn:${type}`, name: "x" }) as unknown as ResourceValidationArgs;

  it("reports each violation of a Kubernetes resource to the engine, and ignores other resources", async () => {
    const report = vi.fn();
    const ghost = find("Deployment", "ghost");
    ghost.spec.replicas = 3;
    await validateGuardrails(args("kubernetes:apps/v1:Deployment", ghost), report);
    expect(report).toHaveBeenCalledWith("Deployment creator-bob/ghost: Ghost supports one instance per site, not 3 replicas");
    report.mockClear();
    await validateGuardrails(args("kubernetes:apps/v1:Deployment", find("Deployment", "ghost")), report);
    await validateGuardrails(args("tls:index/privateKey:PrivateKey", { algorithm: "ED25519" }), report);
    expect(report).not.toHaveBeenCalled();
    expect(guardrailsPolicy.enforcementLevel).toBe("mandatory");
  });
});
