/**
 * The object diff (object-diff.ts) for people, grouped per creator with the
 * platform's objects first: every object and changed field on a terminal
 * (collapsed into one row per kind of change past a threshold, `--all` lists
 * everything), and collapsed `<details>` blocks for a pull-request comment.
 */
import { idList } from "../cost/format.ts";
import { table } from "../table.ts";
import { type FieldChange, type ObjectDiff, type ObjectUpdate, type PlannedObject, diffSummary } from "./object-diff.ts";
import type { PlannedVersion } from "./planned-objects.ts";

export interface DiffContext {
  /** What the base is: a path or `<ref>:<path>`. */
  label: string;
  /** The sites of each plan. */
  base: PlannedVersion["perCreator"];
  head: PlannedVersion["perCreator"];
  /** Every creator of the head's stack file and its state (retired creators have no site). */
  states: Record<string, string>;
}

interface Group {
  creator?: string;
  /** How the creator changes: `new`, `retired`, `plan starter → standard`, …; empty when only objects do. */
  note: string;
  create: PlannedObject[];
  update: ObjectUpdate[];
  delete: PlannedObject[];
  retain: PlannedObject[];
}

/** Past this many lines the terminal shows one row per kind of change instead. */
export const COLLAPSE_AFTER = 200;
/** GitHub refuses comments over 65,536 characters; the cost report shares the comment. */
const MARKDOWN_BUDGET = 50_000;

const count = (n: number): string => n.toLocaleString("en-US");
const kindOf = (key: string): string => key.slice(0, key.indexOf("/"));

function note(id: string, ctx: DiffContext): string {
  const [before, after] = [ctx.base[id], ctx.head[id]];
  if (!before) return after ? "new" : "";
  if (!after) return ctx.states[id] === "retired" ? "retired" : "removed from the stack";
  const moves = [
    ...(before.plan !== after.plan ? [`plan ${before.plan} → ${after.plan}`] : []),
    ...(before.state !== after.state ? [`${before.state} → ${after.state}`] : []),
  ];
  return moves.join(", ");
}

function groupsOf(diff: ObjectDiff, ctx: DiffContext): Group[] {
  const groups = new Map<string, Group>([["", { note: "", create: [], update: [], delete: [], retain: [] }]]);
  const add = (op: "create" | "update" | "delete" | "retain", entry: PlannedObject | ObjectUpdate) => {
    const id = entry.creator ?? "";
    let group = groups.get(id);
    if (!group) groups.set(id, (group = { creator: id, note: note(id, ctx), create: [], update: [], delete: [], retain: [] }));
    (group[op] as Array<typeof entry>).push(entry);
  };
  for (const op of ["create", "update", "delete", "retain"] as const) for (const entry of diff[op]) add(op, entry);
  const size = (g: Group) => g.create.length + g.update.length + g.delete.length + g.retain.length;
  return [...groups.values()].filter((g) => size(g) > 0);
}

const title = (g: Group): string => (g.creator === undefined ? "platform" : `creator ${g.creator}${g.note ? ` (${g.note})` : ""}`);
const counts = (g: Group): string =>
  [
    g.create.length > 0 ? `+${g.create.length}` : "",
    g.update.length > 0 ? `~${g.update.length}` : "",
    g.delete.length > 0 ? `-${g.delete.length}` : "",
    g.retain.length > 0 ? `${g.retain.length} retained` : "",
  ]
    .filter(Boolean)
    .join(" ");

function show(value: unknown): string {
  if (value === undefined) return "(none)";
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}
/** `from → to`; for a list of values only the items that go and come (`args: "--x=1" → "--x=2" (of 9)`). */
function change(c: FieldChange): string {
  if (!Array.isArray(c.from) || !Array.isArray(c.to)) return `${show(c.from)} → ${show(c.to)}`;
  const [before, after] = [c.from.map((v) => JSON.stringify(v)), c.to.map((v) => JSON.stringify(v))];
  const gone = before.filter((v) => !after.includes(v));
  const come = after.filter((v) => !before.includes(v));
  if (gone.length + come.length === 0) return `reordered (${after.length} items)`;
  const items = (list: string[]) => (list.length === 0 ? "(none)" : list.map((v) => show(JSON.parse(v))).join(", "));
  return `${items(gone)} → ${items(come)} (of ${after.length})`;
}
const changeText = (c: FieldChange): string => `${c.path}: ${change(c)}`;

/** A group's objects, one line each (`+`, `~` with its fields, `-`, `=` retained). */
function objectLines(g: Group, indent: string): string[] {
  return [
    ...g.create.map((o) => `${indent}+ ${o.key}`),
    ...g.update.flatMap((o) => [`${indent}~ ${o.key}`, ...o.changes.map((c) => `${indent}    ${changeText(c)}`)]),
    ...g.delete.map((o) => `${indent}- ${o.key}`),
    ...g.retain.map((o) => `${indent}= ${o.key} (retained: stays in the cluster with its data)`),
  ];
}

interface Aggregate {
  groups: Group[];
  /** `Kind path` with the change, when every group's is the same, else `(varies)`. */
  fields: Map<string, string>;
}

