/**
 * `strftime` with Python/C semantics in the C locale, for any IANA time zone.
 *
 * The conversions themselves come from the `strftime` package; this module gives it
 * a C locale (`%c` = `Sun Nov 22 04:03:59 2026`, `%x` = `11/22/26`, `%X` = `04:03:59`,
 * exactly what Python's `time.strftime` prints), the zone's UTC offset from `Intl`,
 * and fills what the package lacks or gets wrong for C compatibility:
 *
 * | directive | why ours                                                          |
 * |-----------|-------------------------------------------------------------------|
 * | `%f`      | microseconds (Python `datetime`), absent from the package         |
 * | `%j`      | the package prints `000` at exactly midnight on January 1         |
 * | `%Z`      | the package names the process's zone, not the requested one       |
 * | `%G %g %V`| ISO 8601 week-based year and week, absent from the package        |
 * | flags     | glibc's `^` (upper case), `#` (swap case) and field widths (`%10Y`)|
 * | unknown   | printed as written (`%Q` → `%Q`), as glibc does                    |
 * @module
 */
import strftime from 'strftime';
import { InvalidArgumentError } from '../../errors.js';
import { zoneAbbreviation } from './zone-abbreviation.js';

/** The C/POSIX locale, as glibc and Python print it. */
const C_LOCALE: strftime.Locale = {
  days: ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'],
  shortDays: ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'],
  months: [
    'January',
    'February',
    'March',
    'April',
    'May',
    'June',
    'July',
    'August',
    'September',
    'October',
    'November',
    'December',
  ],
  shortMonths: ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'],
  AM: 'AM',
  PM: 'PM',
  am: 'am',
  pm: 'pm',
  formats: {
    c: '%a %b %e %H:%M:%S %Y',
    D: '%m/%d/%y',
    F: '%Y-%m-%d',
    R: '%H:%M',
    r: '%I:%M:%S %p',
    T: '%H:%M:%S',
    X: '%H:%M:%S',
    x: '%m/%d/%y',
  },
};

/** The package's runtime object has `timezone` and `localize` chained; its types lack that. */
interface StrftimeInstance {
  (format: string, date?: Date): string;
  localize(locale: strftime.Locale): StrftimeInstance;
  timezone(offsetMinutes: number): StrftimeInstance;
}
const base = strftime as unknown as StrftimeInstance;

/** Conversions the package does the C way. */
const LIBRARY = new Set('aAbBcCdDeFhHIklmMnpPrRsStTuUwWxXyYz%');
/** Numeric conversions: a field width pads them with zeros (glibc). */
const ZERO_PADDED = new Set('CdgGHIjmMSsuUVwWyYf');
/** The largest field width accepted: `%99999999Y` must not allocate 100 MB. */
export const MAX_FIELD_WIDTH = 128;

/** Options of {@link TimeFormatter}. */
export interface TimeFormatterOptions {
  /** An IANA zone (`Europe/Paris`). Default: the process's zone (`TZ`, /etc/localtime). */
  timeZone?: string;
  /** Use UTC (wins over `timeZone`). */
  utc?: boolean;
}

interface Fields {
  year: number;
  month: number;
  day: number;
  offsetMinutes: number;
}

/** Formats instants like C/Python `strftime` in one time zone. */
export class TimeFormatter {
  /** The IANA zone in use (`UTC` with `utc: true`). */
  readonly timeZone: string;
  readonly #parts: Intl.DateTimeFormat;

  /** @throws {InvalidArgumentError} for an unknown time zone. */
  constructor(options: TimeFormatterOptions = {}) {
    const zone = options.utc ? 'UTC' : options.timeZone;
    try {
      this.#parts = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch (err) {
      throw new InvalidArgumentError(
        `unknown time zone ${JSON.stringify(zone)} (use an IANA name such as Europe/Paris)`,
        { cause: err },
      );
    }
    this.timeZone = this.#parts.resolvedOptions().timeZone;
  }

