// The filter bar: an expression in the language of `ccproxy traces` (mitmproxy's operators and ccproxy's), applied
// on Enter; the server's parse error is shown under it with a caret at the column it names.
import { useEffect, useState } from 'preact/hooks';
import type { ApiFailure } from '../api';

interface Props {
  value: string;
  onApply: (filter: string) => void;
  error: ApiFailure | null;
  placeholder?: string;
}

export function FilterBar({ value, onApply, error, placeholder }: Props) {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  const filterError = error && error.type === 'invalid_filter' ? error : null;
  return (
    <form
      class="filter-bar"
      onSubmit={(e) => {
        e.preventDefault();
        onApply(text.trim());
      }}
    >
      <input
        type="search"
        name="filter"
        aria-label="filter"
        spellcheck={false}
        value={text}
        placeholder={placeholder ?? "filter: ~model opus & ~c 200, ~b 'some text' (bodies), ~session ID, ~cost >0.1 …"}
        onInput={(e) => setText((e.currentTarget as HTMLInputElement).value)}
      />
      <button type="submit">Filter</button>
      {value !== '' && (
        <button type="button" onClick={() => onApply('')}>
          Clear
        </button>
      )}
      {filterError && (
        <div class="filter-error" role="alert">
          <pre>
            {text}
            {'\n'}
            {filterError.position !== null ? `${' '.repeat(filterError.position)}^` : ''}
          </pre>
          {/* The message's first line: the server draws the expression and its caret below it for a terminal, as above. */}
          <span>{filterError.message.split('\n')[0]}</span>
        </div>
      )}
    </form>
  );
}
