// LiteLLM's general_settings.master_key as config.yaml gives it: a literal, an environment variable, or none.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMasterKey } from './settings.js';

test('general_settings.master_key: literal, os.environ/NAME, absent; an unset variable or an empty key is an error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ccproxy-key-'));
  const write = (yaml: string) => writeFileSync(join(dir, 'config.yaml'), `model_list: []\n${yaml}`);
  try {
    assert.equal(loadMasterKey(dir, {}), null, 'no config.yaml');
    write('');
    assert.equal(loadMasterKey(dir, {}), null);
    write('general_settings:\n  master_key: sk-1234\n');
    assert.equal(loadMasterKey(dir, {}), 'sk-1234');
    write('general_settings:\n  master_key: os.environ/MY_KEY\n');
    assert.equal(loadMasterKey(dir, { MY_KEY: 'sk-env' }), 'sk-env');
    assert.throws(() => loadMasterKey(dir, {}), /config\.yaml:3: general_settings\.master_key: environment variable MY_KEY is not set/);
    write('general_settings:\n  master_key: ""\n');
    assert.throws(() => loadMasterKey(dir, {}), /an empty master key would let anyone in/);
  } finally {
    rmSync(dir, { recursive: true });
  }
});
