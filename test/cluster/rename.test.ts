/**
 * CreatorSite's type token moved from creator-platform:index:CreatorSite to
 * creator-platform:creator:CreatorSite (one scheme for every component). The
 * real engine must see no change for sites created under the old token: the
 * alias carries every URN over. Without the alias the same preview would
 * replace every creator's objects, which this test shows too.
 */
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../scripts/tools/build-tools.ts";
import { type ControlPlane, startControlPlane } from "../../scripts/cluster/control-plane.ts";
import { type PulumiWorkspace, createWorkspace, localStackConfig } from "../../scripts/cluster/pulumi-engine.ts";

const SITE = "components/creator-site.ts";
const ALIASED = /super\(CREATOR_SITE_TYPE, name, \{\}, \{ \.\.\.opts, aliases: \[\.\.\.\(opts\.aliases \?\? \[\]\), \{ type: "creator-platform:index:CreatorSite" \}\] \}\);/;

let cp: ControlPlane;
let ws: PulumiWorkspace;

describe("the CreatorSite type token's rename (real engine)", () => {
  beforeAll(async () => {
    cp = await startControlPlane({ persistentVolumes: { count: 4, size: "10Gi" } });
    ws = await createWorkspace({
      stack: "rename",
      kubeconfig: cp.kubeconfig,
      config: localStackConfig([
        { id: "ann", plan: "starter" },
        { id: "ben", plan: "starter" },
      ]),
      secrets: { "creator-platform:sqldKeySeed": "rename-test-seed-0123456789abcdef0123" },
    });
  });
  afterAll(async () => {
    ws?.remove();
    await cp?.stop();
  });

  const site = () => join(ws.project, SITE);
  const withSite = (replace: (text: string) => string) => writeFileSync(site(), replace(readFileSync(join(REPO_ROOT, SITE), "utf8")));

  it("sites created under the old token need no change with the alias, and would all be replaced without it", async () => {
    expect(readFileSync(join(REPO_ROOT, SITE), "utf8")).toMatch(ALIASED);
    // The program as it was: the old token, no alias.
    withSite((text) => text.replace(ALIASED, 'super("creator-platform:index:CreatorSite", name, {}, opts);'));
    const up = await ws.pulumi(["up", "--yes", "--skip-preview"]);
    expect(up.code, up.stdout.slice(-3000)).toBe(0);

    // The new token without its alias: every site's objects would be replaced (deleted and created).
    withSite((text) => text.replace(ALIASED, "super(CREATOR_SITE_TYPE, name, {}, opts);"));
    const bare = await ws.pulumi(["preview", "--expect-no-changes"]);
    expect(bare.code).not.toBe(0);
    expect(bare.stdout).toMatch(/creator-platform:creator:CreatorSite\s+ann\s+create/);

    // The program as it is: the alias carries the URNs over, nothing changes.
    cpSync(join(REPO_ROOT, SITE), site());
    const aliased = await ws.pulumi(["preview", "--expect-no-changes"]);
    expect(aliased.code, aliased.stdout.slice(-3000)).toBe(0);
  });
});
