import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { readCookie, RequestGuard } from '../../../../../src/cli/serve/http/request-guard.js';

const req = (headers: Record<string, string>): IncomingMessage =>
  ({
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
  }) as IncomingMessage;

test('Host names: loopback, the bound host and allowed names pass; others get 421', () => {
  const guard = new RequestGuard('192.0.2.7', ['dash.example'], null, 'http');
  for (const host of [
    'localhost:7080',
    '127.0.0.1:7080',
    '[::1]:7080',
    '192.0.2.7',
    'DASH.example:1',
  ])
    assert.equal(guard.checkHost(req({ host })), null, host);
  for (const host of [
    'evil.example',
    'localhost.evil.example',
    '127.0.0.1.nip.io',
    '',
    'a b',
    '[::1',
  ])
    assert.equal(guard.checkHost(req({ host }))?.status, 421, host);
  assert.equal(guard.checkHost(req({}))?.status, 421, 'no Host at all');
  // A wildcard bind has no name of its own.
  assert.equal(
    new RequestGuard('0.0.0.0', [], null, 'http').checkHost(req({ host: '0.0.0.0' }))?.status,
    421,
  );
});

test('Origin must be the same origin; required for upgrades', () => {
  const guard = new RequestGuard('127.0.0.1', [], null, 'http');
  const host = '127.0.0.1:7080';
  assert.equal(guard.checkHost(req({ host, origin: 'http://127.0.0.1:7080' })), null);
  assert.equal(guard.checkHost(req({ host, origin: 'http://127.0.0.1:7081' }))?.status, 403);
  assert.equal(guard.checkHost(req({ host, origin: 'https://127.0.0.1:7080' }))?.status, 403);
  assert.equal(guard.checkHost(req({ host, origin: 'null' }))?.status, 403);
  assert.equal(guard.checkHost(req({ host }), true)?.status, 403);
});

test('the token: Bearer or cookie, compared exactly', () => {
  const guard = new RequestGuard('127.0.0.1', [], 'secret-token-0123456789', 'http');
  assert.equal(guard.checkToken(req({}))?.status, 401);
  assert.equal(guard.checkToken(req({ authorization: 'Bearer secret-token-0123456789' })), null);
  assert.equal(
    guard.checkToken(req({ authorization: 'Bearer secret-token-012345678' }))?.status,
    401,
  );
  assert.equal(guard.checkToken(req({ authorization: 'Basic c2VjcmV0' }))?.status, 401);
  assert.equal(
    guard.checkToken(req({ cookie: 'a=b; socketkit_token=secret-token-0123456789' })),
    null,
  );
  assert.equal(readCookie('x=%zz', 'x'), undefined, 'a malformed cookie is no token');
  assert.equal(new RequestGuard('127.0.0.1', [], null, 'http').checkToken(req({})), null);
});
