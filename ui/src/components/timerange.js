// The time-range picker, applied as Log Analytics applies it: the query API's `timespan`
// (which filters TimeGenerated) unless the query filters on time itself, when the picker reads
// "Set in query" and no timespan is sent.
import { h } from '../dom.js';

export const PRESETS = [
  { value: 'PT24H', label: 'Last 24 hours' },
  { value: 'P7D', label: 'Last 7 days' },
  { value: 'P30D', label: 'Last 30 days' },
  { value: 'custom', label: 'Custom range' },
];

// a filter on TimeGenerated, or a time function, before any `render`
const TIME_FILTER = /\b(where|filter)\b[^|]*\b(TimeGenerated\b|ago\s*\(|between\s*\()/i;

/** The query without its comments and with its string literals emptied (KQL's quoted,
 * verbatim and multi-line strings), so that only code is matched. */
function codeOf(text) {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i += 1;
    } else if (text.startsWith('```', i)) {
      const end = text.indexOf('```', i + 3);
      i = end < 0 ? text.length : end + 3;
      out += '""';
    } else if (c === '"' || c === "'") {
      const verbatim = text[i - 1] === '@'; // @"C:\dir": backslashes are plain characters
      i += 1;
      while (i < text.length && text[i] !== c && text[i] !== '\n') {
        if (!verbatim && text[i] === '\\') i += 1;
        i += 1;
      }
      i += 1;
      out += '""';
    } else {
      out += c;
      i += 1;
    }
  }
  return out;
}

/** Whether the query sets its own time range. */
export function setInQuery(text) {
  return TIME_FILTER.test(codeOf(text));
}

function localValue(date) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** The picker; `get(queryText)` returns the timespan to send (or null), `set(ts)` restores one. */
export function timeRangePicker(initial = 'PT24H') {
  const select = h(
    'select',
    { id: 'timerange', 'aria-label': 'Time range' },
    PRESETS.map((p) => h('option', { value: p.value }, p.label)),
  );
  const now = new Date();
  const from = h('input', { type: 'datetime-local', id: 'range-from', value: localValue(new Date(now - 86400000)) });
  const to = h('input', { type: 'datetime-local', id: 'range-to', value: localValue(now) });
  const custom = h(
    'span',
    { class: 'custom-range', hidden: true },
    h('label', { for: 'range-from' }, 'From'),
    from,
    h('label', { for: 'range-to' }, 'To'),
    to,
  );
  const note = h('span', { class: 'set-in-query', id: 'set-in-query', hidden: true }, 'Set in query');
  select.addEventListener('change', () => {
    custom.hidden = select.value !== 'custom';
  });
  const root = h('span', { class: 'timerange' }, h('label', { for: 'timerange' }, 'Time range'), select, note, custom);

  function timespan() {
    if (select.value !== 'custom') return select.value;
    const a = new Date(from.value);
    const b = new Date(to.value);
    if (Number.isNaN(a.getTime()) || Number.isNaN(b.getTime()) || a >= b) {
      throw new Error('The custom range needs a start before its end');
    }
    return `${a.toISOString()}/${b.toISOString()}`;
  }

  return {
    root,
    /** Marks the picker for `text`: "Set in query" disables it. */
    update(text) {
      const own = setInQuery(text);
      note.hidden = !own;
      select.disabled = own;
      custom.hidden = own || select.value !== 'custom';
    },
    get(text) {
      return setInQuery(text) ? null : timespan();
    },
    set(ts) {
      if (!ts) return;
      if (PRESETS.some((p) => p.value === ts)) {
        select.value = ts;
        custom.hidden = true;
        return;
      }
      const [a, b] = ts.split('/');
      select.value = 'custom';
      from.value = localValue(new Date(a));
      to.value = localValue(new Date(b));
      custom.hidden = false;
    },
    value: () => select.value,
  };
}
