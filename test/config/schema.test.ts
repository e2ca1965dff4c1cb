import { readdirSync } from "node:fs";
import { BUILT_IN_PLANS } from "../../infra/config/plans.ts";
import { describe, expect, it } from "vitest";
import { loadStackFile, STACKS_DIR } from "../../infra/config/stack-file.ts";
import { ConfigError, type Problem, validateStackConfig } from "../../infra/config/validate.ts";
import { rawConfig } from "../support/config.ts";

function problemsOf(raw: Record<string, unknown>): Problem[] {
  try {
    validateStackConfig(raw, "test");
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected the configuration to be rejected");
}

const paths = (problems: Problem[]) => problems.map((p) => p.path);

describe("shipped stacks", () => {
  const stacks = readdirSync(STACKS_DIR).filter((f) => f.endsWith(".yaml"));
  it.each(stacks)("%s validates", (file) => {
    const { config } = loadStackFile(`${STACKS_DIR}/${file}`);
    expect(config.creators.length).toBeGreaterThan(0);
  });
});

describe("a valid configuration", () => {
  it("applies defaults and merges the built-in plans", () => {
    const config = validateStackConfig(rawConfig(), "test");
    expect(config.storage).toEqual({ type: "block" });
    expect(config.creators[0]).toEqual({ id: "alice", plan: "starter", domains: [], state: "active", sqldKeyGeneration: 1 });
    expect(Object.keys(config.plans)).toEqual(expect.arrayContaining(["starter", "standard", "pro"]));
    expect(config.cluster.provider === "existing" && config.cluster.ships).toEqual([]);
  });

  it("lets a stack add a plan and replace a built-in one by name", () => {
    const custom = {
      ghost: { requests: { cpu: "40m", memory: "160Mi" }, limits: { cpu: "400m", memory: "300Mi" }, heapMb: 160 },
      sqld: { requests: { cpu: "5m", memory: "16Mi" }, limits: { cpu: "100m", memory: "48Mi" } },
      storage: "512Mi",
    };
    const config = validateStackConfig(
      rawConfig({ plans: { starter: custom, tiny: custom }, creators: [{ id: "a", plan: "tiny" }] }),
      "test",
    );
    expect(config.plans.starter?.storage).toBe("512Mi");
    expect(config.plans.tiny?.ghost.heapMb).toBe(160);
    expect(config.plans.pro).toBeDefined();
  });

  it("accepts Civo and Linode clusters", () => {
    const civo = {
      provider: "civo",
      region: "LON1",
      kubernetesVersion: "1.30.5-k3s1",
      nodePools: [{ name: "main", size: "g4s.kube.large", autoscaler: { min: 1, max: 5 } }],
    };
    const linode = {
      provider: "linode",
      region: "us-east",
      kubernetesVersion: "1.33",
      nodePools: [{ name: "main", type: "g6-standard-4", count: 3 }],
    };
    expect(validateStackConfig(rawConfig({ cluster: civo }), "t").cluster.provider).toBe("civo");
    const lke = validateStackConfig(rawConfig({ cluster: linode }), "t").cluster;
    expect(lke.provider === "linode" && lke.highAvailability).toBe(false);
  });
});

describe("an invalid configuration", () => {
  it("reports every problem at once, each with its path", () => {
    const problems = problemsOf(
      rawConfig({
        creators: [
          { id: "alice", plan: "starter" },
          { id: "Bob_1", plan: "starter" },
          { id: "carol", plan: "gold" },
          { id: "dave", plan: "starter", domains: ["not a domain"] },
        ],
      }),
    );
    expect(paths(problems)).toEqual(
      expect.arrayContaining(["creators[1].id", "creators[2].plan", "creators[3].domains[0]"]),
    );
    expect(problems.find((p) => p.path === "creators[2].plan")?.message).toMatch(/unknown plan "gold".*starter/);
  });

  it("rejects unknown keys instead of ignoring them", () => {
    const problems = problemsOf(
      rawConfig({ creators: [{ id: "alice", plan: "starter", domian: ["x.com"] }], storge: { type: "local" } }),
    );
    expect(paths(problems)).toEqual(expect.arrayContaining(["creators[0].domian", "storge"]));
    expect(problems[0]?.message).toMatch(/unknown key/);
  });

  it("rejects duplicate ids and duplicate domains anywhere in the list", () => {
    const problems = problemsOf(
      rawConfig({
        creators: [
          { id: "alice", plan: "starter", domains: ["alice.blog"] },
          { id: "bob", plan: "starter" },
          { id: "alice", plan: "standard" },
          { id: "carol", plan: "starter", domains: ["carol.blog", "alice.blog"] },
          { id: "dave", plan: "starter", domains: ["dave.blog", "dave.blog"] },
        ],
      }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        { path: "creators[2].id", message: expect.stringMatching(/duplicate id "alice".*creators\[0\]/) },
        { path: "creators[3].domains[1]", message: expect.stringMatching(/alice\.blog.*creators\[0\]\.domains\[0\]/) },
        { path: "creators[4].domains[1]", message: expect.stringMatching(/duplicate host dave\.blog/) },
      ]),
    );
  });

  it("rejects a custom domain inside the platform domain (it could take another creator's address)", () => {
    const problems = problemsOf(rawConfig({ creators: [{ id: "a", plan: "starter", domains: ["b.creators.example"] }] }));
    expect(problems).toEqual([{ path: "creators[0].domains[0]", message: expect.stringMatching(/outside the platform domain/) }]);
  });

  it("rejects ids too long for a namespace name", () => {
    const problems = problemsOf(rawConfig({ creators: [{ id: "a".repeat(56), plan: "starter" }] }));
    expect(problems[0]).toEqual({ path: "creators[0].id", message: expect.stringMatching(/at most 55/) });
  });

  it("takes an idle time the sleep engine takes: whole minutes or hours, from 1m to 24h", () => {
    const plan = (sleepAfter: string) => ({ ...BUILT_IN_PLANS.starter, sleepAfter });
    for (const bad of ["0m", "10", "90s", "1d", "25h"]) {
      expect(paths(problemsOf(rawConfig({ plans: { nap: plan(bad) }, creators: [{ id: "a", plan: "nap" }] }))), bad).toEqual(["plans.nap.sleepAfter"]);
    }
    for (const good of ["1m", "10m", "24h"]) {
      expect(validateStackConfig(rawConfig({ plans: { nap: plan(good) }, creators: [{ id: "a", plan: "nap" }] }), "test").plans.nap?.sleepAfter).toBe(good);
    }
  });

  it("checks plans: limits at least requests, a heap that fits the limit", () => {
    const bad = {
      ghost: { requests: { cpu: "500m", memory: "200Mi" }, limits: { cpu: "100m", memory: "150Mi" }, heapMb: 128 },
      sqld: { requests: { cpu: "5m", memory: "16Mi" }, limits: { cpu: "100m", memory: "48Mi" } },
      storage: "1Gi",
    };
    const problems = problemsOf(rawConfig({ plans: { bad }, creators: [{ id: "a", plan: "bad" }] }));
    expect(paths(problems).sort()).toEqual(
      [
        "plans.bad.ghost.heapMb",
        "plans.bad.ghost.limits.cpu",
        "plans.bad.ghost.limits.memory",
      ].sort(),
    );
  });

  it("names the field for cluster problems", () => {
    expect(paths(problemsOf(rawConfig({ cluster: { provider: "aws" } })))).toEqual(["cluster.provider"]);
    const civo = {
      provider: "civo",
      region: "london",
      kubernetesVersion: "1.27.3-k3s1",
      nodePools: [{ name: "a", size: "g4s.kube.huge" }],
    };
    expect(paths(problemsOf(rawConfig({ cluster: civo }))).sort()).toEqual(
      ["cluster.kubernetesVersion", "cluster.nodePools[0].size", "cluster.region"].sort(),
    );
    const pools = {
      provider: "linode",
      region: "us-east",
      kubernetesVersion: "1.33",
      nodePools: [
        { name: "a", type: "g6-standard-2", count: 2, autoscaler: { min: 1, max: 3 } },
        { name: "a", type: "g6-standard-2", autoscaler: { min: 4, max: 3 } },
      ],
    };
    expect(paths(problemsOf(rawConfig({ cluster: pools }))).sort()).toEqual(
      ["cluster.nodePools[0]", "cluster.nodePools[1].autoscaler.max", "cluster.nodePools[1].name"].sort(),
    );
  });

  it("refuses a Ghost heap too small for the first boot's migrations", () => {
    const plan = {
      ghost: { requests: { cpu: "40m", memory: "160Mi" }, limits: { cpu: "400m", memory: "300Mi" }, heapMb: 96 },
      sqld: { requests: { cpu: "5m", memory: "16Mi" }, limits: { cpu: "100m", memory: "48Mi" } },
      storage: "1Gi",
    };
    expect(problemsOf(rawConfig({ plans: { tiny: plan }, creators: [{ id: "a", plan: "tiny" }] }))).toEqual([
      { path: "plans.tiny.ghost.heapMb", message: expect.stringMatching(/at least 128.*first boot/) },
    ]);
  });

  it("requires the SMTP password with a mail relay, and the Cloudflare token with a wildcard certificate", () => {
    const platform = {
      domain: "creators.example",
      tls: { mode: "letsencrypt", email: "ops@creators.example", wildcard: { dnsProvider: "cloudflare" } },
      mail: { from: "Creators <noreply@creators.example>", host: "smtp.mail.example", user: "postmaster" },
    };
    expect(paths(problemsOf(rawConfig({ platform }))).sort()).toEqual(["cloudflareApiToken", "smtpPassword"]);
  });

  it("requires an ACME e-mail for Let's Encrypt", () => {
    const problems = problemsOf(rawConfig({ platform: { domain: "creators.example", tls: { mode: "letsencrypt" } } }));
    expect(problems).toEqual([{ path: "platform.tls.email", message: expect.stringMatching(/required/) }]);
  });

  it("formats the report with the source and one line per problem", () => {
    try {
      validateStackConfig(rawConfig({ creators: [{ id: "x", plan: "nope" }, { id: "x", plan: "starter" }] }), "stacks/Pulumi.t.yaml");
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toBe(
        [
          "stacks/Pulumi.t.yaml: 2 problems in the stack configuration:",
          '  - creators[0].plan: unknown plan "nope" (defined: pro, standard, starter)',
          '  - creators[1].id: duplicate id "x": already used by creators[0]',
        ].join("\n"),
      );
    }
  });
});

describe("the sqld key seed", () => {
  it("is required, with the command that sets it", () => {
    const { sqldKeySeed: _, ...withoutSeed } = rawConfig();
    expect(() => validateStackConfig(withoutSeed, "t")).toThrow(/sqldKeySeed: required: pulumi config set --secret sqldKeySeed/);
  });
  it("must be long enough to be a secret", () => {
    expect(() => validateStackConfig(rawConfig({ sqldKeySeed: "short" }), "t")).toThrow(/sqldKeySeed: at least 32 characters/);
  });
});

describe("Civo's API allow-list", () => {
  it("is refused, since @pulumi/civo 1.0.7 cannot attach a firewall to a cluster", () => {
    const civo = { provider: "civo", region: "LON1", kubernetesVersion: "1.30.5-k3s1", apiAllowedCidrs: ["203.0.113.0/24"], nodePools: [{ name: "a", size: "g4s.kube.large" }] };
    expect(() => validateStackConfig(rawConfig({ cluster: civo }), "t")).toThrow(/cluster\.apiAllowedCidrs: cannot be enforced on Civo/);
  });
});
