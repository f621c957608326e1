import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isReverseCapture, linksOut, linkValue, readLink, registerGateway, registerReverseCapture } from './link.js';

test('a link is taken only as this process wrote it', () => {
  const v = linkValue('trace-1');
  assert.equal(readLink(v), 'trace-1');
  assert.equal(readLink([v, 'x']), 'trace-1');
  for (const forged of [undefined, '', 'trace-1', 'trace-1 0123456789abcdef0123456789abcdef', ` ${v.split(' ')[1]}`]) assert.equal(readLink(forged), undefined, String(forged));
});

test('the reverse capture is known by its port, on loopback whichever name it is reached by', () => {
  const undo = [registerReverseCapture('http://127.0.0.1:47911'), registerReverseCapture('http://0.0.0.0:47912'), registerReverseCapture('http://192.0.2.7:47913'), registerGateway('http://127.0.0.1:47914')];
  try {
    assert.ok(isReverseCapture('127.0.0.1', 47911));
    assert.ok(isReverseCapture('localhost', 47911));
    assert.ok(isReverseCapture('[::1]', 47912));
    assert.ok(isReverseCapture('192.0.2.7', 47913));
    assert.ok(!isReverseCapture('127.0.0.1', 47913), 'listening on another address');
    assert.ok(!isReverseCapture('example.com', 47911));
    assert.ok(!isReverseCapture('127.0.0.1', 47915));
    assert.ok(linksOut('forward', { hostname: '127.0.0.1', port: 47911 }), 'a mapped request to the main entry');
    assert.ok(!linksOut('reverse', { hostname: '127.0.0.1', port: 47911 }), 'the reverse capture does not send to itself');
    assert.ok(linksOut('reverse', { hostname: '127.0.0.1', port: 47914 }) && linksOut('forward', { hostname: '127.0.0.1', port: 47914 }), 'a gateway, from either');
  } finally {
    for (const u of undo) u();
  }
  assert.ok(!isReverseCapture('127.0.0.1', 47911));
});
