import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseHttpSection } from '../../../../../src/cli/serve/config-file.js';
import {
  buildHttpPlan,
  HTTP_FLAG_NAMES,
  HTTP_LIMIT_DEFAULTS,
  isLoopbackHost,
} from '../../../../../src/cli/serve/http/http-plan.js';

const flags = (k: keyof typeof HTTP_FLAG_NAMES): string => HTTP_FLAG_NAMES[k];

test('defaults: loopback, every limit at its documented default', () => {
  const plan = buildHttpPlan({ port: '7080' }, flags);
  assert.deepEqual(plan, {
    host: '127.0.0.1',
    port: 7080,
    allowHosts: [],
    ...HTTP_LIMIT_DEFAULTS,
  });
});

test('a non-loopback host needs a token file; loopback names do not', () => {
  for (const host of ['0.0.0.0', '::', '192.0.2.1', 'example.net'])
    assert.throws(() => buildHttpPlan({ port: 0, host }, flags), /--http-token-file/, host);
  for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost'])
    assert.ok(isLoopbackHost(host), host);
  const plan = buildHttpPlan({ port: 0, host: '0.0.0.0', tokenFile: 'tok' }, flags, '/etc/sk');
  assert.equal(plan.tokenFile, '/etc/sk/tok');
});

test('bad values name their flag', () => {
  assert.throws(() => buildHttpPlan({ port: 'x' }, flags), /--http must be an integer/);
  assert.throws(
    () => buildHttpPlan({ port: 0, maxSseClients: '0' }, flags),
    /--http-max-sse must be an integer from 1/,
  );
  assert.throws(() => buildHttpPlan({ port: 0, tlsCert: 'c.pem' }, flags), /go together/);
});

test('a config file http: section: keys checked, paths resolved, port offset applied', () => {
  const plan = parseHttpSection(
    {
      http: {
        port: 7080,
        host: '::',
        tokenFile: 'token',
        tls: { cert: 'c.pem', key: 'k.pem' },
        allowHosts: ['Dash.Example'],
        maxRoomLabels: 3,
      },
    },
    '/srv',
    100,
  );
  assert.equal(plan?.port, 7180);
  assert.equal(plan?.tokenFile, '/srv/token');
  assert.deepEqual(plan?.tls, { cert: '/srv/c.pem', key: '/srv/k.pem' });
  assert.deepEqual(plan?.allowHosts, ['dash.example']);
  assert.equal(plan?.maxRoomLabels, 3);
  assert.equal(parseHttpSection({ services: [] }, '/'), undefined);
  assert.throws(() => parseHttpSection({ http: { prot: 1 } }, '/'), /http\.prot/);
  assert.throws(() => parseHttpSection({ http: { port: 1, host: '::' } }, '/'), /http\.tokenFile/);
});
