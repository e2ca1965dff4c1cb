/**
 * Entry point for `pulumi up` / `pulumi preview` (package.json "main"). A bad
 * stack configuration stops the run here, before any resource is registered,
 * with every problem listed.
 */
import * as pulumi from "@pulumi/pulumi";
import { readPulumiConfig } from "./config/pulumi-config.ts";
import { ConfigError } from "./config/validate.ts";
import { creatorPlatform } from "./program.ts";

function loadConfig() {
  try {
    return readPulumiConfig();
  } catch (error) {
    // RunError: Pulumi prints the message without a stack trace.
    if (error instanceof ConfigError) throw new pulumi.RunError(error.message);
    throw error;
  }
}

const outputs = creatorPlatform(loadConfig(), pulumi.getStack());

export const cluster = outputs.cluster;
export const creators = outputs.creators;
export const creatorCount = outputs.creatorCount;
