/**
 * The daytime string: RFC 867 leaves the format free and suggests
 * `Weekday, Month Day, Year Time-Zone`; we send that, in UTC, ended by CRLF:
 *
 * ```
 * Sunday, November 22, 2026 04:30:00-UTC CR LF
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc867
 * @module
 */

const WEEKDAYS = [
  'Sunday',
  'Monday',
  'Tuesday',
  'Wednesday',
  'Thursday',
  'Friday',
  'Saturday',
] as const;
const MONTHS = [
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
] as const;

/** A regular expression that matches exactly what {@link formatDaytime} produces. */
export const DAYTIME_PATTERN =
  /^(Sun|Mon|Tues|Wednes|Thurs|Fri|Satur)day, (January|February|March|April|May|June|July|August|September|October|November|December) ([1-9]|[12]\d|3[01]), (\d{4}) ([01]\d|2[0-3]):([0-5]\d):([0-5]\d)-UTC\r\n$/;

const pad2 = (n: number): string => String(n).padStart(2, '0');

/**
 * The daytime reply for `date`, in UTC, CRLF included.
 * @example formatDaytime(new Date('2026-11-22T04:30:00Z')) // 'Sunday, November 22, 2026 04:30:00-UTC\r\n'
 */
export function formatDaytime(date: Date): string {
  const weekday = WEEKDAYS[date.getUTCDay()] ?? '';
  const month = MONTHS[date.getUTCMonth()] ?? '';
  const time = `${pad2(date.getUTCHours())}:${pad2(date.getUTCMinutes())}:${pad2(date.getUTCSeconds())}`;
  return `${weekday}, ${month} ${date.getUTCDate()}, ${date.getUTCFullYear()} ${time}-UTC\r\n`;
}
