import { describe, expect, test } from "vitest";
import { RefusedSqlError, checkReadOnlySql } from "../../scripts/ops/read-only-sql.ts";
import { qualifyTables } from "../../scripts/ops/qualify-sql.ts";
import { tokenize } from "../../scripts/ops/sql-tokens.ts";

describe("checkReadOnlySql refuses", () => {
  const refused: Array<[string, RegExp]> = [
    ["WITH x AS (SELECT 1) INSERT INTO posts (id) SELECT * FROM x", /INSERT/],
    ["with recent as (select id from posts) delete from posts where id in recent", /DELETE/],
    ["WITH u AS (SELECT 1) UPDATE members SET status = 'paid'", /UPDATE/],
    ["PRAGMA writable_schema = 1", /starts with "PRAGMA"/],
    ["SELECT 1; PRAGMA writable_schema = ON", /2 statements/],
    ["ATTACH '/etc/passwd' AS x", /starts with "ATTACH"/],
    ["SELECT 1; ATTACH 'x.db' AS y", /2 statements/],
    ["SELECT * FROM posts; DROP TABLE posts", /2 statements/],
    ["SELECT 1;;SELECT 2;", /2 statements/],
    ["DELETE FROM posts", /starts with "DELETE"/],
    ["INSERT OR REPLACE INTO tags VALUES (1)", /starts with "INSERT"/],
    ["SELECT * FROM posts /* hide; */; VACUUM", /2 statements/],
    ["SELECT load_extension('/tmp/x.so')", /load_extension/],
    ["VALUES (1) -- ok\n; CREATE TABLE t (x)", /2 statements/],
    ["SELECT 'unterminated", /cannot read the query: unterminated string/],
    ["SELECT 1 /* never closed", /unterminated \/\* comment/],
    ["   -- only a comment\n", /empty/],
    ["REINDEX", /starts with "REINDEX"/],
    ["SELECT * FROM (SELECT 1) JOIN (SELECT 2) ON 1 WHERE EXISTS (SELECT 1) AND 1 = (SELECT 1) OR x IN (WITH a AS (SELECT 1) REPLACE INTO t VALUES (1))", /REPLACE/],
  ];
  test.each(refused)("%s", (sql, reason) => {
    expect(() => checkReadOnlySql(sql)).toThrow(RefusedSqlError);
    expect(() => checkReadOnlySql(sql)).toThrow(reason);
  });
});

describe("checkReadOnlySql accepts", () => {
  const accepted = [
    "SELECT count(*) FROM posts",
    "select status, count(*) from posts group by status;",
    "WITH p AS (SELECT * FROM posts) SELECT count(*) FROM p",
    "SELECT 'DELETE FROM posts; DROP TABLE x' AS s", // keywords inside a string
    'SELECT "update" FROM (SELECT 1 AS "update")', // quoted identifier
    "SELECT replace(title, 'a', 'b') FROM posts",
    "SELECT p.id FROM posts AS p -- trailing comment; DELETE",
    "VALUES (1), (2)",
  ];
  test.each(accepted)("%s", (sql) => {
    const q = checkReadOnlySql(sql);
    expect(q.sql.trimEnd().endsWith(";")).toBe(false);
  });
});

describe("qualifyTables", () => {
  const q = (sql: string): string => qualifyTables(checkReadOnlySql(sql).tokens, "c3");
  test("prefixes tables in FROM, JOIN and comma lists, at every depth", () => {
    expect(q("SELECT * FROM posts p JOIN posts_tags pt ON pt.post_id = p.id, tags WHERE p.id IN (SELECT post_id FROM posts_tags)")).toBe(
      "SELECT * FROM c3.posts p JOIN c3.posts_tags pt ON pt.post_id = p.id, c3.tags WHERE p.id IN (SELECT post_id FROM c3.posts_tags)",
    );
  });
  test("leaves CTE names, table functions, columns and IS DISTINCT FROM alone", () => {
    expect(q("WITH x(n) AS (SELECT 1 FROM members) SELECT n FROM x, json_each('[1]') WHERE n IS NOT DISTINCT FROM n")).toBe(
      "WITH x(n) AS (SELECT 1 FROM c3.members) SELECT n FROM x, json_each('[1]') WHERE n IS NOT DISTINCT FROM n",
    );
  });
  test("gives PRAGMA table functions the schema as last argument", () => {
    expect(q("SELECT * FROM pragma_page_count, pragma_table_info('posts')")).toBe(
      "SELECT * FROM pragma_page_count('c3'), pragma_table_info('posts', 'c3')",
    );
  });
  test("refuses schema-qualified table names", () => {
    expect(() => q("SELECT * FROM main.posts")).toThrow(/names a schema/);
  });
  test("tokens give the source back", () => {
    const sql = "SELECT x'0A', [a b], `c`, \"d\"\"e\", 'f''g', 1.5e3, ?1, :n -- c\n/* d */ FROM t";
    expect(tokenize(sql).map((t) => t.text).join("")).toBe(sql);
  });
});
