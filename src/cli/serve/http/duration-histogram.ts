/**
 * The handler duration histogram, read from plain bucket counts at scrape time: those of
 * this process and of every `--processes` worker, added up (listener-counts.ts). A
 * prom-client `Histogram` can only be fed one observation at a time, so this one is a
 * `Histogram` whose export is built from the counts instead (the text format is the same).
 * @module
 */
import { Histogram } from 'prom-client';
import { DURATION_BUCKETS, type DurationCounts } from './listener-counts.js';

/** A listener, as far as the histogram cares. */
export interface DurationSource {
  service: string;
  transport: string;
  duration: DurationCounts;
}

type Exported = Awaited<ReturnType<Histogram<string>['get']>>;

/** A histogram labelled by service and transport, exported from `sources` at each scrape. */
class CountsHistogram extends Histogram<'service' | 'transport'> {
  readonly #name: string;
  readonly #help: string;
  readonly #sources: readonly DurationSource[];

  constructor(name: string, help: string, sources: readonly DurationSource[]) {
    super({
      name,
      help,
      labelNames: ['service', 'transport'] as const,
      buckets: [...DURATION_BUCKETS],
      registers: [],
    });
    this.#name = name;
    this.#help = help;
    this.#sources = sources;
  }

  override get(): Promise<Exported> {
    return Promise.resolve(this.#export());
  }

  /** What the registry's text format calls (prom-client 15). */
  getForPromString(): Promise<Exported> {
    return Promise.resolve(this.#export());
  }

  #export(): Exported {
    const values: Array<{
      labels: Record<string, string | number>;
      value: number;
      metricName: string;
    }> = [];
    for (const s of this.#sources) {
      const labels = { service: s.service, transport: s.transport };
      const d = s.duration;
      let cumulative = 0;
      DURATION_BUCKETS.forEach((le, i) => {
        cumulative += d.buckets[i] ?? 0;
        values.push({
          labels: { ...labels, le },
          value: cumulative,
          metricName: `${this.#name}_bucket`,
        });
      });
      cumulative += d.buckets[DURATION_BUCKETS.length] ?? 0;
      values.push({
        labels: { ...labels, le: '+Inf' },
        value: cumulative,
        metricName: `${this.#name}_bucket`,
      });
      values.push({ labels, value: d.sum, metricName: `${this.#name}_sum` });
      values.push({ labels, value: d.count, metricName: `${this.#name}_count` });
    }
    return {
      name: this.#name,
      help: this.#help,
      type: 'histogram',
      values,
      aggregator: 'sum',
    } as unknown as Exported;
  }
}

/** The histogram, to register with `registry.registerMetric()`. */
export function durationHistogram(
  name: string,
  help: string,
  sources: readonly DurationSource[],
): Histogram<'service' | 'transport'> {
  return new CountsHistogram(name, help, sources);
}
