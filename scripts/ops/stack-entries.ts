// Reading and editing the creators list of a Pulumi stack file
// (stacks/Pulumi.<stack>.yaml, key config."creator-platform:creators") with the
// yaml Document API, so that comments, order and formatting survive.
import { isMap, isSeq, parseDocument, YAMLSeq, type Document } from "yaml";
import { z } from "zod";
import { creatorId } from "../../infra/config/schema.ts";
import { stackFilePath } from "../../infra/config/stack-file.ts";

export const CREATORS_KEY = "creator-platform:creators";
const PATH = ["config", CREATORS_KEY] as const;

/** The platform's own rule for creator ids (infra/config/schema.ts). */
export const isCreatorId = (id: string): boolean => creatorId.safeParse(id).success;

const creatorEntry = z.looseObject({
  id: creatorId,
  plan: z.string().optional(),
  domains: z.array(z.string()).optional(),
  state: z.enum(["active", "suspended", "retired"]).optional(),
});
export type StackCreator = z.infer<typeof creatorEntry>;

export class StackFileError extends Error {
  override name = "StackFileError";
}

/** The platform's stack file path (infra/config/stack-file.ts), as an ops error. */
/** The platform's stack file path (same arguments), a bad name reported as the --stack option's error. */
export function stackOptionPath(stack: string, stacksDir: string): string {
  try {
    return stackFilePath(stack, stacksDir);
  } catch (error) {
    throw new StackFileError(`--stack: ${(error as Error).message}`);
  }
}

function parse(text: string, file: string): Document {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new StackFileError(`${file}: not valid YAML: ${doc.errors[0]?.message ?? ""}`);
  return doc;
}

function creatorsSeq(doc: Document, file: string, create: boolean): YAMLSeq | undefined {
  const node = doc.getIn(PATH, true);
  if (node === undefined || node === null) {
    if (!create) return undefined;
    const seq = new YAMLSeq();
    doc.setIn(PATH, seq);
    const config = doc.get("config", true);
    if (isMap(config)) config.flow = false;
    return doc.getIn(PATH, true) as YAMLSeq;
  }
  if (!isSeq(node)) throw new StackFileError(`${file}: config.${CREATORS_KEY} must be a sequence`);
  return node;
}

function entryId(item: unknown): unknown {
  return isMap(item) ? item.get("id") : undefined;
}

/** The creators listed in a stack file's text, validated. */
export function parseStackCreators(text: string, file: string): StackCreator[] {
  const seq = creatorsSeq(parse(text, file), file, false);
  if (!seq) throw new StackFileError(`${file}: no config.${CREATORS_KEY} list`);
  const list = z.array(creatorEntry).safeParse(seq.toJSON());
  if (!list.success) {
    const issue = list.error.issues[0];
    throw new StackFileError(`${file}: config.${CREATORS_KEY}[${issue?.path.join(".")}]: ${issue?.message}`);
  }
  const seen = new Set<string>();
  for (const c of list.data) {
    if (seen.has(c.id)) throw new StackFileError(`${file}: creator id "${c.id}" is listed twice`);
    seen.add(c.id);
  }
  return list.data;
}

/** Ids of the creators whose databases are served (state not "retired"). */
export function servedCreatorIds(creators: readonly StackCreator[]): string[] {
  return creators.filter((c) => c.state !== "retired").map((c) => c.id);
}

