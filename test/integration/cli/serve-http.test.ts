/**
 * `serve --http`: /metrics (parsed by a strict Prometheus text parser) counts exactly the
 * load sent, /healthz and /readyz answer, the Host/Origin/token checks refuse what they
 * should, and a service's browser endpoint (ServiceInstance.web) is mounted with its
 * WebSocket. Runs `serve` in-process; waits on the server channels, never on sleeps.
 */
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { EventEmitter, once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { get as httpsGet } from 'node:https';
import { type AddressInfo, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { WebSocket } from 'ws';
import { buildHttpPlan, HTTP_FLAG_NAMES } from '../../../src/cli/serve/http/http-plan.js';
import { startHttpSide } from '../../../src/cli/serve/http/http-side.js';
import { ServeMetrics } from '../../../src/cli/serve/http/serve-metrics.js';
import type { CloseMessage, ServerLike } from '../../../src/server/index.js';
import { needs } from '../../helpers/needs.js';
import { parsePrometheusText, sampleValue } from '../../helpers/prometheus-text.js';
import { selfSignedCert } from '../../helpers/tls-cert.js';
import { until, watchChannel, within } from '../../helpers/wait.js';
import { startServe } from '../services/helpers/serve-harness.js';
import {
  dashboardPort,
  echoLoad,
  rawGet,
  rawUpgrade,
  spawnServeProcess,
} from './helpers/http-side.js';

const echoTcp = { service: 'echo', transport: 'tcp' };

test('/metrics counts exactly the echo load sent, in the Prometheus text format', async (t) => {
  const run = await startServe(['echo', '-p', '0', '--http', '0', '--accept-rate', '0', '-q']);
  t.after(() => run.stop());
  const http = dashboardPort(run.rows);
  const tcp = run.rows.find((r) => r.service === 'echo' && r.transport === 'tcp')?.port ?? 0;

  const before = parsePrometheusText((await rawGet(http, '/metrics')).body);
  assert.equal(sampleValue(before, 'socketkit_listener_up', echoTcp), 1);
  const accepted0 = sampleValue(before, 'socketkit_connections_accepted_total', echoTcp);

  const closes = watchChannel<CloseMessage>(t, 'socketkit:server:close');
  const sent = await echoLoad(tcp, 1000);
  await closes.count(1000, { what: '1000 closed echo connections' });

  const res = await rawGet(http, '/metrics');
  assert.equal(res.status, 200);
  assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  const after = parsePrometheusText(res.body);
  assert.equal(after.get('socketkit_connections_accepted_total')?.type, 'counter');
  assert.equal(
    sampleValue(after, 'socketkit_connections_accepted_total', echoTcp),
    accepted0 + 1000,
  );
  assert.equal(sampleValue(after, 'socketkit_requests_total', echoTcp), accepted0 + 1000);
  assert.equal(sampleValue(after, 'socketkit_received_bytes_total', echoTcp), sent);
  assert.equal(sampleValue(after, 'socketkit_sent_bytes_total', echoTcp), sent);
  assert.equal(sampleValue(after, 'socketkit_connections_open', echoTcp), 0);
  assert.equal(
    sampleValue(after, 'socketkit_handler_duration_seconds_count', echoTcp),
    accepted0 + 1000,
  );
  // Process metrics come from prom-client's defaults.
  for (const name of [
    'process_resident_memory_bytes',
    'process_cpu_seconds_total',
    'nodejs_eventloop_lag_seconds',
    'process_open_fds',
  ])
    assert.ok(after.has(name), `${name} is exported`);
  // Every socketkit metric follows the conventions: counters end in _total.
  for (const f of after.values())
    if (f.name.startsWith('socketkit_') && f.type === 'counter')
      assert.match(f.name, /_total$/, f.name);

  assert.equal((await rawGet(http, '/healthz')).status, 200);
  const ready = await rawGet(http, '/readyz');
  assert.equal(ready.status, 200);
  assert.equal(ready.body, 'ready\n');
});

test('UDP datagrams in, out and dropped are counted', async (t) => {
  const run = await startServe([
    'echo',
    '--udp',
    '-p',
    '0',
    '--http',
    '0',
    '--datagram-rate',
    '10',
    '-q',
  ]);
  t.after(() => run.stop());
  const http = dashboardPort(run.rows);
  const udp = run.rows.find((r) => r.transport === 'udp')?.port ?? 0;
  const { createSocket } = await import('node:dgram');
  const client = createSocket('udp4');
  t.after(() => client.close());
  // Counted once its handler finished (the channel the metrics count from).
  const seen = watchChannel<{ server: ServerLike; bytes: number }>(
    t,
    'socketkit:server:datagram-handled',
  );
  const refused = watchChannel<{ reason: string }>(t, 'socketkit:server:refused');
  const both = new EventEmitter();
  const total = (): number => seen.messages.length + refused.messages.length;
  const onEither = (): void => {
    both.emit('change');
  };
  diagnostics.subscribe('socketkit:server:datagram-handled', onEither);
  diagnostics.subscribe('socketkit:server:refused', onEither);
  t.after(() => {
    diagnostics.unsubscribe('socketkit:server:datagram-handled', onEither);
    diagnostics.unsubscribe('socketkit:server:refused', onEither);
  });
  // A burst of 40 from one source: 20 pass (burst = 2 × rate), the rest are rate limited.
  for (let i = 0; i < 40; i++) client.send(`d${i}`, udp, '127.0.0.1');
  await until(() => total() >= 40, both, 'change', { what: '40 datagrams received or dropped' });
  const m = parsePrometheusText((await rawGet(http, '/metrics')).body);
  const labels = { service: 'echo', transport: 'udp' };
  assert.equal(sampleValue(m, 'socketkit_datagrams_received_total', labels), seen.messages.length);
  assert.equal(sampleValue(m, 'socketkit_datagrams_sent_total', labels), seen.messages.length);
  assert.equal(
    sampleValue(m, 'socketkit_datagrams_dropped_total', { ...labels, reason: 'rateLimited' }),
    refused.messages.length,
  );
  assert.ok(refused.messages.length > 0, 'some datagrams were over the rate');
  // Every handled datagram is timed: the histogram counts them, their bytes are counted.
  assert.equal(
    sampleValue(m, 'socketkit_handler_duration_seconds_count', labels),
    seen.messages.length,
  );
  assert.equal(
    sampleValue(m, 'socketkit_handler_duration_seconds_bucket', { ...labels, le: '+Inf' }),
    seen.messages.length,
  );
  const bytes = seen.messages.reduce((n, d) => n + d.bytes, 0);
  assert.equal(sampleValue(m, 'socketkit_received_bytes_total', labels), bytes);
  assert.equal(sampleValue(m, 'socketkit_sent_bytes_total', labels), bytes);
});

/** The dashboard's feed (/events): each snapshot, as it arrives, until `done` says stop. */
async function watchFeed(
  port: number,
  done: (snapshot: { listeners: Array<Record<string, unknown>> }) => boolean,
  what: string,
): Promise<void> {
  await within(
    new Promise<void>((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port, path: '/events', headers: { Host: `127.0.0.1:${port}` } },
        (res) => {
          let buffered = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            buffered += chunk;
            let end: number;
            while ((end = buffered.indexOf('\n\n')) >= 0) {
              const event = buffered.slice(0, end);
              buffered = buffered.slice(end + 2);
              const data = /^data: (.*)$/m.exec(event)?.[1];
              if (
                data !== undefined &&
                done(JSON.parse(data) as { listeners: Array<Record<string, unknown>> })
              ) {
                req.destroy();
                resolve();
              }
            }
          });
          res.on('error', reject);
        },
      );
      req.on('error', (err) => {
        if (!req.destroyed) reject(err);
      });
      req.end();
    }),
    what,
  );
}

