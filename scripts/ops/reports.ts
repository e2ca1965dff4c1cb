// The built-in analytics reports: SQL written for one creator database, and how
// each column adds up into the platform totals.
export type TotalKind = "sum" | "max";

export interface Report {
  description: string;
  sql: string;
  totals: Record<string, TotalKind>;
}

const CONTENT = `SELECT
  coalesce(sum(type = 'post' AND status = 'published'), 0) AS published_posts,
  coalesce(sum(type = 'post' AND status = 'draft'), 0) AS draft_posts,
  coalesce(sum(type = 'post' AND status = 'scheduled'), 0) AS scheduled_posts,
  coalesce(sum(type = 'page'), 0) AS pages
FROM posts`;

const MEMBERS = `SELECT
  count(*) AS members,
  coalesce(sum(status = 'paid'), 0) AS paid_members,
  coalesce(sum(status = 'comped'), 0) AS comped_members,
  coalesce(sum(status = 'free'), 0) AS free_members
FROM members`;

const SIZE = `SELECT page_count * page_size AS db_bytes, page_count AS db_pages
FROM pragma_page_count, pragma_page_size`;

const ACTIVITY = `SELECT max(t) AS last_activity FROM (
  SELECT max(updated_at) AS t FROM posts
  UNION ALL SELECT max(updated_at) FROM members
  UNION ALL SELECT max(last_seen) FROM users
  UNION ALL SELECT max(updated_at) FROM settings
)`;

const CONTENT_TOTALS = { published_posts: "sum", draft_posts: "sum", scheduled_posts: "sum", pages: "sum" } as const;
const MEMBERS_TOTALS = { members: "sum", paid_members: "sum", comped_members: "sum", free_members: "sum" } as const;
const SIZE_TOTALS = { db_bytes: "sum", db_pages: "sum" } as const;
const ACTIVITY_TOTALS = { last_activity: "max" } as const;

export const REPORTS: Record<string, Report> = {
  overview: {
    description: "all four reports below in one row per creator",
    sql: `SELECT * FROM (${CONTENT}), (${MEMBERS}), (${SIZE}), (${ACTIVITY})`,
    totals: { ...CONTENT_TOTALS, ...MEMBERS_TOTALS, ...SIZE_TOTALS, ...ACTIVITY_TOTALS },
  },
  content: { description: "posts by status (published, draft, scheduled) and pages", sql: CONTENT, totals: CONTENT_TOTALS },
  members: { description: "members: total, paid, comped, free", sql: MEMBERS, totals: MEMBERS_TOTALS },
  size: { description: "database size: bytes (pages × page size) and pages", sql: SIZE, totals: SIZE_TOTALS },
  activity: { description: "last activity: latest post, member or setting update, or user seen", sql: ACTIVITY, totals: ACTIVITY_TOTALS },
};
