// bench/tools/connect-gen.c, the relay-connect row's generator: every reply is compared and
// the server's EOF awaited, so a server that answers wrong bytes or closes early is a
// failed, unverified run, never a fast one.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { compileTool, runTool } from '../../../bench/lib/processes.mjs';
import { needs } from '../../helpers/needs.js';

/** A loopback server running `onConnection` for each client. */
async function server(t: TestContext, onConnection: (s: net.Socket) => void): Promise<number> {
  const srv = net.createServer({ allowHalfOpen: true }, (s) => {
    s.on('error', () => s.destroy());
    onConnection(s);
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  t.after(() => srv.close());
  return (srv.address() as net.AddressInfo).port;
}

describe('connect-gen', { skip: needs('gcc') }, () => {
  const tool = compileTool('connect-gen');

  it('against an echo: whole lifetimes counted, verified', async (t) => {
    assert.ok(tool.path, tool.reason ?? '');
    const port = await server(t, (s) => s.pipe(s));
    const r = await runTool([tool.path, `${port}`, '4', '64', '0.3', '0.1'], { timeoutMs: 20_000 });
    assert.equal(r.verified, true, JSON.stringify(r));
    const counters = r.counters as { ops: number; errors: number; mismatches: number };
    assert.ok(counters.ops > 0);
    assert.equal(counters.errors + counters.mismatches, 0);
    assert.equal(r.exitCode, 0);
  });

  it('a wrong byte in a reply is a mismatch: not verified, exit 1', async (t) => {
    assert.ok(tool.path, tool.reason ?? '');
    const port = await server(t, (s) =>
      s.on('data', (d: Buffer) => {
        const copy = Buffer.from(d);
        const last = copy.length - 1;
        copy.writeUInt8(copy.readUInt8(last) ^ 1, last);
        s.write(copy);
        s.end();
      }),
    );
    const r = await runTool([tool.path, `${port}`, '2', '64', '0.3', '0'], { timeoutMs: 20_000 });
    assert.equal(r.verified, false);
    assert.ok((r.counters as { mismatches: number }).mismatches > 0);
    assert.equal(r.exitCode, 1);
  });

  it('a server that closes after half the reply is an error, not an operation', async (t) => {
    assert.ok(tool.path, tool.reason ?? '');
    const port = await server(t, (s) =>
      s.once('data', (d: Buffer) => {
        s.end(d.subarray(0, d.length >> 1));
      }),
    );
    const r = await runTool([tool.path, `${port}`, '2', '64', '0.3', '0'], { timeoutMs: 20_000 });
    assert.equal(r.verified, false);
    const counters = r.counters as { ops: number; errors: number };
    assert.equal(counters.ops, 0);
    assert.ok(counters.errors > 0);
    assert.match(String(r.firstError), /EOF after 32 of 64 bytes/);
  });
});
