// Sign in: paste an API token (`kustodian token create --role ...`); the server answers with a
// session cookie. `kustodian serve` also prints a one-time link /ui/login?code=... instead.
import { currentSession, login } from '../api.js';
import { errorText, h } from '../dom.js';

export function render(root, ctx) {
  if (currentSession()) {
    ctx.navigate(ctx.home); // already signed in
    return;
  }
  const error = h('p', { class: 'error', id: 'login-error', role: 'alert' });
  const token = h('input', {
    id: 'token',
    type: 'password',
    name: 'token',
    autocomplete: 'off',
    required: true,
    'aria-describedby': 'token-help',
  });
  const form = h(
    'form',
    {
      class: 'login',
      onsubmit: async (ev) => {
        ev.preventDefault();
        error.textContent = '';
        try {
          await login(token.value.trim());
          token.value = '';
          ctx.signedIn(ctx.params.get('next') || ctx.home);
        } catch (e) {
          error.textContent = errorText(e);
        }
      },
    },
    h('h1', {}, 'Sign in to Kustodian'),
    h('label', { for: 'token' }, 'API token'),
    token,
    h(
      'p',
      { id: 'token-help', class: 'help' },
      'Paste a token from ',
      h('code', {}, 'kustodian token create --role reader|contributor|admin'),
      ', or open the one-time sign-in link that ',
      h('code', {}, 'kustodian serve'),
      ' prints.',
    ),
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
    error,
  );
  if (ctx.params.get('error') === 'link') {
    error.textContent = 'That sign-in link is used, expired or unknown: paste a token, or restart the server for a new link.';
  }
  root.append(form);
  token.focus();
}
