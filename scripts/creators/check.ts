/**
 * A stack file's text checked as the offline plan checks it, before the text
 * is written anywhere. The plan (infra/offline/offline-plan.ts runPlan) runs
 * loadStackFile (YAML, schema, cross-field and cross-stack rules), then the
 * program's first step (infra/program.ts): the cost model sizes the pools
 * (CapacityError when the creators do not fit their bounds) and
 * costCeilingViolation refuses a stack over maxMonthlyCostPerCreator. Those
 * same pure functions run here on the text in memory, keyed by the real path, so
 * the cross-stack rules see the real sibling stacks; no file is copied. What the
 * plan does after that (registering every object under the mock runtime, then the
 * guardrails on them) is left out: it takes seconds, and the guardrails depend
 * on the render code and the plans, which a creator entry does not change.
 */
import { readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { STACKS_DIR, crossStackProblems, projectKeys, stackConfigOf } from "../../infra/config/stack-file.ts";
import { ConfigError, type ResolvedConfig, validateStackConfig } from "../../infra/config/validate.ts";
import { type CostReport, costCeilingViolation, costReport } from "../../infra/cost/index.ts";

/** loadStackFile on text: YAML, schema and cross-stack rules (`stacksDir`: the repository's stacks, for tests). */
export function validatedConfig(text: string, path: string, source: string, stacksDir = STACKS_DIR): ResolvedConfig {
  const file = stackConfigOf(text, source);
  const config = validateStackConfig(projectKeys(file.config), source, file.locate);
  const clashes = crossStackProblems(path, config, file.locate, stacksDir);
  if (clashes.length > 0) throw new ConfigError(source, clashes);
  return config;
}

/** Everything the plan checks before it registers a resource: the above, capacity and the cost ceiling. */
export function checkedStack(text: string, path: string, source: string, stacksDir = STACKS_DIR): { config: ResolvedConfig; cost: CostReport } {
  const config = validatedConfig(text, path, source, stacksDir);
  const cost = costReport(config, { source });
  const violation = costCeilingViolation(cost, config);
  if (violation) throw new ConfigError(source, [{ path: "maxMonthlyCostPerCreator", message: violation }]);
  return { config, cost };
}

export function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(path, [{ path: "(file)", message: `cannot read: ${(error as Error).message}` }]);
  }
}

/**
 * Replaces the file in one step (a temporary file beside it, then a rename) with
 * its mode kept: a reader sees the old text or the new, never a part. The
 * temporary name starts with a dot, so no stack file pattern matches it.
 */
export function replaceFile(path: string, text: string): void {
  const target = realpathSync(path);
  const temporary = join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);
  try {
    writeFileSync(temporary, text, { mode: statSync(target).mode & 0o777 });
    renameSync(temporary, target);
  } finally {
    rmSync(temporary, { force: true });
  }
}
