/** The `--stack <name>` / `--config <file>` pair shared by the commands that read a stack file. */
import { existsSync, readdirSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { STACKS_DIR, stackFilePath, stackNameOf } from "../infra/config/stack-file.ts";

export function availableStacks(): string[] {
  return readdirSync(STACKS_DIR)
    .filter((f) => /^Pulumi\..+\.ya?ml$/.test(f))
    .map(stackNameOf)
    .sort();
}

/** Exits with code 2 and a clear message when neither or an unknown stack is given. */
export function resolveStackFile(command: Command, options: { stack?: string; config?: string }): string {
  if (options.config) {
    const path = resolve(options.config);
    if (!existsSync(path)) command.error(`--config: no such file: ${path}`, { exitCode: 2 });
    return path;
  }
  if (!options.stack) command.error("give --stack <name> or --config <file>", { exitCode: 2 });
  let path = "";
  try {
    path = stackFilePath(options.stack);
  } catch (error) {
    command.error(`--stack: ${(error as Error).message}`, { exitCode: 2 });
  }
  if (!existsSync(path)) {
    command.error(`--stack: no stack "${options.stack}" (stacks: ${availableStacks().join(", ")})`, { exitCode: 2 });
  }
  return path;
}
