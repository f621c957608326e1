import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COMPONENTS, LOG_TAGS, lineFilter } from './components.js';

const line = (tag: string, msg = 'x') => `2025-01-01T00:00:00.000Z info  [${tag}] ${msg}`;

test('every component is a log filter of its own name', () => {
  for (const c of COMPONENTS) {
    assert.ok(LOG_TAGS[c].includes(c));
    assert.ok(lineFilter(c)(line(c)));
  }
});

test('logs filter: by the tag at the start of a line, not by a mention in the message', () => {
  const keep = lineFilter('reverse');
  assert.ok(keep('2025-01-01T00:00:00.000Z debug [reverse] POST http://x/v1/messages → 200 3 ms'));
  assert.ok(!keep(line('daemon', 'listening on x (reverse) [reverse] ')));
  assert.ok(!keep(line('forward')));
  assert.ok(lineFilter('database')(line('writer', 'replaying 3 operations')));
  assert.ok(lineFilter('database')(line('retention')));
  assert.ok(lineFilter(undefined)('anything'));
  assert.throws(() => lineFilter('nope'), /unknown component "nope"; one of gateway, reverse, forward, database, viewer, daemon/);
});

test("a log written before the capture points took their components' names still filters", () => {
  assert.ok(lineFilter('reverse')(line('mitm-reverse')));
  assert.ok(lineFilter('forward')(line('mitm-forward')));
  // An old tag names only its own lines.
  assert.ok(lineFilter('mitm-forward')(line('mitm-forward')));
  assert.ok(!lineFilter('mitm-forward')(line('forward')));
  assert.ok(lineFilter('writer')(line('writer')) && !lineFilter('writer')(line('database')));
});
