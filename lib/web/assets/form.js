// A form generated from an endpoint's request tree (the registry's Value: {name, type, values}), as
// `nest-micro describe` shows it: nested messages are fieldsets, `[]T` an add/remove list, numbers,
// booleans and strings typed inputs, anything the tree does not describe a JSON text area. Beside it
// a raw JSON editor; both edit the same request value.
import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';

const INTEGERS = new Set([
  'int',
  'int8',
  'int16',
  'int32',
  'int64',
  'uint',
  'uint8',
  'uint16',
  'uint32',
  'uint64',
  'rune',
  'byte',
  'uintptr',
]);
const NUMBERS = new Set(['float32', 'float64', 'float', 'double', 'number']);
const BOOLEANS = new Set(['bool', 'boolean']);
const STRINGS = new Set(['string', 'Time', '[]byte', '[]uint8']);

/** How a Value is edited: 'message', 'list', 'bool', 'int', 'number', 'string' or 'json'. */
export function kindOf(value) {
  if (value?.values?.length) return 'message';
  const type = (value?.type ?? '').replace(/^\*+/, '');
  if (STRINGS.has(type)) return 'string';
  if (type.startsWith('[]')) return 'list';
  if (BOOLEANS.has(type)) return 'bool';
  if (INTEGERS.has(type)) return 'int';
  if (NUMBERS.has(type)) return 'number';
  return 'json';
}

/** The Value of one element of a `[]T` field. */
function elementOf(value) {
  return { name: `${value.name}[]`, type: value.type.replace(/^\*+/, '').slice(2) };
}

function emptyOf(value) {
  switch (kindOf(value)) {
    case 'message':
      return {};
    case 'list':
      return [];
    case 'bool':
      return false;
    case 'int':
    case 'number':
      return 0;
    case 'string':
      return '';
    default:
      return null;
  }
}

/** True when the request tree describes fields a form can show. */
export function hasForm(tree) {
  return kindOf(tree) !== 'json';
}

const idOf = (prefix, path) => `${prefix}-field-${path.join('-')}`.replace(/[^A-Za-z0-9_-]/g, '_');

function Label({ id, value, label }) {
  return html`<label for=${id}>${label ?? value.name} <span class="type">${value.type}</span></label>`;
}

function JsonInput({ id, data, onChange, label }) {
  const [text, setText] = useState(() => (data === undefined ? '' : JSON.stringify(data)));
  const [invalid, setInvalid] = useState(false);
  const onInput = (event) => {
    const next = event.target.value;
    setText(next);
    if (next.trim() === '') {
      setInvalid(false);
      onChange(undefined);
      return;
    }
    try {
      onChange(JSON.parse(next));
      setInvalid(false);
    } catch {
      setInvalid(true);
    }
  };
  return html`${label}
    <textarea
      id=${id}
      rows="2"
      class="mono"
      value=${text}
      onInput=${onInput}
      aria-invalid=${invalid ? 'true' : undefined}
    ></textarea>
    ${invalid && html`<span class="hint error-text">Not JSON yet</span>`}`;
}

/** One field of the tree (or one list element when `inList`), editing `data`. */
function Field({ value, data, onChange, path, prefix, inList, label }) {
  const id = idOf(prefix, path);
  const kind = kindOf(value);
  const caption = html`<${Label} id=${id} value=${value} label=${label} />`;
  if (kind === 'message')
    return html`<fieldset class="message">
      <legend>${label ?? value.name} <span class="type">${value.type}</span></legend>
      <${Fields} tree=${value} data=${data} onChange=${onChange} path=${path} prefix=${prefix} />
    </fieldset>`;
  if (kind === 'list') return html`<${ListField} ...${{ value, data, onChange, path, prefix, label }} />`;
  const clear = inList ? (v) => v : (v) => (v === '' ? undefined : v);
  if (kind === 'bool')
    return html`<div class="field check">
      <input
        id=${id}
        type="checkbox"
        checked=${data === true}
        onChange=${(e) => onChange(e.target.checked)}
      />
      ${caption}
    </div>`;
  if (kind === 'int' || kind === 'number')
    return html`<div class="field">
      ${caption}
      <input
        id=${id}
        type="number"
        step=${kind === 'int' ? '1' : 'any'}
        value=${data ?? ''}
        onInput=${(e) => onChange(e.target.value === '' ? (inList ? 0 : undefined) : Number(e.target.value))}
      />
    </div>`;
  if (kind === 'string')
    return html`<div class="field">
      ${caption}
      <input
        id=${id}
        type="text"
        value=${data ?? ''}
        placeholder=${value.type === 'Time' ? '2006-01-02T15:04:05Z' : undefined}
        onInput=${(e) => onChange(clear(e.target.value))}
      />
    </div>`;
  return html`<div class="field">
    <${JsonInput} id=${id} data=${data} onChange=${onChange} label=${caption} />
  </div>`;
}

