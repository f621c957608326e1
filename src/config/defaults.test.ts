// The written-out defaults must stay what the schema gives, or commands without a ccproxy.yaml would differ.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultConfig } from './defaults.js';
import { configSchema } from './schema.js';

test('the written-out defaults are what the schema gives for an empty file', () => {
  assert.deepStrictEqual(defaultConfig(), configSchema.parse({}));
});

test('each call gives a copy of its own', () => {
  const a = defaultConfig();
  a.ccproxy.mitm.llm_hosts.push('example.com');
  a.ccproxy.mitm.port = 1;
  assert.deepStrictEqual(defaultConfig(), configSchema.parse({}));
});
