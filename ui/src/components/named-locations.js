// Named locations (a workspace setting, docs/detections.md): the list, add or edit (name, IPv4
// ranges, trusted), delete. The server re-renders the detections that read the trusted ranges
// and names them; `onChange(rules)` lets the Detections page redraw their cards.
import * as api from '../api.js';
import { errorText, h, toast } from '../dom.js';
import { attempt, dataTable, field, loaded, manage } from './kit.js';

/** The ranges typed in the box: one per line or comma-separated. */
export function rangesOf(text) {
  return text.split(/[,\s]+/).map((x) => x.trim()).filter(Boolean);
}

/** The section: {root, draw}; `draw()` loads the list. */
export function namedLocations(onChange) {
  const canEdit = api.hasRole('contributor');
  const list = h('div', { id: 'named-locations-list' });
  const section = h('section', { id: 'named-locations', class: 'named-locations', 'aria-labelledby': 'named-locations-title' },
    h('h2', { id: 'named-locations-title' }, 'Named locations'),
    h('p', { class: 'note' }, 'IPv4 ranges, as Conditional Access has them. Detections that ask about trusted locations (security info registered outside them) read the trusted ones unless given their own ranges.'),
    list);

  async function draw() {
    const found = await loaded(list, manage.namedLocations);
    if (!found) return;
    list.replaceChildren(dataTable('Named locations', [
      ['Name', (l) => l.name],
      ['Trusted', (l) => (l.trusted ? 'Yes' : 'No')],
      ['IP ranges', (l) => l.ranges.join(', ')],
      ['', (l) => (canEdit ? h('span', { class: 'buttons' },
        h('button', { type: 'button', class: 'edit', 'aria-label': `Edit ${l.name}`, onclick: () => form.edit(l) }, 'Edit'),
        h('button', { type: 'button', class: 'delete', 'aria-label': `Delete ${l.name}`, onclick: () => remove(l.name) }, 'Delete')) : '')],
    ], found, 'No named locations: nothing is trusted.'));
  }

  async function changed(out, verb) {
    const rules = out.rerenderedRules || [];
    toast(`${verb} named location ${out.name}.${rules.length ? ` Updated ${rules.join(', ')}.` : ''}`);
    await draw();
    if (onChange) await onChange(rules);
  }

  async function remove(name) {
    if (!window.confirm(`Delete the named location ${name}?`)) return;
    const out = await attempt(() => manage.deleteNamedLocation(name));
    if (out) await changed(out, 'Deleted');
  }

  const form = canEdit ? editor((out) => changed(out, 'Saved')) : null;
  if (form) section.append(form.root);
  return { root: section, draw };
}

function editor(saved) {
  const name = h('input', { id: 'nl-name', type: 'text', autocomplete: 'off', maxlength: '200' });
  const ranges = h('textarea', { id: 'nl-ranges', rows: '3', spellcheck: 'false' });
  const trusted = h('input', { id: 'nl-trusted', type: 'checkbox', checked: true });
  const errorBox = h('div', { id: 'nl-error', role: 'alert' });
  const title = h('h3', { id: 'nl-form-title' }, 'Add or edit a named location');
  function fail(message) {
    errorBox.replaceChildren(h('p', { class: 'error' }, message));
  }
  async function save(ev) {
    ev.preventDefault();
    errorBox.replaceChildren();
    const n = name.value.trim();
    if (!n || n.includes('/')) return fail('Name: give a name (without "/").');
    try {
      const out = await manage.putNamedLocation(n, { ranges: rangesOf(ranges.value), trusted: trusted.checked });
      root.reset();
      trusted.checked = true;
      await saved(out);
    } catch (e) {
      fail(errorText(e));
    }
  }
  const root = h('form', { id: 'nl-form', class: 'named-location-form', 'aria-labelledby': 'nl-form-title', onsubmit: save, novalidate: true },
    title,
    field('Name', name, 'Saving under an existing name replaces that location.'),
    field('IP ranges', ranges, 'IPv4 ranges (CIDR such as 203.0.113.0/24) or addresses, one per line or comma-separated.'),
    h('div', { class: 'field checkbox' }, trusted, h('label', { for: trusted.id }, 'Trusted location')),
    errorBox,
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary', id: 'nl-save' }, 'Save named location')));
  function edit(loc) {
    errorBox.replaceChildren();
    name.value = loc.name;
    ranges.value = loc.ranges.join('\n');
    trusted.checked = loc.trusted;
    name.focus();
  }
  return { root, edit };
}
