// The layering rule of ARCHITECTURE.md, enforced: every relative import in src/ (static,
// `import type`, `export … from` and dynamic `import()`) may only point at its own layer
// or one below it. TypeScript's own pre-processor finds the specifiers, so a multi-line or
// type-only import cannot slip past a regular expression.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';

const src = join(import.meta.dirname, '..', '..', 'src');

/**
 * Each top-level entry of src/ and its rank: a module may import its own rank or a lower
 * one. framing and resolve are siblings that do not know each other; `index` is the root
 * barrel (the public library API, which services may use); bench is the load generator
 * the CLI runs.
 */
const RANK: Record<string, number> = {
  errors: 0,
  internal: 1,
  framing: 2,
  resolve: 2,
  socket: 3,
  server: 4,
  index: 5,
  services: 6,
  bench: 7,
  cli: 8,
};

/** The layer of a path relative to src/: its first segment (a file's name without `.ts`). */
function layerOf(path: string): string {
  return path.split(sep)[0]!.replace(/\.[jt]s$/, '');
}

/** Within services/, the service a path belongs to (null for the shared top-level files). */
function serviceOf(path: string): string | null {
  const parts = path.split(sep);
  return parts[0] === 'services' && parts.length > 2 ? parts[1]! : null;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

interface Edge {
  from: string;
  to: string;
}

function importEdges(): Edge[] {
  const edges: Edge[] = [];
  for (const file of sourceFiles(src)) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName } of info.importedFiles) {
      if (!fileName.startsWith('.')) continue;
      edges.push({
        from: relative(src, file),
        to: relative(src, resolve(dirname(file), fileName)),
      });
    }
  }
  return edges;
}

/** Why `edge` breaks the layering, or null when it is allowed. */
function violation({ from, to }: Edge): string | null {
  const a = layerOf(from);
  const b = layerOf(to);
  if (RANK[a] === undefined)
    return `${from}: src/${a} has no layer (add it to RANK and ARCHITECTURE.md)`;
  if (RANK[b] === undefined) return `${from} imports ${to}, outside every layer`;
  if (a !== b && RANK[b] >= RANK[a]) {
    return `${from} imports ${to}: ${a} may not import ${b} (same or higher layer)`;
  }
  // Services are worked examples of the public API: one may not borrow another's
  // internals (what two share belongs in internal/ or in services/*.ts).
  const own = serviceOf(from);
  const other = serviceOf(to);
  if (own !== null && other !== null && own !== other) {
    return `${from} imports ${to}: another service's internals`;
  }
  return null;
}

test('layering: the rule itself catches upward, sideways and cross-service imports', () => {
  const bad = (from: string, to: string): boolean => violation({ from, to }) !== null;
  assert.ok(bad(join('socket', 'address.ts'), join('server', 'handler-types.js')));
  assert.ok(bad(join('internal', 'x.ts'), join('framing', 'codec.js')));
  assert.ok(bad(join('framing', 'x.ts'), join('resolve', 'index.js')));
  assert.ok(bad(join('server', 'x.ts'), join('services', 'echo', 'index.js')));
  assert.ok(bad(join('services', 'echo', 'index.ts'), join('cli', 'io.js')));
  assert.ok(bad(join('services', 'strftime', 'index.ts'), join('services', 'sntp', 'clock.js')));
  assert.ok(!bad(join('cli', 'commands', 'sntp.ts'), join('services', 'sntp', 'index.js')));
  assert.ok(!bad(join('server', 'x.ts'), join('socket', 'address.js')));
  assert.ok(!bad(join('services', 'echo', 'index.ts'), join('services', 'service.js')));
  assert.ok(!bad(join('services', 'registry.ts'), join('services', 'echo', 'index.js')));
  assert.ok(!bad(join('cli', 'main.ts'), 'errors.js'));
});

test('layering: no module in src/ imports from a layer above its own (ARCHITECTURE.md)', () => {
  const edges = importEdges();
  assert.ok(edges.length > 100, `found only ${edges.length} imports: is the parser broken?`);
  const problems = edges.map(violation).filter((p) => p !== null);
  assert.deepEqual(problems, []);
});
