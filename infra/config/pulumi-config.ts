/**
 * The stack configuration as `pulumi up` sees it: Pulumi hands every config
 * value over as a string, keyed `<namespace>:<key>`. Read by the same rule as
 * the stack file (config-values.ts) and validated by the same schema.
 */
import * as pulumi from "@pulumi/pulumi";
import { projectKeys } from "./stack-file.ts";
import { type ResolvedConfig, validateStackConfig } from "./validate.ts";

export function readPulumiConfig(): ResolvedConfig {
  return validateStackConfig(projectKeys(pulumi.runtime.allConfig()), `stack ${pulumi.getStack()}`);
}
