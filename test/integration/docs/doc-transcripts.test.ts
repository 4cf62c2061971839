// Shell transcripts in README.md and docs/*.md that are marked runnable (a fence opened
// with "```console runnable" or "```sh runnable") are run and compared with what the docs
// show, so a transcript cannot drift from what the program prints.
//
// In such a block, a line `$ COMMAND` is run with `sh -c` (from the repository root, with
// `bin/` first on the PATH, as the README's set-up says); the lines after it, up to the
// next `$`, are its expected output: `…` in a line matches any text, a line that is only
// `…` any number of lines. A command ending in `&` is started in the background, waited
// for until it prints (serve prints its table once it listens) and stopped, by PID, when
// the block ends. The docs' fixed service ports (7000–7999) are remapped to free ports for
// the run, so the test never collides with a real `npm start` or a second `npm test`.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { needs } from '../../helpers/needs.js';

const root = join(import.meta.dirname, '..', '..', '..');

interface Step {
  command: string;
  expected: string[];
}
interface Transcript {
  where: string;
  steps: Step[];
}

function extract(file: string): Transcript[] {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  const blocks: Transcript[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(console|sh)\s+runnable\s*$/.test(lines[i] ?? '')) continue;
    const block: Transcript = { where: `${file}:${i + 1}`, steps: [] };
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i] ?? ''); i++) {
      const line = lines[i] ?? '';
      if (line.startsWith('$ ')) block.steps.push({ command: line.slice(2), expected: [] });
      else block.steps.at(-1)?.expected.push(line);
    }
    blocks.push(block);
  }
  return blocks;
}

const files = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const transcripts = files.flatMap(extract);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** `…` matches anything; a line of only `…` matches any number of lines. */
function matches(expected: string[], actual: string[]): boolean {
  const pattern = expected
    .map((line) =>
      line.trim() === '…'
        ? '(?:[^\\n]*\\n)*?'
        : `${line
            .trimEnd()
            .split('…')
            .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
            .join('[^\\n]*')}[ \\t]*\\n`,
    )
    .join('');
  return new RegExp(`^${pattern}$`).test(actual.map((l) => `${l.trimEnd()}\n`).join(''));
}

function run(command: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`\`${command}\` exited ${code}:\n${out}`));
    });
  });
}

/** Starts `command` in the background; resolves once it printed something (it is ready). */
function startBackground(command: string, env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', `exec ${command}`], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout.once('data', () => resolve(child));
    child.once('exit', (code) =>
      reject(new Error(`\`${command}\` exited ${code} before it was ready:\n${err}`)),
    );
  });
}

test('the docs have runnable transcripts', () => {
  assert.ok(transcripts.length >= 3, `found ${transcripts.length}`);
});

for (const transcript of transcripts) {
  test(`transcript ${transcript.where} prints what the docs show`, async (t) => {
    const tools = ['nc', 'ncat', 'socat', 'telnet'].filter((tool) =>
      transcript.steps.some((s) => new RegExp(`(^|[|;&]\\s*)${tool} `).test(s.command)),
    );
    const why = needs(...tools);
    if (why) return t.skip(why);
    const ports = new Map<string, string>();
    const remap = async (command: string): Promise<string> => {
      for (const port of command.match(/\b7\d{3}\b/g) ?? []) {
        if (!ports.has(port)) ports.set(port, String(await freePort()));
      }
      return command.replace(/\b7\d{3}\b/g, (p) => ports.get(p) ?? p);
    };
    const env = {
      ...process.env,
      PATH: `${join(root, 'bin')}:${process.env.PATH ?? ''}`,
      NO_COLOR: '1',
    };
    const background: ChildProcess[] = [];
    t.after(() => {
      for (const child of background) if (child.exitCode === null) child.kill('SIGTERM');
    });
    for (const step of transcript.steps) {
      const command = await remap(step.command.replace(/\s+#[^'"]*$/, ''));
      if (/&\s*$/.test(command)) {
        background.push(await startBackground(command.replace(/&\s*$/, ''), env));
        continue;
      }
      const out = await run(command, env);
      const actual = out.replace(/\n$/, '').split('\n');
      assert.ok(
        matches(step.expected, out === '' ? [] : actual),
        `${transcript.where}: \`${step.command}\` printed:\n${out}\nthe docs show:\n${step.expected.join('\n')}`,
      );
    }
  });
}
