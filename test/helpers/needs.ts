/**
 * The one guard for every external peer a test runs (nc, ncat, socat, telnet, python3,
 * openssl, ss, ntpdig, chronyd, …):
 *
 *     test('nc talks to echo', { skip: needs('nc') }, async () => { … });
 *     // or inside a test:
 *     const why = needs('python3');
 *     if (why) return t.skip(why);
 *
 * Outside CI a missing tool skips the test LOUDLY (a `SKIPPED LOUDLY` reason in the report,
 * and one warning on stderr per tool). Under `CI=true` a missing tool is an error: `needs`
 * throws, so the test (or the file, when called at its top level) fails — CI installs every
 * peer (.ci/run), so a missing one means the interoperability proof did not run.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Whether this run is CI (`CI` set to anything but ""/0/false). */
export const inCI = !/^(|0|false|no)$/i.test(process.env.CI ?? '');

/** Where each tool comes from, for the skip message. */
const PACKAGES: Record<string, string> = {
  nc: 'netcat-openbsd',
  ncat: 'ncat',
  socat: 'socat',
  telnet: 'telnet',
  python3: 'python3',
  openssl: 'openssl',
  ss: 'iproute2',
  ntpdig: 'ntpsec-ntpdate',
  ntpdate: 'ntpsec-ntpdate',
  sntp: 'sntp',
  chronyd: 'chrony',
  'redis-server': 'redis-server',
  chromium: 'chromium',
  haproxy: 'haproxy',
  gcc: 'gcc',
  cc: 'gcc',
};

const paths = new Map<string, string | undefined>();
const warned = new Set<string>();

/**
 * The full path of `tool` on PATH (or in /usr/sbin, /sbin, where chronyd lives), or
 * undefined. Looked up once per process, without spawning anything.
 */
export function toolPath(tool: string): string | undefined {
  if (paths.has(tool)) return paths.get(tool);
  let found: string | undefined;
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, tool), constants.X_OK);
      found = join(dir, tool);
      break;
    } catch {}
  }
  paths.set(tool, found);
  return found;
}

/**
 * `false` when every tool is installed; otherwise, outside CI, the reason to skip (for
 * `{ skip: needs(…) }` or `t.skip(needs(…))`), and under CI=true it throws.
 */
export function needs(...tools: string[]): string | false {
  const missing = tools.filter((tool) => toolPath(tool) === undefined);
  if (missing.length === 0) return false;
  const packages = [...new Set(missing.map((tool) => PACKAGES[tool] ?? tool))];
  const reason = `SKIPPED LOUDLY: not installed: ${missing.join(', ')} (apt-get install ${packages.join(' ')}, or run .ci/run)`;
  if (inCI) throw new Error(`CI=true but a test peer is missing — ${reason}`);
  const key = missing.join(',');
  if (!warned.has(key)) {
    warned.add(key);
    process.stderr.write(`\n!!! ${reason} !!!\n`);
  }
  return reason;
}
