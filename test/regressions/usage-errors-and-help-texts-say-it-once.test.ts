/**
 * Usage errors and help texts a newcomer meets: a service refusing its configuration
 * (exec with no command allowed) exits 2 like any usage error; a bad `--bus` names the
 * flag once and a `redis:/host` typo is refused up front with the fix; `time --help`
 * shows one default for FORMAT; `--tls-cert` is worded for `connect` and for `listen`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';

describe('usage errors and help texts', () => {
  it('serve exec without an allowed command is a usage error (exit 2)', async () => {
    const r = await runCli(['serve', 'exec', '-p', '0', '--tcp']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /allow at least one command/);
  });

  it('--bus errors name the flag once', async () => {
    const r = await runCli(['serve', 'chat', '-p', '0', '--bus', 'foo']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'socketkit: --bus: must be "memory" or redis://host:port, got "foo"\n');
    const n = await runCli(['serve', 'chat', '-p', '0', '--rate-limit', 'x']);
    assert.equal(n.stderr, 'socketkit: --rate-limit: must be an integer >= 0, got "x"\n');
  });

  it('a malformed redis URL is refused up front, with the fix', async () => {
    const r = await runCli(['serve', 'chat', '-p', '0', '--bus', 'redis:/127.0.0.1']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no host; did you mean "redis:\/\/127\.0\.0\.1"\?/);
    assert.doesNotMatch(r.stderr, /Connection is closed/);
  });

  it('time --help shows one default for FORMAT', async () => {
    const r = await runCli(['time', '--help']);
    assert.equal(r.code, 0);
    const help = r.stdout.replace(/\s+/g, ' ');
    assert.match(help, /\(default: the server's "%F %X"\)/);
    assert.doesNotMatch(help, /default: ""/);
  });

  it('--tls-cert is worded per command', async () => {
    const connect = (await runCli(['connect', '--help'])).stdout.replace(/\s+/g, ' ');
    const listen = (await runCli(['listen', '--help'])).stdout.replace(/\s+/g, ' ');
    assert.match(connect, /--tls-cert <file> a client certificate \(PEM\) to present/);
    assert.doesNotMatch(connect, /required to listen/);
    assert.match(listen, /--tls-cert <file> the certificate \(PEM\) to serve TLS with/);
  });
});