test('bytes of a connection still open move on the dashboard and in /metrics', async (t) => {
  const run = await startServe(['echo', '--tcp', '-p', '0', '--http', '0', '-q']);
  t.after(() => run.stop());
  const http = dashboardPort(run.rows);
  const tcp = run.rows.find((r) => r.service === 'echo' && r.transport === 'tcp')?.port ?? 0;
  const client = connect(tcp, '127.0.0.1');
  t.after(() => client.destroy());
  await once(client, 'connect');
  const payload = Buffer.alloc(10_000, 'x');
  let echoed = 0;
  const back = new EventEmitter();
  client.on('data', (c: Buffer) => {
    echoed += c.length;
    back.emit('change');
  });
  client.write(payload);
  await until(() => echoed >= payload.length, back, 'change', { what: 'the echo' });
  // The connection stays open: its bytes show in the next dashboard tick…
  const row = (s: { listeners: Array<Record<string, unknown>> }) =>
    s.listeners.find((l) => l.service === 'echo' && l.transport === 'tcp');
  await watchFeed(
    http,
    (s) => Number(row(s)?.bytesIn) >= payload.length && Number(row(s)?.bytesOut) >= payload.length,
    "the open connection's bytes on the dashboard",
  );
  // …and in /metrics, read at the scrape.
  const m = parsePrometheusText((await rawGet(http, '/metrics')).body);
  assert.equal(sampleValue(m, 'socketkit_connections_open', echoTcp), 1);
  assert.equal(sampleValue(m, 'socketkit_received_bytes_total', echoTcp), payload.length);
  assert.equal(sampleValue(m, 'socketkit_sent_bytes_total', echoTcp), payload.length);
  // Closing it does not count its bytes twice.
  const closed = watchChannel<CloseMessage>(t, 'socketkit:server:close');
  client.end();
  await closed.count(1, { what: 'the connection closed' });
  const after = parsePrometheusText((await rawGet(http, '/metrics')).body);
  assert.equal(sampleValue(after, 'socketkit_received_bytes_total', echoTcp), payload.length);
  assert.equal(sampleValue(after, 'socketkit_connections_open', echoTcp), 0);
});

