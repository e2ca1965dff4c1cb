// A lexer for SQLite's SQL, enough to tell statements, keywords, identifiers,
// strings and comments apart. Pure; used by the read-only check and by the
// rewrite that points a query at one attached database.

export type TokenKind =
  | "space" // white space
  | "comment" // -- … or /* … */
  | "word" // bare identifier or keyword
  | "quoted" // "identifier", `identifier` or [identifier]
  | "string" // 'text'
  | "blob" // x'0A'
  | "number"
  | "param" // ?, ?1, :name, @name, $name
  | "punct"; // ( ) , ; . and operators

export interface Token {
  kind: TokenKind;
  text: string;
  /** Offset of the token's first character in the source. */
  start: number;
}

export class SqlLexError extends Error {}

const WORD_START = /[A-Za-z_\u0080-\uffff]/;
const WORD_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;

function quotedEnd(sql: string, start: number, close: string, what: string): number {
  let i = start + 1;
  for (;;) {
    const j = sql.indexOf(close, i);
    if (j < 0) throw new SqlLexError(`unterminated ${what} starting at character ${start + 1}`);
    // A doubled quote is an escaped quote ('it''s', "a""b"); brackets have no escape.
    if (close !== "]" && sql[j + 1] === close) {
      i = j + 2;
      continue;
    }
    return j + 1;
  }
}

/** Splits SQL into tokens; concatenating every token's text gives the source back. */
export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, end: number): void => {
    tokens.push({ kind, text: sql.slice(i, end), start: i });
    i = end;
  };
  while (i < sql.length) {
    const c = sql[i] as string;
    const next = sql[i + 1];
    if (/\s/.test(c)) {
      let j = i + 1;
      while (j < sql.length && /\s/.test(sql[j] as string)) j++;
      push("space", j);
    } else if (c === "-" && next === "-") {
      const j = sql.indexOf("\n", i);
      push("comment", j < 0 ? sql.length : j);
    } else if (c === "/" && next === "*") {
      const j = sql.indexOf("*/", i + 2);
      if (j < 0) throw new SqlLexError(`unterminated /* comment starting at character ${i + 1}`);
      push("comment", j + 2);
    } else if ((c === "x" || c === "X") && next === "'") {
      push("blob", quotedEnd(sql, i + 1, "'", "blob literal"));
    } else if (c === "'") {
      push("string", quotedEnd(sql, i, "'", "string"));
    } else if (c === '"' || c === "`") {
      push("quoted", quotedEnd(sql, i, c, "quoted identifier"));
    } else if (c === "[") {
      push("quoted", quotedEnd(sql, i, "]", "[identifier]"));
    } else if (WORD_START.test(c)) {
      let j = i + 1;
      while (j < sql.length && WORD_CHAR.test(sql[j] as string)) j++;
      push("word", j);
    } else if (/[0-9]/.test(c) || (c === "." && next !== undefined && /[0-9]/.test(next))) {
      const m = /^(0x[0-9a-fA-F_]+|[0-9_]*\.?[0-9_]*(?:[eE][+-]?[0-9_]+)?)/.exec(sql.slice(i)) as RegExpExecArray;
      push("number", i + Math.max(1, (m[0] as string).length));
    } else if (c === "?" || c === ":" || c === "@" || c === "$") {
      let j = i + 1;
      while (j < sql.length && WORD_CHAR.test(sql[j] as string)) j++;
      push("param", j);
    } else {
      const two = sql.slice(i, i + 2);
      push("punct", i + (["||", "<=", ">=", "==", "!=", "<>", "<<", ">>", "->"].includes(two) ? (sql.slice(i, i + 3) === "->>" ? 3 : 2) : 1));
    }
  }
  return tokens;
}

/** Tokens that carry meaning (no white space, no comments). */
export function significant(tokens: readonly Token[]): Token[] {
  return tokens.filter((t) => t.kind !== "space" && t.kind !== "comment");
}

/** The keyword a word token spells, upper-cased; "" for any other token. */
export function keyword(t: Token | undefined): string {
  return t !== undefined && t.kind === "word" ? t.text.toUpperCase() : "";
}

/** An identifier's name without its quotes ("a""b" → a"b). */
export function identifierName(t: Token): string {
  if (t.kind === "word") return t.text;
  const q = t.text[0];
  const inner = t.text.slice(1, -1);
  return q === "[" ? inner : inner.split(`${q}${q}`).join(q as string);
}
