// Runs one read-only query against each creator's own database through
// @libsql/client (sqld endpoints over HTTP/Hrana; file: URLs take the same
// path), a bounded number at a time.
import { createClient } from "@libsql/client";
import { mapConcurrent } from "./pool.ts";
import { asSubquery, type ReadOnlyQuery } from "./read-only-sql.ts";
import { CREATOR_COLUMN, errorMessage, type CreatorOutcome } from "./outcome.ts";
import { creatorToken, type UrlCreator } from "./creator-databases.ts";

export async function queryOneEndpoint(creator: UrlCreator, query: ReadOnlyQuery): Promise<CreatorOutcome> {
  let client;
  try {
    client = createClient({ url: creator.url, authToken: creatorToken(creator) });
    const rs = await client.execute(asSubquery(query.sql));
    const columns = [...rs.columns];
    if (columns.includes(CREATOR_COLUMN)) {
      return { creator: creator.id, ok: false, error: `the column name "${CREATOR_COLUMN}" is reserved for the creator id` };
    }
    return { creator: creator.id, ok: true, columns, rows: rs.rows.map((r) => columns.map((_, i) => r[i])) };
  } catch (e) {
    return { creator: creator.id, ok: false, error: errorMessage(e) };
  } finally {
    client?.close();
  }
}

/** Outcomes in the order the endpoints answer. */
export function queryEndpoints(
  creators: readonly UrlCreator[],
  query: ReadOnlyQuery,
  concurrency: number,
): AsyncGenerator<CreatorOutcome> {
  return mapConcurrent(creators, concurrency, (c) => queryOneEndpoint(c, query));
}