  /**
   * Formats `unixNs` (default: now) with `format`.
   * @throws {InvalidArgumentError} for a field width over {@link MAX_FIELD_WIDTH}.
   * @example
   * ```ts
   * new TimeFormatter({ utc: true }).format('%F %T', 0n); // '1970-01-01 00:00:00'
   * ```
   */
  format(format: string, unixNs: bigint = BigInt(Date.now()) * 1_000_000n): string {
    const ms = Number(unixNs / 1_000_000n);
    const micros = Number((unixNs / 1000n) % 1_000_000n);
    const fields = this.#fields(ms);
    const date = new Date(ms);
    const lib = base.timezone(fields.offsetMinutes).localize(C_LOCALE);
    let out = '';
    const re = /%([-_0^#]*)(\d*)([EO]?)(.?)/gsy;
    let last = 0;
    for (let i = format.indexOf('%'); i !== -1; i = format.indexOf('%', re.lastIndex)) {
      out += format.slice(last, i);
      re.lastIndex = i;
      const m = re.exec(format);
      if (m === null) break;
      const [token, flags = '', widthText = '', , conv = ''] = m;
      out += this.#directive(token, flags, widthText, conv, { lib, date, ms, micros, fields });
      last = re.lastIndex;
    }
    return out + format.slice(last);
  }

  #directive(
    token: string,
    flags: string,
    widthText: string,
    conv: string,
    at: { lib: StrftimeInstance; date: Date; ms: number; micros: number; fields: Fields },
  ): string {
    const width = widthText === '' ? 0 : Number(widthText);
    if (width > MAX_FIELD_WIDTH) {
      throw new InvalidArgumentError(
        `field width ${width} in ${JSON.stringify(token)} is over ${MAX_FIELD_WIDTH}`,
      );
    }
    // The package understands - _ 0 itself; ^ # and widths are applied afterwards.
    const padFlag = flags.replace(/[\^#]/g, '').slice(-1);
    let value: string | undefined;
    if (LIBRARY.has(conv)) {
      value = conv === '%' ? '%' : at.lib(`%${padFlag}${conv}`, at.date);
    } else if (conv === 'f') {
      value = String(at.micros).padStart(6, '0');
    } else if (conv === 'j') {
      const day =
        (Date.UTC(at.fields.year, at.fields.month - 1, at.fields.day) -
          Date.UTC(at.fields.year, 0, 1)) /
          86_400_000 +
        1;
      value = pad(day, 3, padFlag);
    } else if (conv === 'Z') {
      value = zoneAbbreviation(this.timeZone, at.fields.offsetMinutes, at.ms);
    } else if (conv === 'G' || conv === 'g' || conv === 'V') {
      const iso = isoWeek(at.fields);
      value =
        conv === 'G' ? String(iso.year) : pad(conv === 'V' ? iso.week : iso.year % 100, 2, padFlag);
    }
    if (value === undefined) return token; // unknown conversion: printed as written, like glibc
    if (flags.includes('^')) value = value.toUpperCase();
    else if (flags.includes('#'))
      value = /[pZ]/.test(conv) ? value.toLowerCase() : value.toUpperCase();
    if (width > value.length) {
      const zero = ZERO_PADDED.has(conv) && padFlag !== '_' && padFlag !== '-';
      value = zero ? value.padStart(width, '0') : value.padStart(width, ' ');
    }
    return value;
  }

  /** The zone's calendar date and UTC offset at `ms`. */
  #fields(ms: number): Fields {
    const get: Record<string, number> = {};
    for (const part of this.#parts.formatToParts(new Date(ms))) {
      if (part.type !== 'literal') get[part.type] = Number(part.value);
    }
    const year = get.year ?? 1970;
    const month = get.month ?? 1;
    const day = get.day ?? 1;
    const wall = Date.UTC(year, month - 1, day, get.hour ?? 0, get.minute ?? 0, get.second ?? 0);
    const offsetMinutes = Math.round((wall - Math.floor(ms / 1000) * 1000) / 60_000);
    return { year, month, day, offsetMinutes };
  }
}

function pad(n: number, width: number, flag: string): string {
  if (flag === '-') return String(n);
  return String(n).padStart(width, flag === '_' ? ' ' : '0');
}

/** ISO 8601 week number and week-based year (weeks start on Monday; week 1 has Jan 4). */
function isoWeek(f: Fields): { year: number; week: number } {
  const day = Date.UTC(f.year, f.month - 1, f.day);
  const weekday = (new Date(day).getUTCDay() + 6) % 7; // Monday = 0
  const thursday = day + (3 - weekday) * 86_400_000;
  const year = new Date(thursday).getUTCFullYear();
  const week = Math.floor((thursday - Date.UTC(year, 0, 1)) / (7 * 86_400_000)) + 1;
  return { year, week };
}
