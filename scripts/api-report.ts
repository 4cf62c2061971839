/**
 * The API report: every export of every package.json entry point, with the declaration a
 * user of the installed package sees (the emitted `.d.ts`, comments stripped). It is
 * checked in as api/socketkit.api.md and compared by `npm test`
 * (test/unit/api-report.test.ts), so a change to the public surface shows up in review.
 *
 *   npm run api:report            regenerate api/socketkit.api.md
 *   npm run api:report -- --check exit 1, with a diff, when the file is out of date
 *
 * Why not @microsoft/api-extractor: it takes one entry point per run and rolls each into
 * its own report; this package has seven that share most declarations. The compiler API
 * does the same job here in one pass: declarations are emitted in memory (no build, no
 * `dist/` needed), then read back as the consumer's TypeScript would read them.
 * @module
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Where the report lives, relative to the repository root. */
export const REPORT_PATH = 'api/socketkit.api.md';

interface Entry {
  /** `socketkit`, `socketkit/socket`, … */
  specifier: string;
  /** The source module, e.g. `src/socket/index.ts`. */
  source: string;
}

/** The entry points of package.json's `exports`, mapped from `dist/` back to `src/`. */
export function entryPoints(root = ROOT): Entry[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    name: string;
    exports: Record<string, string | { default: string }>;
  };
  const entries: Entry[] = [];
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    const code = typeof target === 'string' ? target : target.default;
    if (!code.endsWith('.js')) continue; // ./package.json
    entries.push({
      specifier: subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`,
      source: code.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'),
    });
  }
  return entries;
}

/** Emits the declarations of `src/` in memory: file name → text. */
function emitDeclarations(root: string, entries: Entry[]): Map<string, string> {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(root, 'tsconfig.build.json'),
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} },
  );
  if (config === undefined) throw new Error('api-report: cannot read tsconfig.build.json');
  const options: ts.CompilerOptions = {
    ...config.options,
    declaration: true,
    emitDeclarationOnly: true,
    noEmit: false,
    sourceMap: false,
    declarationMap: false,
  };
  const program = ts.createProgram(
    entries.map((e) => join(root, e.source)),
    options,
  );
  const out = new Map<string, string>();
  const result = program.emit(undefined, (file, text) => out.set(resolve(file), text));
  const errors = result.diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length > 0) {
    throw new Error(
      `api-report: declaration emit failed:\n${ts.formatDiagnostics(errors, {
        getCanonicalFileName: (f) => f,
        getCurrentDirectory: () => root,
        getNewLine: () => '\n',
      })}`,
    );
  }
  return out;
}

const KINDS: [ts.SymbolFlags, string][] = [
  [ts.SymbolFlags.Class, 'class'],
  [ts.SymbolFlags.Function, 'function'],
  [ts.SymbolFlags.Interface, 'interface'],
  [ts.SymbolFlags.TypeAlias, 'type'],
  [ts.SymbolFlags.Enum, 'enum'],
  [ts.SymbolFlags.Variable, 'const'],
  [ts.SymbolFlags.Module, 'namespace'],
];

function kindOf(symbol: ts.Symbol): string {
  for (const [flag, name] of KINDS) if (symbol.flags & flag) return name;
  return 'unknown';
}

/** `/a/b/c.d.ts` → `/a/b`, `/a`, `/`. */
function ancestors(file: string): string[] {
  const out: string[] = [];
  for (let d = dirname(file); !out.includes(d); d = dirname(d)) out.push(d);
  return out;
}

/** The statement that declares `decl` (a `const` is printed with its `declare const`). */
function statementOf(decl: ts.Declaration): ts.Node {
  if (ts.isVariableDeclaration(decl)) return decl.parent.parent;
  return decl;
}

/**
 * Builds the report's text. Deterministic: entry points in package.json order, names and
 * modules sorted, declarations printed without comments.
 */
export function buildApiReport(root = ROOT): string {
  const entries = entryPoints(root);
  const dts = emitDeclarations(root, entries);
  const outDir = resolve(root, 'dist');
  const toDts = (source: string) =>
    resolve(outDir, relative('src', source)).replace(/\.ts$/, '.d.ts');

  // Read the declarations back as a consumer's compiler would.
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.readFile = (f) => dts.get(resolve(f)) ?? readFile(f);
  host.fileExists = (f) => dts.has(resolve(f)) || fileExists(f);
  // The emitted tree exists only in memory (dist/ may be missing or stale).
  const dirs = new Set([...dts.keys()].flatMap((f) => ancestors(f)));
  const directoryExists = host.directoryExists?.bind(host);
  host.directoryExists = (d) => dirs.has(resolve(d)) || (directoryExists?.(d) ?? false);
  const program = ts.createProgram(
    entries.map((e) => toDts(e.source)),
    options,
    host,
  );
  const checker = program.getTypeChecker();
  const printer = ts.createPrinter({ removeComments: true, newLine: ts.NewLineKind.LineFeed });
  const moduleOf = (file: string) =>
    relative(outDir, file)
      .replace(/\.d\.ts$/, '.ts')
      .replace(/^/, 'src/');

  const lines: string[] = [
    '# socketkit: the public API',
    '',
    '<!-- Generated by `npm run api:report` from the declarations of each package.json',
    '     entry point (scripts/api-report.ts). Do not edit: `npm test` fails when this file',
    '     and the sources disagree; regenerate it and review the diff. -->',
    '',
  ];
  /** Every exported declaration, by module, for the second part. */
  const declared = new Map<string, Map<string, ts.Symbol>>();
  const exported = new Set<ts.Symbol>();

  for (const entry of entries) {
    const file = program.getSourceFile(toDts(entry.source));
    const moduleSymbol = file === undefined ? undefined : checker.getSymbolAtLocation(file);
    if (moduleSymbol === undefined) throw new Error(`api-report: no module for ${entry.source}`);
    const rows: string[] = [];
    for (const symbol of checker.getExportsOfModule(moduleSymbol)) {
      const target =
        symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      const decl = target.declarations?.[0];
      const where = decl === undefined ? '?' : moduleOf(decl.getSourceFile().fileName);
      const typeOnlyExport =
        symbol.declarations?.some((d) => ts.isTypeOnlyImportOrExportDeclaration(d)) === true &&
        target.flags & ts.SymbolFlags.Value
          ? ' (type-only export)'
          : '';
      rows.push(`${symbol.name}  ${kindOf(target)}${typeOnlyExport}  ${where}`);
      exported.add(target);
      if (decl !== undefined) {
        const byName = declared.get(where) ?? new Map<string, ts.Symbol>();
        byName.set(target.name, target);
        declared.set(where, byName);
      }
    }
    rows.sort((a, b) => a.localeCompare(b, 'en'));
    lines.push(
      `## \`${entry.specifier}\` (${entry.source}): ${rows.length} exports`,
      '',
      '```text',
      ...rows,
      '```',
      '',
    );
  }

  lines.push('## Declarations', '');
  /** Types that public declarations name but no entry point exports. */
  const forgotten = new Map<string, Set<string>>();
  for (const module of [...declared.keys()].sort()) {
    lines.push(`### ${module}`, '', '```ts');
    const byName = declared.get(module)!;
    for (const name of [...byName.keys()].sort((a, b) => a.localeCompare(b, 'en'))) {
      const symbol = byName.get(name)!;
      for (const decl of symbol.declarations ?? []) {
        const node = statementOf(decl);
        lines.push(printer.printNode(ts.EmitHint.Unspecified, node, decl.getSourceFile()));
        const visit = (n: ts.Node): void => {
          if (ts.isTypeReferenceNode(n) || ts.isExpressionWithTypeArguments(n)) {
            const id = ts.isTypeReferenceNode(n) ? n.typeName : n.expression;
            let ref = checker.getSymbolAtLocation(id);
            if (ref !== undefined && ref.flags & ts.SymbolFlags.Alias) {
              ref = checker.getAliasedSymbol(ref);
            }
            const refFile = ref?.declarations?.[0]?.getSourceFile().fileName;
            if (
              ref !== undefined &&
              refFile !== undefined &&
              dts.has(resolve(refFile)) &&
              !exported.has(ref) &&
              !(ref.flags & ts.SymbolFlags.TypeParameter)
            ) {
              const key = `${ref.name}  ${moduleOf(refFile)}`;
              const users = forgotten.get(key) ?? new Set<string>();
              users.add(name);
              forgotten.set(key, users);
            }
          }
          ts.forEachChild(n, visit);
        };
        visit(node);
      }
    }
    lines.push('```', '');
  }

  lines.push(
    '## Named by the API but not exported',
    '',
    'Types a public declaration refers to that no entry point exports: a user can get such',
    'a value but cannot name its type. Export it, or keep it out of public signatures.',
    '',
    '```text',
  );
  for (const key of [...forgotten.keys()].sort((a, b) => a.localeCompare(b, 'en'))) {
    lines.push(`${key}  (in ${[...forgotten.get(key)!].sort().join(', ')})`);
  }
  lines.push('```', '');
  return lines.join('\n');
}

/** A unified diff of the checked-in report against `generated` (empty when equal). */
export function diffReport(generated: string, root = ROOT): string {
  const current = readFileSync(join(root, REPORT_PATH), 'utf8');
  if (current === generated) return '';
  const dir = mkdtempSync(join(tmpdir(), 'socketkit-api-'));
  try {
    const fresh = join(dir, 'socketkit.api.md');
    writeFileSync(fresh, generated);
    try {
      execFileSync(
        'diff',
        ['-u', '--label', REPORT_PATH, '--label', 'generated', REPORT_PATH, fresh],
        {
          cwd: root,
          encoding: 'utf8',
        },
      );
      return '';
    } catch (err) {
      const { stdout } = err as { stdout?: string };
      return stdout ?? String(err);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const report = buildApiReport();
  if (process.argv.includes('--check')) {
    const diff = diffReport(report);
    if (diff !== '') {
      process.stderr.write(`${REPORT_PATH} is out of date (npm run api:report):\n${diff}`);
      process.exitCode = 1;
    }
  } else {
    writeFileSync(join(ROOT, REPORT_PATH), report);
    process.stdout.write(`wrote ${REPORT_PATH}\n`);
  }
}
