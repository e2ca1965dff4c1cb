/**
 * `pulumi up` and the offline plan read a stack's configuration the same way.
 * The CLI hands the program every value as a string (pulumi/pulumi v3.248.0,
 * sdk/nodejs/runtime/config.ts); this feeds the program those strings through
 * the SDK's own `setAllConfig` and compares with the stack file read offline.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { pulumiConfigValue } from "../../infra/config/config-values.ts";
import { readPulumiConfig } from "../../infra/pulumi-config.ts";
import { loadStackFile, readStackFile } from "../../infra/config/stack-file.ts";

const STACK_FILE = `config:
  pulumi:disable-default-providers: ["kubernetes"]
  creator-platform:cluster: { provider: existing, ingress: { namespace: traefik } }
  creator-platform:platform:
    domain: creators.example
    mail: { from: "Creators <noreply@creators.example>", host: smtp.creators.example, user: postmaster }
  creator-platform:smtpPassword: { secure: "v1:ciphertext-written-by-pulumi-config-set" }
  creator-platform:maxMonthlyCostPerCreator: 3.9
  creator-platform:monitoring: { enabled: false }
  creator-platform:creators:
    - { id: alice, plan: starter, domains: [alice.blog] }
`;

describe("stack configuration under pulumi up", () => {
  it("reads secrets that look like numbers or booleans as strings, numbers and objects as such", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pulumi-config-"));
    const path = join(dir, "Pulumi.t.yaml");
    writeFileSync(path, STACK_FILE);
    // What the CLI passes: the file's values as text, and the secrets it decrypted (set with
    // `pulumi config set --secret`, which a stack file never holds in plain text).
    const asCliHandsIt: Record<string, string> = {
      ...Object.fromEntries(Object.entries(readStackFile(path).config).map(([k, v]) => [k, pulumiConfigValue(v)])),
      "creator-platform:smtpPassword": "20261127",
      "creator-platform:cloudflareApiToken": "true",
    };
    // What the CLI passes: strings only, objects as JSON text.
    for (const value of Object.values(asCliHandsIt)) expect(typeof value).toBe("string");
    expect(JSON.parse(asCliHandsIt["creator-platform:cluster"]!)).toEqual({ provider: "existing", ingress: { namespace: "traefik" } });

    await pulumi.runtime.setMocks({ newResource: () => ({ id: "x", state: {} }), call: () => ({}) }, "creator-platform", "t", true);
    pulumi.runtime.setAllConfig(asCliHandsIt, ["creator-platform:smtpPassword", "creator-platform:cloudflareApiToken", "creator-platform:sqldKeySeed"]);
    const underUp = readPulumiConfig();

    expect(underUp.smtpPassword).toBe("20261127");
    expect(underUp.cloudflareApiToken).toBe("true");
    expect(underUp.maxMonthlyCostPerCreator).toBe(3.9);
    expect(underUp.monitoring.enabled).toBe(false);
    expect(underUp.creators[0]?.domains).toEqual(["alice.blog"]);
    const offline = loadStackFile(path).config;
    expect({ ...underUp, smtpPassword: undefined, cloudflareApiToken: undefined }).toEqual({ ...offline, smtpPassword: undefined, cloudflareApiToken: undefined });
  });

  it("rejects a number where the schema wants one and gets text, naming the key", async () => {
    await pulumi.runtime.setMocks({ newResource: () => ({ id: "x", state: {} }), call: () => ({}) }, "creator-platform", "t", true);
    pulumi.runtime.setAllConfig({
      "creator-platform:cluster": JSON.stringify({ provider: "existing" }),
      "creator-platform:platform": JSON.stringify({ domain: "creators.example" }),
      "creator-platform:creators": "[]",
      "creator-platform:maxMonthlyCostPerCreator": "about a dollar",
    });
    expect(() => readPulumiConfig()).toThrow(/maxMonthlyCostPerCreator/);
  });
});
