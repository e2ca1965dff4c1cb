/**
 * Upgrades in waves, without a cluster: the wave plan, the rollout verdict, the
 * `rollout` key (schema, validation, the one function that picks a creator's
 * images), the stack-file edits, the site check against a local HTTP server,
 * and the whole command in process with a scripted cluster and Pulumi (the
 * seams of scripts/upgrade/run-waves.ts), then its exit codes as a process. The real
 * engine on a real API server is test/cluster/waves.test.ts.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { projectKeys, stackConfigOf } from "../../infra/config/stack-file.ts";
import { ConfigError, type Problem, validateStackConfig } from "../../infra/config/validate.ts";
import { imagesFor, resolveImages } from "../../infra/images.ts";
import { fetchSite } from "../../scripts/upgrade/rollout-state.ts";
import { type PulumiResult, type PulumiRun, deploymentUrns } from "../../scripts/upgrade/pulumi.ts";
import { DEFAULT_TIMING, type Runtime, UpgradeError, rollback, upgrade } from "../../scripts/upgrade/run-waves.ts";
import { withImages, withRollout } from "../../scripts/upgrade/stack-edit.ts";
import { type DeploymentView, type PodView, rolloutVerdict, siteAnswered } from "../../scripts/upgrade/verdict.ts";
import { WavePlanError, planWaves } from "../../scripts/upgrade/waves.ts";
import { rawConfig } from "../support/config.ts";
import { runCli } from "../support/run-cli.ts";

const ROOT = join(import.meta.dirname, "../..");
const OLD = resolveImages({});
const NEW_GHOST = "ghcr.io/creator-platform/ghost-libsql:6.66.0-libsql0.5.29-r1";

const c = (id: string, state: "active" | "suspended" | "retired" = "active") => ({ id, state });
const ids = (waves: ReturnType<typeof planWaves>) => waves.map((w) => w.creators);

describe("planWaves", () => {
  const creators = [c("a"), c("b"), c("s", "suspended"), c("d"), c("e"), c("r", "retired"), c("f"), c("g")];

  it("runs the canaries first, then the other active creators in stack order, wave-size a wave, idle creators with the last", () => {
    const waves = planWaves({ creators, canaries: ["e", "a"], waveSize: 2 });
    expect(ids(waves)).toEqual([["e", "a"], ["b", "d"], ["f", "g", "s", "r"]]);
    expect(waves.map((w) => w.kind)).toEqual(["canaries", "wave", "wave"]);
    expect(waves.map((w) => w.index)).toEqual([1, 2, 3]);
    expect(waves[2]?.idle).toEqual(["s", "r"]);
  });

  it("keeps every creator exactly once, whatever the wave size", () => {
    for (const waveSize of [1, 2, 3, 5, 100]) {
      const all = planWaves({ creators, canaries: ["b"], waveSize }).flatMap((w) => w.creators);
      expect([...all].sort()).toEqual(creators.map((x) => x.id).sort());
    }
    expect(ids(planWaves({ creators, canaries: ["b"], waveSize: 100 }))).toEqual([["b"], ["a", "d", "e", "f", "g", "s", "r"]]);
  });

  it("skips what an upgrade under way already did, canaries included", () => {
    expect(ids(planWaves({ creators, canaries: ["a"], waveSize: 2, done: ["a", "b"] }))).toEqual([["d", "e"], ["f", "g", "s", "r"]]);
    expect(planWaves({ creators, canaries: ["a"], waveSize: 2, done: creators.map((x) => x.id) })).toEqual([]);
    // Only idle creators left: they make the last wave on their own.
    expect(ids(planWaves({ creators, canaries: ["a"], waveSize: 9, done: ["a", "b", "d", "e", "f", "g"] }))).toEqual([["s", "r"]]);
  });

  it("refuses unknown, repeated and idle canaries, and a wave size under 1", () => {
    expect(() => planWaves({ creators, canaries: ["zed"], waveSize: 2 })).toThrow(/"zed" is not a creator/);
    expect(() => planWaves({ creators, canaries: ["a", "a"], waveSize: 2 })).toThrow(/named twice/);
    expect(() => planWaves({ creators, canaries: ["s"], waveSize: 2 })).toThrow(/"s" is suspended: it runs nothing/);
    expect(() => planWaves({ creators, canaries: ["a"], waveSize: 0 })).toThrow(WavePlanError);
  });
});

const want = { ghost: NEW_GHOST, sqld: OLD.sqld };
const deployment = (over: Partial<DeploymentView> = {}): DeploymentView => ({
  generation: 3,
  observedGeneration: 3,
  replicas: 1,
  updatedReplicas: 1,
  readyReplicas: 1,
  images: want,
  conditions: [],
  ...over,
});
const pod = (over: Partial<PodView> = {}): PodView => ({ name: "ghost-1", images: want, waiting: [], ...over });
const now = Date.parse("2026-11-27T12:00:00Z");
const verdict = (d: DeploymentView | undefined, pods: PodView[] = [], state: "active" | "suspended" | "retired" = "active") =>
  rolloutVerdict(state, d, pods, want, { now, unschedulableGraceMs: 60_000 });

describe("rolloutVerdict", () => {
  it("is done when the template has the new images, the controller saw it and every replica is updated and ready", () => {
    expect(verdict(deployment())).toMatchObject({ status: "done", note: "rolled out: 1/1 ready on the new images" });
  });

  it("counts a creator at 0 replicas as rolled out, and says why", () => {
    expect(verdict(deployment({ replicas: 0, updatedReplicas: 0, readyReplicas: 0 }))).toMatchObject({ status: "done", replicas: 0, note: expect.stringMatching(/^asleep, 0 replicas: .*wakes on them \(not woken to check\)/) });
    expect(verdict(deployment({ replicas: 0, updatedReplicas: 0, readyReplicas: 0 }), [], "suspended")).toMatchObject({ status: "done", note: expect.stringMatching(/^suspended/) });
    expect(verdict(undefined, [], "retired")).toMatchObject({ status: "done", note: expect.stringMatching(/^retired/) });
  });

  it("waits while the template, the controller or the Pod is not there yet", () => {
    expect(verdict(undefined)).toMatchObject({ status: "pending", reason: "no Deployment ghost yet" });
    expect(verdict(deployment({ images: { ghost: OLD.ghost, sqld: OLD.sqld } }))).toMatchObject({ status: "pending", reason: expect.stringContaining(`still runs ghost ${OLD.ghost}`) });
    expect(verdict(deployment({ observedGeneration: 2 }))).toMatchObject({ status: "pending" });
    expect(verdict(deployment({ readyReplicas: 0 }))).toMatchObject({ status: "pending", reason: "1/1 updated, 0/1 ready" });
    expect(verdict(deployment({ readyReplicas: 0 }), [pod({ unschedulable: { since: now - 10_000, message: "0/3 nodes" } })])).toMatchObject({ status: "pending" });
  });

  it("fails at once on a Pod of the new images that cannot start, or Pods refused", () => {
    const pulling = pod({ waiting: [{ container: "ghost", reason: "ImagePullBackOff", message: "not found" }] });
    expect(verdict(deployment({ readyReplicas: 0 }), [pulling])).toEqual({ status: "failed", reason: "pod ghost-1: container ghost ImagePullBackOff: not found" });
    expect(verdict(deployment({ readyReplicas: 0 }), [pod({ unschedulable: { since: now - 61_000, message: "0/3 nodes are available" } })])).toMatchObject({
      status: "failed",
      reason: "pod ghost-1 cannot be scheduled (61 s): 0/3 nodes are available",
    });
    expect(verdict(deployment({ readyReplicas: 0, replicaFailure: { reason: "FailedCreate", message: "forbidden" } }))).toMatchObject({ status: "failed", reason: expect.stringContaining("ReplicaFailure, FailedCreate") });
    expect(verdict(deployment({ conditions: [{ type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded", message: "too slow" }] }))).toMatchObject({ status: "failed" });
  });

  it("ignores Pods of other images: an old Pod's trouble is not the new images'", () => {
    const old = pod({ images: { ghost: OLD.ghost, sqld: OLD.sqld }, waiting: [{ container: "ghost", reason: "CrashLoopBackOff" }] });
    expect(verdict(deployment(), [old])).toMatchObject({ status: "done" });
  });

  it("takes 2xx and 3xx as a site answering", () => {
    expect([200, 204, 301, 302, 399].every(siteAnswered)).toBe(true);
    expect([100, 400, 404, 500, 503].some(siteAnswered)).toBe(false);
  });
});

/** What validation says of `raw`: its problems, none when it passes. */
const problemsOf = (raw: Record<string, unknown>): Problem[] => {
  const refused = (() => {
    try {
      return void validateStackConfig(raw, "test");
    } catch (error) {
      return error;
    }
  })();
  return refused instanceof ConfigError ? refused.problems : [];
};

