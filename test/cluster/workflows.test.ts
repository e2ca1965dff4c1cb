/**
 * Every GitHub Actions workflow passes actionlint (built from its Go module,
 * v1.7.12, like the control plane's tools; it also runs shellcheck on `run:`
 * blocks when shellcheck is installed), and the workflows the platform relies
 * on exist with their jobs: read as YAML (the `yaml` package) and checked by
 * structure (triggers, jobs, needs, matrices, environments, actions and their
 * inputs, the commands of `run:` blocks), never by matching the file's text.
 * The deploy workflow's stack selection is also run, in a scratch git
 * repository, with a stand-in `gh`.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureTools, REPO_ROOT } from "../../scripts/tools/build-tools.ts";

const WORKFLOWS = join(REPO_ROOT, ".github/workflows");

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  name?: string;
  needs?: string | string[];
  uses?: string;
  if?: string;
  environment?: string | { name: string; url?: string };
  permissions?: Record<string, string>;
  outputs?: Record<string, string>;
  strategy?: { "max-parallel"?: number; "fail-fast"?: boolean; matrix?: Record<string, unknown> };
  steps?: Step[];
}
interface Workflow {
  on: Record<string, { branches?: string[]; paths?: string[]; inputs?: Record<string, unknown> } | null>;
  permissions?: Record<string, string>;
  concurrency?: { group: string; "cancel-in-progress"?: boolean };
  jobs: Record<string, Job>;
}

const workflow = (file: string): Workflow => parse(readFileSync(join(WORKFLOWS, file), "utf8")) as Workflow;
const job = (w: Workflow, name: string): Job => {
  const found = w.jobs[name];
  if (!found) throw new Error(`no job ${name}`);
  return found;
};
const needs = (j: Job): string[] => (j.needs === undefined ? [] : Array.isArray(j.needs) ? j.needs : [j.needs]);
/** Every command line of the job's `run:` blocks, trimmed, comments and blank lines left out. */
const commands = (j: Job): string[] =>
  (j.steps ?? []).flatMap((s) => (s.run ?? "").split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#")));
const runs = (j: Job, pattern: RegExp): boolean => commands(j).some((c) => pattern.test(c));
/** The steps that use an action, whatever its version. */
const actions = (j: Job, action: string): Step[] => (j.steps ?? []).filter((s) => s.uses?.split("@")[0] === action);
/** `${{ a.b }}` → "a.b"; undefined when the value is not one expression. */
const expression = (value: unknown): string | undefined => /^\$\{\{\s*(.+?)\s*\}\}$/.exec(String(value))?.[1];

describe("GitHub Actions workflows", () => {
  it("pass actionlint", async () => {
    const { actionlint } = await ensureTools(["actionlint"]);
    if (!actionlint) throw new Error("npm run tools did not produce actionlint");
    const files = readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(WORKFLOWS, f));
    expect(files.length).toBeGreaterThan(0);
    expect(files.map((f) => f.slice(WORKFLOWS.length + 1))).toEqual(expect.arrayContaining(["preview.yml", "deploy.yml", "ghost-image.yml"]));
    let output = "";
    try {
      output = execFileSync(actionlint, ["-no-color", ...files], { cwd: REPO_ROOT, encoding: "utf8" });
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error);
    }
    expect(output.trim()).toBe("");
  });

  describe("pull requests (preview.yml)", () => {
    const preview = workflow("preview.yml");

    it("run on pull requests that touch the stacks or the program", () => {
      expect(preview.on.pull_request?.paths).toEqual(expect.arrayContaining(["stacks/**", "infra/**", "components/**"]));
      expect(preview.permissions?.["pull-requests"]).toBe("write");
    });

    it("have an offline job: the tests, the offline plan, the difference against the base branch, one comment per stack", () => {
      const offline = job(preview, "offline");
      expect(runs(offline, /^npm test$/)).toBe(true);
      expect(runs(offline, /^npm run -s plan -- --stack "\$stack"/)).toBe(true);
      // The difference against the base branch (cost today; object diffs may join it): whatever computes it names --base.
      expect(runs(offline, /^npm run -s (cost|plan) -- .*--base /)).toBe(true);
      expect(actions(offline, "actions/github-script")).toHaveLength(1);
      expect(offline.outputs?.stacks).toBeDefined();
    });

    it("then `pulumi preview` every affected stack with the policy pack", () => {
      const j = job(preview, "preview");
      expect(needs(j)).toEqual(["offline"]);
      expect(expression(j.strategy?.matrix?.stack)).toBe("fromJSON(needs.offline.outputs.stacks)");
      const [pulumi, ...others] = actions(j, "pulumi/actions");
      expect(others).toEqual([]);
      expect(pulumi?.with?.command).toBe("preview");
      expect(expression(pulumi?.with?.["stack-name"])).toBe("matrix.stack");
      expect(pulumi?.with?.policyPacks).toBe("policy");
    });
  });

  describe("deploy on merge (deploy.yml)", () => {
    const deploy = workflow("deploy.yml");
    const preview = workflow("preview.yml");

    it("runs on pushes to main that touch what preview.yml previews", () => {
      expect(deploy.on.push?.branches).toEqual(["main"]);
      expect(deploy.on.push?.paths).toEqual(expect.arrayContaining(preview.on.pull_request?.paths ?? ["(preview has no paths)"]));
      expect(deploy.on).toHaveProperty("workflow_dispatch");
      expect(deploy.on.pull_request).toBeUndefined();
    });

    it("never overlaps another deploy, and never cancels one under way", () => {
      expect(deploy.concurrency?.group).toBeTruthy();
      expect(expression(deploy.concurrency?.group)).toBeUndefined(); // one group for every run, not one per ref
      expect(deploy.concurrency?.["cancel-in-progress"]).toBe(false);
    });

    it("tests the merged commit and plans each stack offline before anyone is asked to approve", () => {
      const stacks = job(deploy, "stacks");
      expect(stacks.environment).toBeUndefined();
      expect(runs(stacks, /^npm test$/)).toBe(true);
      expect(runs(stacks, /^npm run -s plan -- --stack "\$stack"$/)).toBe(true);
      expect(stacks.outputs?.stacks).toBe("${{ steps.stacks.outputs.stacks }}");
      expect(stacks.steps?.some((s) => s.id === "stacks")).toBe(true);
    });

    it("runs `pulumi up` per stack, one region at a time, behind an environment, with the policy pack and preview's secrets", () => {
      const j = job(deploy, "deploy");
      expect(needs(j)).toEqual(["stacks"]);
      expect(expression(j.strategy?.matrix?.stack)).toBe("fromJSON(needs.stacks.outputs.stacks)");
      expect(j.strategy?.["max-parallel"]).toBe(1);
      expect(j.strategy?.["fail-fast"]).toBe(true);
      const environment = typeof j.environment === "string" ? j.environment : j.environment?.name;
      expect(environment).toBeTruthy();
      const [up, ...others] = actions(j, "pulumi/actions");
      expect(others).toEqual([]);
      expect(up?.with?.command).toBe("up");
      expect(expression(up?.with?.["stack-name"])).toBe("matrix.stack");
      expect(up?.with?.policyPacks).toBe("policy");
      const [previewStep] = actions(job(preview, "preview"), "pulumi/actions");
      expect(up?.with?.["cloud-url"]).toBe(previewStep?.with?.["cloud-url"]);
      expect(up?.env).toEqual(previewStep?.env);
      for (const secret of ["PULUMI_CONFIG_PASSPHRASE", "CIVO_TOKEN", "LINODE_TOKEN"]) {
        expect(expression(up?.env?.[secret])).toBe(`secrets.${secret}`);
      }
      expect(expression(up?.with?.["cloud-url"])).toBe("secrets.PULUMI_BACKEND_URL");
    });

    describe("chooses its stacks by preview.yml's rule, over what changed since the last successful deploy", () => {
      const script = job(deploy, "stacks").steps?.find((s) => s.id === "stacks")?.run ?? "";
      const dir = mkdtempSync(join(tmpdir(), "deploy-stacks-"));
      const repo = join(dir, "repo");
      const bin = join(dir, "bin");
      const git = (...args: string[]) =>
        execFileSync("git", ["-c", "user.name=test", "-c", "user.email=test@example.invalid", "-c", "commit.gpgsign=false", ...args], { cwd: repo, encoding: "utf8" }).trim();
      const write = (file: string, text: string) => writeFileSync(join(repo, file), text);
      let deployed = "";
      beforeAll(() => {
        mkdirSync(join(repo, "stacks"), { recursive: true });
        mkdirSync(join(repo, "infra"));
        mkdirSync(bin);
        // The stand-in for `gh run list … --jq '.[0].headSha // ""'`: the head of the last successful deploy.
        writeFileSync(join(bin, "gh"), '#!/bin/sh\nprintf "%s\\n" "$FAKE_LAST_DEPLOY"\n');
        chmodSync(join(bin, "gh"), 0o755);
        git("init", "-q");
        for (const stack of ["dev", "civo-lon1", "linode-us-east"]) write(`stacks/Pulumi.${stack}.yaml`, "config: {}\n");
        write("infra/program.ts", "1\n");
        git("add", "-A");
        git("commit", "-qm", "deployed");
        deployed = git("rev-parse", "HEAD");
      });
      afterAll(() => rmSync(dir, { recursive: true, force: true }));
      const select = (lastDeploy: string, requested = ""): string[] | "failed" => {
        const output = join(dir, "output");
        writeFileSync(output, "");
        try {
          execFileSync("bash", ["-e", "-c", script], {
            cwd: repo,
            env: { PATH: `${bin}:${process.env.PATH}`, GITHUB_OUTPUT: output, GITHUB_SHA: "HEAD", FAKE_LAST_DEPLOY: lastDeploy, REQUESTED: requested },
            stdio: "pipe",
          });
        } catch {
          return "failed";
        }
        const line = readFileSync(output, "utf8").trim();
        expect(line).toMatch(/^stacks=/);
        return JSON.parse(line.slice("stacks=".length)) as string[];
      };

      it("a stack file changed: that stack; documentation beside it changes nothing", () => {
        write("stacks/Pulumi.civo-lon1.yaml", "config: {a: 1}\n");
        write("README.md", "docs\n");
        git("add", "-A");
        git("commit", "-qm", "a creator in London");
        expect(select(deployed)).toEqual(["civo-lon1"]);
      });

      it("the program changed: every stack but dev, which targets a local cluster", () => {
        write("infra/program.ts", "2\n");
        git("commit", "-qam", "code");
        expect(select(deployed)).toEqual(["civo-lon1", "linode-us-east"]);
      });

      it("nothing since the last deploy: nothing; no earlier deploy, or one not in this history: every stack", () => {
        expect(select(git("rev-parse", "HEAD"))).toEqual([]);
        expect(select("")).toEqual(["civo-lon1", "linode-us-east"]);
        expect(select("0123456789abcdef0123456789abcdef01234567")).toEqual(["civo-lon1", "linode-us-east"]);
      });

      it("by hand: the stacks named, in their order, or all; an unknown or malformed name fails", () => {
        expect(select(deployed, "linode-us-east civo-lon1")).toEqual(["linode-us-east", "civo-lon1"]);
        expect(select(deployed, "all")).toEqual(["civo-lon1", "linode-us-east"]);
        expect(select(deployed, "mars-1")).toBe("failed");
        expect(select(deployed, "civo-lon1;true")).toBe("failed");
      });
    });
  });

  describe("the Ghost image (ghost-image.yml)", () => {
    const image = workflow("ghost-image.yml");

    it("builds and tests the image before it publishes", () => {
      expect(image.on.push?.branches).toEqual(["main"]);
      expect(job(image, "test").uses).toBe("./.github/workflows/ghost-sqld.yml");
      const tests = workflow("ghost-sqld.yml");
      expect(tests.on).toHaveProperty("workflow_call");
      // Ghost on libSQL in both modes, and the image itself built and booted against sqld.
      expect(job(tests, "ghost-libsql").strategy?.matrix?.mode).toEqual(["file", "replica"]);
      expect(runs(job(tests, "ghost-libsql"), /^npm run test:ghost$/)).toBe(true);
      expect(runs(job(tests, "image"), /^docker build -t ghost-libsql:ci images\/ghost-libsql$/)).toBe(true);
      expect(runs(job(tests, "image"), /^docker run -d --name ghost /)).toBe(true);
    });

    it("publishes to GHCR only after the tests, and proposes the pushed digest as the pin", () => {
      const publish = job(image, "publish");
      expect(needs(publish)).toEqual(["test"]);
      expect(publish.permissions?.packages).toBe("write");
      expect(actions(publish, "docker/login-action")[0]?.with?.registry).toBe("ghcr.io");
      const [push] = actions(publish, "docker/build-push-action");
      expect(push?.with?.push).toBe(true);
      expect(push?.with?.context).toBe("images/ghost-libsql");
      expect(runs(publish, /^gh pr create /)).toBe(true);
    });
  });
});
