import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/**
 * The import graph of src/ (relative imports, type-only ones included: an import cycle is a
 * design cycle even when it vanishes at run time). docs/design-notes.md draws it.
 */
const SRC = join(process.cwd(), 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

const graph = new Map<string, string[]>(
  sourceFiles(SRC).map((file) => {
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(/\bfrom\s+'(\.{1,2}\/[^']+)\.js'/g)]
      .map((match) => join(dirname(file), `${match[1]}.ts`))
      .filter((target) => target.startsWith(SRC));
    return [relative(SRC, file), targets.map((target) => relative(SRC, target))];
  }),
);

/** The folder of a file under src/ (files at the top level are the app's wiring). */
const folderOf = (file: string) => (file.includes('/') ? file.split('/')[0] : '(app)');

function cycles(edges: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    path.push(node);
    for (const next of edges.get(node) ?? []) {
      if (state.get(next) === 'open') found.push([...path.slice(path.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(node, 'done');
  };
  for (const node of edges.keys()) if (!state.has(node)) visit(node);
  return found;
}

describe('imports', () => {
  it('have no cycle, file by file', () => {
    expect(graph.size).toBeGreaterThan(50);
    expect(cycles(graph)).toEqual([]);
  });

  it('run one way between the queue and the features built on it', () => {
    // Each folder may import only those after it in this list.
    const layers = ['scheduler', 'sync', 'directory', 'sync-jobs', 'queue'];
    const upward: string[] = [];
    for (const [file, targets] of graph) {
      const from = layers.indexOf(folderOf(file));
      if (from < 0) continue;
      for (const target of targets) {
        const to = layers.indexOf(folderOf(target));
        if (to >= 0 && to < from) upward.push(`${file} -> ${target}`);
      }
    }
    expect(upward).toEqual([]);
  });
});
