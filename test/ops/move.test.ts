import { describe, expect, test } from "vitest";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateCreatorDbs } from "../../scripts/fixtures/ghost-db.ts";
import { ops, stop, tempDir, writer } from "./helpers.ts";
import { countRows } from "../../scripts/ops/manifest.ts";
import { moveCreatorEntry, parseStackCreators } from "../../scripts/ops/stack-entries.ts";

const EU = `# Stack eu: creators served from Frankfurt
config:
  creator-platform:region: eu-central # do not change
  creator-platform:creators:
    # --- paying creators ---
    - { id: creator-0001, plan: pro, domains: [alice.blog, www.alice.blog] } # VIP
    # the next one asked to move to the US
    - { id: creator-0002, plan: starter, domains: [bob.example] }
    - { id: creator-0003, plan: starter, state: suspended }
    # end of list
  creator-platform:other: 1
`;
const US = `# Stack us
config:
  creator-platform:creators:
    # first US creator
    - { id: zed, plan: starter }
`;

/** The same lists in stack files the platform accepts: a cluster, a platform domain, no unknown keys. */
const valid = (text: string, domain: string, plans = "") =>
  text
    .replace(/^  creator-platform:(region|other):.*\n/gm, "")
    .replace("config:\n", `config:\n  creator-platform:cluster: { provider: existing }\n  creator-platform:platform: { domain: ${domain} }\n${plans}`);
const EU_STACK = valid(EU, "eu.creators.example");
const US_STACK = valid(US, "us.creators.example");

/** Stack files eu and us (the platform accepts both) in a temporary directory, with eu/ and us/ beside them for databases. */
function twoStacks(label: string) {
  const t = tempDir(label);
  const paths = { stacks: join(t.dir, "stacks"), eu: join(t.dir, "eu"), us: join(t.dir, "us"), backups: join(t.dir, "backups") };
  mkdirSync(paths.stacks);
  mkdirSync(paths.us);
  writeFileSync(join(paths.stacks, "Pulumi.eu.yaml"), EU_STACK);
  writeFileSync(join(paths.stacks, "Pulumi.us.yaml"), US_STACK);
  return { ...paths, cleanup: t.cleanup };
}

