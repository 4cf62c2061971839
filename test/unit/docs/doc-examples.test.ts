// The docs' examples are tests: every ```ts and ```js block of README.md and docs/*.md is
// extracted into a module of its own, type-checked under the project's tsconfig (the
// `socketkit` imports resolve to src/, as an installed package's would to dist/) and
// linted with the project's ESLint config. A failure names the Markdown file and line.
// The blocks are written under node_modules/.cache (git-ignored, and where module
// resolution finds the project's dependencies).
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { ESLint } from 'eslint';
import ts from 'typescript';

const root = join(import.meta.dirname, '..', '..', '..');

interface Example {
  /** `docs/server.md:42` (the line of the opening fence). */
  where: string;
  lang: 'ts' | 'js';
  code: string;
}

/** Every ```ts / ```js block of the Markdown files. */
function extract(files: string[]): Example[] {
  const examples: Example[] = [];
  for (const file of files) {
    const lines = readFileSync(join(root, file), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const open = /^```(ts|typescript|js|javascript)\s*$/.exec(lines[i] ?? '');
      if (open === null) continue;
      const start = i;
      const body: string[] = [];
      for (i++; i < lines.length && !/^```\s*$/.test(lines[i] ?? ''); i++)
        body.push(lines[i] ?? '');
      const lang = open[1]?.startsWith('t') ? 'ts' : 'js';
      examples.push({ where: `${file}:${start + 1}`, lang, code: body.join('\n') + '\n' });
    }
  }
  return examples;
}

const markdown = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`),
];
const examples = extract(markdown);
const dir = join(root, 'node_modules', '.cache', 'doc-examples');

/** Writes each example as `NN.ts` / `NN.mjs`; returns file → example. */
function writeExamples(): Map<string, Example> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const byFile = new Map<string, Example>();
  examples.forEach((ex, n) => {
    const file = join(
      dir,
      `example-${String(n).padStart(3, '0')}.${ex.lang === 'ts' ? 'ts' : 'mjs'}`,
    );
    // `export {}` makes every block a module of its own (top-level await, no shared names).
    writeFileSync(file, `${ex.code}export {};\n`);
    byFile.set(file, ex);
  });
  return byFile;
}

test('README.md and docs/*.md have TypeScript examples to check', () => {
  assert.ok(examples.length >= 20, `found ${examples.length}`);
});

test('every TypeScript/JavaScript example of the docs type-checks under the project tsconfig', () => {
  const byFile = writeExamples();
  const config = ts.readConfigFile(join(root, 'tsconfig.json'), (p) => ts.sys.readFile(p));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  const options: ts.CompilerOptions = {
    ...parsed.options,
    noEmit: true,
    declaration: false,
    sourceMap: false,
    allowJs: true,
    checkJs: true,
    rootDir: root,
    // The package's public entry points, from the sources (package.json maps them to dist).
    paths: {
      socketkit: [join(root, 'src/index.ts')],
      'socketkit/*': [join(root, 'src/*/index.ts')],
    },
  };
  const program = ts.createProgram([...byFile.keys()], options);
  const problems: string[] = [];
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const file = d.file?.fileName;
    const ex = file === undefined ? undefined : byFile.get(file);
    if (ex === undefined) {
      // A problem outside the examples (in src/): the typecheck step reports those.
      continue;
    }
    const line =
      d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : 0;
    const [mdFile, mdLine] = ex.where.split(':');
    problems.push(
      `${mdFile}:${Number(mdLine) + 1 + line}: TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`,
    );
  }
  assert.deepEqual(problems, [], `doc examples that do not type-check:\n${problems.join('\n')}`);
});

test('every example of the docs passes the project lint', async () => {
  const byFile = writeExamples();
  const eslint = new ESLint({ cwd: root });
  const problems: string[] = [];
  for (const [file, ex] of byFile) {
    // Linted as if it sat in the repository (node_modules is ignored by the config).
    const virtual = join(root, 'docs', relative(dir, file));
    const [result] = await eslint.lintText(readFileSync(file, 'utf8'), { filePath: virtual });
    const [mdFile, mdLine] = ex.where.split(':');
    for (const m of result?.messages ?? []) {
      problems.push(`${mdFile}:${Number(mdLine) + m.line}: ${m.ruleId ?? 'parse'} ${m.message}`);
    }
  }
  assert.deepEqual(problems, [], `doc examples that fail lint:\n${problems.join('\n')}`);
});
