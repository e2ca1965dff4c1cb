/**
 * npm run bench [-- --only <name>] [--json]
 *
 * Runs every benchmark module in scripts/bench/ (each default-exports an async
 * function returning a section: a title, rows and notes) and prints one table
 * per section. Speed and memory targets are checked here, not in unit tests.
 */
import "./closed-pipe.ts";
import { readdirSync } from "node:fs";
import { basename, join } from "node:path";
import { Command } from "commander";
import { exitWithError, usageErrors } from "./cli-output.ts";
import { table } from "./table.ts";

export interface BenchSection {
  title: string;
  rows: Array<Record<string, string | number>>;
  notes?: string[];
}

const DIR = join(import.meta.dirname, "bench");
const available = readdirSync(DIR)
  .filter((f) => f.endsWith(".ts"))
  .map((f) => basename(f, ".ts"))
  .sort();

function print(section: BenchSection): void {
  const out = [`\n${section.title}`];
  const head = [...new Set(section.rows.flatMap((row) => Object.keys(row)))];
  if (head.length > 0) {
    const t = table(head);
    for (const row of section.rows) t.push(head.map((h) => row[h] ?? ""));
    out.push(t.toString());
  }
  for (const note of section.notes ?? []) out.push(`  - ${note}`);
  process.stdout.write(`${out.join("\n")}\n`);
}

const program = new Command("bench")
  .description(`Benchmarks: ${available.join(", ")}. Each prints a table; targets are named in its notes.`)
  .option("--only <names>", "comma-separated benchmarks to run")
  .option("--json", "print every section as one JSON document")
  .showHelpAfterError()
  .action(async (options: { only?: string; json?: boolean }) => {
    const wanted = options.only ? options.only.split(",").map((s) => s.trim()) : available;
    const unknown = wanted.filter((name) => !available.includes(name));
    if (unknown.length > 0) program.error(`--only: unknown benchmark ${unknown.join(", ")} (have: ${available.join(", ")})`, { exitCode: 2 });
    const sections: Record<string, BenchSection> = {};
    for (const name of wanted) {
      if (!options.json) process.stderr.write(`running ${name}…\n`);
      const module = (await import(join(DIR, `${name}.ts`))) as { default: () => Promise<BenchSection> };
      sections[name] = await module.default();
      if (!options.json) print(sections[name]);
    }
    if (options.json) process.stdout.write(`${JSON.stringify(sections, null, 2)}\n`);
  });

usageErrors(program);
try {
  await program.parseAsync();
} catch (error) {
  exitWithError(`the benchmark failed: ${error instanceof Error ? error.message : String(error)}`, 1);
}
