import net from 'node:net';
import { execSync } from 'node:child_process';
import { it } from 'node:test';
import { startChat } from '/work/wt/chat/test/integration/services/chat-harness.js';
it('dbg', async () => {
  const server = await startChat({ limits: { rateLimit: 0, rateBurst: 1, maxQueueBytes: 8 << 20 } as never });
  const socks = [0, 1, 2].map(() => net.connect(server.port, '127.0.0.1'));
  const texts = ['', '', ''];
  socks.forEach((s, i) => { s.setEncoding('utf8'); s.on('data', (d: string) => { texts[i] += d; }); });
  await new Promise((r) => setTimeout(r, 200));
  socks.forEach((s, i) => s.write(`/nick n${i}\n`));
  await new Promise((r) => setTimeout(r, 200));
  for (let round = 0; round < 3; round++) {
    for (const [k, s] of socks.slice(0, 2).entries()) {
      let t = '';
      for (let i = 0; i < 200; i++) t += `s${k} ${round * 200 + i}\n`;
      s.write(t);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  await new Promise((r) => setTimeout(r, 1000));
  for (const k of [0, 1]) console.log('s' + k, (texts[2].match(new RegExp(`<n${k}> s${k} `, 'g')) ?? []).length);
  console.log(texts[2].split('\r\n').filter((l) => !/^<n\d> s/.test(l)).join('\n'));
  console.log(execSync(`ss -tn state established '( sport = :${server.port} )'`).toString());
  socks.forEach((s) => s.destroy());
  await server.close();
});
