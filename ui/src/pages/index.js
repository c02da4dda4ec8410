// Every page of the UI, one module each (loaded when first shown). Add a page here: path,
// title (the nav label), load, and the least role that may see it.
import { register } from '../router.js';

register({ path: '/login', title: 'Sign in', load: () => import('./login.js'), nav: false, public: true });
register({ path: '/logs', title: 'Logs', load: () => import('./logs.js') });