function ListField({ value, data, onChange, path, prefix, label }) {
  const items = Array.isArray(data) ? data : [];
  const element = elementOf(value);
  const name = label ?? value.name;
  const set = (i, v) => onChange(items.map((old, j) => (j === i ? v : old)));
  const remove = (i) => {
    const next = items.filter((_, j) => j !== i);
    onChange(next.length ? next : undefined);
  };
  return html`<fieldset class="list">
    <legend>${name} <span class="type">${value.type}</span></legend>
    ${items.length === 0 && html`<p class="muted small">No items.</p>`}
    <ol>
      ${items.map(
        (item, i) =>
          html`<li key=${i}>
            <${Field}
              value=${element}
              data=${item}
              onChange=${(v) => set(i, v)}
              path=${[...path, String(i)]}
              prefix=${prefix}
              inList=${true}
              label=${`${value.name}[${i}]`}
            />
            <button type="button" class="small" onClick=${() => remove(i)}>Remove ${value.name}[${i}]</button>
          </li>`,
      )}
    </ol>
    <button type="button" class="small" onClick=${() => onChange([...items, emptyOf(element)])}>
      Add to ${name}
    </button>
  </fieldset>`;
}

/** The fields of a message tree, editing the object `data`. */
function Fields({ tree, data, onChange, path, prefix }) {
  const object = data && typeof data === 'object' && !Array.isArray(data) ? data : {};
  return (tree.values ?? []).map(
    (field) =>
      html`<${Field}
        key=${field.name}
        value=${field}
        data=${object[field.name]}
        path=${[...path, field.name]}
        prefix=${prefix}
        onChange=${(v) => {
          const next = { ...object };
          if (v === undefined) delete next[field.name];
          else next[field.name] = v;
          onChange(next);
        }}
      />`,
  );
}

/**
 * The request editor: the generated form or the raw JSON (toggle), both over `value`. `prefix`
 * keeps input ids unique on the page.
 */
export function RequestEditor({ tree, value, onChange, prefix }) {
  const formable = tree !== undefined && hasForm(tree);
  const [raw, setRaw] = useState(!formable);
  const [text, setText] = useState(() => JSON.stringify(value ?? {}, null, 2));
  const [error, setError] = useState('');
  useEffect(() => {
    // the form changed the value: show it when switching to JSON
    if (!raw) setText(JSON.stringify(value ?? {}, null, 2));
  }, [value, raw]);
  const onText = (event) => {
    const next = event.target.value;
    setText(next);
    try {
      onChange(next.trim() === '' ? {} : JSON.parse(next));
      setError('');
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  const id = `${prefix}-json`;
  return html`<div class="editor">
    <div class="editor-head">
      <h3 id=${`${prefix}-title`}>Request</h3>
      ${
        formable &&
        html`<button
          type="button"
          class="small"
          aria-pressed=${raw ? 'true' : 'false'}
          onClick=${() => !error && setRaw(!raw)}
        >
          Raw JSON
        </button>`
      }
    </div>
    ${
      raw
        ? html`<label for=${id}>Request JSON</label>
            <textarea
              id=${id}
              class="mono"
              rows="8"
              value=${text}
              onInput=${onText}
              aria-invalid=${error ? 'true' : undefined}
              aria-describedby=${`${id}-error`}
            ></textarea>
            <span id=${`${id}-error`} class="hint error-text" aria-live="polite"
              >${error && `Not JSON: ${error}`}</span
            >`
        : kindOf(tree) === 'message'
          ? html`<div class="form" role="group" aria-labelledby=${`${prefix}-title`}>
              <${Fields} tree=${tree} data=${value} onChange=${onChange} path=${[]} prefix=${prefix} />
            </div>`
          : html`<${Field}
              value=${tree}
              data=${value}
              onChange=${onChange}
              path=${['value']}
              prefix=${prefix}
              inList=${true}
            />`
    }
  </div>`;
}
