/**
 * Changes to copies of the shipped stacks, in process: written only when the
 * stack as it would be passes the plan's checks (schema, cross-stack rules,
 * capacity, cost ceiling); refused ones leave the file byte for byte as it was.
 */
import { cpSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { STACKS_DIR, loadStackFile, stackFilePath } from "../../infra/config/stack-file.ts";
import { ConfigError } from "../../infra/config/validate.ts";
import { CapacityError } from "../../infra/cost/index.ts";
import { type Change, UnknownCreatorError, changeStack } from "../../scripts/creators/change.ts";
import { listCreators, renderList } from "../../scripts/creators/list.ts";

let dir: string;
let lon1: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "creators-change-"));
  cpSync(STACKS_DIR, dir, { recursive: true });
  lon1 = stackFilePath("civo-lon1", dir);
});

/** The change applied with `dir` standing for the repository's stacks (cross-stack rules on). */
const apply = (change: Change, path = lon1) => changeStack(path, change, dir);
const add = (id: string, plan: string, domains: string[] = []): Change => ({ action: "add", creator: { id, plan, domains } });

/** What `run` throws; the stack file must be unchanged, and no temporary file left beside it. */
function refused(run: () => unknown, path = lon1): Error {
  const before = readFileSync(path);
  const files = readdirSync(dir).sort();
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(Error);
  expect(readFileSync(path).equals(before)).toBe(true);
  expect(readdirSync(dir).sort()).toEqual(files);
  return thrown as Error;
}

const problems = (error: Error) => (error as ConfigError).problems.map((p) => `${p.path}: ${p.message}`).join("\n");

