/**
 * The shipped `dev` stack (provider `existing`, no add-on charts) passes
 * `pulumi preview --policy-pack` with the real engine and the real program.
 *
 * How the pack is started differs from a user's machine, said plainly: the
 * CLI hands a Node policy pack to the Node language host's RunPlugin, and the
 * only host the Go module proxy serves (sdk/v3 v3.68.0) answers "not
 * supported". So this test copies the pack with its runtime renamed, which
 * makes the CLI take its documented fallback (pulumi/pulumi v3.248.0,
 * sdk/go/common/resource/plugin/analyzer_plugin.go: no language plugin of that
 * name → the plugin `pulumi-analyzer-policy-<runtime>` on PATH, which this test
 * writes as upstream's script did: node …/run-policy-pack). The pack's code,
 * the engine's analyzer protocol and the program are the real ones; the
 * RunPlugin launch itself is covered by test/platform/policy-pack.test.ts.
 */
import { chmodSync, cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../scripts/tools/build-tools.ts";
import { type ControlPlane, startControlPlane } from "../../scripts/cluster/control-plane.ts";
import { type PulumiWorkspace, createWorkspace } from "../../scripts/cluster/pulumi-engine.ts";

const RUNTIME = "nodejs-fallback";
let cp: ControlPlane;
let ws: PulumiWorkspace;

describe("the shipped dev stack under pulumi preview --policy-pack (real engine)", () => {
  beforeAll(async () => {
    cp = await startControlPlane({ persistentVolumes: { count: 0, size: "1Gi" } });
    const shipped = parse(readFileSync(join(REPO_ROOT, "stacks/Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
    ws = await createWorkspace({
      stack: "dev",
      kubeconfig: cp.kubeconfig,
      config: shipped.config,
      secrets: { "creator-platform:sqldKeySeed": "policy-test-seed-0123456789abcdef01234" },
    });
    // The pack, next to the program it imports from, started through the CLI's fallback.
    const pack = join(ws.project, "policy-fallback");
    cpSync(join(ws.project, "policy"), pack, { recursive: true });
    writeFileSync(join(pack, "PulumiPolicy.yaml"), `description: creator-platform guardrails (fallback loader for this test)\nruntime: ${RUNTIME}\n`);
    const bin = join(ws.dir, "bin");
    mkdirSync(bin);
    const shim = join(bin, `pulumi-analyzer-policy-${RUNTIME}`);
    writeFileSync(shim, `#!/bin/sh\nexec '${process.execPath}' '${join(REPO_ROOT, "node_modules/@pulumi/pulumi/cmd/run-policy-pack")}' "$@"\n`);
    chmodSync(shim, 0o755);
    ws.env.PATH = [bin, ws.env.PATH ?? ""].join(delimiter);
  });

  afterAll(async () => {
    ws?.remove();
    await cp?.stop();
  });

  it("passes every guardrail", async () => {
    const preview = await ws.pulumi(["preview", "--policy-pack", "policy-fallback"]);
    const output = `${preview.stdout}${preview.stderr}`;
    expect(preview.code, output.slice(-5000)).toBe(0);
    expect(output).toMatch(/creator-platform-guardrails@v0\.1\.0/);
    expect(output).not.toMatch(/\[(mandatory|advisory)\]/);
    // The program really ran: every creator of the dev stack is previewed.
    for (const id of ["alice", "bob", "carol"]) expect(output).toMatch(new RegExp(`creator-platform:creator:CreatorSite\\s+${id}\\s+create`));
  });
});
