import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../../../../src/cli/serve/config-file.js';
import { ServeUsageError } from '../../../../src/cli/serve/option-values.js';

test('a minimal config gets the service default port, both transports, loopback', () => {
  const [plan] = parseConfig({ services: [{ service: 'echo' }] }, '/etc');
  assert.equal(plan?.service.name, 'echo');
  assert.deepEqual(plan?.listeners, [
    { kind: 'tcp', host: '127.0.0.1', port: 7007 },
    { kind: 'udp', host: '127.0.0.1', port: 7007 },
  ]);
});

test('per-service host, port, transports, unix paths, TLS, limits and options', () => {
  const plans = parseConfig(
    {
      host: '::1',
      services: [
        {
          service: 'qotd',
          port: 1717,
          transports: ['tcp'],
          unix: 'qotd.sock',
          maxConnections: 3,
          backlog: 64,
          idleTimeout: 2.5,
          options: { message: 'welcome to server!' },
        },
        {
          service: 'echo',
          host: '127.0.0.1',
          port: 0,
          tls: { cert: 'c.pem', key: 'k.pem' },
          processes: 2,
        },
        { service: 'daytime', unixDgram: '/tmp/dt.sock' },
      ],
    },
    '/srv/conf',
  );
  assert.deepEqual(plans[0]?.listeners, [
    { kind: 'tcp', host: '::1', port: 1717 },
    { kind: 'unix', path: '/srv/conf/qotd.sock' },
  ]);
  assert.deepEqual(plans[0]?.limits, { maxConnections: 3, backlog: 64, idleTimeout: 2.5 });
  assert.equal(plans[0]?.options.message, 'welcome to server!');
  assert.deepEqual(plans[1]?.listeners, [{ kind: 'tls', host: '127.0.0.1', port: 0 }]);
  assert.deepEqual(plans[1]?.tls, { cert: '/srv/conf/c.pem', key: '/srv/conf/k.pem' });
  assert.deepEqual(plans[2]?.listeners, [{ kind: 'unix-dgram', path: '/tmp/dt.sock' }]);
});

test('errors name the bad key', () => {
  const bad = (data: unknown, pattern: RegExp): void => {
    assert.throws(
      () => parseConfig(data, '/'),
      (err: unknown) => err instanceof ServeUsageError && pattern.test(err.message),
    );
  };
  bad(
    { services: [{ service: 'echo', prot: 7 }] },
    /^services\[0\]\.prot: unknown key \(did you mean "port"\?\)/,
  );
  bad({ servces: [] }, /^servces: unknown key \(did you mean "services"\?\)/);
  bad({ services: [] }, /services must be a non-empty list/);
  bad({ services: [{ service: 'nope' }] }, /services\[0\]\.service: unknown service "nope"/);
  bad(
    { services: [{ service: 'echo', port: 70000 }] },
    /services\[0\]\.port must be an integer from 0 to 65535/,
  );
  bad(
    { services: [{ service: 'echo', options: { message: 'x' } }] },
    /services\[0\]\.options\.message: unknown key \(this service takes no options\)/,
  );
  bad(
    { services: [{ service: 'qotd', options: { message: 'x'.repeat(600) } }] },
    /services\[0\]\.options\.message: .*RFC 865/,
  );
  bad(
    { services: [{ service: 'echo', transports: ['sctp'] }] },
    /services\[0\]\.transports: "sctp" is not tcp or udp/,
  );
  bad(
    { services: [{ service: 'echo', tls: { cert: 'c' } }] },
    /services\[0\]\.tls\.key must be a non-empty string/,
  );
  bad(
    { services: [{ service: 'echo', idleTimeout: -1 }] },
    /idleTimeout must be a positive number/,
  );
  bad([1, 2], /the top level must be a mapping/);
});

test('--port-offset moves the ports written in the file too (port 0 stays a free port)', () => {
  const plans = parseConfig(
    {
      services: [
        { service: 'echo', port: 7007 },
        { service: 'qotd' },
        { service: 'daytime', port: 0, transports: ['tcp'] },
      ],
    },
    '/etc',
    17000,
  );
  assert.deepEqual(
    plans.map((p) => p.listeners.map((l) => ('port' in l ? l.port : null))),
    [[24007, 24007], [24017, 24017], [0]],
  );
  assert.throws(
    () => parseConfig({ services: [{ service: 'echo', port: 60000 }] }, '/etc', 17000),
    /services\[0\]\.port: --port-offset 17000 puts port 60000 on 77000, outside 1…65535/,
  );
});

test('proxyProtocol and proxyProtocolTimeout keys', () => {
  const [plan] = parseConfig(
    { services: [{ service: 'echo', proxyProtocol: '10.0.0.5', proxyProtocolTimeout: 3 }] },
    '/etc',
  );
  assert.deepEqual(plan?.limits.proxyProtocol, ['10.0.0.5']);
  assert.equal(plan?.limits.proxyProtocolTimeout, 3);
  assert.throws(
    () => parseConfig({ services: [{ service: 'echo', proxyProtocolTimeout: 3 }] }, '/etc'),
    ServeUsageError,
  );
});
