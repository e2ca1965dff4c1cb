/**
 * The stack configuration as `pulumi up` sees it: Pulumi hands every config
 * value over as a string, keyed `<namespace>:<key>`. Read by the same rule as
 * the stack file (config-values.ts) and validated by the same schema.
 */
import * as pulumi from "@pulumi/pulumi";
import { lookalikeKeys, plainTextSecrets, projectKeys } from "./config/stack-file.ts";
import { ConfigError, type ResolvedConfig, validateStackConfig } from "./config/validate.ts";

/** Whether Pulumi holds a key as a secret (exported by the SDK's runtime, not declared in its types). */
const isConfigSecret = (key: string): boolean =>
  (pulumi.runtime as unknown as { isConfigSecret(k: string): boolean }).isConfigSecret(key);

export function readPulumiConfig(): ResolvedConfig {
  const all = pulumi.runtime.allConfig();
  const source = `stack ${pulumi.getStack()}`;
  // The same refusals as for a stack file: a misspelt namespace, a secret Pulumi holds as plain text.
  const problems = [...lookalikeKeys(Object.keys(all)), ...plainTextSecrets(all, isConfigSecret)];
  if (problems.length > 0) throw new ConfigError(source, problems);
  return validateStackConfig(projectKeys(all), source);
}
