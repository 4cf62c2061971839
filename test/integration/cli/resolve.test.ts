// `socketkit resolve`, in-process, against the real system resolver on local names only.
import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { test } from 'node:test';
import { runCli } from '../../helpers/cli.js';

test('resolve NAME prints hostname, aliases, addresses and fqdn', async () => {
  const r = await runCli(['resolve', 'localhost']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^name\s+localhost$/m);
  assert.match(r.stdout, /^hostname\s+\S+$/m);
  assert.match(r.stdout, /^aliases\s+/m);
  assert.match(r.stdout, /^addresses\s+.*127\.0\.0\.1/m);
  assert.match(r.stdout, /^fqdn\s+localhost/m);
});

test('resolve ADDRESS does a reverse look-up (gethostbyaddr), IPv4 and IPv6', async () => {
  for (const address of ['127.0.0.1', '::1']) {
    const r = await runCli(['resolve', address]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^address\\s+${address.replace(/\./g, '\\.')}$`, 'm'));
    assert.match(r.stdout, /^hostname\s+localhost/m);
  }
});

test('resolve with no argument describes this host (S11: gethostbyname(gethostname()))', async () => {
  const r = await runCli(['resolve', '--json', '-w', '5']);
  if (r.code !== 0) {
    // A host whose own name does not resolve: a clear not-found, never a hang.
    assert.equal(r.code, 1);
    assert.match(r.stderr, /could not be resolved/);
    return;
  }
  const report = JSON.parse(r.stdout) as { kind: string; query: string; addresses: string[] };
  assert.equal(report.kind, 'local');
  assert.equal(report.query, hostname());
  assert.equal(isIP(report.addresses[0] ?? ''), 4);
});

test('--json prints the look-up results as one object', async () => {
  const r = await runCli(['resolve', '127.0.0.1', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.equal(report.kind, 'address');
  assert.equal(report.hostname, 'localhost');
  assert.deepEqual(report.addresses, ['127.0.0.1']);
  assert.equal(typeof report.fqdn, 'string');
});

test('--all adds the getaddrinfo table; --service fills in the port', async () => {
  const r = await runCli(['resolve', '127.0.0.1', '--all', '--service', 'telnet', '-p', 'tcp']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^service\s+telnet 23\/tcp/m);
  assert.match(r.stdout, /^getaddrinfo:\n {2}IPv4 {2}stream {2}tcp {2}127\.0\.0\.1:23$/m);
});

test('--service alone: by name (getservbyname) and by port (getservbyport)', async () => {
  const byName = await runCli(['resolve', '--service', 'ssh']);
  assert.equal(byName.code, 0, byName.stderr);
  assert.match(byName.stdout, /^service\s+ssh 22\/tcp$/m);
  const byPort = await runCli(['resolve', '--service', '9', '--json']);
  assert.equal(byPort.code, 0, byPort.stderr);
  const report = JSON.parse(byPort.stdout) as { services: { name: string; protocol: string }[] };
  assert.deepEqual(
    report.services.map((s) => `${s.name}/${s.protocol}`),
    ['discard/tcp', 'discard/udp'],
  );
  const short = await runCli(['resolve', '--service', 'telnet', '--short']);
  assert.equal(short.stdout, '23\n');
});

test('--short prints one value for scripts', async () => {
  assert.equal((await runCli(['resolve', 'localhost', '--short'])).stdout, '127.0.0.1\n');
  assert.match((await runCli(['resolve', '127.0.0.1', '--short'])).stdout, /^localhost/);
});

test('not found exits 1 with a clear message', async () => {
  const host = await runCli(['resolve', 'no-such-host.invalid']);
  assert.equal(host.code, 1);
  assert.equal(host.stdout, '');
  assert.match(
    host.stderr,
    /host name "no-such-host\.invalid" could not be resolved \[ERR_HOST_NOT_FOUND\]/,
  );
  const service = await runCli(['resolve', '--service', 'no-such-service']);
  assert.equal(service.code, 1);
  assert.match(service.stderr, /unknown service "no-such-service": not listed in/);
});

test('usage errors exit 2', async () => {
  assert.equal((await runCli(['resolve', 'localhost', '--timeout', 'soon'])).code, 2);
  assert.equal((await runCli(['resolve', '--service', '70000'])).code, 2);
  assert.equal((await runCli(['resolve', '--protocol', 'sctp', '--service', 'ssh'])).code, 2);
  assert.equal((await runCli(['resolve', 'a', 'b'])).code, 2);
  assert.equal((await runCli(['resolve', ' '])).code, 2);
});

test('resolve --help lists the options and examples', async () => {
  const r = await runCli(['resolve', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /--all/);
  assert.match(r.stdout, /--service/);
  assert.match(r.stdout, /Exit status: 0 found, 1 not found, 2 usage error/);
});
