/** Runs the program under the mock engine, in-process, and waits for every registration. */
import type { ResolvedConfig } from "../../infra/config/validate.ts";
import { type MockEngine, installMocks, resolveOutputs, waitForRegistrations } from "../../infra/offline/mocks.ts";
import { type ProgramOptions, creatorPlatform, deployChecks } from "../../infra/program.ts";

// No cluster under the mock engine: the version check is the real cluster suite's (test/cluster).
deployChecks.clusterVersion = undefined;

export async function runProgram(
  config: ResolvedConfig,
  stack = "test",
  options: ProgramOptions = {},
): Promise<{ engine: MockEngine; outputs: Record<string, unknown> }> {
  const engine = await installMocks({ stack, config: {} });
  const outputs = (await resolveOutputs(await creatorPlatform(config, stack, options))) as Record<string, unknown>;
  await waitForRegistrations();
  return { engine, outputs };
}
