/**
 * `npm run creators` as an operator runs it, on a copy of the shipped stacks:
 * one process per exit code (0, 1, 2), and --json answering with exactly one
 * JSON document, errors included. The logic itself is tested in process
 * (change.test.ts, edit.test.ts).
 */
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { STACKS_DIR, stackFilePath } from "../../infra/config/stack-file.ts";

const ROOT = join(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "creators-cli-"));
cpSync(STACKS_DIR, dir, { recursive: true });
const lon1 = stackFilePath("civo-lon1", dir);
const linode = stackFilePath("linode-us-east", dir);

async function creators(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ["--import", "tsx", "scripts/creators.ts", ...args], { cwd: ROOT });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const NO_TRACE = /\n\s+at .*:\d+:\d+/;

describe("npm run creators", () => {
  it("exit 0: add then list, each --json one document; --help says retiring keeps data", async () => {
    const shipped = readFileSync(lon1, "utf8");
    const [added, help] = await Promise.all([creators(["add", "new-writer", "--plan", "starter", "--domain", "nw.blog", "--config", lon1, "--json"]), creators(["retire", "--help"])]);
    expect(added).toMatchObject({ code: 0, stderr: "" });
    expect(JSON.parse(added.stdout)).toMatchObject({ stack: "civo-lon1", action: "add", changed: true, creator: { id: "new-writer", state: "active" } });
    expect(readFileSync(lon1, "utf8")).toBe(`${shipped}    - { id: new-writer, plan: starter, domains: [nw.blog] }\n`);

    const listed = await creators(["list", "--config", lon1, "--json"]);
    expect(listed).toMatchObject({ code: 0, stderr: "" });
    const list = JSON.parse(listed.stdout) as { creators: Array<{ id: string; state: string; monthlyUsd: number }> };
    expect(list.creators.at(-1)).toMatchObject({ id: "new-writer", state: "active", domains: ["nw.blog"] });
    expect(list.creators.find((c) => c.id === "rye-pottery")).toMatchObject({ state: "retired", monthlyUsd: 0 });

    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: creators retire \[options\] <id>/);
    expect(help.stdout.replace(/\s+/g, " ")).toMatch(/No subcommand deletes a creator or its data.*Purging a retired creator's data is a runbook \(docs\/runbooks\/purge-a-retired-creator.md/);
  });

  it("exit 1: a refused change prints the report (stderr, or one JSON document) and writes nothing", async () => {
    const before = readFileSync(linode);
    const [plain, json] = await Promise.all([
      creators(["add", "bodega-cats", "--plan", "starter", "--config", linode]),
      creators(["add", "new-writer", "--plan", "gold", "--domain", "Bad Domain", "--config", linode, "--json"]),
    ]);
    expect(plain).toMatchObject({ code: 1, stdout: "" });
    expect(plain.stderr).toMatch(/Pulumi\.linode-us-east\.yaml \(after add bodega-cats\): 1 problem in the stack configuration:\n {2}- creators\[26\]\.id: duplicate id "bodega-cats"/);
    expect(plain.stderr).toMatch(/Nothing was written\.\n$/);
    expect(plain.stderr).not.toMatch(NO_TRACE);
    // Under --json the report is the one document on stdout; stderr says it for people as ever.
    expect(json.code).toBe(1);
    expect(json.stderr).toMatch(/Nothing was written\.\n$/);
    const { error } = JSON.parse(json.stdout) as { error: { kind: string; problems: Array<{ path: string }> } };
    expect(error.kind).toBe("invalid-stack");
    expect(error.problems.map((p) => p.path).sort()).toEqual(["creators[26].domains[0]", "creators[26].plan"]);
    expect(readFileSync(linode).equals(before)).toBe(true);
  });

  it("exit 2: an unknown flag, under --json one document {error}", async () => {
    const r = await creators(["suspend", "bodega-cats", "--config", linode, "--force", "--json"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--force'/);
    expect(JSON.parse(r.stdout)).toEqual({ error: { kind: "usage", message: "unknown option '--force'", exitCode: 2 } });
  });
});
