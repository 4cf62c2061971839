/**
 * `socketkit bench fanout` and `bench sntp` against servers with their default limits
 * (chat: 20 lines/s per client; SNTP: 1 request/s per address, then Kiss-o'-Death RATE)
 * fail, as they must, but say why: the server rate-limited the load, and how to start it
 * for a benchmark. The counters carry it too (`rateLimited`).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UdpServer } from '../../src/server/index.js';
import { createSntpHandler } from '../../src/services/sntp/index.js';
import { runCli } from '../helpers/cli.js';
import { startChat } from '../integration/services/chat-harness.js';

interface Json {
  verified: boolean;
  counters: { rateLimited: number; missing: number; errors: number };
}

describe('bench explains a server rate limit', () => {
  it('fanout against chat with its default rate limit', async (t) => {
    const chat = await startChat();
    t.after(() => chat.close());
    const args = ['bench', 'fanout', '127.0.0.1', String(chat.port), '-c', '6', '--senders', '2'];
    const r = await runCli([...args, '-d', '2', '-t', '2', '-w', '1', '--no-progress']);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /rate-limited [1-9]/);
    assert.match(
      r.stderr,
      /the server rate-limited the senders .*start it with --rate-limit 0 for a benchmark \(socketkit serve chat --rate-limit 0 --history 0\)/,
    );
    const j = await runCli([...args, '-d', '2', '-t', '2', '-w', '1', '--json']);
    const json = JSON.parse(j.stdout) as Json;
    assert.equal(json.verified, false);
    assert.ok(json.counters.rateLimited > 0);
  });

  it('sntp against the default KoD limiter', async (t) => {
    const { handler } = createSntpHandler();
    const s = await new UdpServer({ host: '127.0.0.1', port: 0, handler }).listen();
    t.after(() => s.destroy());
    void s.serveForever();
    const port = String((s.address as { port: number }).port);
    const r = await runCli([
      'bench',
      'sntp',
      '127.0.0.1',
      port,
      '-n',
      '200',
      '-d',
      '20',
      '-w',
      '1',
    ]);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /rate-limited [1-9]/);
    assert.match(
      r.stderr,
      /the server rate-limited the requests \(\d+ Kiss-o'-Death RATE replies.*start it with a high --rate for a benchmark/,
    );
  });
});
