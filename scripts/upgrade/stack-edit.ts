/**
 * The stack-file edits of an upgrade: set or remove `creator-platform:rollout`,
 * and set `images.ghost` / `images.sqld`. As scripts/creators/edit.ts does, the
 * text is spliced where the layout is the usual one (a block `config:` map), so
 * every other line stays byte for byte as it was, and the result must mean what
 * the yaml Document API's edit means; any other layout gets the Document API's
 * own text (comments and order kept, spacing normalised).
 */
import { type Document, type Pair, type YAMLMap, isMap, isScalar } from "yaml";
import type { Rollout } from "../../infra/config/schema.ts";
import { parseStackText, projectKeyOf, settled } from "../creators/edit.ts";

export interface NewImages {
  ghost?: string | undefined;
  sqld?: string | undefined;
}

/** Written above the rollout key while an upgrade is under way, removed with it. */
const ROLLOUT_COMMENT = [
  "# An upgrade in waves is under way (npm run upgrade; docs/runbooks/upgrade-in-waves.md):",
  "# the creators listed run these images, every other creator images.ghost / images.sqld.",
];

type Range = [number, number, number];

function configMap(doc: Document): YAMLMap | undefined {
  const config = doc.get("config", true);
  return isMap(config) && !config.flow ? config : undefined;
}

function pairOf(map: YAMLMap | undefined, key: string): Pair | undefined {
  return map?.items.find((p) => isScalar(p.key) && p.key.value === key);
}

const rangeOf = (node: unknown): Range | undefined => (node && typeof node === "object" && "range" in node ? ((node as { range?: Range | null }).range ?? undefined) : undefined);
const lineStart = (text: string, at: number) => text.lastIndexOf("\n", at - 1) + 1;
const lineEnd = (text: string, at: number) => {
  const newline = text.indexOf("\n", at);
  return newline < 0 ? text.length : newline + 1;
};

/** Where a block map's pair starts (its key's line) and ends (after its value's last line). */
function pairLines(text: string, pair: Pair): [number, number] | undefined {
  const key = rangeOf(pair.key);
  const value = rangeOf(pair.value) ?? key;
  if (!key || !value) return undefined;
  const end = value[1] > 0 && text[value[1] - 1] === "\n" ? value[1] : lineEnd(text, Math.max(value[1] - 1, key[1]));
  return [lineStart(text, key[0]), end];
}

/** The indentation of a block map's keys. */
const indentOf = (text: string, map: YAMLMap): string | undefined => {
  const first = rangeOf(map.items[0]?.key);
  return first ? text.slice(lineStart(text, first[0]), first[0]) : undefined;
};

const quoted = (value: string) => (/^[A-Za-z0-9_./:@-]+$/.test(value) && !/^[0-9.]+$/.test(value) ? value : JSON.stringify(value));

function rolloutLines(indent: string, key: string, rollout: Rollout): string {
  const lines = [
    ...ROLLOUT_COMMENT.map((c) => `${indent}${c}`),
    `${indent}${key}:`,
    ...(rollout.ghost ? [`${indent}  ghost: ${quoted(rollout.ghost)}`] : []),
    ...(rollout.sqld ? [`${indent}  sqld: ${quoted(rollout.sqld)}`] : []),
    `${indent}  creators: [${rollout.creators.map(quoted).join(", ")}]`,
  ];
  return `${lines.join("\n")}\n`;
}

/** After a map's last pair: where a new pair's lines go (the text ends with a newline there). */
function appendAt(text: string, map: YAMLMap): { text: string; at: number } | undefined {
  const last = map.items.at(-1);
  const lines = last ? pairLines(text, last) : undefined;
  if (!lines) return undefined;
  const at = lines[1];
  return at === text.length && !text.endsWith("\n") ? { text: `${text}\n`, at: text.length + 1 } : { text, at };
}

/** `source` with `rollout` set (the creators as one flow list), or removed (with its comment) when undefined. */
export function withRollout(source: string, rollout: Rollout | undefined): string {
  const doc = parseStackText(source);
  const key = projectKeyOf(doc, "rollout");
  const map = configMap(doc);
  const existing = pairOf(map, key);
  const lines = existing ? pairLines(source, existing) : undefined;
  let spliced: string | undefined;
  const indent = map ? indentOf(source, map) : undefined;
  if (existing && lines && indent !== undefined) {
    let [start, end] = lines;
    const comment = ROLLOUT_COMMENT.map((c) => `${indent}${c}\n`).join("");
    if (source.slice(start - comment.length, start) === comment) start -= comment.length;
    spliced = `${source.slice(0, start)}${rollout ? rolloutLines(indent, key, rollout) : ""}${source.slice(end)}`;
  } else if (!existing && rollout && map && indent !== undefined) {
    const place = appendAt(source, map);
    if (place) spliced = `${place.text.slice(0, place.at)}${rolloutLines(indent, key, rollout)}${place.text.slice(place.at)}`;
  } else if (!existing && !rollout) {
    return source;
  }
  if (rollout) {
    const node = doc.createNode({ ...(rollout.ghost ? { ghost: rollout.ghost } : {}), ...(rollout.sqld ? { sqld: rollout.sqld } : {}), creators: rollout.creators });
    doc.setIn(["config", key], node);
  } else {
    doc.deleteIn(["config", key]);
  }
  return settled(spliced, doc);
}

/** `source` with the given images set under `images` (its other keys and comments kept; the map made if absent). */
export function withImages(source: string, images: NewImages): string {
  let text = source;
  for (const name of ["ghost", "sqld"] as const) {
    const image = images[name];
    if (image !== undefined) text = withImage(text, name, image);
  }
  return text;
}

function withImage(source: string, name: "ghost" | "sqld", image: string): string {
  const doc = parseStackText(source);
  const key = projectKeyOf(doc, "images");
  const map = configMap(doc);
  const pair = pairOf(map, key);
  let spliced: string | undefined;
  const indent = map ? indentOf(source, map) : undefined;
  if (!pair && map && indent !== undefined) {
    const place = appendAt(source, map);
    if (place) spliced = `${place.text.slice(0, place.at)}${indent}${key}:\n${indent}  ${name}: ${quoted(image)}\n${place.text.slice(place.at)}`;
  } else if (pair && isMap(pair.value) && !pair.value.flow) {
    const images = pair.value;
    const current = pairOf(images, name);
    const valueRange = rangeOf(current?.value);
    const inner = indentOf(source, images);
    if (current && isScalar(current.value) && valueRange) {
      spliced = `${source.slice(0, valueRange[0])}${quoted(image)}${source.slice(valueRange[1])}`;
    } else if (!current && inner !== undefined) {
      // First under the key's own line, above any comment of its first entry.
      const keyRange = rangeOf(pair.key);
      if (keyRange) {
        const at = lineEnd(source, keyRange[1]);
        spliced = `${source.slice(0, at)}${inner}${name}: ${quoted(image)}\n${source.slice(at)}`;
      }
    }
  }
  doc.setIn(["config", key, name], image);
  return settled(spliced, doc);
}
