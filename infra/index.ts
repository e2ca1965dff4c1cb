/**
 * Entry point for `pulumi up` / `pulumi preview` (package.json "main"). A bad
 * stack configuration, or one over its cost ceiling, stops the run here,
 * before any resource is registered, with every problem listed.
 */
import * as pulumi from "@pulumi/pulumi";
import { readPulumiConfig } from "./pulumi-config.ts";
import { ConfigError } from "./config/validate.ts";
import { creatorPlatform } from "./program.ts";

async function run() {
  try {
    return await creatorPlatform(readPulumiConfig(), pulumi.getStack());
  } catch (error) {
    // Bad configuration, capacity or cost ceiling: RunError prints the report without a stack trace.
    if (error instanceof ConfigError) throw new pulumi.RunError(error.message);
    throw error;
  }
}

const outputs = await run();

export const cluster = outputs.cluster;
export const creators = outputs.creators;
export const creatorCount = outputs.creatorCount;
export const cost = outputs.cost;