/** Start and end (after the newline) of the lines an item occupies, when it has lines of its own ("- " then the item). */
function ownLines(text: string, item: { range?: [number, number, number] | null }): [number, number] | null {
  if (!item.range) return null;
  const start = text.lastIndexOf("\n", item.range[0] - 1) + 1;
  if (!/^[ \t]*-[ \t]+$/.test(text.slice(start, item.range[0]))) return null;
  const nl = text.indexOf("\n", item.range[1]);
  const end = nl < 0 ? text.length : nl + 1;
  // Whatever follows the item on its last line must be a comment.
  if (!/^[ \t]*(#.*)?\r?\n?$/.test(text.slice(item.range[1], end))) return null;
  return [start, end];
}

/** Byte-for-byte edit: the entry's own lines cut from the source and pasted after the target's last entry. */
function moveLines(source: string, sseq: YAMLSeq, index: number, target: string, tseq: YAMLSeq): { source: string; target: string } | null {
  const item = sseq.items[index] as { range?: [number, number, number] | null };
  const last = tseq.items.at(-1) as { range?: [number, number, number] | null } | undefined;
  if (tseq.flow || !last) return null;
  const from = ownLines(source, item);
  const after = ownLines(target, last);
  if (!from || !after) return null;
  const indent = (t: string, at: number): string => /^[ \t]*/.exec(t.slice(at))?.[0] ?? "";
  let lines = source.slice(from[0], from[1]);
  if (!lines.endsWith("\n")) lines += "\n";
  const reindented = lines.replace(new RegExp(`^${indent(source, from[0])}`, "gm"), indent(target, after[0]));
  const sep = target.slice(0, after[1]).endsWith("\n") ? "" : "\n";
  return {
    source: source.slice(0, from[0]) + source.slice(from[1]),
    target: target.slice(0, after[1]) + sep + reindented + target.slice(after[1]),
  };
}

const ids = (text: string, file: string): string[] => parseStackCreators(text, file).map((c) => c.id);

/**
 * Moves creator `id`'s entry from one stack file's text to the other's; returns
 * both new texts. Where the entry has lines of its own, those lines move as they
 * are (its trailing comment with it; comment lines above it stay in the source)
 * and nothing else in either file changes; otherwise the yaml Document API
 * rewrites the files. Either way the result is parsed again and checked.
 */
export function moveCreatorEntry(
  source: { text: string; file: string },
  target: { text: string; file: string },
  id: string,
): { source: string; target: string } {
  const sdoc = parse(source.text, source.file);
  const tdoc = parse(target.text, target.file);
  const sseq = creatorsSeq(sdoc, source.file, false);
  const index = sseq ? sseq.items.findIndex((it) => entryId(it) === id) : -1;
  if (!sseq || index < 0) throw new StackFileError(`${source.file}: creator "${id}" is not in config.${CREATORS_KEY}`);
  const existing = creatorsSeq(tdoc, target.file, false);
  if (existing?.items.some((it) => entryId(it) === id)) {
    throw new StackFileError(`${target.file}: creator "${id}" is already in config.${CREATORS_KEY}`);
  }
  const before = { source: ids(source.text, source.file), target: existing ? ids(target.text, target.file) : [] };
  const result =
    (existing && moveLines(source.text, sseq, index, target.text, existing)) ?? moveNodes(sdoc, sseq, index, tdoc, target.file);
  const after = { source: ids(result.source, source.file), target: ids(result.target, target.file) };
  if (JSON.stringify(after) !== JSON.stringify({ source: before.source.filter((x) => x !== id), target: [...before.target, id] })) {
    throw new StackFileError(`moving "${id}" between ${source.file} and ${target.file} did not give the expected lists; files left unchanged`);
  }
  return result;
}

function moveNodes(sdoc: Document, sseq: YAMLSeq, index: number, tdoc: Document, targetFile: string): { source: string; target: string } {
  const tseq = creatorsSeq(tdoc, targetFile, true) as YAMLSeq;
  const [item] = sseq.items.splice(index, 1) as [{ commentBefore?: string | null }];
  if (item.commentBefore) {
    const next = sseq.items[index] as { commentBefore?: string | null } | undefined;
    if (next) next.commentBefore = [item.commentBefore, next.commentBefore].filter(Boolean).join("\n");
    else sseq.comment = [item.commentBefore, sseq.comment].filter(Boolean).join("\n");
    item.commentBefore = undefined;
  }
  if (sseq.items.length === 0) sseq.flow = true; // an empty list prints as []
  tseq.flow = false;
  tseq.items.push(item);
  return { source: sdoc.toString(), target: tdoc.toString() };
}