describe("add", () => {
  it("writes one line, the stack passes what the plan loads, and list shows the creator", () => {
    const before = readFileSync(lon1, "utf8");
    const result = apply(add("new-writer", "standard", ["new-writer.blog"]));
    const after = readFileSync(lon1, "utf8");
    expect(after.split("\n")).toHaveLength(before.split("\n").length + 1);
    expect(after).toBe(before.replace("york-stitch, plan: starter }\n", "york-stitch, plan: starter }\n    - { id: new-writer, plan: standard, domains: [new-writer.blog] }\n"));
    expect(result).toMatchObject({ stack: "civo-lon1", action: "add", changed: true, creator: { id: "new-writer", plan: "standard", state: "active", domains: ["new-writer.blog"] } });
    expect(result.cost.perCreatorUsd).toBeLessThanOrEqual(3.5);
    expect(loadStackFile(lon1).config.creators.at(-1)?.id).toBe("new-writer");
    expect(readdirSync(dir).filter((f) => f.startsWith("."))).toEqual([]);

    const { list, cost } = listCreators(lon1, dir);
    const row = list.creators.find((c) => c.id === "new-writer");
    expect(row).toEqual({ id: "new-writer", plan: "standard", state: "active", domains: ["new-writer.blog"], monthlyUsd: cost.perPlan.standard?.perCreatorUsd });
    expect(row?.monthlyUsd).toBeGreaterThan(0);
    expect(renderList(list, cost)).toMatch(/│ new-writer +│ standard +│ active +│ new-writer\.blog +│ \$\d+\.\d\d +│/);
  });

  it.each([
    ["a duplicate id", add("ada-writes", "starter"), /creators\[30\]\.id: duplicate id "ada-writes": already used by creators\[0\]/],
    ["an id of another stack", add("brooklyn-bread", "starter"), /"brooklyn-bread" is also a creator of stack linode-us-east/],
    ["a domain of another creator", add("new-writer", "starter", ["camdenjazz.co.uk"]), /duplicate host camdenjazz\.co\.uk/],
    ["a domain of another stack", add("new-writer", "starter", ["phillymurals.art"]), /phillymurals\.art is also a domain of a creator of stack linode-us-east/],
    ["an unknown plan", add("new-writer", "gold"), /creators\[30\]\.plan: unknown plan "gold" \(defined: pro, standard, starter\)/],
    ["a bad domain", add("new-writer", "starter", ["Not A Domain"]), /creators\[30\]\.domains\[0\]: must be a lowercase fully qualified host name/],
    ["a bad id", add("New_Writer", "starter"), /creators\[30\]\.id: must be a DNS-1123 label/],
    ["a domain on the platform domain", add("new-writer", "starter", ["x.uk.creators.example"]), /custom domains must be outside the platform domain/],
  ])("refuses %s: exit-1 report, file unchanged", (_, change, message) => {
    const error = refused(() => apply(change));
    expect(error).toBeInstanceOf(ConfigError);
    expect(problems(error)).toMatch(message);
    expect((error as ConfigError).source).toMatch(/Pulumi\.civo-lon1\.yaml \(after add /);
  });

  it("refuses a creator over the cost ceiling", () => {
    const perCreator = listCreators(lon1, dir).list.perCreatorUsd;
    writeFileSync(lon1, readFileSync(lon1, "utf8").replace("maxMonthlyCostPerCreator: 3.5", `maxMonthlyCostPerCreator: ${perCreator}`));
    // The first pro creator fits on the nodes there are, and lowers the cost per creator: accepted.
    expect(apply(add("pro-one", "pro")).cost.perCreatorUsd).toBeLessThan(perCreator);
    // The second needs a seventh node.
    const error = refused(() => apply(add("pro-two", "pro")));
    expect(problems(error)).toMatch(new RegExp(`^maxMonthlyCostPerCreator: maxMonthlyCostPerCreator is \\$${perCreator.toFixed(2)} but this stack costs \\$[\\d.]+ per creator per month \\(\\$[\\d.]+ for 31 creators`));
  });

  it("refuses a creator the pool's fixed node count cannot hold", () => {
    // Four nodes hold the stack as shipped (its starters sleep: the nodes hold their awake share).
    writeFileSync(lon1, readFileSync(lon1, "utf8").replace("size: g4s.kube.small }", "size: g4s.kube.small, count: 4 }"));
    // Pro creators never sleep: add them until the four nodes are full.
    let accepted = 0;
    for (; accepted < 20; accepted++) {
      try {
        apply(add(`pro-${accepted}`, "pro"));
      } catch (error) {
        if (!(error instanceof CapacityError)) throw error;
        break;
      }
    }
    expect(accepted).toBeGreaterThan(0);
    expect(accepted).toBeLessThan(20);
    const error = refused(() => apply(add(`pro-${accepted}`, "pro")));
    expect(error).toBeInstanceOf(CapacityError);
    expect(problems(error)).toMatch(/cluster\.nodePools\[0\]\.count: \d+ always-awake creators, \d+ awake pods for \d+ sleeping creators and the system pods need 5 g4s\.kube\.small nodes but count allows 4/);
  });

  it("refuses any change to a stack file that is invalid already, naming it", () => {
    writeFileSync(lon1, readFileSync(lon1, "utf8").replace("plan: pro,", "plan: platinum,"));
    const error = refused(() => apply(add("new-writer", "starter")));
    expect((error as ConfigError).source).toBe(lon1);
    expect(problems(error)).toMatch(/unknown plan "platinum"/);
  });
});

describe("suspend, resume, retire", () => {
  it("round trip: each a one-line change, then back to the shipped text", () => {
    const shipped = readFileSync(lon1, "utf8");
    const suspended = apply({ action: "suspend", id: "camden-jazz" });
    expect(suspended).toMatchObject({ changed: true, from: "active", creator: { id: "camden-jazz", state: "suspended", domains: ["camdenjazz.co.uk"] } });
    expect(readFileSync(lon1, "utf8")).toBe(shipped.replace("domains: [camdenjazz.co.uk] }", "domains: [camdenjazz.co.uk], state: suspended }"));
    expect(apply({ action: "suspend", id: "camden-jazz" })).toMatchObject({ changed: false, from: "suspended" });
    expect(apply({ action: "retire", id: "camden-jazz" })).toMatchObject({ changed: true, from: "suspended", creator: { state: "retired" } });
    expect(loadStackFile(lon1).config.creators.find((c) => c.id === "camden-jazz")?.state).toBe("retired");
    expect(apply({ action: "resume", id: "camden-jazz" })).toMatchObject({ changed: true, from: "retired", creator: { state: "active" } });
    expect(readFileSync(lon1, "utf8")).toBe(shipped);
    apply({ action: "resume", id: "quiet-commute" });
    expect(readFileSync(lon1, "utf8")).toBe(shipped.replace("quiet-commute, plan: starter, state: suspended }", "quiet-commute, plan: starter }"));
  });

  it("retire keeps the entry; list shows it retired with no cost share", () => {
    const before = listCreators(lon1, dir).list;
    apply({ action: "retire", id: "oxford-maths" });
    const { list, cost } = listCreators(lon1, dir);
    expect(list.creators.map((c) => c.id)).toEqual(before.creators.map((c) => c.id));
    expect(list.creators.find((c) => c.id === "oxford-maths")).toEqual({ id: "oxford-maths", plan: "pro", state: "retired", domains: ["oxmaths.org"], monthlyUsd: 0 });
    expect(cost.perPlan.pro).toBeUndefined(); // no other pro creator: the cost model has no pro share now
    expect(list.creators.find((c) => c.id === "rye-pottery")?.monthlyUsd).toBe(0);
    expect(cost.creators).toBe(before.creators.filter((c) => c.state !== "retired").length - 1);
  });

  it("refuses a retirement that leaves the stack over its cost ceiling", () => {
    const perCreator = listCreators(lon1, dir).list.perCreatorUsd;
    writeFileSync(lon1, readFileSync(lon1, "utf8").replace("maxMonthlyCostPerCreator: 3.5", `maxMonthlyCostPerCreator: ${perCreator}`));
    const error = refused(() => apply({ action: "retire", id: "ada-writes" }));
    expect(problems(error)).toMatch(/^maxMonthlyCostPerCreator: /);
  });

  it("an unknown id: exit-1 error naming the id and the stack's creators", () => {
    const dev = stackFilePath("dev", dir);
    const error = refused(() => apply({ action: "retire", id: "dave" }, dev), dev);
    expect(error).toBeInstanceOf(UnknownCreatorError);
    expect(error.message).toBe('stack dev has no creator "dave"; its creators: alice, bob, carol');
    const many = refused(() => apply({ action: "suspend", id: "nobody" }));
    expect(many.message).toMatch(/^stack civo-lon1 has no creator "nobody"; its creators: ada-writes, .* and 10 more \(list shows them all\)$/);
  });
});
