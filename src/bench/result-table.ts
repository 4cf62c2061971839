/**
 * The human-readable summary of a {@link BenchResult}: a small aligned table.
 * @module
 */
import type { BenchResult } from './bench-report.js';
import type { LatencySummary } from './latency-stats.js';

/** Formats a count or rate with thousands separators and `digits` decimals. */
export function formatNumber(n: number, digits = 0): string {
  return n.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** Formats milliseconds with a precision that suits their size. */
export function formatMs(ms: number | null): string {
  if (ms === null) return '-';
  if (ms < 1) return `${ms.toFixed(3)} ms`;
  if (ms < 100) return `${ms.toFixed(2)} ms`;
  return `${formatNumber(ms)} ms`;
}

/** `p50 … p90 … p99 … p99.9 … max …` on one line. */
export function formatLatency(l: LatencySummary): string {
  if (l.count === 0) return '- (nothing measured)';
  return [
    `p50 ${formatMs(l.p50)}`,
    `p90 ${formatMs(l.p90)}`,
    `p99 ${formatMs(l.p99)}`,
    `p99.9 ${formatMs(l.p999)}`,
    `max ${formatMs(l.max)}`,
  ].join('  ');
}

/** The shape of the load, in words: "10 connections × 64 B". */
function describeLoad(r: BenchResult): string {
  const o = r.options;
  switch (o.mode) {
    case 'rr':
      return `${o.connections} connections × ${o.size} B request/response`;
    case 'stream':
      return `${o.connections} connections, ${o.size} B writes, ${o.window} in flight`;
    case 'udp':
      return `${o.connections} sockets × ${o.window} datagrams of ${o.size} B in flight`;
    case 'sntp':
      return `${o.connections} sockets × ${o.window} SNTP requests in flight`;
    case 'connect':
      return `${o.connections} lanes, each: connect, ${o.size} B echoed, close (closed loop)`;
    case 'conns':
      return `${o.connections} connections held ${o.hold} s, ${o.burst} connecting at once`;
    case 'fanout':
      return `${o.connections} clients, ${o.senders} senders, ${
        o.rate > 0 ? `${o.rate} lines/s` : `closed loop (${o.window} lines in flight each)`
      }`;
  }
}

/** Renders the final table (ends with a newline). */
export function formatResultTable(r: BenchResult): string {
  const c = r.counters;
  const rows: [string, string][] = [
    ['target', `${r.target.host}:${r.target.port} (${r.target.address})`],
    ['load', `${describeLoad(r)}; ${r.workers} worker thread${r.workers === 1 ? '' : 's'}`],
    [
      'time',
      r.warmup > 0
        ? `${r.elapsed.toFixed(2)} s measured, after a ${r.warmup} s warm-up`
        : `${r.elapsed.toFixed(2)} s`,
    ],
    [
      'throughput',
      `${formatNumber(r.opsPerSec)} ${r.opsUnit}/s   ${formatNumber(r.mbPerSec, 2)} MB/s`,
    ],
    ['latency', formatLatency(r.latency)],
  ];
  if (r.connectLatency) rows.push(['connect', formatLatency(r.connectLatency)]);
  if (r.mode === 'conns') {
    rows.push([
      'connections',
      `${formatNumber(c.connected)} of ${formatNumber(r.options.connections)} opened`,
    ]);
  }
  rows.push([
    'totals',
    `${formatNumber(c.ops)} ${r.opsUnit}, ${formatNumber(c.sent)} sent, ` +
      `${formatNumber(c.bytesReceived)} B received`,
  ]);
  if (r.warmup > 0) {
    const w = r.warmupCounters;
    rows.push([
      'warm-up',
      `${formatNumber(w.ops)} ${r.opsUnit}, ${formatNumber(w.sent)} sent, ` +
        `${formatNumber(w.lost)} lost (verified, not measured)`,
    ]);
  }
  const problems = [
    `errors ${formatNumber(c.errors)}`,
    `mismatches ${formatNumber(c.mismatches)}`,
    `lost ${formatNumber(c.lost)}`,
  ];
  if (r.mode === 'fanout') {
    problems.push(`missing ${formatNumber(c.missing)}`, `reordered ${formatNumber(c.reordered)}`);
  }
  if (c.rateLimited > 0) problems.push(`rate-limited ${formatNumber(c.rateLimited)}`);
  rows.push(['problems', problems.join(', ')]);
  rows.push([
    'generator CPU',
    `${r.cpu.percentOfCore.toFixed(0)}% of one core (user ${r.cpu.user.toFixed(2)} s, system ${r.cpu.system.toFixed(2)} s)`,
  ]);
  rows.push(['verified', r.verified ? 'yes' : 'NO']);
  for (const s of r.errorSamples) rows.push(['error', s]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return `${rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n')}\n`;
}
