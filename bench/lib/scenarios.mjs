// What `npm run bench` measures: the servers it starts and the loads it runs against
// them. Each scenario compares a socketkit server (the subject) with baselines.

const node = process.execPath;

/** glibc malloc settings that keep freed heap instead of trimming it (256 MiB, 64 MiB pad). */
const MALLOC_KEEP = { MALLOC_TRIM_THRESHOLD_: '268435456', MALLOC_TOP_PAD_: '67108864' };

/**
 * `socketkit serve SERVICE` on 127.0.0.1:PORT, quiet, with extra flags. Every load comes
 * from 127.0.0.1, thousands of connections at once: the per-address limits (256
 * connections, 200 new ones a second per address by default) are lifted.
 */
const serve = (cli, p, service, ...extra) => [
  ...cli,
  'serve',
  service,
  '--host',
  '127.0.0.1',
  '--port',
  `${p}`,
  '--max-connections-per-ip',
  '0',
  '--accept-rate',
  '0',
  ...extra,
  '-q',
];

/**
 * Server factories: name → (cli, port) → { argv, tcp, service } (service: the socketkit
 * service that must exist for this server; tool: an executable that must be installed;
 * processes: how many worker processes it runs, for the CPU pinning plan).
 */
export const SERVERS = {
  // --datagram-rate 0: serve limits each UDP source to 100 datagrams/s by default, and the
  // UDP scenario's load comes from one address.
  socketkit: {
    label: 'socketkit serve echo',
    service: 'echo',
    argv: (cli, p) => serve(cli, p, 'echo', '--datagram-rate', '0'),
  },
  // The same with its HTTP side on (any free port) and /metrics scraped once a second
  // during every run (suite.mjs, startScraper): what observing costs the service.
  'socketkit-http': {
    label: 'socketkit serve echo --http (scraped 1/s)',
    service: 'echo',
    scrape: true,
    argv: (cli, p) => serve(cli, p, 'echo', '--datagram-rate', '0', '--http', '0'),
  },
  // serve's default limit is 10,000 connections per listener: 15,000 needs the flag.
  'socketkit-15k': {
    label: 'socketkit serve echo --max-connections 15000',
    service: 'echo',
    argv: (cli, p) => serve(cli, p, 'echo', '--max-connections', '15000'),
  },
  'socketkit-x2': {
    label: 'socketkit serve echo --processes 2',
    service: 'echo',
    processes: 2,
    argv: (cli, p) => serve(cli, p, 'echo', '--tcp', '--processes', '2'),
  },
  // The same two servers with glibc's heap kept, not trimmed (docs/performance.md, "stream"):
  // Node frees read buffers ~32 MB at a time at GC, and glibc's default returns that to the
  // kernel each time, so bulk echo page-faults every buffer again. Tuned alike, for a fair pair.
  'socketkit-malloc': {
    label: 'socketkit serve echo, glibc heap kept (MALLOC_TRIM_THRESHOLD_, MALLOC_TOP_PAD_)',
    service: 'echo',
    env: MALLOC_KEEP,
    argv: (cli, p) => serve(cli, p, 'echo'),
  },
  'raw-net-malloc': {
    label: 'raw Node net pipe, glibc heap kept (same settings)',
    env: MALLOC_KEEP,
    argv: (_, p) => [node, 'bench/baselines/raw-net-echo.mjs', `${p}`],
  },
  'raw-net': {
    label: 'raw Node net (socket.pipe(socket))',
    argv: (_, p) => [node, 'bench/baselines/raw-net-echo.mjs', `${p}`],
  },
  'raw-dgram': {
    label: 'raw Node dgram echo',
    tcp: false,
    argv: (_, p) => [node, 'bench/baselines/raw-dgram-echo.mjs', `${p}`],
  },
  'py-threading': {
    label: 'Python socketserver.ThreadingTCPServer',
    tool: 'python3',
    argv: (_, p) => ['python3', 'bench/baselines/py-threading-echo.py', `${p}`],
  },
  'py-udp': {
    label: 'Python socketserver.UDPServer',
    tool: 'python3',
    tcp: false,
    argv: (_, p) => ['python3', 'bench/baselines/py-udp-echo.py', `${p}`],
  },
  'py-asyncio': {
    label: 'Python asyncio streams',
    tool: 'python3',
    argv: (_, p) => ['python3', 'bench/baselines/py-asyncio-echo.py', `${p}`],
  },
  'socketkit-chat': {
    label: 'socketkit serve chat',
    service: 'chat',
    argv: (cli, p) =>
      serve(cli, p, 'chat', '--rate-limit', '0', '--history', '0', '--max-clients', '10000'),
  },
  'raw-broadcast': {
    label: 'raw Node broadcast chat',
    argv: (_, p) => [node, 'bench/baselines/raw-node-broadcast.mjs', `${p}`],
  },
  'ncat-chat': {
    label: 'ncat --chat',
    tool: 'ncat',
    // ncat 7.93 quits ("getpeername … failed") when clients leave abruptly: one per run.
    fresh: true,
    argv: (_, p) => ['ncat', '-l', '-k', '--chat', '--max-conns', '1000', '127.0.0.1', `${p}`],
  },
  // Relays (issue 14): socketkit relay and socat forking per client, each in front of its
  // own raw Node echo server (`backend`, started first; the relay's tree alone is measured).
  'socketkit-relay': {
    label: 'socketkit relay tcp-listen → tcp (to a raw Node echo)',
    backend: 'raw-net',
    argv: (cli, p, b) => [
      ...cli,
      'relay',
      '--max-connections',
      '20000',
      `tcp-listen:127.0.0.1:${p}`,
      `tcp:127.0.0.1:${b}`,
    ],
  },
  'socat-relay': {
    label: 'socat TCP-LISTEN:…,fork,reuseaddr TCP:… (to a raw Node echo)',
    tool: 'socat',
    backend: 'raw-net',
    argv: (_, p, b) => [
      'socat',
      `TCP-LISTEN:${p},bind=127.0.0.1,fork,reuseaddr,backlog=4096`,
      `TCP:127.0.0.1:${b}`,
    ],
  },
  'socketkit-sntp': {
    label: 'socketkit serve sntp',
    service: 'sntp',
    tcp: false,
    argv: (cli, p) =>
      serve(cli, p, 'sntp', '--rate', '1000000', '--burst', '1000000', '--datagram-rate', '0'),
  },
};