describe("creator-platform:rollout", () => {
  it("gives the listed creators the rollout's images and every other creator the stack's", () => {
    const config = validateStackConfig(rawConfig({ rollout: { ghost: NEW_GHOST, creators: ["bob"] } }), "test");
    const images = resolveImages(config.images);
    expect(imagesFor("bob", images, config.rollout)).toEqual({ ...images, ghost: NEW_GHOST });
    expect(imagesFor("alice", images, config.rollout)).toBe(images);
    expect(imagesFor("alice", images, undefined)).toBe(images);
    expect(imagesFor("bob", images, { sqld: "ghcr.io/tursodatabase/libsql-server:v0.24.40", creators: ["bob"] })).toEqual({ ...images, sqld: "ghcr.io/tursodatabase/libsql-server:v0.24.40" });
  });

  it("refuses ids that are not creators of the stack, repeated ids, no image and unknown keys, each with its path", () => {
    expect(problemsOf(rawConfig({ rollout: { ghost: NEW_GHOST, creators: ["bob", "zed", "bob"] } }))).toEqual([
      { path: "rollout.creators[1]", message: '"zed" is not a creator of this stack: list only ids from creators (a typo would leave that creator on the old image)' },
      { path: "rollout.creators[2]", message: '"bob" is listed twice: already rollout.creators[0]' },
    ]);
    expect(problemsOf(rawConfig({ rollout: { creators: ["bob"] } }))).toEqual([{ path: "rollout", message: expect.stringMatching(/^names no image/) }]);
    expect(problemsOf(rawConfig({ rollout: { ghost: NEW_GHOST, creators: [], ghots: "x" } })).map((p) => p.path)).toEqual(["rollout.ghots"]);
    expect(problemsOf(rawConfig({ rollout: { ghost: NEW_GHOST } })).map((p) => p.path)).toEqual(["rollout.creators"]);
  });
});

