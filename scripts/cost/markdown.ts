/**
 * `npm run cost -- --format markdown`: a pull-request comment in the shape
 * Infracost made familiar. The first line is a marker a CI job can search for
 * to update its comment in place rather than add a new one.
 */
import type { CostDiff } from "../../infra/cost/diff.ts";
import type { CostReport } from "../../infra/cost/report.ts";
import { BREAKDOWN_LABELS, POOL_HEAD, diffSummary, headline, idList, poolRow, signedUsd, usd } from "./format.ts";

const row = (cells: Array<string | number>) => `| ${cells.map((c) => String(c).replace(/\|/g, "\\|")).join(" | ")} |`;
const header = (cells: string[]) => [row(cells), row(cells.map(() => "---"))];

export const commentMarker = (stack: string): string => `<!-- creator-platform-cost: ${stack} -->`;

export function renderMarkdown(stack: string, report: CostReport, ceiling: string | undefined, diff?: { diff: CostDiff; label: string }): string {
  const out = [commentMarker(stack), `### Cost estimate: stack \`${stack}\``, "", `**${headline(stack, report)}**`];
  if (diff) {
    out.push("", diffSummary(diff.diff, `\`${diff.label}\``));
    if (diff.diff.creatorsAdded.length > 0) out.push("", `Added: ${idList(diff.diff.creatorsAdded)}`);
    if (diff.diff.creatorsRemoved.length > 0) out.push("", `Removed: ${idList(diff.diff.creatorsRemoved)}`);
  }
  if (ceiling) out.push("", `> [!CAUTION]`, `> ${ceiling}`);
  out.push("");
  if (diff) {
    out.push(...header(["Item", "Base", "Head", "Diff"]));
    for (const [item, label] of Object.entries(BREAKDOWN_LABELS) as Array<[keyof CostReport["breakdown"], string]>) {
      const d = diff.diff.breakdown[item];
      out.push(row([label, usd(d.base), usd(d.head), signedUsd(d.delta)]));
    }
    const t = diff.diff.monthlyTotalUsd;
    out.push(row(["**Total**", `**${usd(t.base)}**`, `**${usd(t.head)}**`, `**${signedUsd(t.delta)}**`]));
  } else {
    out.push(...header(["Item", "Monthly"]));
    for (const [item, label] of Object.entries(BREAKDOWN_LABELS) as Array<[keyof CostReport["breakdown"], string]>) {
      out.push(row([label, usd(report.breakdown[item])]));
    }
    out.push(row(["**Total**", `**${usd(report.monthlyTotalUsd)}**`]));
  }
  if (report.nodes.length > 0) {
    out.push("", ...header(POOL_HEAD));
    for (const n of report.nodes) out.push(row(poolRow(n)));
  }
  out.push("", ...header(["Plan", "Creators", "Per creator", "Monthly"]));
  for (const [name, p] of Object.entries(report.perPlan)) out.push(row([name, p.creators, usd(p.perCreatorUsd), usd(p.monthlyUsd)]));
  if (report.warnings.length > 0) out.push("", ...report.warnings.map((w) => `> [!WARNING]\n> ${w}\n`));
  out.push("", "<details><summary>Assumptions and prices</summary>", "", ...report.assumptions.map((a) => `- ${a}`), "");
  out.push(...header(["Price item", "USD/month", "Date", "Source"]));
  for (const p of report.prices) out.push(row([p.item, p.usdPerMonth.toFixed(2), p.date, p.source]));
  out.push("", "</details>");
  return `${out.join("\n")}\n`;
}
