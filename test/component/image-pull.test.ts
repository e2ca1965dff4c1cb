/**
 * A private registry (GHCR packages are private until made public): with
 * images.pullSecret every creator namespace gets the login as a
 * kubernetes.io/dockerconfigjson Secret and Ghost's pod names it; without it,
 * neither exists. The password is required and kept secret.
 */
import { describe, expect, it } from "vitest";
import { validateStackConfig } from "../../infra/config/validate.ts";
import { isSecret } from "../../infra/offline/mocks.ts";
import { rawConfig, resolvedConfig } from "../support/config.ts";
import { runProgram } from "../support/run-program.ts";

describe("image pull credentials", () => {
  it("need the password as a secret", () => {
    expect(() => validateStackConfig(rawConfig({ images: { pullSecret: { registry: "ghcr.io", username: "bot" } } }), "t")).toThrow(
      /imagePullPassword: required with images.pullSecret/,
    );
  });

  it("give every creator a dockerconfigjson Secret that its pod names", async () => {
    const { engine } = await runProgram(
      resolvedConfig({ images: { pullSecret: { registry: "ghcr.io", username: "bot" } }, imagePullPassword: "ghp_token" }),
    );
    const secrets = engine.byType("kubernetes:core/v1:Secret").filter((r) => r.name.endsWith(".secret.image-pull"));
    expect(secrets.map((r) => r.name).sort()).toEqual(["alice.secret.image-pull", "bob.secret.image-pull", "carol.secret.image-pull"]);
    for (const secret of secrets) {
      expect(secret.inputs.type).toBe("kubernetes.io/dockerconfigjson");
      expect(isSecret(secret.inputs.stringData)).toBe(true);
      const json = JSON.parse((secret.inputs.stringData as { value: Record<string, string> }).value[".dockerconfigjson"] ?? "");
      expect(json.auths["ghcr.io"]).toEqual({ username: "bot", password: "ghp_token", auth: Buffer.from("bot:ghp_token").toString("base64") });
    }
    for (const deployment of engine.byType("kubernetes:apps/v1:Deployment").filter((r) => r.name.endsWith(".deployment.ghost"))) {
      expect((deployment.inputs.spec as { template: { spec: { imagePullSecrets: unknown } } }).template.spec.imagePullSecrets).toEqual([{ name: "image-pull" }]);
    }
  });

  it("are absent when the images are public", async () => {
    const { engine } = await runProgram(resolvedConfig());
    expect(engine.registrations.filter((r) => r.name.endsWith(".secret.image-pull"))).toEqual([]);
    const ghost = engine.byType("kubernetes:apps/v1:Deployment").find((r) => r.name === "alice.deployment.ghost");
    expect(JSON.stringify(ghost?.inputs)).not.toContain("imagePullSecrets");
  });
});