const STACK = `# A stack
config:
  pulumi:disable-default-providers: ["kubernetes"]
  creator-platform:platform:
    domain: creators.test                # a comment aligned by hand
  creator-platform:images:
    # the registry's login
    pullSecret: { registry: ghcr.io, username: ops }
  creator-platform:creators:
    - { id: ann, plan: starter }
    - { id: ben, plan: starter }
  creator-platform:sqldKeySeed:
    secure: v1:abc
encryptionsalt: v1:salt
`;

describe("the stack-file edits", () => {
  it("adds, changes and removes the rollout key, every other line as it was", () => {
    const one = withRollout(STACK, { ghost: NEW_GHOST, creators: ["ann"] });
    expect(one).toBe(
      STACK.replace(
        "encryptionsalt",
        "  # An upgrade in waves is under way (npm run upgrade; docs/runbooks/upgrade-in-waves.md):\n" +
          "  # the creators listed run these images, every other creator images.ghost / images.sqld.\n" +
          `  creator-platform:rollout:\n    ghost: ${NEW_GHOST}\n    creators: [ann]\nencryptionsalt`,
      ),
    );
    const two = withRollout(one, { ghost: NEW_GHOST, creators: ["ann", "ben"] });
    expect(two).toBe(one.replace("creators: [ann]", "creators: [ann, ben]"));
    expect(withRollout(two, undefined)).toBe(STACK);
    expect(withRollout(STACK, undefined)).toBe(STACK);
  });

  it("sets images.ghost and images.sqld inside the images map, keeping its comment and keys", () => {
    const ghost = withImages(STACK, { ghost: NEW_GHOST });
    expect(ghost).toBe(STACK.replace("  creator-platform:images:\n", `  creator-platform:images:\n    ghost: ${NEW_GHOST}\n`));
    expect(withImages(ghost, { ghost: "ghcr.io/x/ghost:7", sqld: "ghcr.io/x/sqld:2" })).toBe(ghost.replace(NEW_GHOST, "ghcr.io/x/ghost:7").replace("    ghost:", "    sqld: ghcr.io/x/sqld:2\n    ghost:"));
    const bare = "config:\n  creator-platform:creators:\n    - { id: ann, plan: starter }\n";
    expect(withImages(bare, { ghost: NEW_GHOST })).toBe(`${bare}  creator-platform:images:\n    ghost: ${NEW_GHOST}\n`);
  });

  it("falls back to the Document API on other layouts, meaning the same", () => {
    const flow = 'config: { creator-platform:creators: [{ id: ann, plan: starter }] }\n';
    const edited = parse(withImages(withRollout(flow, { sqld: "ghcr.io/x/sqld:2", creators: ["ann"] }), { ghost: NEW_GHOST })) as { config: Record<string, unknown> };
    expect(edited.config["creator-platform:rollout"]).toEqual({ sqld: "ghcr.io/x/sqld:2", creators: ["ann"] });
    expect(edited.config["creator-platform:images"]).toEqual({ ghost: NEW_GHOST });
  });
});

