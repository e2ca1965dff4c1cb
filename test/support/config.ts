/** Small stack configurations for tests, as they would appear under `creator-platform:` in a stack file. */
import { type ResolvedConfig, validateStackConfig } from "../../infra/config/validate.ts";

export function rawConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    cluster: { provider: "existing", ingress: { namespace: "traefik" } },
    platform: { domain: "creators.example", tls: { mode: "letsencrypt", email: "ops@creators.example" } },
    sqldKeySeed: "test-seed-0123456789abcdef0123456789abcdef",
    creators: [
      { id: "alice", plan: "starter" },
      { id: "bob", plan: "standard", domains: ["bob.blog"] },
      { id: "carol", plan: "pro", state: "suspended" },
    ],
    ...overrides,
  };
}

export function resolvedConfig(overrides: Record<string, unknown> = {}): ResolvedConfig {
  return validateStackConfig(rawConfig(overrides), "test");
}
