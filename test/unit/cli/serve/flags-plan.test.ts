import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planFromFlags } from '../../../../src/cli/serve/flags-plan.js';
import { ServeUsageError } from '../../../../src/cli/serve/option-values.js';
import { services } from '../../../../src/services/registry.js';

test('no name: every known service on its default port (+ offset), TCP and UDP, loopback', () => {
  const plans = planFromFlags(undefined, { portOffset: '100' }, []);
  assert.equal(plans.length, services.length);
  const echo = plans.find((p) => p.service.name === 'echo');
  assert.deepEqual(echo?.listeners, [
    { kind: 'tcp', host: '127.0.0.1', port: 7107 },
    { kind: 'udp', host: '127.0.0.1', port: 7107 },
  ]);
});

test('a named service: --port, --udp, --host', () => {
  const [plan] = planFromFlags('time', { port: '0', udp: true, host: '::1' }, []);
  assert.deepEqual(plan?.listeners, [{ kind: 'udp', host: '::1', port: 0 }]);
});

test('a Unix path alone means only there; with --port the network too', () => {
  const [only] = planFromFlags('echo', { unixDgram: '/tmp/e.sock' }, []);
  assert.deepEqual(only?.listeners, [{ kind: 'unix-dgram', path: '/tmp/e.sock' }]);
  const [both] = planFromFlags('echo', { unix: '/tmp/e.sock', port: '7' }, []);
  assert.equal(both?.listeners.length, 3);
});

test('TLS turns TCP into TLS and leaves out UDP', () => {
  const [plan] = planFromFlags('echo', { port: '0', tlsCert: 'c.pem', tlsKey: 'k.pem' }, []);
  assert.deepEqual(plan?.listeners, [{ kind: 'tls', host: '127.0.0.1', port: 0 }]);
});

test('service options go to their service and nowhere else', () => {
  const [plan] = planFromFlags('qotd', { message: 'welcome to server!' }, ['message']);
  assert.equal(plan?.options.message, 'welcome to server!');
  assert.throws(
    () => planFromFlags('echo', { message: 'x' }, ['message']),
    /--message: not an option of echo/,
  );
});

test('usage errors name the flag', () => {
  const bad = (name: string | undefined, flags: Record<string, unknown>, pattern: RegExp): void => {
    assert.throws(
      () => planFromFlags(name, flags, []),
      (e: unknown) => e instanceof ServeUsageError && pattern.test(e.message),
    );
  };
  bad('nope', {}, /unknown service "nope"/);
  bad('echo', { port: 'eighty' }, /--port must be an integer/);
  bad('echo', { tlsCert: 'c.pem' }, /--tls-cert and --tls-key go together/);
  bad(undefined, { port: '7' }, /--port needs a service name/);
  bad('echo', { maxConnections: '0' }, /--max-connections must be an integer from 1/);
  bad('echo', { backlog: '0' }, /--backlog must be an integer from 1/);
  bad('echo', { idleTimeout: 'soon' }, /--idle-timeout must be a positive number/);
  bad(undefined, { portOffset: '60000' }, /outside 0…65535/);
});

test('serve --tcp (no name): only TCP listeners, UDP-only services left out', () => {
  const plans = planFromFlags(undefined, { tcp: true }, []);
  assert.ok(plans.length > 0);
  for (const plan of plans) {
    assert.ok(plan.listeners.length > 0, plan.service.name);
    assert.ok(plan.listeners.every((l) => l.kind === 'tcp'));
  }
});

test('--proxy-protocol CIDR (repeatable) and its timeout, TLS listeners included', () => {
  const [plan] = planFromFlags(
    'echo',
    { port: '0', proxyProtocol: ['127.0.0.1', '10.0.0.0/8'], proxyProtocolTimeout: '2.5' },
    [],
  );
  assert.deepEqual(plan?.limits.proxyProtocol, ['127.0.0.1', '10.0.0.0/8']);
  assert.equal(plan?.limits.proxyProtocolTimeout, 2.5);
  assert.throws(
    () => planFromFlags('echo', { proxyProtocolTimeout: '1' }, []),
    /--proxy-protocol-timeout needs --proxy-protocol/,
  );
  const [tls] = planFromFlags(
    'echo',
    { port: '0', tlsCert: 'c.pem', tlsKey: 'k.pem', proxyProtocol: ['127.0.0.1'] },
    [],
  );
  assert.deepEqual(tls?.limits.proxyProtocol, ['127.0.0.1']);
});