describe("deploymentUrns", () => {
  it("finds the creators' Deployments ghost in a stack export, and nothing else", () => {
    const urn = (type: string, name: string) => `urn:pulumi:s::creator-platform::creator-platform:index:CreatorSite$${type}::${name}`;
    const exported = JSON.stringify({
      version: 3,
      deployment: {
        resources: [
          { urn: urn("kubernetes:apps/v1:Deployment", "ann.deployment.ghost"), type: "kubernetes:apps/v1:Deployment" },
          { urn: urn("kubernetes:core/v1:Service", "ann.service.ghost"), type: "kubernetes:core/v1:Service" },
          { urn: urn("kubernetes:apps/v1:Deployment", "anna.deployment.ghost"), type: "kubernetes:apps/v1:Deployment" },
          { urn: urn("kubernetes:apps/v1:Deployment", "ben.deployment.ghost"), type: "kubernetes:apps/v1:Deployment" },
        ],
      },
    });
    expect(deploymentUrns(exported, ["ann", "ben", "zed"])).toEqual([urn("kubernetes:apps/v1:Deployment", "ann.deployment.ghost"), urn("kubernetes:apps/v1:Deployment", "ben.deployment.ghost")]);
  });
});

describe("the site check", () => {
  let base = "";
  const server = createServer((req, res) => {
    const status = Number(req.url?.slice(1)) || 200;
    res.writeHead(status, status === 302 ? { Location: "/ghost/" } : {});
    res.end("ok");
  });
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("answers with the status (a redirect not followed), or why there was none", async () => {
    expect(await fetchSite(`${base}/200`, 2000)).toEqual({ url: `${base}/200`, status: 200 });
    expect(await fetchSite(`${base}/302`, 2000)).toMatchObject({ status: 302 });
    expect(await fetchSite(`${base}/503`, 2000)).toMatchObject({ status: 503 });
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    expect(await fetchSite(`http://127.0.0.1:${port}/`, 2000)).toEqual({ url: `http://127.0.0.1:${port}/`, error: "ECONNREFUSED" });
  });
});

/** A project directory with a stack of six creators (one suspended) on the default images. */
function project(): { file: string; text: string } {
  const dir = mkdtempSync(join(tmpdir(), "upgrade-"));
  mkdirSync(join(dir, "stacks"));
  writeFileSync(join(dir, "Pulumi.yaml"), "name: creator-platform\nruntime: nodejs\nstackConfigDir: stacks\n");
  const text = `config:
  creator-platform:cluster: { provider: existing, ingress: { namespace: traefik } }
  creator-platform:platform: { domain: creators.test, tls: { mode: "off" } }
  creator-platform:sqldKeySeed: { secure: v1:c2VlZA== }
  creator-platform:creators:
    - { id: ann, plan: starter }
    - { id: ben, plan: starter }
    - { id: cat, plan: starter, state: suspended }
    - { id: dan, plan: standard }
    - { id: eve, plan: standard }
    - { id: fay, plan: pro }
`;
  const file = join(dir, "stacks", "Pulumi.test.yaml");
  writeFileSync(file, text);
  return { file, text };
}

/**
 * A cluster and a Pulumi that do what `pulumi up` would: each up "applies" the
 * images the stack file gives each creator; `broken` creators then never
 * become ready and their Pod cannot pull the image.
 */