/** Seconds of load before each measured run, unless a scenario or `--warmup` says otherwise. */
export const DEFAULT_WARMUP = 1;

/**
 * The scenarios. `metric` is read from each run's JSON; `better` says which way is
 * good; `targets` maps a baseline to the ratio (subject ÷ baseline) the issue asks for;
 * `absolute` is a target on the subject's own figure (strictly below `max`); `checks`
 * are pass/fail targets on the subject's runs, evaluated by the suite: `allHeld` (every
 * connection held and pinged), `noListenOverflow` (no listen-queue overflow during the
 * burst), `noLoss` (no chat line missing or reordered). `maxRepeat` caps `--repeat` for
 * a slow scenario; `fds` is the open-file limit it needs (else it is skipped);
 * `perHeldConnection` divides conns memory by the connections held, not by the server's
 * sockets (a relay holds two per client: its figure is per relayed pair);
 * `duration` replaces the suite's `--duration` for this scenario's generator; `warmup`
 * replaces the suite's `--warmup` (default 1 s: the load runs that long before it is
 * measured, so the cold JIT of server and generator does not set the tail; 0: none, as
 * for conns, which opens and pings each connection once and has nothing to warm up).
 */
export const SCENARIOS = [
  {
    id: 'rr-1',
    title: 'TCP echo request/response, 1 connection × 64 B',
    load: ['rr', '-c', '1', '-s', '64'],
    metric: 'opsPerSec',
    unit: 'replies/s',
    subject: 'socketkit',
    baselines: ['raw-net', 'py-threading', 'py-asyncio'],
    targets: { 'raw-net': 1.0, 'py-threading': 2.0 },
  },
  {
    id: 'rr-100',
    title: 'TCP echo request/response, 100 connections × 64 B',
    load: ['rr', '-c', '100', '-s', '64'],
    metric: 'opsPerSec',
    unit: 'replies/s',
    subject: 'socketkit',
    baselines: ['raw-net', 'py-threading', 'py-asyncio'],
    targets: { 'raw-net': 1.0, 'py-threading': 2.0 },
  },
  {
    id: 'stream',
    title: 'bulk stream echo, 4 connections, 64 KiB writes',
    load: ['stream', '-c', '4', '-s', '65536', '--window', '4'],
    metric: 'mbPerSec',
    unit: 'MB/s',
    subject: 'socketkit',
    baselines: ['raw-net', 'py-threading'],
    targets: { 'raw-net': 1.2, 'py-threading': 1.0 },
  },
  {
    // The shape of the independent C generator in issue 11: 16 KiB writes, 1 MiB in
    // flight per connection (64 × 16 KiB).
    id: 'stream-16k',
    title: 'bulk stream echo, 4 connections, 16 KiB writes, 1 MiB in flight each',
    load: ['stream', '-c', '4', '-s', '16384', '--window', '64'],
    metric: 'mbPerSec',
    unit: 'MB/s',
    subject: 'socketkit',
    baselines: ['raw-net', 'py-threading'],
    targets: { 'py-threading': 1.0 },
  },
  {
    id: 'stream-malloc',
    title: 'bulk stream echo as above, both servers with glibc heap trimming off',
    load: ['stream', '-c', '4', '-s', '65536', '--window', '4'],
    metric: 'mbPerSec',
    unit: 'MB/s',
    subject: 'socketkit-malloc',
    baselines: ['raw-net-malloc', 'raw-net'],
    targets: {},
  },
  {
    id: 'udp',
    title: 'UDP echo, 64 B datagrams, 2 sockets × 64 in flight',
    load: ['udp', '-c', '2', '-s', '64', '--window', '64'],
    metric: 'opsPerSec',
    unit: 'replies/s',
    subject: 'socketkit',
    // Python: the aim ("past Python's 92k"), not a target, so no ratio target.
    baselines: ['raw-dgram', 'py-udp'],
    targets: { 'raw-dgram': 1.0 },
  },
  // The HTTP side's cost (issue 13: within 5 % of the same rows without it).
  {
    id: 'rr-100-http',
    title: 'TCP echo request/response, 100 connections × 64 B, with serve --http scraped 1/s',
    load: ['rr', '-c', '100', '-s', '64'],
    metric: 'opsPerSec',
    unit: 'replies/s',
    subject: 'socketkit-http',
    baselines: ['socketkit'],
    targets: { socketkit: 0.95 },
  },
  {
    id: 'udp-http',
    title: 'UDP echo, 64 B datagrams, 2 sockets × 64 in flight, with serve --http scraped 1/s',
    load: ['udp', '-c', '2', '-s', '64', '--window', '64'],
    metric: 'opsPerSec',
    unit: 'replies/s',
    subject: 'socketkit-http',
    baselines: ['socketkit'],
    targets: { socketkit: 0.95 },
  },
  {
    id: 'conns',
    title: '10,000 idle connections (burst connect), memory per connection',
    load: ['conns', '-c', '10000', '--burst', '10000', '--hold', '2', '-t', '20'],
    metric: 'bytesPerConnection',
    unit: 'B/conn',
    better: 'lower',
    fresh: true,
    // conns: --duration bounds only the connecting phase (a run ends once every
    // connection is held, held 2 s and pinged), so a bound, not the suite's duration.
    duration: 30,
    warmup: 0,
    subject: 'socketkit',
    baselines: ['raw-net'],
    targets: { 'raw-net': 1.2 },
    checks: ['allHeld', 'noListenOverflow'],
  },
  {
    id: 'conns-15k',
    title: '15,000 connections held by one process (burst 2,000), memory per connection',
    load: ['conns', '-c', '15000', '--burst', '2000', '--hold', '2', '-t', '20'],
    metric: 'bytesPerConnection',
    unit: 'B/conn',
    better: 'lower',
    fresh: true,
    duration: 30,
    warmup: 0,
    // One run each: ~15 s per run; the suite must stay under 10 minutes.
    maxRepeat: 1,
    // 15,000 sockets + the process's own descriptors, in the server and the generator.
    fds: 15_256,
    subject: 'socketkit-15k',
    baselines: ['raw-net'],
    targets: {},
    checks: ['allHeld'],
  },
  {
    id: 'fanout',
    title: 'chat fan-out, 100 clients, 10 senders, closed loop, 100 lines in flight per sender',
    // Clients join one at a time: ncat 7.93 loses clients that connect at once. Up to
    // 100 lines in flight per sender (issue 10: the chat dropped lines under that load).
    load: ['fanout', '-c', '100', '--senders', '10', '--burst', '1', '--window', '100'],
    metric: 'opsPerSec',
    unit: 'lines/s',
    subject: 'socketkit-chat',
    baselines: ['raw-broadcast', 'ncat-chat'],
    targets: { 'raw-broadcast': 1.0, 'ncat-chat': 0.9 },
    checks: ['noLoss'],
  },
  {
    id: 'fanout-500',
    title: 'chat fan-out at 500 lines/s, 100 clients: p99 delivery latency',
    load: ['fanout', '-c', '100', '--senders', '10', '--rate', '500', '--burst', '1'],
    metric: 'p99',
    unit: 'ms p99',
    better: 'lower',
    subject: 'socketkit-chat',
    baselines: ['raw-broadcast', 'ncat-chat'],
    targets: {},
    absolute: { max: 5 },
    checks: ['noLoss'],
  },
  {
    id: 'processes',
    title: 'serve echo --processes 2 vs 1, 100 connections × 64 B',
    load: ['rr', '-c', '100', '-s', '64'],
    metric: 'opsPerSec',
    unit: 'replies/s',
    subject: 'socketkit-x2',
    baselines: ['socketkit'],
    targets: { socketkit: 1.5 },
  },
  {
    id: 'relay-stream',
    title: 'relay: bulk TCP → TCP through the relay to an echo, 4 connections, 64 KiB writes',
    load: ['stream', '-c', '4', '-s', '65536', '--window', '4'],
    metric: 'mbPerSec',
    unit: 'MB/s',
    subject: 'socketkit-relay',
    baselines: ['socat-relay'],
    targets: { 'socat-relay': 1.0 },
  },
  {
    id: 'relay-connect',
    title: 'relay: connection setup rate (connect, 64 B echoed, close), 16 at once',
    load: ['connect', '-c', '16', '-s', '64'],
    // The load of `load`, from bench/tools/connect-gen.c (16 lanes, 64 B) when gcc can
    // build it: on 2 cores the Node generator spends about as much CPU per connection as
    // the relay, CPU the two relays compared then compete for (docs/performance.md,
    // "Relay"). Without gcc the row runs `load` with the Node generator and says so.
    tool: { name: 'connect-gen', args: (port, seconds, warmup) => [port, 16, 64, seconds, warmup] },
    metric: 'opsPerSec',
    unit: 'conns/s',
    subject: 'socketkit-relay',
    baselines: ['socat-relay'],
    targets: { 'socat-relay': 2.0 },
  },
  {
    id: 'relay-idle',
    title: 'relay: 500 idle relayed pairs, memory per pair (relay process tree)',
    load: ['conns', '-c', '500', '--burst', '100', '--hold', '2', '-t', '20'],
    metric: 'bytesPerConnection',
    unit: 'B/pair',
    better: 'lower',
    fresh: true,
    duration: 30,
    warmup: 0,
    maxRepeat: 1,
    perHeldConnection: true,
    subject: 'socketkit-relay',
    baselines: ['socat-relay'],
    targets: {},
    checks: ['allHeld'],
  },
  {
    id: 'sntp',
    title: 'SNTP request rate, 2 sockets × 16 in flight',
    load: ['sntp', '-c', '2', '--window', '16'],
    metric: 'opsPerSec',
    unit: 'replies/s',
    subject: 'socketkit-sntp',
    baselines: [],
    targets: {},
  },
];
