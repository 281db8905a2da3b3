import {
  isMap,
  isNode,
  isPair,
  isScalar,
  isSeq,
  type Document,
  type LineCounter,
  type Node,
} from 'yaml';

export interface SourcePosition {
  line: number;
  column: number;
}

/** Which end of a mapping entry to point at: the key (unknown or misplaced keys) or its value. */
export type YamlNodeEnd = 'key' | 'value';

function childOf(node: Node, segment: string | number): { key?: Node; value?: Node } | undefined {
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = isScalar(pair.key) ? pair.key.value : pair.key;
      if (String(key) === String(segment)) {
        return {
          ...(isNode(pair.key) ? { key: pair.key } : {}),
          ...(isNode(pair.value) ? { value: pair.value } : {}),
        };
      }
    }
    return undefined;
  }
  if (isSeq(node) && typeof segment === 'number') {
    const item: unknown = node.items[segment];
    return isNode(item) ? { value: item } : undefined;
  }
  return undefined;
}

/**
 * Finds where a value (or its key) sits in the YAML source, so errors can name a line and column.
 * Falls back to the nearest ancestor that exists, since a missing key has no position of its own.
 */
export function locateYamlNode(
  doc: Document,
  lineCounter: LineCounter,
  path: readonly (string | number)[],
  end: YamlNodeEnd = 'value',
): SourcePosition | undefined {
  let node: Node | undefined = isNode(doc.contents) ? doc.contents : undefined;
  let target: Node | undefined = node;
  for (const [index, segment] of path.entries()) {
    if (!node) break;
    const child = childOf(node, segment);
    if (!child) break;
    const last = index === path.length - 1;
    target =
      last && end === 'key'
        ? (child.key ?? child.value ?? node)
        : (child.value ?? child.key ?? node);
    node = child.value;
  }
  const offset = target?.range?.[0];
  if (offset === undefined) return undefined;
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}