function scripted(file: string, broken: Set<string> = new Set()) {
  const live = new Map<string, { ghost: string; sqld: string }>();
  const ups: string[][] = [];
  const interrupted: string[] = [];
  const refreshed: string[][] = [];
  const apply = () => {
    const resolved = validateStackConfig(projectKeys(stackConfigOf(readFileSync(file, "utf8"), file).config), file);
    const changed: string[] = [];
    for (const creator of resolved.creators) {
      const images = imagesFor(creator.id, resolveImages(resolved.images), resolved.rollout);
      const before = live.get(creator.id);
      if (before && (before.ghost !== images.ghost || before.sqld !== images.sqld)) changed.push(creator.id);
      live.set(creator.id, { ghost: images.ghost, sqld: images.sqld });
    }
    ups.push(changed);
    return changed;
  };
  const rt: Runtime = {
    cluster: {
      where: "scripted",
      async workload(id) {
        const images = live.get(id);
        if (!images) return { deployment: undefined, pods: [] };
        const bad = broken.has(id) && images.ghost === NEW_GHOST;
        return {
          deployment: deployment({ images, readyReplicas: bad ? 0 : 1, replicas: id === "cat" ? 0 : 1 }),
          pods: bad ? [pod({ images, waiting: [{ container: "ghost", reason: "ErrImagePull", message: "manifest unknown" }] })] : [],
        };
      },
    },
    pulumiUp(): PulumiRun {
      const changed = apply();
      const hangs = changed.some((id) => broken.has(id) && live.get(id)?.ghost === NEW_GHOST);
      let finish: (code: number, reason?: string) => void = () => {};
      const done = new Promise<PulumiResult>((resolve) => {
        finish = (code, reason) => resolve({ code, seconds: 1, tail: code === 0 ? "Resources: 3 updated" : "error: update canceled", ...(reason ? { interrupted: reason } : {}) });
      });
      if (!hangs) setTimeout(() => finish(0), 5);
      return {
        done,
        interrupt(reason) {
          interrupted.push(reason);
          finish(255, reason);
        },
      };
    },
    refresh: async (_stack, _cwd, ids) => {
      refreshed.push([...ids]);
      return { code: 0, seconds: 0, tail: "" };
    },
    site: async (creator) => ({ url: `http://${creator.id}.creators.test/`, status: 200 }),
    timing: { ...DEFAULT_TIMING, pollMs: 5, verifyTimeoutMs: 200, siteTimeoutMs: 50 },
    log: () => {},
    progress: false,
  };
  for (const id of ["ann", "ben", "cat", "dan", "eve", "fay"]) live.set(id, { ghost: OLD.ghost, sqld: OLD.sqld });
  return { rt, live, ups, interrupted, refreshed };
}

const request = (file: string) => ({ file, stackArg: `--config ${file}`, images: { ghost: NEW_GHOST }, canaries: ["ann"], waveSize: 2, dryRun: false });

