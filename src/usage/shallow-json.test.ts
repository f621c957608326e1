// The shallow reader against JSON.parse: the same top level for any object, what a cut body still gives, and
// where a malformed one goes wrong.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsedTopLevel, readTopLevel, type TopLevel } from './shallow-json.js';

const read = (text: string) => readTopLevel(Buffer.from(text, 'utf8'));

/** What the reader must say of each field, derived from JSON.parse. */
function expected(o: Record<string, unknown>, names: string[]) {
  const t = parsedTopLevel(o);
  return names.map((n) => [n, t.scalar(n), t.arrayLength(n), t.object(n) !== null]);
}
const said = (t: TopLevel, names: string[]) => names.map((n) => [n, t.scalar(n), t.arrayLength(n), t.object(n) !== null]);

test('a request as Claude Code sends it: model, stream flag and message count, the rest skipped', () => {
  const body = {
    model: 'claude-opus-4-8',
    max_tokens: 32000,
    system: [{ type: 'text', text: 'You are "Claude" {[,]}\\', cache_control: { type: 'ephemeral', ttl: '1h' } }],
    messages: [
      { role: 'user', content: [{ type: 'text', text: 'héllo, wörld ] } \\"' }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'echo "[1,2]"' } }] },
      { role: 'system', content: 'reminder' },
    ],
    tools: [],
    stream: true,
    temperature: -1.5e-3,
    metadata: { user_id: 'u' },
    stop: null,
  };
  const r = read(JSON.stringify(body, null, 2));
  assert.ok(r.ok);
  assert.equal(r.cut, false);
  assert.equal(r.object.string('model'), 'claude-opus-4-8');
  assert.equal(r.object.scalar('stream'), true);
  assert.equal(r.object.arrayLength('messages'), 3);
  assert.equal(r.object.arrayLength('tools'), 0);
  assert.equal(r.object.arrayLength('system'), 1);
  assert.equal(r.object.scalar('temperature'), -1.5e-3);
  assert.equal(r.object.scalar('stop'), null);
  assert.equal(r.object.object('metadata')?.string('user_id'), 'u');
  assert.equal(r.object.string('messages'), null, 'an array is not a string');
  assert.equal(r.object.arrayLength('model'), null);
});

test('any object reads as JSON.parse reads its top level', () => {
  let seed = 7;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
  const strings = ['', 'a', '"', '\\', '\\"', ']', '}', ',', 'é', '😀', '\n', 'x'.repeat(50)];
  const value = (depth: number): unknown => {
    switch (rand(depth > 2 ? 5 : 7)) {
      case 0: return strings[rand(strings.length)];
      case 1: return rand(1000) - 500;
      case 2: return rand(2) === 0;
      case 3: return null;
      case 4: return rand(100) / 7;
      case 5: return Array.from({ length: rand(4) }, () => value(depth + 1));
      default: return Object.fromEntries(Array.from({ length: rand(4) }, (_, i) => [`${strings[rand(strings.length)]}${i}`, value(depth + 1)]));
    }
  };
  for (let i = 0; i < 500; i++) {
    const o = Object.fromEntries(Array.from({ length: rand(6) }, (_, k) => [`${strings[rand(strings.length)]}${k}`, value(0)]));
    const text = JSON.stringify(o, null, rand(2) === 0 ? undefined : 1);
    const r = read(text);
    assert.ok(r.ok, text);
    assert.equal(r.cut, false);
    assert.deepEqual(said(r.object, Object.keys(o)), expected(o, Object.keys(o)), text);
  }
});

test('a body cut short gives the fields that ended before the cut', () => {
  const text = JSON.stringify({ model: 'gpt-5', stream: true, messages: [{ role: 'user', content: 'a long conversation' }] });
  for (const at of [text.indexOf('messages') + 15, text.length - 1]) {
    const r = read(text.slice(0, at));
    assert.ok(r.ok);
    assert.equal(r.cut, true);
    assert.equal(r.object.string('model'), 'gpt-5');
    assert.equal(r.object.scalar('stream'), true);
    assert.equal(r.object.arrayLength('messages'), at === text.length - 1 ? 1 : null, 'an array that did not end has no length');
  }
  const inName = read('{"model": "gpt-5", "str');
  assert.ok(inName.ok && inName.cut && inName.object.string('model') === 'gpt-5');
});

test('what is not a JSON object says where it went wrong', () => {
  const cases: [string, RegExp][] = [
    ['', /no JSON value at byte 0/],
    ['[1, 2]', /not a JSON object at byte 0/],
    ['{"a" 1}', /expected a colon at byte 5/],
    ['{"a": tru}', /the value of "a" is not JSON at byte 6/],
    ['{"a": 1 "b": 2}', /expected a comma or a closing brace at byte 8/],
    ['{a: 1}', /expected a field name at byte 1/],
  ];
  for (const [text, reason] of cases) {
    const r = read(text);
    assert.equal(r.ok, false, text);
    if (!r.ok) assert.match(r.reason, reason, text);
  }
});

test('a range of a larger buffer is read on its own', () => {
  const b = Buffer.from('xx{"n": 1}yy');
  const r = readTopLevel(b, 2, 10);
  assert.ok(r.ok && r.object.scalar('n') === 1 && !r.cut);
});

test('names are matched as JSON.parse reads them: escapes, characters beyond ASCII, the later of two', () => {
  const r = read('{"mo\\u0064el": "a", "n\\u00e4me": 1, "näme2": 2, "x": 1, "x": [1, 2], "model2": "b"}');
  assert.ok(r.ok);
  assert.equal(r.object.string('model'), 'a');
  assert.equal(r.object.scalar('näme'), 1);
  assert.equal(r.object.scalar('näme2'), 2);
  assert.equal(r.object.scalar('x'), undefined, 'the later x is an array');
  assert.equal(r.object.arrayLength('x'), 2);
  assert.equal(r.object.string('model2'), 'b');
  assert.equal(r.object.string('mode'), null);
});

test('values are decoded when asked for: escapes and numbers as JSON.parse has them; a string that does not decode reads as absent', () => {
  const r = read('{"a": "tab\\there \\"q\\" \\u00e9", "n": -0.5e+2, "z": 0, "t": true, "f": false, "bad": "\\x", "ok": "héllo"}');
  assert.ok(r.ok);
  assert.equal(r.object.string('a'), 'tab\there "q" é');
  assert.equal(r.object.scalar('n'), -50);
  assert.equal(r.object.scalar('z'), 0);
  assert.equal(r.object.scalar('t'), true);
  assert.equal(r.object.scalar('f'), false);
  assert.equal(r.object.scalar('bad'), undefined);
  assert.equal(r.object.string('ok'), 'héllo');
  for (const word of ['01', '-', '1.', '1e', '.5', '+1', 'nul', 'True']) {
    const w = read(`{"v": ${word}}`);
    assert.equal(w.ok, false, word);
  }
});
