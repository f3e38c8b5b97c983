/**
 * YAML and JSON documents parsed with source ranges (the `yaml` package keeps them; JSON is
 * parsed by JSON.parse for its value and by `yaml` for positions), so diagnostics can name
 * file:line:col.
 */
import { type Document, LineCounter, type Node, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Diagnostic, KeyPath } from '../diagnostics/diagnostic.js';
import type { PolicySource, Position, SourceFormat } from '../source/policy-source.js';

function nodeAt(doc: Document, path: KeyPath, wantKey: boolean): Node | undefined {
  let node = doc.contents as Node | null;
  let last: Node | undefined = node ?? undefined;
  for (const [depth, segment] of path.entries()) {
    if (isMap(node)) {
      const pair = node.items.find((item) => String(isScalar(item.key) ? item.key.value : item.key) === String(segment));
      if (!pair) return last;
      if (wantKey && depth === path.length - 1 && pair.key) return pair.key as Node;
      node = (pair.value as Node | null) ?? (pair.key as Node);
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment] as Node | undefined;
      if (!item) return last;
      node = item;
    } else {
      return last;
    }
    last = node ?? last;
  }
  return last;
}

/** Whether valid JSON text has an object with the same key twice (JSON.parse keeps the last silently). */
export function hasDuplicateKey(text: string): boolean {
  const objects: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index];
    if (char === '{') {
      objects.push(new Set());
      expectKey = true;
    } else if (char === '[') {
      objects.push(null);
      expectKey = false;
    } else if (char === '}' || char === ']') {
      objects.pop();
      expectKey = false;
    } else if (char === ',') {
      expectKey = objects.at(-1) instanceof Set;
    } else if (char === ':') {
      expectKey = false;
    } else if (char === '"') {
      const start = index;
      for (index += 1; index < text.length && text[index] !== '"'; index += 1) if (text[index] === '\\') index += 1;
      const keys = objects.at(-1);
      if (expectKey && keys) {
        const key = JSON.parse(text.slice(start, index + 1)) as string;
        if (keys.has(key)) return true;
        keys.add(key);
      }
    }
  }
  return false;
}

export interface ParsedText {
  readonly value: unknown;
  readonly diagnostics: Diagnostic[];
  locate(path: KeyPath, options?: { key?: boolean }): Position | undefined;
}

/** Parses YAML (or JSON, which `yaml` reads too) keeping positions; `prefix` roots the paths (package.json's "telem"). */
export function parseWithPositions(options: { file: string; text: string; format: SourceFormat; prefix?: KeyPath }): ParsedText {
  const { file, text, format, prefix = [] } = options;
  const lineCounter = new LineCounter();
  // Parsed with positions when needed: always for YAML; for JSON (read by JSON.parse, many times
  // faster on large policies) only for a syntax error, a duplicate key, or a diagnostic to place.
  let parsedDoc: Document | undefined;
  const document = () => (parsedDoc ??= parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, keepSourceTokens: false }));
  const diagnostics: Diagnostic[] = [];
  const at = (offset: number): Position => {
    document();
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  let value: unknown;
  if (format === 'yaml') {
    const doc = document();
    for (const error of doc.errors) {
      const duplicate = error.code === 'DUPLICATE_KEY';
      diagnostics.push({
        code: duplicate ? 'duplicate-key' : 'yaml-syntax',
        severity: 'error',
        message: duplicate ? 'this key appears twice in the same mapping; only one can apply' : `YAML: ${error.message.split('\n')[0]}`,
        path: [],
        file,
        ...at(error.pos[0]),
      });
    }
    value = doc.errors.length > 0 ? undefined : doc.toJS({ maxAliasCount: 100 });
  } else {
    try {
      value = JSON.parse(text);
      for (const error of hasDuplicateKey(text) ? document().errors : []) {
        if (error.code === 'DUPLICATE_KEY') {
          diagnostics.push({
            code: 'duplicate-key',
            severity: 'error',
            message: 'this key appears twice in the same object; only the last one applies',
            path: [],
            file,
            ...at(error.pos[0]),
          });
        }
      }
    } catch (error) {
      const offset = Number(/position (\d+)/.exec((error as Error).message)?.[1] ?? 0);
      diagnostics.push({ code: 'json-syntax', severity: 'error', message: `JSON: ${(error as Error).message}`, path: [], file, ...at(offset) });
      value = undefined;
    }
  }
  if (prefix.length > 0 && value !== undefined) {
    value = prefix.reduce<unknown>((inner, key) => (inner as Record<string, unknown> | undefined)?.[key as string], value);
  }
  return {
    value,
    diagnostics,
    locate(path, locateOptions) {
      const node = nodeAt(document(), [...prefix, ...path], locateOptions?.key ?? false);
      return node?.range ? at(node.range[0]) : undefined;
    },
  };
}

export function sourceFromText(options: { file: string; text: string; format: SourceFormat; prefix?: KeyPath }): PolicySource {
  const parsed = parseWithPositions(options);
  return { file: options.file, format: options.format, value: parsed.value, locate: parsed.locate, diagnostics: parsed.diagnostics };
}
