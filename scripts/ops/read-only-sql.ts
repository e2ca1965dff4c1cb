// The read-only gate for analytics SQL. Pure: decides from the text alone, before
// anything runs. Three more guards stand behind it at run time: the query is
// wrapped as a subquery (`SELECT * FROM (…)`, where SQLite's grammar admits only
// a SELECT), database files are opened with mode=ro, and the connection runs
// with PRAGMA query_only.
import { SqlLexError, keyword, significant, tokenize, type Token } from "./sql-tokens.ts";

export class RefusedSqlError extends Error {
  override name = "RefusedSqlError";
}

/** Keywords that only appear in statements that write, change the schema or the connection. */
const WRITE_KEYWORDS = new Set([
  "INSERT", "UPDATE", "DELETE", "REPLACE", "UPSERT", "CREATE", "DROP", "ALTER", "ATTACH", "DETACH",
  "PRAGMA", "VACUUM", "REINDEX", "ANALYZE", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE",
]);
const FIRST_KEYWORDS = new Set(["SELECT", "WITH", "VALUES"]);
const FORBIDDEN_FUNCTIONS = new Set(["LOAD_EXTENSION", "WRITEFILE", "EDIT", "FTS3_TOKENIZER"]);

export interface ReadOnlyQuery {
  /** The statement without a trailing semicolon or anything after it. */
  sql: string;
  tokens: Token[];
}

function where(t: Token): string {
  return `at character ${t.start + 1}`;
}

/**
 * Accepts exactly one SELECT (or WITH … SELECT, or VALUES) statement; throws
 * RefusedSqlError naming the reason otherwise.
 */
export function checkReadOnlySql(source: string): ReadOnlyQuery {
  let tokens: Token[];
  try {
    tokens = tokenize(source);
  } catch (e) {
    if (e instanceof SqlLexError) throw new RefusedSqlError(`--sql: cannot read the query: ${e.message}`);
    throw e;
  }
  const sig = significant(tokens);
  if (sig.length === 0) throw new RefusedSqlError("--sql: the query is empty");

  // Statements are separated by ';'. Empty statements (";;") do not count.
  const statements: Token[][] = [[]];
  for (const t of sig) {
    if (t.kind === "punct" && t.text === ";") statements.push([]);
    else (statements.at(-1) as Token[]).push(t);
  }
  const nonEmpty = statements.filter((s) => s.length > 0);
  if (nonEmpty.length !== 1) {
    throw new RefusedSqlError(
      `--sql: refused: ${nonEmpty.length} statements given; exactly one read-only SELECT is allowed`,
    );
  }
  const stmt = nonEmpty[0] as Token[];
  const first = stmt[0] as Token;
  if (!FIRST_KEYWORDS.has(keyword(first))) {
    throw new RefusedSqlError(
      `--sql: refused: the statement starts with ${JSON.stringify(first.text)}; only read-only SELECT, WITH … SELECT or VALUES queries run`,
    );
  }
  for (let i = 0; i < stmt.length; i++) {
    const t = stmt[i] as Token;
    const kw = keyword(t);
    if (kw === "") continue;
    const prev = stmt[i - 1];
    const next = stmt[i + 1];
    if (prev !== undefined && prev.kind === "punct" && prev.text === ".") continue; // table.column
    const isCall = next !== undefined && next.kind === "punct" && next.text === "(";
    if (isCall && FORBIDDEN_FUNCTIONS.has(kw)) {
      throw new RefusedSqlError(`--sql: refused: ${t.text}() ${where(t)} has side effects; analytics is read-only`);
    }
    if (kw === "REPLACE" && isCall && keyword(prev) !== "OR") continue; // replace(text, from, to)
    if (WRITE_KEYWORDS.has(kw)) {
      throw new RefusedSqlError(
        `--sql: refused: ${kw} ${where(t)} writes or changes the database or connection; analytics is read-only` +
          " (quote an identifier that merely has this name)",
      );
    }
  }
  const last = stmt.at(-1) as Token;
  return { sql: source.slice(0, last.start + last.text.length), tokens: tokens.filter((t) => t.start < last.start + last.text.length) };
}

/** The query as a subquery: SQLite's grammar admits nothing but a SELECT there. */
export function asSubquery(sql: string): string {
  return `SELECT * FROM (\n${sql}\n)`;
}