describe("the upgrade, in process", () => {
  it("moves one wave at a time, then makes the new image the stack's and removes the rollout", async () => {
    const { file, text } = project();
    const { rt, live, ups } = scripted(file);
    const report = await upgrade(request(file), rt);
    expect(report.outcome).toBe("upgraded");
    expect(report.waves.map((w) => [w.creators, w.status])).toEqual([
      [["ann"], "passed"],
      [["ben", "dan"], "passed"],
      [["eve", "fay", "cat"], "passed"],
    ]);
    // Each up changed its wave's creators and no one else; the last one changed nothing.
    expect(ups).toEqual([["ann"], ["ben", "dan"], ["cat", "eve", "fay"], []]);
    expect([...live.values()].every((i) => i.ghost === NEW_GHOST)).toBe(true);
    expect(report.waves[2]?.checks.find((x) => x.id === "cat")?.note).toMatch(/^suspended, 0 replicas/);
    expect(report.waves[0]?.checks[0]?.note).toBe("rolled out: 1/1 ready on the new images; http://ann.creators.test/ answered 200");
    expect(readFileSync(file, "utf8")).toBe(`${text}  creator-platform:images:\n    ghost: ${NEW_GHOST}\n`);
  });

  it("stops on the first failure without waiting for Pulumi, says how to roll back, and the rollback restores the old image", async () => {
    const { file, text } = project();
    const { rt, live, ups, interrupted, refreshed } = scripted(file, new Set(["dan"]));
    const report = await upgrade(request(file), rt);
    expect(report.outcome).toBe("failed");
    expect(report.waves.map((w) => w.status)).toEqual(["passed", "failed", "not-run"]);
    expect(report.waves[1]?.failure).toMatchObject({ creator: "dan", reason: "pod ghost-1: container ghost ErrImagePull: manifest unknown" });
    expect(interrupted).toHaveLength(1);
    // The interrupted wave's Deployments were refreshed into Pulumi's state.
    expect(refreshed).toEqual([["ben", "dan"]]);
    expect(report.rollback).toEqual({
      creators: ["ben", "dan"],
      command: `npm run upgrade -- --config ${file} --rollback ben,dan`,
      all: `npm run upgrade -- --config ${file} --rollback`,
      byHand: `remove ben, dan from creator-platform:rollout.creators in ${file} (the whole rollout key when none is left), then: pulumi up --refresh --stack test`,
    });
    expect(report.message).toContain(report.rollback?.command);
    expect(ups).toEqual([["ann"], ["ben", "dan"]]);

    const back = await rollback({ file, stackArg: `--config ${file}`, creators: ["ben", "dan"] }, rt);
    expect(back).toMatchObject({ outcome: "rolled-back", waves: [{ kind: "rollback", creators: ["ben", "dan"], status: "passed" }] });
    expect(live.get("dan")?.ghost).toBe(OLD.ghost);
    expect(refreshed.at(-1)).toEqual(["ben", "dan"]);
    expect(live.get("ann")?.ghost).toBe(NEW_GHOST);
    expect(back.message).toContain("Still on the new images: ann");
    expect(back.waves[0]?.checks.map((x) => x.note)).toEqual([expect.stringMatching(/^rolled out: 1\/1 ready on the previous images; /), expect.stringMatching(/^rolled out: 1\/1 ready on the previous images; /)]);

    // A different image while this one is under way is refused; all of it can go back.
    await expect(upgrade({ ...request(file), images: { ghost: "ghcr.io/x/ghost:8" } }, rt)).rejects.toThrow(UpgradeError);
    await expect(rollback({ file, stackArg: "", creators: ["zed"] }, rt)).rejects.toThrow(/zed is not in rollout.creators \(ann\)/);
    expect((await rollback({ file, stackArg: "", creators: undefined }, rt)).outcome).toBe("rolled-back");
    expect(readFileSync(file, "utf8")).toBe(text);
    expect([...live.values()].every((i) => i.ghost === OLD.ghost)).toBe(true);
  });

  it("resumes after a fix with the creators not yet on the new image", async () => {
    const { file } = project();
    const broken = new Set(["dan"]);
    const { rt, ups } = scripted(file, broken);
    expect((await upgrade(request(file), rt)).outcome).toBe("failed");
    broken.clear(); // the cause fixed (a registry permission, say)
    const again = await upgrade(request(file), rt);
    expect(again).toMatchObject({ outcome: "upgraded", resumed: ["ann", "ben", "dan"] });
    expect(again.waves.map((w) => w.creators)).toEqual([["eve", "fay", "cat"]]);
    expect(ups.slice(2)).toEqual([["cat", "eve", "fay"], []]);
  });

  it("refuses to start on a canary that is not healthy, writing nothing", async () => {
    const { file, text } = project();
    const { rt } = scripted(file);
    const unhealthy: Runtime = { ...rt, cluster: { where: "scripted", workload: async () => ({ deployment: deployment({ images: { ghost: OLD.ghost, sqld: OLD.sqld }, readyReplicas: 0 }), pods: [] }) } };
    await expect(upgrade(request(file), unhealthy)).rejects.toThrow(/ann is not healthy before the upgrade \(1\/1 updated, 0\/1 ready\)/);
    const empty: Runtime = { ...rt, cluster: { where: "kube context x", workload: async () => ({ deployment: undefined, pods: [] }) } };
    await expect(upgrade(request(file), empty)).rejects.toThrow(/kube context x has no Deployment ghost in creator-ann: is it this stack's cluster/);
    expect(readFileSync(file, "utf8")).toBe(text);
  });
});

/** The command as a process, as an operator runs it. */
/** The CLI in this process (test/support/run-cli.ts); `spawned` runs it as its own process, once per exit code. */
const cli = (args: string[]) => runCli("upgrade.ts", args);
const spawned = (args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(process.execPath, ["--import", "tsx", "scripts/upgrade.ts", ...args], { cwd: ROOT }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    ),
  );

const NO_TRACE = /\n\s+at .*:\d+:\d+/;

describe("npm run upgrade", () => {
  it("exit 0: a dry run prints the waves and writes nothing", async () => {
    const { file, text } = project();
    const [plain, json] = await Promise.all([
      spawned(["--config", file, "--ghost", NEW_GHOST, "--canaries", "ann", "--wave-size", "2", "--dry-run"]),
      cli(["--config", file, "--ghost", NEW_GHOST, "--canaries", "ann", "--wave-size", "2", "--dry-run", "--json"]),
    ]);
    expect(plain).toMatchObject({ code: 0, stderr: "" });
    expect(plain.stdout).toContain("  wave 1 (canaries): ann\n  wave 2: ben, dan\n  wave 3: eve, fay, cat (run nothing: cat)\n");
    expect(JSON.parse(json.stdout)).toMatchObject({ outcome: "planned", to: { ghost: NEW_GHOST }, waves: [{ creators: ["ann"] }, { creators: ["ben", "dan"] }, { creators: ["eve", "fay", "cat"] }] });
    expect(readFileSync(file, "utf8")).toBe(text);
  });

  it("exit 2: bad arguments, one JSON document under --json, no stack trace", async () => {
    const { file } = project();
    const results = await Promise.all([
      cli(["--config", file, "--ghost", "ghost:latest", "--canaries", "ann", "--json"]),
      cli(["--config", file, "--ghost", NEW_GHOST, "--json"]),
      cli(["--config", file, "--ghost", NEW_GHOST, "--canaries", "cat", "--dry-run", "--json"]),
      cli(["--config", file, "--canaries", "ann", "--json"]),
      spawned(["--ghost", NEW_GHOST, "--canaries", "ann"]),
    ]);
    for (const r of results) {
      expect(r.code).toBe(2);
      expect(r.stdout + r.stderr).not.toMatch(NO_TRACE);
    }
    expect(results.slice(0, 4).map((r) => (JSON.parse(r.stdout) as { error: { kind: string; message: string } }).error.message)).toEqual([
      expect.stringContaining("pin a version or digest"),
      expect.stringContaining("give --canaries"),
      expect.stringContaining('"cat" is suspended'),
      expect.stringContaining("give the new image"),
    ]);
    expect(results[4]?.stderr).toContain("give --stack <name> or --config <file>");
  });

  it("exit 1: an invalid stack, and a cluster that is not there, say so and write nothing", async () => {
    const { file, text } = project();
    writeFileSync(file, `${text}  creator-platform:rollout: { ghost: ${NEW_GHOST}, creators: [zed] }\n`);
    const invalid = await spawned(["--config", file, "--ghost", NEW_GHOST, "--canaries", "ann", "--dry-run", "--json"]);
    expect(invalid.code).toBe(1);
    expect(JSON.parse(invalid.stdout)).toMatchObject({ error: { kind: "invalid-stack", problems: [{ path: "rollout.creators[0]", line: 12 }] } });
    writeFileSync(file, text);
    const kubeconfig = join(mkdtempSync(join(tmpdir(), "kc-")), "kubeconfig");
    writeFileSync(
      kubeconfig,
      "apiVersion: v1\nkind: Config\nclusters: [{ name: c, cluster: { server: 'https://127.0.0.1:1' } }]\nusers: [{ name: u, user: { token: t } }]\ncontexts: [{ name: x, context: { cluster: c, user: u } }]\ncurrent-context: x\n",
    );
    const noCluster = await cli(["--config", file, "--ghost", NEW_GHOST, "--canaries", "ann", "--kubeconfig", kubeconfig]);
    expect(noCluster.code).toBe(1);
    expect(noCluster.stderr).toMatch(/^cannot read the cluster: .*Nothing was written\.\n$/s);
    expect(noCluster.stderr).not.toMatch(NO_TRACE);
    expect(readFileSync(file, "utf8")).toBe(text);
  });
});
