/**
 * Latency recording for the load generator: an HDR histogram (hdr-histogram-js) of
 * microseconds per worker, shipped to the main thread compressed and merged there.
 * Recording is allocation-free, so it can sit in the hot loop.
 * @module
 */
import * as hdr from 'hdr-histogram-js';

/** A latency histogram in microseconds. */
export type LatencyHistogram = hdr.Histogram;

/** Latest latency tracked exactly: one hour, in µs (later values saturate here). */
const HIGHEST_US = 3_600_000_000;

/** A fresh histogram: 1 µs to 1 h at 3 significant digits (0.1% resolution). */
export function createLatencyHistogram(): LatencyHistogram {
  return hdr.build({
    bitBucketSize: 32,
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: 3,
    autoResize: false,
    useWebAssembly: false,
  });
}

/** Records one latency given in milliseconds (as `performance.now()` differences are). */
export function recordMs(h: LatencyHistogram, ms: number): void {
  const us = Math.round(ms * 1000);
  h.recordValue(us < 1 ? 1 : Math.min(us, HIGHEST_US));
}

/** The histogram as a compressed base64 string, to cross a thread boundary. */
export function encodeHistogram(h: LatencyHistogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

/** Adds an {@link encodeHistogram} string into `into`. */
export function mergeEncoded(into: LatencyHistogram, encoded: string): void {
  const h = hdr.decodeFromCompressedBase64(encoded, 32, false);
  into.add(h);
  h.destroy();
}

/** Latency percentiles in milliseconds; `null` fields when nothing was recorded. */
export interface LatencySummary {
  count: number;
  mean: number | null;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  p999: number | null;
  max: number | null;
}

/** Summarises a histogram in milliseconds (µs precision). */
export function summarize(h: LatencyHistogram): LatencySummary {
  const count = h.totalCount;
  if (count === 0) {
    return { count: 0, mean: null, p50: null, p90: null, p99: null, p999: null, max: null };
  }
  const ms = (us: number): number => Math.round(us) / 1000;
  return {
    count,
    mean: ms(h.mean),
    p50: ms(h.getValueAtPercentile(50)),
    p90: ms(h.getValueAtPercentile(90)),
    p99: ms(h.getValueAtPercentile(99)),
    p999: ms(h.getValueAtPercentile(99.9)),
    max: ms(h.maxValue),
  };
}
