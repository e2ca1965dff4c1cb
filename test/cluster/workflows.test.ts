/**
 * Every GitHub Actions workflow passes actionlint (built from its Go module,
 * v1.7.12, like the control plane's tools; it also runs shellcheck on `run:`
 * blocks when shellcheck is installed), and the workflows the platform relies
 * on exist with their jobs.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { ensureTools, REPO_ROOT } from "../../scripts/tools/build-tools.ts";

const WORKFLOWS = join(REPO_ROOT, ".github/workflows");

describe("GitHub Actions workflows", () => {
  it("pass actionlint", async () => {
    const { actionlint } = await ensureTools(["actionlint"]);
    if (!actionlint) throw new Error("npm run tools did not produce actionlint");
    const files = readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(WORKFLOWS, f));
    expect(files.length).toBeGreaterThan(0);
    let output = "";
    try {
      output = execFileSync(actionlint, ["-no-color", ...files], { cwd: REPO_ROOT, encoding: "utf8" });
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error);
    }
    expect(output.trim()).toBe("");
  });

  it("publish the Ghost image after its tests", () => {
    const image = parse(readFileSync(join(WORKFLOWS, "ghost-image.yml"), "utf8")) as { jobs: Record<string, { needs?: string; uses?: string }> };
    expect(image.jobs.test?.uses).toBe("./.github/workflows/ghost-sqld.yml");
    expect(image.jobs.publish?.needs).toBe("test");
  });
});
