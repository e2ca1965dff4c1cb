/**
 * Edits of a stack file's creators list that change only what they must. The
 * shipped stacks write one flow map a line (`- { id: ada, plan: starter }`):
 * an added creator is then one new line after the last entry, in its style, and
 * a state change rewrites that entry's own line and nothing else. Any other
 * layout (block maps, an empty or missing list) is edited with the yaml
 * Document API, which keeps comments and order. Either way the new text is
 * parsed again and must mean what the Document API's edit means.
 */
import { isDeepStrictEqual } from "node:util";
import { Document, type YAMLMap, type YAMLSeq, isMap, isScalar, isSeq, parseDocument } from "yaml";
import type { Creator } from "../../infra/config/schema.ts";
import { PROJECT } from "../../infra/config/stack-file.ts";

export type CreatorState = Creator["state"];

export interface NewCreator {
  id: string;
  plan: string;
  domains: string[];
}

/** A stack file's text as a yaml Document (comments and layout kept); invalid YAML throws. */
export function parseStackText(text: string): Document {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new Error(`not valid YAML: ${doc.errors[0]?.message ?? ""}`);
  return doc;
}
const parse = parseStackText;

/** The project key `name` under `config:` as the file writes it (a bare `name` is the project's too); namespaced when absent. */
export function projectKeyOf(doc: Document, name: string): string {
  const config = doc.get("config", true);
  const written = isMap(config) ? config.items.map((pair) => (isScalar(pair.key) ? String(pair.key.value) : "")) : [];
  return written.find((k) => k === `${PROJECT}:${name}` || k === name) ?? `${PROJECT}:${name}`;
}

/** The creators key as the file writes it, and its list. */
function creatorsList(doc: Document): { key: string; seq: YAMLSeq | undefined } {
  const key = projectKeyOf(doc, "creators");
  const node = doc.getIn(["config", key], true);
  if (node !== undefined && node !== null && !isSeq(node)) throw new Error(`config.${key} is not a list`);
  return { key, seq: node ?? undefined };
}

/** A flow map that sits on one line of `text`: the range of its braces. */
function oneLineFlowMap(text: string, node: unknown): [number, number] | undefined {
  if (!isMap(node) || !node.flow || !node.range) return undefined;
  const [start, end] = node.range;
  return text.slice(start, end).includes("\n") ? undefined : [start, end];
}

/** One flow map as the stacks write it: `{ id: ada, plan: starter, domains: [ada.blog] }` (padding as its neighbour has it). */
function flowText(node: YAMLMap, padded: boolean): string {
  const bare = new Document(node).toString({ flowCollectionPadding: false, lineWidth: 0 }).trimEnd();
  return padded ? `{ ${bare.slice(1, -1)} }` : bare;
}

/** The spliced text when it means what the Document API's edit means; otherwise the Document API's own text. */
export function settled(spliced: string | undefined, doc: Document): string {
  if (spliced !== undefined && isDeepStrictEqual(parse(spliced).toJS(), doc.toJS())) return spliced;
  return doc.toString({ lineWidth: 0 });
}

/** `text` with `creator` appended to the creators list. */
export function addCreator(text: string, creator: NewCreator): string {
  const doc = parse(text);
  const { key, seq } = creatorsList(doc);
  const entry = doc.createNode({ id: creator.id, plan: creator.plan, ...(creator.domains.length > 0 ? { domains: creator.domains } : {}) }) as YAMLMap;
  const last: unknown = seq?.items.at(-1);
  entry.flow = last === undefined || (isMap(last) && last.flow === true);
  let spliced: string | undefined;
  const braces = seq && !seq.flow ? oneLineFlowMap(text, last) : undefined;
  if (braces) {
    const lineStart = text.lastIndexOf("\n", braces[0]) + 1;
    const dash = text.slice(lineStart, braces[0]);
    const newline = text.indexOf("\n", braces[1]);
    if (/^[ \t]*-[ \t]+$/.test(dash)) {
      const line = dash + flowText(entry, text.startsWith("{ ", braces[0]));
      spliced = newline < 0 ? `${text}\n${line}` : `${text.slice(0, newline + 1)}${line}\n${text.slice(newline + 1)}`;
    }
  }
  if (seq) {
    seq.flow = false; // `creators: []` becomes a list of lines
    seq.items.push(entry);
  } else {
    const config = doc.get("config", true);
    if (isMap(config)) config.flow = false;
    doc.setIn(["config", key], doc.createNode([entry]));
  }
  return settled(spliced, doc);
}

/** `text` with creator `id`'s state set (active is written by leaving `state` out, as the stacks do). */
export function setCreatorState(text: string, id: string, state: CreatorState): string {
  const doc = parse(text);
  const item = creatorsList(doc).seq?.items.find((node: unknown) => isMap(node) && node.get("id") === id) as YAMLMap | undefined;
  if (!item) throw new Error(`creator "${id}" is not in the creators list`);
  const braces = oneLineFlowMap(text, item);
  if (state === "active") item.delete("state");
  else item.set("state", state);
  const spliced = braces ? `${text.slice(0, braces[0])}${flowText(item, text.startsWith("{ ", braces[0]))}${text.slice(braces[1])}` : undefined;
  return settled(spliced, doc);
}
