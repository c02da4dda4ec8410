// The action group editor (our YAML form as JSON): name, short name, enabled, and receivers
// (email, webhook, Teams, Slack). Used by the Action groups page and the New alert rule page.
// Webhook URLs come back from the server redacted; sending a redacted URL back keeps the stored one.
import { h } from '../dom.js';
import { field, removableItem, select, uid } from './kit.js';

export const KINDS = [
  ['email', 'Email'],
  ['webhook', 'Webhook'],
  ['teams', 'Microsoft Teams'],
  ['slack', 'Slack'],
];

/** {root, value(), set(doc)}: `value()` is the group document to PUT. */
export function groupForm(prefix = 'group') {
  const name = h('input', { type: 'text', id: `${prefix}-name`, required: true, autocomplete: 'off' });
  const shortName = h('input', { type: 'text', id: `${prefix}-short-name`, maxlength: '12', autocomplete: 'off' });
  const enabled = h('input', { type: 'checkbox', id: `${prefix}-enabled`, checked: true });
  const list = h('ul', { class: 'receivers', id: `${prefix}-receivers`, 'aria-label': 'Receivers' });
  const rows = [];

  function addReceiver(kind = 'email', item = {}) {
    const n = uid(`${prefix}-rcv`);
    const kindSel = select(KINDS, kind, { id: `${n}-kind`, class: 'receiver-kind' });
    const rname = h('input', { type: 'text', id: `${n}-name`, class: 'receiver-name', value: item.name || '' });
    const target = h('input', { type: 'text', id: `${n}-target`, class: 'receiver-target', value: item.address || item.url || '' });
    const targetLabel = h('label', { for: target.id }, 'Address');
    const relabel = () => (targetLabel.textContent = kindSel.value === 'email' ? 'Email address' : 'Webhook URL');
    kindSel.addEventListener('change', relabel);
    relabel();
    return removableItem(list, rows, { kindSel, rname, target }, 'receiver', 'Remove receiver',
      field('Kind', kindSel),
      field('Receiver name', rname),
      h('div', { class: 'field' }, targetLabel, target));
  }

  const root = h(
    'fieldset',
    { class: 'group-form', id: `${prefix}-form` },
    h('legend', {}, 'Action group'),
    h('div', { class: 'row' }, field('Group name', name), field('Short name', shortName, 'At most 12 characters; defaults to the name.')),
    h('div', { class: 'field checkbox' }, enabled, h('label', { for: enabled.id }, 'Enabled')),
    list,
    h('button', { type: 'button', id: `${prefix}-add-receiver`, onclick: () => addReceiver().rname.focus() }, 'Add receiver'),
  );

  return {
    root,
    name: () => name.value.trim(),
    value() {
      const doc = { name: name.value.trim(), enabled: enabled.checked };
      if (shortName.value.trim()) doc.shortName = shortName.value.trim();
      for (const r of rows) {
        const kind = r.kindSel.value;
        const item = { name: r.rname.value.trim() || `${kind}-${(doc[kind] || []).length + 1}` };
        item[kind === 'email' ? 'address' : 'url'] = r.target.value.trim();
        (doc[kind] = doc[kind] || []).push(item);
      }
      return doc;
    },
    set(doc) {
      name.value = doc.name || '';
      shortName.value = doc.shortName || '';
      enabled.checked = doc.enabled !== false;
      rows.splice(0);
      list.replaceChildren();
      for (const [kind] of KINDS) for (const item of doc[kind] || []) addReceiver(kind, item);
    },
    addReceiver,
    lockName(locked) {
      name.readOnly = locked;
    },
  };
}

/** The outcome of "test action group", one line per receiver. */
export function testResults(results) {
  return h(
    'ul',
    { class: 'test-results', 'aria-label': 'Test results' },
    results.map((r) =>
      h('li', { class: `outcome ${String(r.outcome).toLowerCase()}` }, `${r.receiver} (${r.kind}): ${r.outcome}${r.detail ? ` \u2014 ${r.detail}` : ''}`),
    ),
  );
}
