import assert from 'node:assert/strict';
import { test } from 'node:test';
import { opener } from './browser.js';

test('a browser is opened only where one can be', () => {
  assert.equal(opener('darwin', {})?.cmd, 'open');
  assert.equal(opener('linux', { DISPLAY: ':0' })?.cmd, 'xdg-open');
  assert.equal(opener('linux', { WAYLAND_DISPLAY: 'wayland-0' })?.cmd, 'xdg-open');
  assert.equal(opener('linux', {}), null, 'no display: nothing to open');
});
