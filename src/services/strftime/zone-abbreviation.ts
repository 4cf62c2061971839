/**
 * Time-zone abbreviations (`%Z`: `CET`, `EDT`, `IST`) as C's `strftime` prints them.
 *
 * `Intl` only knows English abbreviations for a few zones (it prints `GMT+1` for
 * Paris), while C and Python read them from the system's tz database. So we do the
 * same: a TZif file (RFC 8536) lists every transition with its abbreviation, and its
 * footer is a POSIX TZ string such as `CET-1CEST,M3.5.0,M10.5.0/3` for the instants
 * after the last transition, where the UTC offset (known from `Intl`) tells whether
 * the standard or daylight name is in effect. Without a tz database we fall back to
 * `Intl`'s short name.
 * @module
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ZONEINFO_DIRS = ['/usr/share/zoneinfo', '/usr/lib/zoneinfo', '/usr/share/lib/zoneinfo'];

interface PosixZone {
  std: string;
  /** Standard offset east of UTC, minutes. */
  stdOffset: number;
  dst?: string;
}

/** What a TZif file says: its transitions (64-bit data block) and its footer rule. */
export interface ZoneData {
  /** Transition instants, Unix seconds, ascending. */
  transitions: number[];
  /** For each transition, the index of its local time type. */
  typeOf: number[];
  /** Local time types: abbreviation and offset east of UTC in seconds. */
  types: { abbreviation: string; offset: number }[];
  /** The rule for instants after the last transition. */
  footer: PosixZone | null;
}

const cache = new Map<string, ZoneData | null>();

/**
 * The abbreviation of `timeZone` at an instant whose UTC offset is `offsetMinutes`.
 * @param timeZone an IANA zone name (already validated by `Intl`).
 * @param offsetMinutes the zone's offset east of UTC at that instant.
 * @param instantMs the instant.
 */
export function zoneAbbreviation(
  timeZone: string,
  offsetMinutes: number,
  instantMs: number,
): string {
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return 'UTC';
  const zone = readZone(timeZone);
  if (zone) {
    const found = abbreviationAt(zone, Math.floor(instantMs / 1000), offsetMinutes);
    if (found !== undefined) return found;
  }
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'short' }).formatToParts(
    new Date(instantMs),
  );
  return parts.find((p) => p.type === 'timeZoneName')?.value ?? timeZone;
}

/** Looks `unixSeconds` up in the transitions, or in the footer rule after the last one. */
export function abbreviationAt(
  zone: ZoneData,
  unixSeconds: number,
  offsetMinutes: number,
): string | undefined {
  const last = zone.transitions.length - 1;
  if (last < 0 || unixSeconds >= (zone.transitions[last] ?? 0)) {
    const f = zone.footer;
    if (f) return f.dst !== undefined && offsetMinutes !== f.stdOffset ? f.dst : f.std;
  }
  // Binary search for the last transition at or before the instant; before the first, type 0.
  let lo = 0;
  let hi = last;
  let at = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((zone.transitions[mid] ?? 0) <= unixSeconds) {
      at = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  const type = zone.types[at === -1 ? 0 : (zone.typeOf[at] ?? 0)];
  return type?.abbreviation;
}

function readZone(timeZone: string): ZoneData | null {
  const cached = cache.get(timeZone);
  if (cached !== undefined) return cached;
  let result: ZoneData | null = null;
  // Zone names are paths; refuse anything that could leave the zoneinfo directory.
  if (/^[A-Za-z0-9_+-]+(\/[A-Za-z0-9_+-]+)*$/.test(timeZone)) {
    for (const dir of ZONEINFO_DIRS) {
      try {
        result = parseTzif(readFileSync(join(dir, timeZone)));
        break;
      } catch {
        // Not in this directory, not readable, or not TZif: try the next one.
      }
    }
  }
  cache.set(timeZone, result);
  return result;
}

/**
 * Parses a TZif file (RFC 8536): the version-2+ 64-bit data block when present (else
 * version 1's 32-bit one) and the footer.
 * @throws {RangeError} on a truncated file.
 */
export function parseTzif(data: Buffer): ZoneData | null {
  if (data.length < 44 || data.toString('latin1', 0, 4) !== 'TZif') return null;
  const counts = (at: number) => ({
    isut: data.readUInt32BE(at + 20),
    isstd: data.readUInt32BE(at + 24),
    leap: data.readUInt32BE(at + 28),
    time: data.readUInt32BE(at + 32),
    type: data.readUInt32BE(at + 36),
    char: data.readUInt32BE(at + 40),
  });
  const blockSize = (c: ReturnType<typeof counts>, timeSize: number) =>
    c.time * timeSize + c.time + c.type * 6 + c.char + c.leap * (timeSize + 4) + c.isstd + c.isut;
  let header = 0;
  let timeSize = 4;
  const v1 = counts(0);
  if (data[4] !== 0) {
    header = 44 + blockSize(v1, 4);
    timeSize = 8;
  }
  const c = counts(header);
  let p = header + 44;
  const transitions: number[] = [];
  for (let i = 0; i < c.time; i++, p += timeSize) {
    transitions.push(timeSize === 8 ? Number(data.readBigInt64BE(p)) : data.readInt32BE(p));
  }
  const typeOf = [...data.subarray(p, p + c.time)];
  p += c.time;
  const raw: { offset: number; abbrIndex: number }[] = [];
  for (let i = 0; i < c.type; i++, p += 6)
    raw.push({ offset: data.readInt32BE(p), abbrIndex: data.readUInt8(p + 5) });
  const chars = data.subarray(p, p + c.char);
  const types = raw.map((t) => {
    const end = chars.indexOf(0, t.abbrIndex);
    return {
      offset: t.offset,
      abbreviation: chars.toString('latin1', t.abbrIndex, end === -1 ? chars.length : end),
    };
  });
  return { transitions, typeOf, types, footer: timeSize === 8 ? parseFooter(data) : null };
}

/** Parses the POSIX TZ string in a TZif footer: `\n<std><offset>[<dst>[offset][,rule]]\n`. */
export function parseFooter(data: Buffer): PosixZone | null {
  const end = data.length - 1;
  if (data[end] !== 0x0a) return null;
  const start = data.lastIndexOf(0x0a, end - 1);
  if (start === -1) return null;
  return parsePosixTz(data.toString('latin1', start + 1, end));
}
/** Parses the names and standard offset of a POSIX TZ string (rules are not needed). */
export function parsePosixTz(tz: string): PosixZone | null {
  const m = /^(<[^>]+>|[A-Za-z]+)([+-]?\d+(?::\d+){0,2})(<[^>]+>|[A-Za-z]+)?/.exec(tz);
  if (!m?.[1] || !m[2]) return null;
  const unquote = (s: string) => (s.startsWith('<') ? s.slice(1, -1) : s);
  const [h = '0', min = '0'] = m[2].replace(/^[+-]/, '').split(':');
  const west = (Number(h) * 60 + Number(min)) * (m[2].startsWith('-') ? -1 : 1);
  const zone: PosixZone = { std: unquote(m[1]), stdOffset: -west };
  if (m[3] !== undefined) zone.dst = unquote(m[3]);
  return zone;
}
