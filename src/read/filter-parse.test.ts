import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileFilter, FilterError } from './filter.js';
import { FilterSyntaxError, parseFilter, type FilterNode } from './filter-parse.js';

/** The tree in a short prefix notation, to compare shapes. */
function show(n: FilterNode): string {
  switch (n.kind) {
    case 'and':
    case 'or':
      return `${n.kind}(${n.items.map(show).join(',')})`;
    case 'not':
      return `not(${show(n.item)})`;
    case 'flag':
      return `~${n.code}`;
    case 'regex':
      return `~${n.code}:${n.pattern}`;
    case 'word':
      return `~${n.code}=${n.value}`;
    case 'number':
      return `~${n.code}${n.op}${n.value}`;
  }
}
const p = (s: string) => show(parseFilter(s));

test('a bare word or quoted string is a URL regex, as in mitmproxy', () => {
  assert.equal(p('anthropic'), '~u:anthropic');
  assert.equal(p('"v1/messages ?"'), '~u:v1/messages ?');
  assert.equal(p("'it\\'s'"), "~u:it's");
});

test('operators take their arguments: regexes, words, numbers with comparisons', () => {
  assert.equal(p('~d api.anthropic.com'), '~d:api.anthropic.com');
  assert.equal(p('~c 200'), '~c=200');
  assert.equal(p('~cost >0.1'), '~cost>0.1');
  assert.equal(p('~tokens>=10000'), '~tokens>=10000');
  assert.equal(p('~ms < 5000'), '~ms<5000');
  assert.equal(p('~dir FORWARD'), '~dir=forward');
  assert.equal(p('~type llm'), '~type=llm');
  assert.equal(p('~session abc-123'), '~session=abc-123');
  assert.equal(p('~e'), '~e');
  assert.equal(p('~hq "content-type: .*json"'), '~hq:content-type: .*json');
});

test('precedence: ! binds tightest, then &, then |; juxtaposition at the top is a looser &', () => {
  assert.equal(p('~e | ~s & ~m GET'), 'or(~e,and(~s,~m:GET))');
  assert.equal(p('!~e & ~s'), 'and(not(~e),~s)');
  assert.equal(p('!!~e'), 'not(not(~e))');
  assert.equal(p('(~e | ~s) & ~m GET'), 'and(or(~e,~s),~m:GET)');
  assert.equal(p('~e | ~s ~m GET'), 'and(or(~e,~s),~m:GET)');
  assert.equal(p('~d a ~d b ~d c'), 'and(~d:a,~d:b,~d:c)');
  assert.equal(p('!(~c 200)'), 'not(~c=200)');
});

test('a word runs to white space, a parenthesis, a tilde or a quote (so `a|b` is one regex)', () => {
  assert.equal(p('a|b'), '~u:a|b');
  assert.equal(p('~d a | ~d b'), 'or(~d:a,~d:b)');
  assert.equal(p('(~d x)'), '~d:x');
});

function errorOf(s: string): FilterSyntaxError {
  try {
    parseFilter(s);
  } catch (e) {
    if (e instanceof FilterSyntaxError) return e;
    throw e;
  }
  assert.fail(`parsed: ${s}`);
}

test('errors point at the offending character with a column and a caret', () => {
  const e = errorOf('~d api & ~x 1');
  assert.equal(e.at, 9);
  assert.equal(e.message, 'invalid filter at column 10: unknown operator "~x" (known: ~e ~q ~s ~all ~http ~websocket ~u ~d ~m ~h ~hq ~hs ~b ~bq ~bs ~t ~tq ~ts ~src ~dst ~model ~tool ~session ~dir ~type ~c ~cost ~tokens ~ms)\n  ~d api & ~x 1\n           ^');
  assert.equal(errorOf('').message.split('\n')[0], 'invalid filter at column 1: empty filter expression');
  assert.equal(errorOf('~d').at, 2);
  assert.equal(errorOf('(~e').at, 3);
  assert.equal(errorOf('~e)').at, 2);
  assert.equal(errorOf('~e &').at, 4);
  assert.equal(errorOf('& ~e').at, 0);
  assert.equal(errorOf('~c abc').at, 3);
  assert.equal(errorOf('~c >200').at, 3);
  assert.match(errorOf('~c 99999999999').message, /at column 4: a status code has at most three digits; found 99999999999/);
  assert.equal(errorOf('~cost >x').at, 7);
  assert.equal(errorOf('~dir up').at, 5);
  assert.equal(errorOf('~type robot').at, 6);
  assert.equal(errorOf('~u "open').at, 3);
  assert.equal(errorOf('~ms 5s').at, 5);
});

test('compileFilter: parameters only, never the values in the SQL; a bad regex is reported at its column', () => {
  const f = compileFilter(`~d "x'; DROP TABLE t; --" & ~cost >0.5`);
  assert.ok(!f.where.includes('DROP'));
  assert.deepEqual(f.values, ["x'; DROP TABLE t; --", "x'; DROP TABLE t; --", 0.5]);
  assert.ok(f.usesUsage);
  assert.equal(compileFilter('~d x').usesUsage, false);
  assert.match(compileFilter('~c 200', { alias: 'tr', paramOffset: 3 }).where, /^tr\.status_code = \$4$/);
  assert.throws(() => compileFilter('~u [a'), (e: unknown) => e instanceof FilterError && e.exitCode === 2 && /column 4: bad regular expression/.test(e.message));
});

test('quoted strings take backslash escapes as mitmproxy does: \\r is a carriage return, \\d is d, \\\\d is \\d', () => {
  assert.equal(p('"a\\rb"'), '~u:a\rb');
  assert.equal(p('"\\d\\"x"'), '~u:d"x');
  assert.equal(p('"\\\\d+"'), '~u:\\d+');
  assert.equal(p('\\d+'), '~u:\\d+');
});
