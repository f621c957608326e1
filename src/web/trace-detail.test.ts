import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BODY_VIEW_BYTES, bodyView } from './trace-detail.js';

test('a body: JSON as text and marked JSON; binary as base64; nothing stored as none', () => {
  const json = bodyView('t1', 'request', Buffer.from('{"a":1}'), 7, false, 'application/json');
  assert.deepEqual([json.encoding, json.text, json.json, json.cut, json.href], ['utf8', '{"a":1}', true, false, '/api/traces/t1/body/request']);
  const bin = bodyView('t/2', 'response', Buffer.from([0, 1, 2, 255]), 4, false, 'application/octet-stream');
  assert.deepEqual([bin.encoding, bin.text, bin.json, bin.href], ['base64', 'AAEC/w==', false, '/api/traces/t%2F2/body/response']);
  const none = bodyView('t3', 'response', null, 120, false, null);
  assert.deepEqual([none.encoding, none.text, none.size, none.stored_bytes], ['none', null, 120, 0]);
});

test('a long body is cut for the page, whole behind its link; a character cut at the edge is not garbage', () => {
  const text = 'é'.repeat(BODY_VIEW_BYTES); // two bytes each: twice the limit
  const v = bodyView('t4', 'response', Buffer.from(text), 2 * BODY_VIEW_BYTES, true, 'text/plain');
  assert.equal(v.cut, true);
  assert.equal(v.truncated, true);
  assert.equal(v.encoding, 'utf8');
  assert.equal(v.text!.length, BODY_VIEW_BYTES / 2);
  assert.equal(v.stored_bytes, 2 * BODY_VIEW_BYTES);
  // 4096 bytes of text whose last character is split by the sample: still text.
  const odd = Buffer.concat([Buffer.from('a'), Buffer.from('é'.repeat(3000))]);
  assert.equal(bodyView('t5', 'request', odd, odd.length, false, null).encoding, 'utf8');
});