test(
  "--processes 2: the primary's /metrics and dashboard add up what the workers served",
  { timeout: 120_000 },
  async (t) => {
    const run = await spawnServeProcess(t, [
      'echo',
      '--tcp',
      '-p',
      '0',
      '--processes',
      '2',
      '--http',
      '0',
      '--accept-rate',
      '0',
    ]);
    t.after(() => run.stop());
    const http = dashboardPort(run.rows);
    const tcp = run.rows.find((r) => r.service === 'echo' && r.transport === 'tcp')?.port ?? 0;
    const sent = await echoLoad(tcp, 1000);
    // Workers report once a second: wait for the dashboard's feed to show all of it.
    const row = (s: { listeners: Array<Record<string, unknown>> }) =>
      s.listeners.find((l) => l.service === 'echo' && l.transport === 'tcp');
    await watchFeed(
      http,
      (s) => Number(row(s)?.requests) >= 1000 && Number(row(s)?.bytesOut) >= sent,
      "the workers' 1000 requests on the dashboard",
    );
    const m = parsePrometheusText((await rawGet(http, '/metrics')).body);
    assert.equal(sampleValue(m, 'socketkit_requests_total', echoTcp), 1000);
    assert.equal(sampleValue(m, 'socketkit_connections_accepted_total', echoTcp), 1000);
    assert.equal(sampleValue(m, 'socketkit_received_bytes_total', echoTcp), sent);
    assert.equal(sampleValue(m, 'socketkit_sent_bytes_total', echoTcp), sent);
    assert.equal(sampleValue(m, 'socketkit_handler_duration_seconds_count', echoTcp), 1000);
    assert.equal(sampleValue(m, 'socketkit_listener_up', echoTcp), 1);
    assert.equal(await run.stop(), 0, run.stderr());
  },
);

