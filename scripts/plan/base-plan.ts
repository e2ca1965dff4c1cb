/**
 * The base version's plan for `npm run plan -- --base`, in a process of its
 * own (planned-objects.ts says why): `base-plan.ts <stack file> <out file>`
 * writes the planned objects as JSON to <out file>, one byte on stdout as each
 * creator is registered (for the progress bar), and a refusal on stderr with
 * exit code 1.
 */
import { writeFileSync } from "node:fs";
import { refusalMessage, runPlan } from "../../infra/offline/offline-plan.ts";
import { plannedObjects } from "./planned-objects.ts";

const [file, out] = process.argv.slice(2);
if (!file || !out) {
  process.stderr.write("usage: base-plan.ts <stack file> <out file>\n");
  process.exit(2);
}
try {
  const plan = await runPlan(file, { onCreatorRegistered: () => process.stdout.write(".") });
  writeFileSync(out, JSON.stringify(await plannedObjects(plan)));
} catch (error) {
  process.stderr.write(`${refusalMessage(error) ?? (error instanceof Error ? error.message : String(error))}\n`);
  process.exit(1);
}