/** Groups whose changes have the same shape (the same kinds, the same fields): 4,000 new creators are one row. */
function aggregate(groups: Group[]): Aggregate[] {
  const rows = new Map<string, Aggregate>();
  for (const g of groups) {
    const fields = g.update.flatMap((o) => o.changes.map((c) => [`${kindOf(o.key)} ${c.path}`, change(c)] as const));
    const shape = JSON.stringify([
      g.creator === undefined,
      g.note,
      ...(["create", "delete", "retain"] as const).map((op) => g[op].map((o) => kindOf(o.key)).sort()),
      fields.map(([f]) => f).sort(),
    ]);
    const row = rows.get(shape) ?? { groups: [], fields: new Map(fields) };
    if (row.groups.length > 0) for (const [f, change] of fields) if (row.fields.get(f) !== change) row.fields.set(f, "(varies)");
    row.groups.push(g);
    rows.set(shape, row);
  }
  return [...rows.values()];
}

function who(row: Aggregate): string {
  const [first] = row.groups;
  if (!first || first.creator === undefined) return "platform";
  if (row.groups.length === 1) return title(first);
  const shared = first.note ? ` (${first.note})` : "";
  return `${count(row.groups.length)} creators${shared}: ${idList(row.groups.map((g) => g.creator ?? ""), 3)}`;
}

function fieldLines(row: Aggregate, max = 4): string[] {
  // Labels and annotations change along with what matters: they come last.
  const meta = (field: string) => (field.includes(" metadata.") ? 1 : 0);
  const fields = [...row.fields].sort(([a], [b]) => meta(a) - meta(b));
  const lines = fields.map(([f, text]) => `${f}: ${text}`);
  return lines.length <= max ? lines : [...lines.slice(0, max), `and ${lines.length - max} more fields`];
}

function summaryLine(diff: ObjectDiff): string {
  const retained = diff.retain.length > 0 ? `, ${count(diff.retain.length)} retained (left in the cluster with their data)` : "";
  return `Plan: ${diffSummary(diff)}${retained}`;
}

const against = (ctx: DiffContext): string => `Changes against ${ctx.label} (that version of the stack file, planned by the program as checked out here)`;

/** The diff on a terminal: every object, or past COLLAPSE_AFTER lines (without `all`) one row per kind of change. */
export function renderDiff(diff: ObjectDiff, ctx: DiffContext, all = false): string {
  const groups = groupsOf(diff, ctx);
  if (groups.length === 0) return `${against(ctx)}: none, the plans are the same object for object.\n${summaryLine(diff)}\n`;
  const expanded = groups.flatMap((g) => [`${title(g)}: ${counts(g)}`, ...objectLines(g, "  ")]);
  if (all || expanded.length <= COLLAPSE_AFTER) return `${against(ctx)}:\n\n${expanded.join("\n")}\n\n${summaryLine(diff)}\n`;
  const rows = table(["objects of", "create", "update", "delete", "retained", "changed fields"]);
  for (const row of aggregate(groups)) {
    const [g] = row.groups;
    if (g) rows.push([who(row), g.create.length, g.update.length, g.delete.length, g.retain.length, fieldLines(row).join("\n")]);
  }
  const note = `${count(diff.create.length + diff.update.length + diff.delete.length + diff.retain.length)} objects, one row per kind of change (counts per creator; --all lists every object)`;
  return `${against(ctx)}, ${note}:\n${rows.toString()}\n\n${summaryLine(diff)}\n`;
}

/** The diff for a pull-request comment: the summary, then one collapsed block per kind of change. */
export function renderDiffMarkdown(stack: string, diff: ObjectDiff, ctx: DiffContext, rerun: string): string {
  const out = [`### Offline plan: stack \`${stack}\`, \`${diffSummary(diff)}\`${diff.retain.length > 0 ? `, ${count(diff.retain.length)} retained` : ""}`, ""];
  out.push(`Objects to create, update and delete against \`${ctx.label}\`: that version of the stack file, planned by the program at this commit.`);
  const rows = aggregate(groupsOf(diff, ctx));
  if (rows.length === 0) out.push("", "No changes: the plans are the same object for object.");
  let used = out.join("\n").length;
  for (const [i, row] of rows.entries()) {
    const [first] = row.groups;
    if (!first) continue;
    const each = row.groups.length > 1 ? " each" : "";
    const sample = row.groups.length > 1 ? [`Objects of ${first.creator}; the others' are alike.`, ""] : [];
    const fields = row.groups.length > 1 && row.fields.size > 0 ? ["Changed fields:", ...fieldLines(row, 20).map((l) => `- \`${l}\``), ""] : [];
    const block = [
      "",
      `<details><summary><b>${who(row)}</b>: ${counts(first)}${each}</summary>`,
      "",
      ...sample,
      ...fields,
      "```diff",
      ...objectLines(first, ""),
      "```",
      "",
      "</details>",
    ].join("\n");
    if (used + block.length > MARKDOWN_BUDGET) {
      out.push("", `… and ${rows.length - i} more blocks, left out to fit a comment: \`${rerun}\` lists them.`);
      break;
    }
    out.push(block);
    used += block.length;
  }
  out.push("", `**${summaryLine(diff)}**`);
  return `${out.join("\n")}\n`;
}