test('Host, Origin and token checks', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'socketkit-http-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const tokenFile = join(dir, 'token');
  const token = 'test-token-0123456789abcdef';
  writeFileSync(tokenFile, `${token}\n`);
  const run = await startServe([
    'echo',
    '--tcp',
    '-p',
    '0',
    '--http',
    '0',
    '--http-token-file',
    tokenFile,
    '--http-allow-host',
    'dash.example',
    '-q',
  ]);
  t.after(() => run.stop());
  const port = dashboardPort(run.rows);
  const bearer = { Authorization: `Bearer ${token}` };

  // DNS rebinding: a page on another name that now resolves here sends its own Host.
  assert.equal(
    (await rawGet(port, '/metrics', { ...bearer, Host: `evil.example:${port}` })).status,
    421,
  );
  assert.equal((await rawGet(port, '/healthz', { Host: 'evil.example' })).status, 421);
  assert.equal(
    (await rawGet(port, '/metrics', { ...bearer, Host: `dash.example:${port}` })).status,
    200,
  );
  assert.equal(
    (await rawGet(port, '/metrics', { ...bearer, Host: `localhost:${port}` })).status,
    200,
  );
  assert.equal((await rawGet(port, '/metrics', { ...bearer, Host: `[::1]:${port}` })).status, 200);
  // Cross-origin requests.
  assert.equal(
    (await rawGet(port, '/events', { ...bearer, Origin: 'http://evil.example' })).status,
    403,
  );
  // The token.
  assert.equal((await rawGet(port, '/metrics')).status, 401);
  assert.equal((await rawGet(port, '/')).status, 401);
  assert.equal((await rawGet(port, '/metrics', { Authorization: 'Bearer wrong' })).status, 401);
  assert.equal((await rawGet(port, '/healthz')).status, 200, 'liveness needs no token');
  const login = await rawGet(port, `/?token=${token}`);
  assert.equal(login.status, 303);
  assert.equal(login.headers.location, '/');
  const cookie = String(login.headers['set-cookie']);
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  const page = await rawGet(port, '/', { Cookie: cookie.split(';')[0] ?? '' });
  assert.equal(page.status, 200);
  assert.match(String(page.headers['content-security-policy']), /default-src 'none'/);
  assert.equal(page.headers['x-content-type-options'], 'nosniff');
  assert.equal((await rawGet(port, '/?token=wrong')).status, 401);
  // Upgrades: Origin required and same-origin, and only where a service offers one.
  assert.equal(await rawUpgrade(port, '/echo/ws', { Origin: `http://127.0.0.1:${port}` }), 404);
  assert.equal(await rawUpgrade(port, '/echo/ws', { Origin: 'http://evil.example' }), 403);
  assert.equal(await rawUpgrade(port, '/echo/ws', {}), 403);
});

test('a non-loopback --http-host without a token file is refused at start', async () => {
  const run = startServe(['echo', '--tcp', '-p', '0', '--http', '0', '--http-host', '0.0.0.0']);
  await assert.rejects(
    run,
    /exited with 2[\s\S]*--http-host 0\.0\.0\.0 exposes[\s\S]*--http-token-file/,
  );
  assert.throws(
    () => buildHttpPlan({ port: 0, host: '::' }, (k) => HTTP_FLAG_NAMES[k]),
    /--http-token-file/,
  );
});

test('--http-* flags need --http (or the default set), and not --no-http', async () => {
  await assert.rejects(
    startServe(['echo', '-p', '0', '--http-max-sse', '3']),
    /exited with 2[\s\S]*--http-max-sse needs --http PORT/,
  );
  await assert.rejects(
    startServe(['--no-http', '--http-host', '127.0.0.1']),
    /exited with 2[\s\S]*--http-host cannot be combined with --no-http/,
  );
});

test('the HTTP side port in use: exit 1, the services stopped, the error says what to do', async (t) => {
  const blocker = createServer();
  blocker.listen(0, '127.0.0.1');
  await within(once(blocker, 'listening'), 'the blocker to listen');
  t.after(() => blocker.close());
  const port = (blocker.address() as AddressInfo).port;
  const shutdowns = watchChannel<{ phase: string }>(t, 'socketkit:server:shutdown');
  await assert.rejects(
    startServe(['echo', '--tcp', '-p', '0', '--http', String(port), '-q']),
    /exited with 1[\s\S]*cannot start the HTTP side on 127\.0\.0\.1:\d+[\s\S]*--no-http/,
  );
  await shutdowns.waitFor((all) => all.some((m) => m.phase === 'end'), {
    what: 'the echo listener to shut down',
  });
});

