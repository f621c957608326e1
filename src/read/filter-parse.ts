// The filter language's grammar: mitmproxy's flow filter expressions (`~d api.anthropic.com & !~c 200`) read
// into a tree, with ccproxy's own operators beside mitmproxy's. Grammar as mitmproxy's flowfilter.py has it:
// `!` binds tightest, then `&`, then `|`; expressions written one after another at the top level are joined by
// an implicit `&` (looser than `|`); a bare word or quoted string is a URL regex (`~u`). Arguments are words
// (anything up to whitespace, `(`, `)`, `~` or a quote) or quoted strings with backslash escapes. compile in
// filter.ts turns the tree into SQL; an error points at the character where reading failed.

/** Operators that take no argument. */
const UNARY = new Set(['e', 'q', 's', 'all', 'http', 'websocket']);
/** Operators whose argument is a regular expression (mitmproxy's, and ccproxy's `model` and `tool`). */
const REGEX = new Set(['u', 'd', 'm', 'h', 'hq', 'hs', 'b', 'bq', 'bs', 't', 'tq', 'ts', 'src', 'dst', 'model', 'tool']);
/** Operators whose argument is one word matched exactly. */
const WORD: Record<string, readonly string[] | null> = { session: null, dir: ['forward', 'reverse'], type: ['llm', 'mcp', 'web', 'other'] };
/** Operators whose argument is a number with an optional comparison (`>0.1`, `<= 500`, `200`). */
const NUMBER = new Set(['c', 'cost', 'tokens', 'ms']);

export type Comparison = '=' | '>' | '>=' | '<' | '<=';

export type FilterNode =
  | { kind: 'and'; items: FilterNode[] }
  | { kind: 'or'; items: FilterNode[] }
  | { kind: 'not'; item: FilterNode }
  | { kind: 'flag'; code: string }
  | { kind: 'regex'; code: string; pattern: string; at: number }
  | { kind: 'word'; code: string; value: string }
  | { kind: 'number'; code: string; op: Comparison; value: number };

/** An expression that does not parse: the message names what was expected; `at` is the 0-based offending index. */
export class FilterSyntaxError extends Error {
  constructor(
    readonly reason: string,
    readonly text: string,
    readonly at: number,
  ) {
    super(`invalid filter at column ${at + 1}: ${reason}\n  ${text}\n  ${' '.repeat(at)}^`);
    this.name = 'FilterSyntaxError';
  }
}

/** Every operator code the language knows, for messages and the README. */
export const OPERATORS = [...UNARY, ...REGEX, ...Object.keys(WORD), ...NUMBER];

