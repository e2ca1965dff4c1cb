/**
 * The policy pack loads the way the Pulumi engine loads it, and enforces the
 * guardrails over gRPC. The Node language host (pulumi/pulumi v3.248.0,
 * sdk/nodejs/cmd/pulumi-language-nodejs/main.go RunPlugin) starts
 * `node <@pulumi/pulumi>/cmd/run-policy-pack [nodeargs…] <engine> <pack dir>`
 * in the pack's directory: nodeargs come after the script, so node never sees
 * them, and run-policy-pack registers ts-node with type checking before it
 * requires the pack. This test starts it exactly so (with a nodeargs that must
 * be harmless), reads the port the pack prints, and calls its Analyzer service
 * as the engine does. Nothing here is mocked; the real engine runs the same
 * pack in the cluster suite (test/cluster).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { Struct } from "google-protobuf/google/protobuf/struct_pb.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const require = createRequire(import.meta.url);
// The SDK's generated gRPC stubs (CommonJS, untyped in their .js form).
const analyzerGrpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb.js") as {
  AnalyzerClient: new (address: string, credentials: grpc.ChannelCredentials) => grpc.Client;
};
const analyzerPb = require("@pulumi/pulumi/proto/analyzer_pb.js") as {
  AnalyzeRequest: new () => {
    setType(t: string): void;
    setProperties(p: Struct): void;
    setUrn(u: string): void;
    setName(n: string): void;
    setOptions(o: unknown): void;
  };
  AnalyzerResourceOptions: new () => unknown;
};

const ROOT = join(import.meta.dirname, "../..");
const POLICY_DIR = join(ROOT, "policy");
const RUN_POLICY_PACK = join(ROOT, "node_modules/@pulumi/pulumi/cmd/run-policy-pack");

interface Diagnostic {
  getPolicyname(): string;
  getMessage(): string;
  getEnforcementlevel(): number;
}

let pack: ChildProcess;
let client: grpc.Client;
let stderr = "";

function analyze(type: string, name: string, properties: Record<string, unknown>): Promise<Diagnostic[]> {
  const request = new analyzerPb.AnalyzeRequest();
  request.setType(type);
  request.setName(name);
  request.setUrn(`urn:pulumi:test::creator-platform::${type}::${name}`);
  request.setProperties(Struct.fromJavaScript(properties as Record<string, never>));
  request.setOptions(new analyzerPb.AnalyzerResourceOptions());
  return new Promise((resolve, reject) => {
    (client as unknown as { analyze(r: unknown, cb: (e: Error | null, res: { getDiagnosticsList(): Diagnostic[] }) => void): void }).analyze(
      request,
      (error, response) => (error ? reject(error) : resolve(response.getDiagnosticsList())),
    );
  });
}

const deployment = (replicas: number) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "ghost", namespace: "creator-alice", labels: { "app.kubernetes.io/component": "ghost" } },
  spec: { replicas, strategy: { type: "Recreate" }, template: { spec: { containers: [] } } },
});

describe("the policy pack under run-policy-pack", () => {
  beforeAll(async () => {
    pack = spawn(process.execPath, [RUN_POLICY_PACK, "--import=tsx", "127.0.0.1:1", POLICY_DIR], { cwd: POLICY_DIR, stdio: ["ignore", "pipe", "pipe"] });
    pack.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const port = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the pack printed no port in 30 s: ${stderr}`)), 30_000);
      pack.stdout?.once("data", (chunk: Buffer) => {
        clearTimeout(timer);
        resolve(chunk.toString().trim());
      });
      pack.once("exit", (code) => reject(new Error(`run-policy-pack exited with ${code}: ${stderr}`)));
    });
    expect(port).toMatch(/^\d+$/);
    client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  }, 60_000);

  afterAll(() => {
    client?.close();
    pack?.kill();
  });

  it("refuses a second Ghost replica as a mandatory violation", async () => {
    const diagnostics = await analyze("kubernetes:apps/v1:Deployment", "alice.deployment.ghost", deployment(2));
    const messages = diagnostics.map((d) => d.getMessage());
    expect(messages.some((m) => /Ghost supports one instance per site, not 2 replicas/.test(m))).toBe(true);
    expect(diagnostics.every((d) => d.getPolicyname() === "creator-guardrails")).toBe(true);
    // EnforcementLevel MANDATORY is 1 in pulumi's analyzer.proto.
    expect(diagnostics.every((d) => d.getEnforcementlevel() === 1)).toBe(true);
  });

  it("passes one Ghost replica and ignores objects outside creator namespaces", async () => {
    expect(await analyze("kubernetes:apps/v1:Deployment", "alice.deployment.ghost", deployment(1))).toEqual([]);
    const platform = { ...deployment(3), metadata: { name: "traefik", namespace: "traefik" } };
    expect(await analyze("kubernetes:apps/v1:Deployment", "traefik", platform)).toEqual([]);
  });
});
