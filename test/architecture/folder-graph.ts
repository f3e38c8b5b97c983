/**
 * The folder graph of a source tree: folder A depends on folder B when a file directly in A
 * imports a file directly in B. A parent folder and its subfolders are separate folders
 * (engine/collector and engine/collector/http), so a child importing its parent counts too.
 */
import fs from 'node:fs';
import path from 'node:path';

/** One import of one file: the reason for an edge. */
export interface ImportSite {
  readonly file: string;
  readonly specifier: string;
}

/** from folder → to folder → the imports that make the edge. */
export type FolderGraph = Map<string, Map<string, ImportSite[]>>;

// `import … from`, `import type … from`, `export … from`, a bare `import '…'`, over several lines.
const STATIC = /\b(?:import|export)\s+(?:[^'"`;]*?\bfrom\s*)?['"](\.{1,2}\/[^'"]+)['"]/g;
const DYNAMIC = /\bimport\s*\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

// Comments that start a line: a doc comment may quote an import. (Not `/*` or `//` anywhere: a glob or URL in a string has them.)
const COMMENTS = /^[ \t]*(?:\/\*[\s\S]*?\*\/|\/\/.*$)/gm;

/** The relative specifiers a TypeScript module imports or re-exports. */
export function relativeImports(text: string): string[] {
  const code = text.replace(COMMENTS, '');
  return [...code.matchAll(STATIC), ...code.matchAll(DYNAMIC)].map((match) => match[1] as string);
}

/** Every .ts file under `dir`, as paths relative to `root` with forward slashes. */
export function typescriptFiles(root: string, dir: string): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const relative = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...typescriptFiles(root, relative));
    else if (entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) found.push(relative);
  }
  return found.sort();
}

/**
 * The graph of imports between folders under `scope` (imports leaving it are not edges).
 * `files` maps each path (relative, forward slashes) to its text.
 */
export function folderGraph(files: ReadonlyMap<string, string>, scope: string): FolderGraph {
  const graph: FolderGraph = new Map();
  for (const [file, text] of files) {
    const from = path.posix.dirname(file);
    for (const specifier of relativeImports(text)) {
      const to = path.posix.dirname(path.posix.normalize(path.posix.join(from, specifier)));
      if (to === from || !(to === scope || to.startsWith(`${scope}/`))) continue;
      let targets = graph.get(from);
      if (!targets) graph.set(from, (targets = new Map()));
      let sites = targets.get(to);
      if (!sites) targets.set(to, (sites = []));
      sites.push({ file, specifier });
    }
  }
  return graph;
}

/** One cycle per strongly connected group of folders, as the folders along it (the first again at the end). */
export function folderCycles(graph: FolderGraph): string[][] {
  const cycles: string[][] = [];
  for (const group of stronglyConnected(graph)) {
    if (group.length < 2) continue;
    cycles.push(shortestCycle(graph, [...group].sort()[0] as string, new Set(group)));
  }
  return cycles;
}

/** A cycle written out with the imports that make each step. */
export function describeCycle(graph: FolderGraph, cycle: readonly string[]): string {
  const steps: string[] = [cycle[0] as string];
  for (let index = 1; index < cycle.length; index += 1) {
    const sites = graph.get(cycle[index - 1] as string)?.get(cycle[index] as string) ?? [];
    const shown = sites.slice(0, 3).map((site) => `${site.file} imports '${site.specifier}'`);
    if (sites.length > shown.length) shown.push(`${sites.length - shown.length} more`);
    steps.push(`  → ${cycle[index] as string}   (${shown.join('; ')})`);
  }
  return steps.join('\n');
}

function stronglyConnected(graph: FolderGraph): string[][] {
  const nodes = new Set<string>();
  for (const [from, targets] of graph) {
    nodes.add(from);
    for (const to of targets.keys()) nodes.add(to);
  }
  // Tarjan's algorithm; the folder tree is small, so recursion depth is no concern.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, index.size);
    low.set(node, index.get(node) as number);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node)?.keys() ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) as number, low.get(next) as number));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) as number, index.get(next) as number));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const group: string[] = [];
    let member: string;
    do {
      member = stack.pop() as string;
      onStack.delete(member);
      group.push(member);
    } while (member !== node);
    groups.push(group);
  };
  for (const node of [...nodes].sort()) if (!index.has(node)) visit(node);
  return groups;
}

/** Breadth-first from `start` back to it, within its group. */
function shortestCycle(graph: FolderGraph, start: string, group: ReadonlySet<string>): string[] {
  const previous = new Map<string, string>();
  const queue = [start];
  for (let node = queue.shift(); node !== undefined; node = queue.shift()) {
    for (const next of [...(graph.get(node)?.keys() ?? [])].sort()) {
      if (next === start) {
        const back = [start];
        for (let step = node; step !== start; step = previous.get(step) as string) back.push(step);
        back.push(start);
        return back.reverse();
      }
      if (!group.has(next) || previous.has(next)) continue;
      previous.set(next, node);
      queue.push(next);
    }
  }
  throw new Error(`${start} is in a cycle but no path leads back to it`);
}
