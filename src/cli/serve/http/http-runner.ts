/**
 * How `serve` runs its HTTP side: the metrics subscribe before the first server is
 * created (so they see every listener bind), the HTTP server listens once the services
 * do, and its rows join the listening table. `serve` imports this module only when the
 * HTTP side is asked for (commands/serve.ts), so prom-client and ws stay unloaded
 * otherwise.
 * @module
 */
import type { ServiceInstance } from '../../../services/service.js';
import type { ServicePlan } from '../serve-plan.js';
import type { ServerObserver } from '../start-services.js';
import type { HttpPlan } from './http-plan.js';
import { type HttpSide, startHttpSide } from './http-side.js';
import { ServeMetrics } from './serve-metrics.js';
import { receiveWorkerReports } from './worker-report.js';

/** The HTTP side between "metrics attached" and "listening". */
export interface PreparedHttp {
  /** Hand every server to this before it listens. */
  observe: ServerObserver;
  /** Starts the HTTP server, mounting the instances that offer a browser page. */
  listen(instances: ReadonlyArray<{ name: string; instance: ServiceInstance }>): Promise<HttpSide>;
  /** Unsubscribes the metrics (after the servers stopped). */
  detach(): void;
}

/** Creates the metrics for `plans` and subscribes them. */
export function prepareHttp(plan: HttpPlan, plans: readonly ServicePlan[]): PreparedHttp {
  const metrics = new ServeMetrics({
    maxRoomLabels: plan.maxRoomLabels,
    chat: plans.some((p) => p.service.name === 'chat'),
  });
  metrics.attach();
  // With --processes N the workers count their traffic and report it here.
  const stopReports = plans.some((p) => (p.limits.processes ?? 1) > 1)
    ? receiveWorkerReports(metrics)
    : () => {};
  return {
    observe: (server, label) => metrics.track(server, label),
    listen: (instances) =>
      startHttpSide(
        plan,
        metrics,
        instances.flatMap(({ name, instance }) =>
          instance.web === undefined ? [] : [{ name, endpoint: instance.web }],
        ),
      ),
    detach: () => {
      stopReports();
      metrics.detach();
    },
  };
}

/** The listening table's rows for the HTTP side: the dashboard, then each browser page. */
export function httpTableRows(side: HttpSide, tokenFile: string | undefined): string[][] {
  const host = side.host === '0.0.0.0' ? '127.0.0.1' : side.host === '::' ? '::1' : side.host;
  const origin = `${side.scheme}://${host.includes(':') ? `[${host}]` : host}:${side.port}`;
  const address = `${side.host.includes(':') ? `[${side.host}]` : side.host}:${side.port}`;
  const insecure = side.scheme === 'https' ? '-k ' : '';
  const auth = tokenFile === undefined ? '' : `-H "Authorization: Bearer $(cat ${tokenFile})" `;
  const open = tokenFile === undefined ? `${origin}/` : `${origin}/?token=…`;
  return [
    [
      'dashboard',
      side.scheme,
      address,
      `curl -s ${insecure}${auth}${origin}/metrics | head -3  # open ${open} in a browser`,
    ],
    ...side.mounted.map((name) => [
      name,
      side.scheme,
      `${address}/${name}`,
      `curl -s ${insecure}-o /dev/null -w '%{http_code}\\n' ${origin}/${name}  # open ${origin}/${name} in a browser`,
    ]),
  ];
}
