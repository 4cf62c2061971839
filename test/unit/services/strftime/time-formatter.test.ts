import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { InvalidArgumentError } from '../../../../src/errors.js';
import {
  MAX_FIELD_WIDTH,
  TimeFormatter,
} from '../../../../src/services/strftime/time-formatter.js';
import { needs } from '../../../helpers/needs.js';

const ns = (iso: string): bigint => BigInt(Date.parse(iso)) * 1_000_000n;
/** Like `ns`, keeping sub-millisecond digits (`…:59.999999Z`). */
const isoToNs = (iso: string): bigint => {
  const [whole = iso, digits = ''] = iso.replace(/Z$/, '').split('.');
  return ns(`${whole}Z`) + BigInt(digits.padEnd(9, '0') || '0');
};

/** Every directive the issue lists, plus flags, widths and glibc extras. */
const FORMATS = [
  '%a %A %b %B %c %d %f %H %I %j %m %M %p %S %U %w %W %x %X %y %Y %z %Z %F %T %D %e %s %%',
  '%G-W%V-%u %g %C %h %k %l %P %r %R %n%t|',
  '%-d %_d %0e %-j %_j %^a %^B %#p %10Y %_10d %-10d %5% %^10B %Ey %Od',
  'unknown: %Q %v %:z %E %O tail %',
  '时间 %H时%M分 — ok',
  '',
];
const ZONES = [
  'UTC',
  'Europe/Paris',
  'America/New_York',
  'Asia/Kolkata',
  'Asia/Shanghai',
  'Australia/Lord_Howe',
  'America/St_Johns',
];
const INSTANTS = [
  '1970-01-01T00:00:00Z',
  '2024-02-29T23:59:59.999999Z',
  '2026-01-01T00:00:00Z', // Jan 1 midnight in UTC: %j = 001, %U/%W = 00
  '2026-03-29T00:59:59.5Z', // just before the EU DST switch
  '2026-03-29T01:00:00.000001Z', // just after it
  '2026-11-01T06:30:00Z', // US DST end day
  '2026-12-31T23:59:59.123456Z',
  '2027-01-03T12:00:00Z', // ISO week 53 of 2026
  '2000-01-01T00:00:00Z',
  '2036-02-07T06:28:16Z',
];

const PYTHON = `
import datetime, json, sys, os, time
from zoneinfo import ZoneInfo
out = []
for case in json.load(sys.stdin):
    os.environ['TZ'] = case['zone']; time.tzset()  # %s reads the process zone, as C does
    n = case['ns']
    d = datetime.datetime.fromtimestamp(n // 10**9, ZoneInfo(case['zone'])).replace(microsecond=(n // 1000) % 10**6)
    out.append(d.strftime(case['format']))
print(json.dumps(out))
`;

/** Python with zoneinfo (3.9+): python3 itself is a peer guarded by needs(). */
function havePython(): boolean {
  if (needs('python3')) return false;
  return spawnSync('python3', ['-c', 'import zoneinfo'], { stdio: 'ignore' }).status === 0;
}

test('every directive matches Python datetime.strftime (C locale) across zones, DST and years', (t) => {
  if (!havePython()) {
    t.skip('SKIPPED LOUDLY: python3 with zoneinfo is not installed: cannot compare against Python');
    return;
  }
  const cases: { zone: string; iso: string; format: string; ns: bigint }[] = [];
  for (const zone of ZONES) {
    for (const iso of INSTANTS) {
      for (const format of FORMATS.filter((f) => f !== ''))
        cases.push({ zone, iso, format, ns: isoToNs(iso) });
    }
  }
  // JSON has no bigint: the nanoseconds go to Python as a bare integer literal.
  const input = `[${cases.map((c) => `{"zone":${JSON.stringify(c.zone)},"format":${JSON.stringify(c.format)},"ns":${c.ns}}`).join(',')}]`;
  const expected = JSON.parse(
    execFileSync('python3', ['-c', PYTHON], { input, encoding: 'utf8', timeout: 60_000 }),
  ) as string[];
  const formatters = new Map(ZONES.map((z) => [z, new TimeFormatter({ timeZone: z })]));
  let checked = 0;
  cases.forEach((c, i) => {
    const ours = formatters.get(c.zone)?.format(c.format, c.ns);
    assert.equal(ours, expected[i], `${c.zone} ${c.iso} ${JSON.stringify(c.format)}`);
    checked++;
  });
  assert.equal(checked, ZONES.length * INSTANTS.length * (FORMATS.length - 1));
});

test('%c %x %X are the C locale ones Python time.strftime prints', (t) => {
  if (!havePython()) {
    t.skip('SKIPPED LOUDLY: python3 is not installed');
    return;
  }
  const py = execFileSync(
    'python3',
    ['-c', 'import time; print(time.strftime("%c|%x|%X", time.gmtime(1700000000)))'],
    { encoding: 'utf8' },
  ).trim();
  assert.equal(py, 'Tue Nov 14 22:13:20 2023|11/14/23|22:13:20');
  assert.equal(
    new TimeFormatter({ utc: true }).format('%c|%x|%X', 1_700_000_000n * 1_000_000_000n),
    py,
  );
});

test('%f is microseconds from the nanosecond time; %s whole seconds', () => {
  const f = new TimeFormatter({ utc: true });
  assert.equal(f.format('%s.%f', 1_700_000_000_123_456_789n), '1700000000.123456');
  assert.equal(f.format('%f', 1_700_000_000_000_000_999n), '000000');
});

test('%j is 001 at exactly midnight on January 1 (the package says 000)', () => {
  assert.equal(
    new TimeFormatter({ utc: true }).format('%j %U %W', ns('2026-01-01T00:00:00Z')),
    '001 00 00',
  );
  assert.equal(
    new TimeFormatter({ timeZone: 'Europe/Paris' }).format('%j', ns('2025-12-31T23:00:00Z')),
    '001',
  );
});

test('--utc wins over --tz; the zone is resolved and stated', () => {
  assert.equal(new TimeFormatter({ utc: true, timeZone: 'Asia/Tokyo' }).timeZone, 'UTC');
  assert.equal(
    new TimeFormatter({ timeZone: 'Asia/Tokyo' }).format('%H %Z %z', ns('2026-01-01T00:00:00Z')),
    '09 JST +0900',
  );
  assert.equal(typeof new TimeFormatter().timeZone, 'string');
});

test('an unknown zone is an InvalidArgumentError', () => {
  assert.throws(() => new TimeFormatter({ timeZone: 'Mars/Olympus_Mons' }), InvalidArgumentError);
});

test('a field width over the cap is refused, not allocated', () => {
  const f = new TimeFormatter({ utc: true });
  assert.equal(f.format(`%${MAX_FIELD_WIDTH}Y`, 0n).length, MAX_FIELD_WIDTH);
  assert.throws(() => f.format('%99999999Y', 0n), InvalidArgumentError);
});
