import assert from 'node:assert/strict';
import { test } from 'node:test';
import { unknownSettings } from './unknown-settings.js';

test('keys of ccproxy.yaml that ccproxy does not read are named with their line and the nearest setting', () => {
  const text = ['ccproxy:', '  prot: 4000', '  mtim:', '    port: 8081', '  handler: "ccproxy.handler:CCProxyHandler"', '  debug: true', 'litellm:', '  port: 4000', 'ccproxyy:', '  port: 1', ''].join('\n');
  assert.deepEqual(unknownSettings({ file: '/c/ccproxy.yaml', text }), [
    '/c/ccproxy.yaml:9: ccproxyy: not a section ccproxy reads (did you mean ccproxy?); it is ignored',
    '/c/ccproxy.yaml:2: ccproxy.prot: not a setting ccproxy reads (did you mean ccproxy.port?); it is ignored',
    '/c/ccproxy.yaml:3: ccproxy.mtim: not a setting ccproxy reads (did you mean ccproxy.mitm?); it is ignored',
  ]);
  assert.deepEqual(unknownSettings({ file: 'f', text: 'ccproxy:\n  mitm:\n    port: 1\n  prices: {}\n  somethingelse: 1\n' }), ['f:5: ccproxy.somethingelse: not a setting ccproxy reads; it is ignored']);
  assert.deepEqual(unknownSettings({ file: 'f', text: '' }), []);
});
