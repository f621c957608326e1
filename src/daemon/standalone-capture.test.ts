import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configFor, tempConfigDir } from '../../test/helpers/pg.js';
import { standaloneSettings } from './standalone-capture.js';

test('flags override ccproxy.mitm in a copy: the loaded configuration stays as it was read', () => {
  const cfg = tempConfigDir();
  try {
    const loaded = configFor(cfg.dir, undefined, { CCPROXY_MITM_PORT: '9001' });
    const before = JSON.stringify(loaded);
    const s = standaloneSettings(loaded, { port: '0', mode: 'forward', host: '::1' });
    assert.equal(s.point, 'forward');
    assert.equal(s.upstream, null);
    assert.equal(s.mitm.port, 0);
    assert.equal(s.mitm.listen_host, '::1');
    assert.equal(s.portSource, '--port');
    assert.equal(JSON.stringify(loaded), before);
    const env = standaloneSettings(loaded, { upstream: 'https://api.example/base' });
    assert.equal(env.point, 'reverse');
    assert.equal(env.upstream?.href, 'https://api.example/base');
    assert.equal(env.mitm.port, 9001);
    assert.equal(env.portSource, 'CCPROXY_MITM_PORT');
  } finally {
    cfg.remove();
  }
});

test('bad flags are usage errors naming the flag or the setting', () => {
  const cfg = tempConfigDir();
  try {
    const loaded = configFor(cfg.dir, undefined, { CCPROXY_MITM_UPSTREAM: 'ftp://x' });
    const usage = (r: object, re: RegExp) => assert.throws(() => standaloneSettings(loaded, r), (e: Error & { exitCode?: number }) => re.test(e.message) && e.exitCode === 2);
    usage({ port: '70000' }, /^--port 70000: expected a port number from 0 to 65535$/);
    usage({ mode: 'sideways' }, /^--mode sideways: expected reverse or forward$/);
    usage({}, /^invalid upstream "ftp:\/\/x" \(from CCPROXY_MITM_UPSTREAM\): expected an http:\/\/ or https:\/\/ URL$/);
    usage({ upstream: 'nope' }, /\(from --upstream\)/);
    assert.equal(standaloneSettings(loaded, { mode: 'forward' }).upstream, null, 'the forward point has no upstream to check');
  } finally {
    cfg.remove();
  }
});
