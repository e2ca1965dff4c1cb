/**
 * CreatorSite and the program under Pulumi's mock runtime: what reaches the
 * engine, with which provider, which values are secret, and how names behave
 * when the creators list changes.
 */
import { createPublicKey, verify } from "node:crypto";
import { describe, expect, it } from "vitest";
import { type Registration, isSecret } from "../../infra/offline/mocks.ts";
import { rawConfig, resolvedConfig } from "../support/config.ts";
import { runProgram as run } from "../support/run-program.ts";

const runProgram = (creators: unknown[]) => run(resolvedConfig({ creators }));

const key = (r: Registration) => `${r.type}::${r.name}`;
const inputsOf = (registrations: Registration[]) => new Map(registrations.map((r) => [key(r), JSON.stringify(r.inputs)]));

const base = rawConfig().creators as unknown[];

describe("CreatorSite under the mock runtime", async () => {
  const { engine, outputs } = await runProgram(base);

  it("registers every Kubernetes object through the cluster's explicit provider", () => {
    const kube = engine.registrations.filter((r) => r.type.startsWith("kubernetes:") && r.custom);
    expect(kube.length).toBeGreaterThan(30);
    for (const r of kube) expect(r.provider, key(r)).toMatch(/pulumi:providers:kubernetes::test-k8s::/);
    expect(engine.byType("pulumi:providers:kubernetes")).toHaveLength(1);
  });

  it("creates one site per creator with its outputs", () => {
    expect(engine.byType("creator-platform:creator:CreatorSite").map((r) => r.name)).toEqual(["alice", "bob", "carol"]);
    expect(outputs.creators).toMatchObject({
      alice: { namespace: "creator-alice", plan: "starter", state: "active", urls: ["https://alice.creators.example"] },
      bob: { urls: ["https://bob.creators.example", "https://bob.blog"] },
      carol: { state: "suspended" },
    });
    expect(outputs.creatorCount).toEqual({ total: 3, active: 2, suspended: 1, retired: 0 });
  });

  it("needs no key resource: every sqld credential is a secret derived in the program", () => {
    expect(engine.registrations.filter((r) => r.type.startsWith("tls:"))).toEqual([]);
    for (const secret of engine.byType("kubernetes:core/v1:Secret")) {
      expect(isSecret(secret.inputs.stringData), secret.name).toBe(true);
    }
  });

  it("signs a token that sqld can verify with the public key it is given", () => {
    const secret = engine.byType("kubernetes:core/v1:Secret").find((r) => r.name === "alice.secret.sqld-auth");
    const data = (secret?.inputs.stringData as { value: Record<string, string> }).value;
    const [header = "", payload = "", signature = ""] = (data["ghost-token"] ?? "").split(".");
    expect(JSON.parse(Buffer.from(header, "base64url").toString())).toEqual({ alg: "EdDSA", typ: "JWT" });
    expect(JSON.parse(Buffer.from(payload, "base64url").toString())).toEqual({ a: "rw" });
    const publicKey = createPublicKey(data["jwt-public-key.pem"] ?? "");
    expect(verify(null, Buffer.from(`${header}.${payload}`), publicKey, Buffer.from(signature, "base64url"))).toBe(true);
    const other = engine.byType("kubernetes:core/v1:Secret").find((r) => r.name === "bob.secret.sqld-auth");
    const bobKey = createPublicKey((other?.inputs.stringData as { value: Record<string, string> }).value["jwt-public-key.pem"] ?? "");
    expect(verify(null, Buffer.from(`${header}.${payload}`), bobKey, Buffer.from(signature, "base64url"))).toBe(false);
  });

  it("keeps a read-only token per creator in the ops namespace, for the operations tools", () => {
    const tokens = engine.byType("kubernetes:core/v1:Secret").filter((r) => (r.inputs.metadata as { namespace: string }).namespace === "platform-ops");
    expect(tokens.map((r) => (r.inputs.metadata as { name: string }).name).sort()).toEqual(["sqld-ro-alice", "sqld-ro-bob", "sqld-ro-carol"]);
    const alice = tokens.find((r) => r.name === "alice.secret.sqld-ro-alice");
    expect(isSecret(alice?.inputs.stringData)).toBe(true);
    const token = (alice?.inputs.stringData as { value: Record<string, string> }).value.token ?? "";
    const [header = "", payload = "", signature = ""] = token.split(".");
    expect(JSON.parse(Buffer.from(payload, "base64url").toString())).toEqual({ a: "ro" });
    const auth = engine.byType("kubernetes:core/v1:Secret").find((r) => r.name === "alice.secret.sqld-auth");
    const publicKey = createPublicKey((auth?.inputs.stringData as { value: Record<string, string> }).value["jwt-public-key.pem"] ?? "");
    expect(verify(null, Buffer.from(`${header}.${payload}`), publicKey, Buffer.from(signature, "base64url"))).toBe(true);
    const role = engine.byType("kubernetes:rbac.authorization.k8s.io/v1:Role")[0]?.inputs as { metadata: { namespace: string }; rules: unknown };
    expect(role.metadata.namespace).toBe("platform-ops");
    expect(role.rules).toEqual([{ apiGroups: [""], resources: ["secrets"], verbs: ["get", "list"] }]);
  });

  it("tells Pulumi not to wait on Services and Ingresses, and waits on Deployments", () => {
    for (const r of [...engine.byType("kubernetes:core/v1:Service"), ...engine.byType("kubernetes:networking.k8s.io/v1:Ingress")]) {
      expect((r.inputs.metadata as { annotations: Record<string, string> }).annotations["pulumi.com/skipAwait"]).toBe("true");
    }
    for (const r of engine.byType("kubernetes:apps/v1:Deployment")) {
      expect((r.inputs.metadata as { annotations?: Record<string, string> }).annotations?.["pulumi.com/skipAwait"]).toBeUndefined();
    }
  });

  it("gives every resource a unique name (the engine's URN check does not run under mocks)", () => {
    const names = engine.registrations.map(key);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe("names depend on the creator id only", () => {
  it("adding, removing and reordering creators leaves every other creator's resources unchanged", async () => {
    const before = inputsOf((await runProgram(base)).engine.registrations);
    const changed = [
      { id: "zed", plan: "starter" },
      ...[...base].reverse().filter((c) => (c as { id: string }).id !== "alice"),
    ];
    const after = inputsOf((await runProgram(changed)).engine.registrations);
    for (const [name, inputs] of before) {
      if (/::alice($|\.)/.test(name)) {
        expect(after.has(name), `${name} is removed with alice`).toBe(false);
        continue;
      }
      expect(after.get(name), name).toBe(inputs);
    }
    expect([...after.keys()].filter((name) => !before.has(name)).every((name) => /::zed($|\.)/.test(name))).toBe(true);
  });

  it("skips retired creators and counts them", async () => {
    const { engine, outputs } = await runProgram([...base, { id: "dora", plan: "starter", state: "retired" }]);
    expect(engine.registrations.some((r) => r.name.startsWith("dora"))).toBe(false);
    expect(engine.registrations.length).toBeGreaterThan(20);
    expect(outputs.creatorCount).toEqual({ total: 4, active: 2, suspended: 1, retired: 1 });
  });
});
