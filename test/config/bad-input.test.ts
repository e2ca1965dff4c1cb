/**
 * A corpus of invalid stack files, as a careless operator writes them. Each is
 * read the way the plan, the cost report and the ops tools read a stack file
 * (loadStackFile) and must be refused with a message naming the field and the
 * reason, never a stack trace. What the plan CLI does with such a file (exit 1,
 * the report on stderr, nothing written) is test/plan/plan-cli.test.ts: every
 * ConfigError takes the same path there, a YAML error or a schema error.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { crossStackProblems, loadStackFile, projectKeys, readStackFile } from "../../infra/config/stack-file.ts";
import { ConfigError, validateStackConfig } from "../../infra/config/validate.ts";

const dir = mkdtempSync(join(tmpdir(), "bad-input-"));

const CLUSTER = "  creator-platform:cluster: { provider: existing, ingress: { namespace: traefik } }";
const PLATFORM = "  creator-platform:platform: { domain: creators.example }";
const CREATORS = "  creator-platform:creators: [{ id: alice, plan: starter }]";
const stack = (...lines: string[]) => ["config:", ...lines].join("\n") + "\n";
const withCreators = (creators: string) => stack(CLUSTER, PLATFORM, `  creator-platform:creators: ${creators}`);
const withPlan = (plan: string) => stack(CLUSTER, PLATFORM, CREATORS, `  creator-platform:plans: { tiny: ${plan} }`);
const PLAN = (ghost: string, sqld = "{ requests: { cpu: 10m, memory: 24Mi }, limits: { cpu: 100m, memory: 64Mi } }", storage = "1Gi") =>
  `{ ghost: ${ghost}, sqld: ${sqld}, storage: ${storage} }`;
const GHOST = (requests: string, limits = "{ cpu: 500m, memory: 320Mi }") => `{ requests: ${requests}, limits: ${limits}, heapMb: 192 }`;

/** [what, file text, message that must appear]. */
const CORPUS: Array<[string, string, RegExp]> = [
  // YAML that is not plain data
  ["a tab for indentation", "config:\n\tcreator-platform:creators: []\n", /\(yaml\).*line 2, column 1/],
  ["a duplicate key", stack(CLUSTER, PLATFORM, CREATORS, CREATORS), /\(yaml\): Map keys must be unique.*line 5/],
  ["an alias", stack(CLUSTER, "  creator-platform:platform: &p { domain: creators.example }", "  creator-platform:x: *p", CREATORS), /aliases \(\*p\) are not allowed.*line 4/],
  [
    "an alias bomb",
    "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\nconfig: {}\n",
    /aliases \(\*a\) are not allowed/,
  ],
  ["a merge key", stack(CLUSTER, PLATFORM, "  creator-platform:creators: [{ <<: { plan: starter }, id: alice }]"), /merge keys \(<<\) are not allowed/],
  ["no config map", "creators: []\n", /config: the file needs a top-level config: map/],
  ["unbalanced brackets", stack(CLUSTER, PLATFORM, "  creator-platform:creators: [{ id: alice, plan: starter }"), /\(yaml\).*line/],
  // Namespaces and secrets
  ["a misspelt project prefix", stack(CLUSTER, PLATFORM, "  creator-platfrom:creators: []"), /creator-platfrom:creators: unknown namespace "creator-platfrom": did you mean creator-platform:creators\?/],
  ["a prefix with an underscore", stack(CLUSTER, PLATFORM, CREATORS, "  creator_platform:monitoring: { enabled: false }"), /did you mean creator-platform:monitoring\?/],
  ["a plain-text SMTP password", stack(CLUSTER, PLATFORM, CREATORS, "  creator-platform:smtpPassword: hunter2"), /smtpPassword: is a secret written in plain text: delete the line and run `pulumi config set --secret smtpPassword <value>`/],
  ["a plain-text Cloudflare token", stack(CLUSTER, PLATFORM, CREATORS, "  creator-platform:cloudflareApiToken: cf-123"), /cloudflareApiToken: is a secret written in plain text/],
  ["a plain-text backup key", stack(CLUSTER, PLATFORM, CREATORS, "  creator-platform:backupSecretAccessKey: abc"), /backupSecretAccessKey: is a secret written in plain text/],
  ["a plain-text seed", stack(CLUSTER, PLATFORM, CREATORS, "  creator-platform:sqldKeySeed: 0123456789abcdef0123456789abcdef"), /sqldKeySeed: is a secret written in plain text/],
  ["an unknown key", stack(CLUSTER, PLATFORM, CREATORS, "  creator-platform:creaters: []"), /creaters: unknown key/],
  // Creators
  ["a creator without a plan", withCreators("[{ id: alice }]"), /creators\[0\]\.plan: required/],
  ["a numeric id", withCreators("[{ id: 42, plan: starter }]"), /creators\[0\]\.id: must be text, got the number 42: quote it \("42"\)/],
  ["an id with capitals", withCreators("[{ id: Alice, plan: starter }]"), /creators\[0\]\.id: must be a DNS-1123 label.*\(got "Alice"\)/],
  ["an id with a dot", withCreators("[{ id: al.ice, plan: starter }]"), /creators\[0\]\.id: must be a DNS-1123 label/],
  ["an id too long", withCreators(`[{ id: ${"a".repeat(56)}, plan: starter }]`), /creators\[0\]\.id: at most 55 characters/],
  ["a reserved id (www)", withCreators("[{ id: www, plan: starter }]"), /creators\[0\]\.id: is reserved for the platform's own site/],
  ["a reserved id (ops)", withCreators("[{ id: ops, plan: starter }]"), /creators\[0\]\.id: is reserved for the platform's operations namespace/],
  ["a reserved id (platform)", withCreators("[{ id: platform, plan: starter }]"), /creators\[0\]\.id: is reserved for the platform itself/],
  ["a duplicate id", withCreators("[{ id: alice, plan: starter }, { id: alice, plan: pro }]"), /creators\[1\]\.id: duplicate id "alice"/],
  ["an unknown plan", withCreators("[{ id: alice, plan: premium }]"), /creators\[0\]\.plan: unknown plan "premium" \(defined: pro, standard, starter\)/],
  ["an unknown state", withCreators("[{ id: alice, plan: starter, state: paused }]"), /creators\[0\]\.state: .*\(got "paused"\)/],
  ["a domain that is not a host name", withCreators("[{ id: alice, plan: starter, domains: [not_a_host] }]"), /creators\[0\]\.domains\[0\]: must be a lowercase fully qualified host name/],
  ["a domain inside the platform domain", withCreators("[{ id: alice, plan: starter, domains: [bob.creators.example] }]"), /creators\[0\]\.domains\[0\]: custom domains must be outside the platform domain/],
  ["the same domain twice", withCreators("[{ id: a, plan: starter, domains: [a.blog] }, { id: b, plan: starter, domains: [a.blog] }]"), /creators\[1\]\.domains\[0\]: duplicate host a\.blog/],
  ["creators as a map", withCreators("{ alice: starter }"), /creators: must be a list/],
  ["a key generation of zero", withCreators("[{ id: alice, plan: starter, sqldKeyGeneration: 0 }]"), /creators\[0\]\.sqldKeyGeneration: .*>=1/],
  // Plans and quantities
  ["a zero CPU request", withPlan(PLAN(GHOST("{ cpu: 0m, memory: 192Mi }"))), /plans\.tiny\.ghost\.requests\.cpu: must be more than zero/],
  ["a zero memory request", withPlan(PLAN(GHOST("{ cpu: 50m, memory: 0 }"))), /plans\.tiny\.ghost\.requests\.memory: must be more than zero/],
  ["a negative CPU request", withPlan(PLAN(GHOST("{ cpu: -50m, memory: 192Mi }"))), /plans\.tiny\.ghost\.requests\.cpu: must be a CPU quantity such as 50m or 0\.5 \(got "-50m"\)/],
  ["a zero storage", withPlan(PLAN(GHOST("{ cpu: 50m, memory: 192Mi }"), undefined, "0Gi")), /plans\.tiny\.storage: must be more than zero/],
  ["a storage with a unit typo", withPlan(PLAN(GHOST("{ cpu: 50m, memory: 192Mi }"), undefined, "1GB")), /plans\.tiny\.storage: must be a size such as 192Mi or 1Gi \(got "1GB"\)/],
  ["a limit below the request", withPlan(PLAN(GHOST("{ cpu: 50m, memory: 400Mi }"))), /plans\.tiny\.ghost\.limits\.memory: limit is below the request/],
  ["a heap too small", withPlan(`{ ghost: { requests: { cpu: 50m, memory: 192Mi }, limits: { cpu: 500m, memory: 320Mi }, heapMb: 64 }, sqld: { requests: { cpu: 10m, memory: 24Mi }, limits: { cpu: 100m, memory: 64Mi } }, storage: 1Gi }`), /plans\.tiny\.ghost\.heapMb: .*at least 128/],
  ["a plan without sqld", withPlan(`{ ghost: ${GHOST("{ cpu: 50m, memory: 192Mi }")}, storage: 1Gi }`), /plans\.tiny\.sqld: required/],
  [
    "an idle time in seconds",
    withPlan(`{ ghost: ${GHOST("{ cpu: 50m, memory: 192Mi }")}, sqld: { requests: { cpu: 10m, memory: 24Mi }, limits: { cpu: 100m, memory: 64Mi } }, storage: 1Gi, sleepAfter: 90s }`),
    /plans\.tiny\.sleepAfter: must be a duration in minutes or hours such as 10m or 2h \(got "90s"\)/,
  ],
  [
    "an idle time of more than a day",
    withPlan(`{ ghost: ${GHOST("{ cpu: 50m, memory: 192Mi }")}, sqld: { requests: { cpu: 10m, memory: 24Mi }, limits: { cpu: 100m, memory: 64Mi } }, storage: 1Gi, sleepAfter: 36h }`),
    /plans\.tiny\.sleepAfter: must be at most 24h/,
  ],
  ["a peak awake share above one", stack("  creator-platform:sleep: { peakAwakeFraction: 1.5 }", CLUSTER, PLATFORM, CREATORS), /sleep\.peakAwakeFraction: must be at most 1/],
  // Clusters
  ["an unknown provider", stack("  creator-platform:cluster: { provider: aws }", PLATFORM, CREATORS), /cluster\.provider/],
  ["a Civo region in lower case", stack("  creator-platform:cluster: { provider: civo, region: lon1, kubernetesVersion: 1.30.5-k3s1, nodePools: [{ name: a, size: g4s.kube.large }] }", PLATFORM, CREATORS), /cluster\.region: must be a Civo region code such as LON1 or NYC1 \(got "lon1"\)/],
  ["a Civo region the price table does not know", stack("  creator-platform:cluster: { provider: civo, region: AMS9, kubernetesVersion: 1.30.5-k3s1, nodePools: [{ name: a, size: g4s.kube.large }] }", PLATFORM, CREATORS), /cluster\.region: "AMS9" is not a civo region the price table knows \(LON1/],
  ["a Civo size that does not exist", stack("  creator-platform:cluster: { provider: civo, region: LON1, kubernetesVersion: 1.30.5-k3s1, nodePools: [{ name: a, size: g4s.kube.huge }] }", PLATFORM, CREATORS), /cluster\.nodePools\[0\]\.size: .*g4s\.kube\.xsmall/],
  ["a Civo cluster without a pinned version", stack("  creator-platform:cluster: { provider: civo, region: LON1, nodePools: [{ name: a, size: g4s.kube.large }] }", PLATFORM, CREATORS), /cluster\.kubernetesVersion: required/],
  ["a Linode version as a number", stack("  creator-platform:cluster: { provider: linode, region: us-east, kubernetesVersion: 1.33, nodePools: [{ name: a, type: g6-standard-2 }] }", PLATFORM, CREATORS), /cluster\.kubernetesVersion: must be text, got the number 1\.33: quote it \("1\.33"\)/],
  ["a Linode version too old", stack('  creator-platform:cluster: { provider: linode, region: us-east, kubernetesVersion: "1.27", nodePools: [{ name: a, type: g6-standard-2 }] }', PLATFORM, CREATORS), /cluster\.kubernetesVersion: Kubernetes 1\.27 is too old/],
  ["a pool with count and autoscaler", stack('  creator-platform:cluster: { provider: linode, region: us-east, kubernetesVersion: "1.33", nodePools: [{ name: a, type: g6-standard-2, count: 2, autoscaler: { min: 1, max: 3 } }] }', PLATFORM, CREATORS), /cluster\.nodePools\[0\]: set count or autoscaler, not both/],
  ["an ingress namespace that is a creator's", stack("  creator-platform:cluster: { provider: existing, ingress: { namespace: creator-alice } }", PLATFORM, CREATORS), /cluster\.ingress\.namespace: must not start with creator-/],
  // Platform
  ["no platform", stack(CLUSTER, CREATORS), /platform: required/],
  ["a platform domain with a scheme", stack(CLUSTER, "  creator-platform:platform: { domain: https://creators.example }", CREATORS), /platform\.domain: must be a lowercase fully qualified host name/],
  ["Let's Encrypt without an e-mail", stack(CLUSTER, "  creator-platform:platform: { domain: creators.example, tls: { mode: letsencrypt } }", CREATORS), /platform\.tls\.email: required when tls\.mode is letsencrypt/],
  ["a TLS mode that does not exist", stack(CLUSTER, "  creator-platform:platform: { domain: creators.example, tls: { mode: on } }", CREATORS), /platform\.tls\.mode/],
  ["mail without its password", stack(CLUSTER, "  creator-platform:platform: { domain: creators.example, mail: { from: 'C <n@creators.example>', host: smtp.creators.example, user: u } }", CREATORS), /smtpPassword: required with platform\.mail/],
  ["a mail port out of range", stack(CLUSTER, "  creator-platform:platform: { domain: creators.example, mail: { from: 'C <n@creators.example>', host: smtp.creators.example, user: u, port: 70000 } }", CREATORS), /platform\.mail\.port/],
  // Everything else
  ["a cost ceiling as text", stack(CLUSTER, PLATFORM, CREATORS, "  creator-platform:maxMonthlyCostPerCreator: cheap"), /maxMonthlyCostPerCreator: must be a number, got "cheap"/],
  ["a negative cost ceiling", stack(CLUSTER, PLATFORM, CREATORS, "  creator-platform:maxMonthlyCostPerCreator: -1"), /maxMonthlyCostPerCreator: .*>0/],
  ["monitoring as a boolean", stack(CLUSTER, PLATFORM, CREATORS, "  creator-platform:monitoring: false"), /monitoring: must be a map of keys, got false/],
  ["a retention of a year", stack(CLUSTER, PLATFORM, CREATORS, "  creator-platform:monitoring: { retentionDays: 365 }"), /monitoring\.retentionDays: .*<=90/],
  ["a backups endpoint that is not a URL", stack(CLUSTER, PLATFORM, CREATORS, "  creator-platform:backups: { bucket: creator-backups, endpoint: objectstore }"), /backups\.endpoint: must be an https URL/],
  ["a pull secret without its password", stack(CLUSTER, PLATFORM, CREATORS, "  creator-platform:images: { pullSecret: { registry: ghcr.io, username: bot } }"), /imagePullPassword: required with images\.pullSecret/],
];

describe("invalid stack files", () => {
  it.each(CORPUS)("%s: refused, naming the field and the reason", (what, text, message) => {
    const path = join(dir, `Pulumi.${what.replace(/[^a-z0-9]+/gi, "-")}.yaml`);
    writeFileSync(path, text);
    let error: unknown;
    try {
      loadStackFile(path);
    } catch (e) {
      error = e;
    }
    expect(error, `${what} was accepted`).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
  });
});

describe("the same creator in two stacks of the repository", () => {
  const repo = mkdtempSync(join(tmpdir(), "stacks-"));
  const write = (name: string, creators: string) => {
    const path = join(repo, `Pulumi.${name}.yaml`);
    writeFileSync(path, withCreators(creators));
    return path;
  };
  const clashes = (path: string) => {
    return crossStackProblems(path, loadStackFileOutside(path), undefined, repo).map((p) => `${p.path}: ${p.message}`);
  };

  it("is refused, for an id and for a custom domain", () => {
    write("eu", "[{ id: alice, plan: starter }, { id: bob, plan: starter, domains: [bob.blog] }]");
    const us = write("us", "[{ id: alice, plan: starter }, { id: carol, plan: starter, domains: [bob.blog] }]");
    expect(clashes(us)).toEqual([
      'creators[0].id: "alice" is also a creator of stack eu (backups are kept by creator id): remove one, or mark a move in progress with movingTo: eu',
      "creators[1].domains[0]: bob.blog is also a domain of a creator of stack eu",
    ]);
  });

  it("is allowed while a move is marked in progress", () => {
    write("eu", "[{ id: alice, plan: starter, movingTo: us }]");
    const us = write("us", "[{ id: alice, plan: starter }]");
    expect(clashes(us)).toEqual([]);
  });
});

/** A stack file's validated config, without the repository check (the test applies it itself). */
function loadStackFileOutside(path: string) {
  return validateStackConfig(projectKeys(readStackFile(path).config), path);
}