describe("move", () => {
  test("moves the entry, keeping both files' comments and order", () => {
    const out = moveCreatorEntry({ text: EU, file: "eu" }, { text: US, file: "us" }, "creator-0002");
    expect(out.source).toBe(EU.replace("    # the next one asked to move to the US\n    - { id: creator-0002, plan: starter, domains: [bob.example] }\n", "    # the next one asked to move to the US\n"));
    expect(out.target).toBe(`${US}    - { id: creator-0002, plan: starter, domains: [bob.example] }\n`);
    expect(parseStackCreators(out.source, "eu").map((c) => c.id)).toEqual(["creator-0001", "creator-0003"]);
    // The last entry: its comment stays in the source.
    const last = moveCreatorEntry({ text: EU, file: "eu" }, { text: "config: {}\n", file: "new" }, "creator-0003");
    expect(last.source).toContain("# end of list");
    expect(last.target).toBe("config:\n  creator-platform:creators:\n    - { id: creator-0003, plan: starter, state: suspended }\n");
  });

  test("refuses an id missing from the source or already in the target", () => {
    expect(() => moveCreatorEntry({ text: EU, file: "eu" }, { text: US, file: "us" }, "nobody")).toThrow(/eu: creator "nobody" is not in/);
    const both = US.replace("- { id: zed", "- { id: creator-0001, plan: pro }\n    - { id: zed");
    expect(() => moveCreatorEntry({ text: EU, file: "eu" }, { text: both, file: "us" }, "creator-0001")).toThrow(/us: creator "creator-0001" is already in/);
  });

  test("the CLI refuses a move the target stack could not take (a plan it lacks), before any data moves", async () => {
    const t = tempDir("move-plan");
    try {
      const stacks = join(t.dir, "stacks");
      const eu = join(t.dir, "eu");
      mkdirSync(stacks);
      generateCreatorDbs(eu, 2, { seed: 72 });
      const gold =
        "  creator-platform:plans:\n    gold:\n" +
        "      ghost: { requests: { cpu: 100m, memory: 256Mi }, limits: { cpu: '1', memory: 512Mi }, heapMb: 256 }\n" +
        "      sqld: { requests: { cpu: 10m, memory: 24Mi }, limits: { cpu: 200m, memory: 64Mi } }\n" +
        "      storage: 2Gi\n";
      const euText = valid(EU.replace("{ id: creator-0002, plan: starter", "{ id: creator-0002, plan: gold"), "eu.creators.example", gold);
      writeFileSync(join(stacks, "Pulumi.eu.yaml"), euText);
      writeFileSync(join(stacks, "Pulumi.us.yaml"), US_STACK);
      const backups = join(t.dir, "backups");
      const r = await ops(["move", "creator-0002", "--from-stack", "eu", "--to-stack", "us", "--stacks-dir", stacks, "--from-dir", eu, "--to-dir", join(t.dir, "us"), "--backup-to", backups]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/Pulumi\.us\.yaml \(after the move\).*\n.*creators\[1\]\.plan: unknown plan "gold"/);
      expect(r.stderr).toMatch(/Nothing was moved or changed/);
      expect(readFileSync(join(stacks, "Pulumi.eu.yaml"), "utf8")).toBe(euText);
      expect(readFileSync(join(stacks, "Pulumi.us.yaml"), "utf8")).toBe(US_STACK);
      expect(existsSync(backups)).toBe(false);
    } finally {
      t.cleanup();
    }
  });

  test("the CLI moves data and entry, verifies, and prints the DNS steps", async () => {
    const t = twoStacks("move");
    const { stacks, eu, us } = t;
    try {
      const counts = generateCreatorDbs(eu, 3, { seed: 71 });
      const args = ["move", "creator-0001", "--from-stack", "eu", "--to-stack", "us", "--stacks-dir", stacks, "--from-dir", eu, "--to-dir", us, "--backup-to", t.backups];
      const r = await ops([...args, "--json"]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const result = JSON.parse(r.stdout) as { rows: Record<string, number>; manualSteps: string[] };
      expect(result.rows).toEqual(counts.get("creator-0001")?.rows);
      expect(countRows(join(us, "creator-0001.db"))).toEqual(counts.get("creator-0001")?.rows);
      expect(result.manualSteps.join("\n")).toMatch(/DNS: point alice\.blog at the ingress of stack us/);
      expect(result.manualSteps.join("\n")).toMatch(/www\.alice\.blog/);
      const euAfter = readFileSync(join(stacks, "Pulumi.eu.yaml"), "utf8");
      expect(euAfter).not.toContain("creator-0001");
      expect(euAfter).toContain("# --- paying creators ---");
      expect(readFileSync(join(stacks, "Pulumi.us.yaml"), "utf8")).toBe(`${US_STACK}    - { id: creator-0001, plan: pro, domains: [alice.blog, www.alice.blog] } # VIP\n`);

      // Again: now missing from the source → exit 2, nothing written.
      const usBefore = readFileSync(join(stacks, "Pulumi.us.yaml"), "utf8");
      const again = await ops(args);
      expect(again.code).toBe(2);
      expect(again.stderr).toMatch(/creator "creator-0001" is not in/);
      expect(readFileSync(join(stacks, "Pulumi.us.yaml"), "utf8")).toBe(usBefore);

      // A source database that cannot be read: exit 1, stack files untouched.
      writeFileSync(join(eu, "creator-0002.db"), "broken".repeat(500));
      const euBefore = readFileSync(join(stacks, "Pulumi.eu.yaml"), "utf8");
      const failed = await ops(["move", "creator-0002", "--from-stack", "eu", "--to-stack", "us", "--stacks-dir", stacks, "--from-dir", eu, "--to-dir", us, "--backup-to", t.backups]);
      expect(failed.code).toBe(1);
      expect(failed.stdout).toMatch(/backup failed: \S+creator-0002.db is not a database \(no SQLite header\); nothing was changed/);
      expect(readFileSync(join(stacks, "Pulumi.eu.yaml"), "utf8")).toBe(euBefore);
    } finally {
      t.cleanup();
    }
  });
});

describe("a move that fails at the target, and its recovery advice followed", () => {
  test("the target database in use: refused, stack files untouched; the printed command, run once the writer stops, completes the move", async () => {
    const t = twoStacks("move-recover");
    const { stacks, eu, us } = t;
    try {
      generateCreatorDbs(eu, 2, { seed: 81 });
      // The target already holds a database for this creator, open in another process (a sqld still running there).
      const held = generateCreatorDbs(us, 2, { seed: 82 });
      const live = await writer(join(us, "creator-0002.db"), "wal", "idle");
      const args = ["move", "creator-0002", "--from-stack", "eu", "--to-stack", "us", "--stacks-dir", stacks, "--from-dir", eu, "--to-dir", us, "--backup-to", t.backups, "--force"];
      let advice = "";
      try {
        const failed = await ops(args);
        expect(failed.code).toBe(1);
        expect(failed.stdout).toMatch(/restore into \S+creator-0002\.db failed: .*in use.*; stack files unchanged/);
        advice = /To recover: .*\n {2}(npm run -s ops -- .*)\n/.exec(failed.stdout)?.[1] ?? "";
        expect(advice).toBe(`npm run -s ops -- ${args.join(" ")}`);
        expect(readFileSync(join(stacks, "Pulumi.eu.yaml"), "utf8")).toBe(EU_STACK);
        expect(readFileSync(join(stacks, "Pulumi.us.yaml"), "utf8")).toBe(US_STACK);
        expect(countRows(join(us, "creator-0002.db"))).toEqual(held.get("creator-0002")?.rows);
      } finally {
        await stop(live);
      }
      // The advice, followed: the same command.
      const again = await ops(advice.replace(/^npm run -s ops -- /, "").split(" "));
      expect(again.code, again.stdout + again.stderr).toBe(0);
      expect(readFileSync(join(stacks, "Pulumi.us.yaml"), "utf8")).toContain("creator-0002");
      expect(readFileSync(join(stacks, "Pulumi.eu.yaml"), "utf8")).not.toContain("creator-0002");
    } finally {
      t.cleanup();
    }
  });
});

describe("move into a stack without room", () => {
  test("is refused before any data moves, when the target's pools cannot hold one more creator", async () => {
    const t = tempDir("move-full");
    try {
      const stacks = join(t.dir, "stacks");
      mkdirSync(stacks);
      const eu = join(t.dir, "eu");
      generateCreatorDbs(eu, 2, { seed: 75 });
      writeFileSync(join(stacks, "Pulumi.eu.yaml"), EU_STACK);
      // One g4s.kube.small holds five starters and the system pods (npm run cost says so); a sixth does not fit.
      const full =
        "config:\n  creator-platform:cluster: { provider: civo, region: NYC1, kubernetesVersion: 1.30.5-k3s1, nodePools: [{ name: a, size: g4s.kube.small, count: 1 }] }\n" +
        "  creator-platform:platform: { domain: us.creators.example }\n  creator-platform:monitoring: { enabled: false }\n  creator-platform:creators:\n" +
        [1, 2, 3, 4, 5].map((i) => `    - { id: us-${i}, plan: starter }\n`).join("");
      writeFileSync(join(stacks, "Pulumi.us.yaml"), full);
      const backups = join(t.dir, "backups");
      const r = await ops(["move", "creator-0002", "--from-stack", "eu", "--to-stack", "us", "--stacks-dir", stacks, "--from-dir", eu, "--to-dir", join(t.dir, "us"), "--backup-to", backups]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/Pulumi\.us\.yaml \(after the move\).*\n.*cluster\.nodePools\[0\]\.count: \d+ always-awake creators, \d+ awake pods for 6 sleeping creators and the system pods need 2 g4s\.kube\.small nodes but count allows 1/);
      expect(readFileSync(join(stacks, "Pulumi.us.yaml"), "utf8")).toBe(full);
      expect(readFileSync(join(stacks, "Pulumi.eu.yaml"), "utf8")).toBe(EU_STACK);
      expect(existsSync(backups)).toBe(false);
      expect(existsSync(join(t.dir, "us"))).toBe(false);
    } finally {
      t.cleanup();
    }
  });
});
