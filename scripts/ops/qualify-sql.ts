// Points a query written for one database at one attached schema: every table
// named in a FROM or JOIN becomes `<schema>.<table>`, and PRAGMA table functions
// get the schema as their last argument. Pure.
import { RefusedSqlError } from "./read-only-sql.ts";
import { identifierName, keyword, type Token } from "./sql-tokens.ts";

const CLAUSE_END = new Set(["WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "WINDOW", "UNION", "INTERSECT", "EXCEPT", "SELECT", "VALUES", "RETURNING"]);

const isPunct = (t: Token | undefined, text: string): boolean => t !== undefined && t.kind === "punct" && t.text === text;
const isName = (t: Token | undefined): t is Token => t !== undefined && (t.kind === "word" || t.kind === "quoted");

/** Index in `sig` of the ")" matching the "(" at `open`. */
function closingParen(sig: readonly Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < sig.length; i++) {
    if (isPunct(sig[i], "(")) depth++;
    else if (isPunct(sig[i], ")") && --depth === 0) return i;
  }
  return sig.length - 1;
}

/** Names defined by WITH: `name AS (`, `name AS [NOT] MATERIALIZED (` or `name (cols) AS (`. */
function cteNames(sig: readonly Token[]): Set<string> {
  const names = new Set<string>();
  for (let i = 0; i < sig.length; i++) {
    const t = sig[i];
    const prev = keyword(sig[i - 1]);
    if (!isName(t) || !(prev === "WITH" || prev === "RECURSIVE" || isPunct(sig[i - 1], ","))) continue;
    let j = i + 1;
    if (isPunct(sig[j], "(")) j = closingParen(sig, j) + 1;
    if (keyword(sig[j]) === "AS") names.add(identifierName(t).toLowerCase());
  }
  return names;
}

/**
 * Rewrites `tokens` (a checked read-only query, all tokens incl. white space) so
 * that its tables are read from `schema`. Throws RefusedSqlError for a table name
 * that already carries a schema: queries are written as if for one database.
 */
export function qualifyTables(tokens: readonly Token[], schema: string): string {
  const sig = tokens.filter((t) => t.kind !== "space" && t.kind !== "comment");
  const ctes = cteNames(sig);
  const before = new Map<Token, string>();
  const after = new Map<Token, string>();
  const inFrom = new Set<number>();
  let depth = 0;
  let expectTable = false;
  const lit = `'${schema}'`;
  for (let i = 0; i < sig.length; i++) {
    const t = sig[i] as Token;
    const kw = keyword(t);
    if (expectTable) {
      expectTable = false;
      if (isName(t)) {
        const next = sig[i + 1];
        const name = identifierName(t);
        if (isPunct(next, ".")) {
          throw new RefusedSqlError(
            `--sql: ${t.text}.${sig[i + 2]?.text ?? ""} names a schema; write the query against one database's tables without a schema name`,
          );
        }
        if (/^pragma_/i.test(name)) {
          if (isPunct(next, "(")) {
            const close = sig[closingParen(sig, i + 1)] as Token;
            before.set(close, close === sig[i + 2] ? lit : `, ${lit}`);
          } else after.set(t, `(${lit})`);
        } else if (!isPunct(next, "(") && !ctes.has(name.toLowerCase())) {
          before.set(t, `${schema}.`);
        }
        continue;
      }
    }
    if (isPunct(t, "(")) depth++;
    else if (isPunct(t, ")")) inFrom.delete(depth--);
    else if (kw === "FROM") {
      // `a IS [NOT] DISTINCT FROM b` is a comparison, not a FROM clause.
      if (keyword(sig[i - 1]) === "DISTINCT") continue;
      inFrom.add(depth);
      expectTable = true;
    } else if (kw === "JOIN") expectTable = true;
    else if (CLAUSE_END.has(kw)) inFrom.delete(depth);
    else if (isPunct(t, ",") && inFrom.has(depth)) expectTable = true;
  }
  return tokens.map((t) => `${before.get(t) ?? ""}${t.text}${after.get(t) ?? ""}`).join("");
}
