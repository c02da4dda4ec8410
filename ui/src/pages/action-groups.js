// Action groups: the list, create and edit (email, webhook, Teams, Slack receivers), test, delete.
// #/action-groups/new and #/action-groups/{name} open the editor.
import * as api from '../api.js';
import { errorText, h, toast } from '../dom.js';
import { groupForm, testResults } from '../components/group-form.js';
import { attempt, dataTable, loaded, manage, pageHeader } from '../components/kit.js';

export async function render(root, ctx) {
  const rest = ctx.path.slice('/action-groups'.length).replace(/^\//, '');
  return rest ? editor(root, ctx, rest === 'new' ? null : decodeURIComponent(rest)) : list(root);
}

function receiversText(g) {
  const parts = [];
  for (const [key, label] of [['email', 'email'], ['webhook', 'webhook'], ['teams', 'Teams'], ['slack', 'Slack']]) {
    if (g[key]?.length) parts.push(`${g[key].length} ${label}`);
  }
  return parts.join(', ') || 'none';
}

async function list(root) {
  const canEdit = api.hasRole('contributor');
  const { header, status, say } = pageHeader('Action groups', canEdit ? h('a', { href: '#/action-groups/new', class: 'button', id: 'new-group' }, 'Create action group') : null);
  const body = h('div', { id: 'groups' });
  const outcome = h('div', { id: 'group-test-results', 'aria-live': 'polite' });
  root.append(h('section', { class: 'page action-groups' }, header, status, body, outcome));

  async function draw() {
    const groups = await loaded(body, manage.groups);
    if (!groups) return;
    say(`${groups.length} action groups.`);
    body.replaceChildren(dataTable('Action groups', [
      ['Name', (g) => h('a', { href: `#/action-groups/${encodeURIComponent(g.name)}` }, g.name)],
      ['Short name', (g) => g.shortName],
      ['Enabled', (g) => (g.enabled ? 'Yes' : 'No')],
      ['Receivers', receiversText],
      ['', (g) => canEdit ? h('span', { class: 'buttons' },
        h('button', { type: 'button', class: 'test-group', 'aria-label': `Test ${g.name}`, onclick: () => test(g.name, outcome) }, 'Test'),
        h('button', { type: 'button', class: 'delete', 'aria-label': `Delete ${g.name}`, onclick: async () => {
          if (!window.confirm(`Delete the action group ${g.name}?`)) return;
          if ((await attempt(() => manage.deleteGroup(g.name), `Deleted ${g.name}.`)) !== null) draw();
        } }, 'Delete')) : ''],
    ], groups, 'No action groups yet.'));
  }
  await draw();
}

async function test(name, outcome) {
  outcome.replaceChildren(h('p', { class: 'note' }, `Testing ${name}\u2026`));
  try {
    outcome.replaceChildren(h('h2', {}, `Test of ${name}`), testResults(await manage.testGroup(name)));
  } catch (e) {
    outcome.replaceChildren(h('p', { class: 'error' }, errorText(e)));
  }
}

async function editor(root, ctx, name) {
  const { header, status, say } = pageHeader(name ? `Action group ${name}` : 'Create action group');
  const form = groupForm('group');
  const errorBox = h('div', { id: 'group-error', role: 'alert' });
  const outcome = h('div', { id: 'group-test-results', 'aria-live': 'polite' });
  const testButton = h('button', { type: 'button', id: 'group-test', disabled: !name, onclick: () => test(form.name(), outcome) }, 'Test action group');
  root.append(h('section', { class: 'page action-group' },
    h('p', {}, h('a', { href: '#/action-groups' }, 'All action groups')),
    header, status,
    h('form', { id: 'group-edit', onsubmit: save, novalidate: true },
      form.root, errorBox,
      h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary', id: 'group-save' }, 'Save'), testButton)),
    outcome));
  if (name) {
    try {
      form.set(await manage.group(name));
      form.lockName(true);
      say('Webhook URLs are shown without their secret parts; saving keeps the stored ones.');
    } catch (e) {
      errorBox.replaceChildren(h('p', { class: 'error' }, errorText(e)));
    }
  } else {
    form.addReceiver('email');
  }

  async function save(ev) {
    ev.preventDefault();
    errorBox.replaceChildren();
    const doc = form.value();
    if (!doc.name) {
      errorBox.replaceChildren(h('p', { class: 'error' }, 'The group needs a name.'));
      return;
    }
    try {
      await manage.putGroup(doc.name, doc);
      toast(`Saved action group "${doc.name}".`);
      say(`Saved ${doc.name}.`);
      testButton.disabled = false;
      if (!name) ctx.navigate(`/action-groups/${encodeURIComponent(doc.name)}`);
    } catch (e) {
      errorBox.replaceChildren(h('p', { class: 'error' }, errorText(e)));
    }
  }
}