const ESCAPES: Record<string, string> = { t: '\t', n: '\n', r: '\r', f: '\f' };
const WORD_END = /[\s()~'"]/;

class Parser {
  i = 0;
  constructor(readonly s: string) {}

  fail(reason: string, at = this.i): never {
    throw new FilterSyntaxError(reason, this.s, at);
  }
  skip(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i]!)) this.i++;
  }
  peek(): string | undefined {
    this.skip();
    return this.s[this.i];
  }

  /** The whole text: or-expressions one after another, joined by `&`. */
  top(): FilterNode {
    const items: FilterNode[] = [];
    while (this.peek() !== undefined) {
      if (this.peek() === ')') this.fail('")" without a matching "("');
      items.push(this.or());
    }
    if (items.length === 0) this.fail('empty filter expression');
    return items.length === 1 ? items[0]! : { kind: 'and', items };
  }

  or(): FilterNode {
    const items = [this.and()];
    while (this.peek() === '|') {
      this.i++;
      items.push(this.and());
    }
    return items.length === 1 ? items[0]! : { kind: 'or', items };
  }

  and(): FilterNode {
    const items = [this.not()];
    while (this.peek() === '&') {
      this.i++;
      items.push(this.not());
    }
    return items.length === 1 ? items[0]! : { kind: 'and', items };
  }

  not(): FilterNode {
    if (this.peek() === '!') {
      this.i++;
      return { kind: 'not', item: this.not() };
    }
    return this.atom();
  }

  atom(): FilterNode {
    const c = this.peek();
    if (c === undefined) this.fail('expected an expression, found the end');
    if (c === '(') {
      const open = this.i++;
      const inner = this.or();
      if (this.peek() !== ')') this.fail(this.peek() === undefined ? `"(" at column ${open + 1} is not closed` : 'expected "&", "|" or ")"');
      this.i++;
      return inner;
    }
    if (c === ')' || c === '&' || c === '|') this.fail(`expected an expression, found "${c}"`);
    if (c === '~') return this.operator();
    const at = this.i;
    return { kind: 'regex', code: 'u', pattern: this.argument('a URL regular expression'), at };
  }

  operator(): FilterNode {
    const start = this.i;
    const m = /^~([a-z]+)/.exec(this.s.slice(this.i));
    if (!m) this.fail('expected an operator name after "~"', this.i + 1);
    const code = m[1]!;
    this.i += m[0].length;
    if (this.i < this.s.length && !WORD_END.test(this.s[this.i]!) && !(NUMBER.has(code) ? /[!&|<>=]/ : /[!&|]/).test(this.s[this.i]!)) this.fail(`unknown operator "~${code}${this.s[this.i]}…"`, start);
    if (UNARY.has(code)) return { kind: 'flag', code };
    if (REGEX.has(code)) {
      this.skip();
      const at = this.i;
      return { kind: 'regex', code, pattern: this.argument(`a regular expression after ~${code}`), at };
    }
    if (Object.hasOwn(WORD, code)) {
      this.skip();
      const at = this.i;
      const value = this.argument(`a value after ~${code}`);
      const allowed = WORD[code];
      if (allowed && !allowed.includes(value.toLowerCase())) this.fail(`~${code} takes ${allowed.join(', ')}; found "${value}"`, at);
      return { kind: 'word', code, value: allowed ? value.toLowerCase() : value };
    }
    if (NUMBER.has(code)) return this.number(code);
    return this.fail(`unknown operator "~${code}" (known: ${OPERATORS.map((o) => `~${o}`).join(' ')})`, start);
  }

  number(code: string): FilterNode {
    this.skip();
    let op: Comparison = '=';
    const cmp = /^(>=|<=|>|<|=)/.exec(this.s.slice(this.i));
    if (cmp) {
      if (code === 'c') this.fail('~c takes a status code (digits), not a comparison');
      op = cmp[1] as Comparison;
      this.i += cmp[1]!.length;
      this.skip();
    }
    const at = this.i;
    const pattern = code === 'c' ? /^\d+/ : /^(\d+(\.\d*)?|\.\d+)/;
    const m = pattern.exec(this.s.slice(this.i));
    if (!m) this.fail(code === 'c' ? 'expected a status code (digits) after ~c' : `expected a number after ~${code}${cmp ? ` ${op}` : ''}`);
    if (code === 'c' && m[0].length > 3) this.fail(`a status code has at most three digits; found ${m[0]}`, at);
    this.i += m[0].length;
    if (this.i < this.s.length && !WORD_END.test(this.s[this.i]!) && !/[&|!]/.test(this.s[this.i]!)) this.fail(`unexpected "${this.s[this.i]}" after the number`);
    return { kind: 'number', code, op, value: Number(m[0]) };
  }

  /** A word or a quoted string. */
  argument(what: string): string {
    const c = this.s[this.i];
    if (c === undefined || c === '(' || c === ')' || c === '~') this.fail(`expected ${what}${c === undefined ? ', found the end' : `, found "${c}"`}`);
    if (c === '"' || c === "'") {
      const open = this.i++;
      let out = '';
      while (this.i < this.s.length && this.s[this.i] !== c) {
        if (this.s[this.i] === '\\' && this.i + 1 < this.s.length) {
          // As mitmproxy's QuotedString(esc_char="\\"): \t \n \r \f are those characters, any other escaped
          // character is itself (\" a quote, \\ a backslash): a regex escape in quotes is written \\d.
          const e = this.s[++this.i]!;
          out += ESCAPES[e] ?? e;
          this.i++;
          continue;
        }
        out += this.s[this.i++];
      }
      if (this.i >= this.s.length) this.fail('quoted string is not closed', open);
      this.i++;
      return out;
    }
    const start = this.i;
    while (this.i < this.s.length && !WORD_END.test(this.s[this.i]!)) this.i++;
    return this.s.slice(start, this.i);
  }
}

/** The expression as a tree; throws FilterSyntaxError. */
export function parseFilter(text: string): FilterNode {
  return new Parser(text).top();
}