test('a service with a web endpoint is mounted at /<name> with its WebSocket', async (t) => {
  const metrics = new ServeMetrics({ maxRoomLabels: 5, chat: false });
  metrics.attach();
  t.after(() => metrics.detach());
  const plan = buildHttpPlan({ port: 0, wsMaxPayload: 1024 }, (k) => HTTP_FLAG_NAMES[k]);
  const side = await startHttpSide(plan, metrics, [
    {
      name: 'fake',
      endpoint: {
        page: '<!doctype html><title>fake</title><p>fake page</p>',
        accept(ws) {
          ws.on('message', (data) => ws.send(`echo: ${String(data)}`));
        },
      },
    },
  ]);
  t.after(() => side.close());
  const page = await rawGet(side.port, '/fake');
  assert.equal(page.status, 200);
  assert.match(String(page.headers['content-type']), /^text\/html/);
  assert.match(String(page.headers['content-security-policy']), /default-src 'none'/);
  assert.equal(page.headers['x-content-type-options'], 'nosniff');
  assert.match(page.body, /fake page/);

  const origin = `http://127.0.0.1:${side.port}`;
  const ws = new WebSocket(`ws://127.0.0.1:${side.port}/fake/ws`, { origin });
  await within(once(ws, 'open'), 'the WebSocket to open');
  ws.send('hello');
  const [reply] = (await within(once(ws, 'message'), 'the reply')) as [Buffer];
  assert.equal(String(reply), 'echo: hello');
  // maxPayload: a message over the limit closes the socket (1009).
  ws.send('x'.repeat(2048));
  const [code] = (await within(once(ws, 'close'), 'the close')) as [number];
  assert.equal(code, 1009);

  const foreign = new WebSocket(`ws://127.0.0.1:${side.port}/fake/ws`, {
    origin: 'http://evil.example',
  });
  foreign.on('error', () => {});
  const [req, res] = (await within(once(foreign, 'unexpected-response'), 'the refusal')) as [
    { destroy(): void },
    { statusCode: number },
  ];
  assert.equal(res.statusCode, 403);
  req.destroy();
});

test(
  'HTTPS with --http-tls-cert/--http-tls-key; the token cookie is Secure',
  { skip: needs('openssl') },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'socketkit-https-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const { cert, key } = selfSignedCert(dir);
    const token = 'https-token-0123456789abcdef';
    writeFileSync(join(dir, 'token'), token);
    const run = await startServe([
      'echo',
      '--tcp',
      '-p',
      '0',
      '--http',
      '0',
      '--http-tls-cert',
      cert,
      '--http-tls-key',
      key,
      '--http-token-file',
      join(dir, 'token'),
      '-q',
    ]);
    t.after(() => run.stop());
    const row = run.rows.find((r) => r.service === 'dashboard');
    assert.equal(row?.transport, 'https');
    const port = row?.port ?? 0;
    const get = (path: string, headers: Record<string, string> = {}) =>
      within(
        new Promise<{ status: number; cookie: string }>((resolve, reject) => {
          httpsGet({ host: '127.0.0.1', port, path, ca: readFileSync(cert), headers }, (res) => {
            res.resume();
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                cookie: String(res.headers['set-cookie'] ?? ''),
              }),
            );
          }).on('error', reject);
        }),
        `GET https ${path}`,
      );
    assert.equal((await get('/healthz')).status, 200);
    assert.equal((await get('/metrics')).status, 401);
    assert.equal((await get('/metrics', { Authorization: `Bearer ${token}` })).status, 200);
    const login = await get(`/?token=${token}`);
    assert.equal(login.status, 303);
    assert.match(login.cookie, /; Secure/);
    // Same-origin for HTTPS is https://host:port.
    assert.equal(
      (
        await get('/metrics', {
          Authorization: `Bearer ${token}`,
          Origin: `http://127.0.0.1:${port}`,
        })
      ).status,
      403,
    );
  },
);
