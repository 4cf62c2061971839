import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  HttpRefusal,
  parseAuthority,
  parseRequestHead,
} from '../../../../src/services/http-proxy/request-head.js';

const status = (head: string, max = 100): number => {
  try {
    parseRequestHead(head, max);
    return 0;
  } catch (err) {
    assert.ok(err instanceof HttpRefusal);
    return err.status;
  }
};

test('request head: a well-formed request parses, names lower-cased, values trimmed', () => {
  const head = parseRequestHead(
    'GET http://example.com/x HTTP/1.1\r\nHost: example.com\r\nX-A:  b \r\nContent-Length: 3',
    100,
  );
  assert.equal(head.method, 'GET');
  assert.equal(head.target, 'http://example.com/x');
  assert.equal(head.version, '1.1');
  assert.deepEqual(head.headers, [
    ['host', 'example.com'],
    ['x-a', 'b'],
    ['content-length', '3'],
  ]);
  assert.deepEqual(head.body, { kind: 'length', length: 3 });
  assert.deepEqual(
    parseRequestHead('POST http://a/ HTTP/1.1\r\nTransfer-Encoding: chunked', 9).body,
    {
      kind: 'chunked',
    },
  );
});

test('request head: smuggling and malformed input are refused with 400', () => {
  const cases = [
    'GET http://a/ HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked',
    'GET http://a/ HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3',
    'GET http://a/ HTTP/1.1\r\nContent-Length: +3',
    'GET http://a/ HTTP/1.1\r\nContent-Length: 3, 3',
    'GET http://a/ HTTP/1.1\r\nTransfer-Encoding: gzip, chunked',
    'GET http://a/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked',
    'GET http://a/ HTTP/1.1\r\nX-A: b\r\n continued',
    'GET http://a/ HTTP/1.1\r\nX-A : b',
    'GET http://a/ HTTP/1.1\r\nX-A: b\nX-B: c',
    'GET http://a/ HTTP/1.1\r\nX-A: b\rc',
    'GET http://a/ HTTP/1.1\r\nX-A: \u0000',
    'GET http://a/ HTTP/1.1\r\nno colon here',
    'GET  http://a/ HTTP/1.1',
    'GET http://a/ HTTP/2.0',
    'GET http://a/',
    '\u001b[31mGET http://a/ HTTP/1.1',
    '',
  ];
  for (const head of cases) assert.equal(status(head), 400, JSON.stringify(head));
});

test('request head: more header fields than the limit is 431', () => {
  const head = ['GET http://a/ HTTP/1.1', ...Array.from({ length: 11 }, (_, i) => `X-${i}: v`)];
  assert.equal(status(head.join('\r\n'), 10), 431);
  assert.equal(status(head.slice(0, 11).join('\r\n'), 10), 0);
});

test('parseAuthority: host:port and [v6]:port, nothing else', () => {
  assert.deepEqual(parseAuthority('example.com:443'), { host: 'example.com', port: 443 });
  assert.deepEqual(parseAuthority('[::1]:8080'), { host: '::1', port: 8080 });
  for (const bad of [
    'example.com',
    'example.com:0',
    'example.com:65536',
    'a b:1',
    '::1:80',
    'x:1:2',
  ]) {
    assert.throws(() => parseAuthority(bad), HttpRefusal, bad);
  }
});
