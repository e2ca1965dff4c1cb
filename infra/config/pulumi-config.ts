/**
 * The stack configuration as `pulumi up` sees it: Pulumi hands every config
 * value over as a string (objects and lists JSON-encoded), keyed
 * `<namespace>:<key>`. Validated by the same rules as the stack file.
 */
import * as pulumi from "@pulumi/pulumi";
import { projectKeys } from "./stack-file.ts";
import { type ResolvedConfig, validateStackConfig } from "./validate.ts";

function parseValue(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

export function readPulumiConfig(): ResolvedConfig {
  const all = Object.entries(pulumi.runtime.allConfig()).map(([key, value]) => [key, parseValue(value)] as const);
  return validateStackConfig(projectKeys(Object.fromEntries(all)), `stack ${pulumi.getStack()}`);
}
