/**
 * The docs point at what exists: every path docs/ARCHITECTURE.md names is in the
 * repository, and every `npm run` command the README and the runbooks give is a
 * script of package.json.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../..");
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");
const scripts = Object.keys((JSON.parse(read("package.json")) as { scripts: Record<string, string> }).scripts);
const docs = ["README.md", "docs/ARCHITECTURE.md", ...readdirSync(join(ROOT, "docs/runbooks")).map((f) => `docs/runbooks/${f}`)];

describe("the docs", () => {
  it("name only files that exist in the architecture's table", () => {
    const table = read("docs/ARCHITECTURE.md").split("\n").filter((line) => line.startsWith("| "));
    // Label names such as `app.kubernetes.io/*` are not paths.
    const paths = table.flatMap((line) => [...line.matchAll(/`([^`\s*]+\/[^`\s*]*)`/g)].map((m) => m[1] ?? "")).filter((p) => !p.includes(".io/"));
    expect(paths.length).toBeGreaterThan(20);
    expect(paths.filter((p) => !existsSync(join(ROOT, p.replace(/\/$/, ""))))).toEqual([]);
  });

  it("give only npm commands package.json has", () => {
    const used = docs.flatMap((doc) => [...read(doc).matchAll(/npm run (?:-s )?([a-z][a-z:-]*)/g)].map((m) => `${doc}: ${m[1]}`));
    expect(used.length).toBeGreaterThan(10);
    expect(used.filter((u) => !scripts.includes(u.split(": ")[1] ?? ""))).toEqual([]);
  });

  it("have a runbook for each day-two operation, none left empty", () => {
    for (const name of ["add-a-creator", "upgrade-in-waves", "restore-a-creator", "move-a-creator", "rotate-sqld-key", "purge-a-retired-creator"]) {
      const text = read(`docs/runbooks/${name}.md`);
      expect(text.split("\n").filter((l) => l.trim().length > 0).length, name).toBeGreaterThan(5);
    }
  });
});
