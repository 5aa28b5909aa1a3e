// The single page: log-in, the menu each role may see, hash routes to the pages.
import { html, render, useState, useEffect } from '../vendor/htm-preact-standalone-3.1.1.module.js';
import { api, EP, setCsrf } from './api.js';
import { t, loadLang, getLang, LANGS } from './i18n.js';
import { Notice, Field, setUserRegion } from './ui.js';
import { can } from './roles.js';
import { ResidentPage } from './pages/resident.js';
import { DashboardPage } from './pages/dashboard.js';
import { ImportsPage } from './pages/imports.js';
import { PaymentsPage } from './pages/payments.js';
import { ReportsPage } from './pages/reports.js';

// Pages loaded on first use, not with the log-in page (old PCs, slow links: docs/web.md "Bytes").
function lazy(load, name) {
  let Comp = null;
  return function Lazy(props) {
    const [, setReady] = useState(0);
    useEffect(() => { if (!Comp) load().then((m) => { Comp = m[name]; setReady(1); }); }, []);
    return Comp ? html`<${Comp} ...${props} />` : html`<p class="boot">${t('common.loading')}</p>`;
  };
}
const ListsPage = lazy(() => import('./pages/office.js'), 'ListsPage');
const ReviewsPage = lazy(() => import('./pages/office.js'), 'ReviewsPage');
const UsersPage = lazy(() => import('./pages/admin.js'), 'UsersPage');
const AuditPage = lazy(() => import('./pages/admin.js'), 'AuditPage');
const AgentPage = lazy(() => import('./pages/agent.js'), 'AgentPage');
const ActivationPage = lazy(() => import('./pages/activation.js'), 'ActivationPage');
const PoliciesPage = lazy(() => import('./pages/policies.js'), 'PoliciesPage');

// Menu entries and the permission (from the API's role table) each needs.
export const MENU = [
  { route: 'resident', label: 'menu.resident', need: ['resident.read'], page: ResidentPage },
  { route: 'dashboard', label: 'menu.dashboard', need: ['campaign.read', 'funding.read'], page: DashboardPage },
  { route: 'lists', label: 'menu.lists', need: ['resident.read'], all: ['campaign.read'], page: ListsPage },
  { route: 'imports', label: 'menu.imports', need: ['list.upload'], page: ImportsPage },
  { route: 'reviews', label: 'menu.reviews', need: ['identity.write'], page: ReviewsPage },
  { route: 'payments', label: 'menu.payments', need: ['payment.import', 'campaign.manage'], page: PaymentsPage },
  { route: 'policies', label: 'menu.policies', need: ['resident.read', 'campaign.read'], page: PoliciesPage },
  { route: 'reports', label: 'menu.reports', need: ['funding.read', 'campaign.read'], page: ReportsPage },
  // field work (issue 15): the agent's round is a village agent's home page
  { route: 'agent', label: 'menu.agent', need: ['visit.record'], page: AgentPage, home: ['village_agent'] },
  { route: 'activation', label: 'menu.activation', need: ['activation.import', 'campaign.read'], page: ActivationPage },
  { route: 'users', label: 'menu.users', need: ['user.manage'], page: UsersPage },
  { route: 'audit', label: 'menu.audit', need: ['audit.read'], page: AuditPage },
];

// an entry shows when the user has one of `need` and every one of `all`
function visibleMenu(user) { return MENU.filter((m) => m.need.some((p) => can(user, p)) && (m.all || []).every((p) => can(user, p))); }

function route() { return (location.hash.replace(/^#\/?/, '').split('?')[0] || ''); }

function LangSwitch({ onChange }) {
  return html`<div class="lang" role="group" aria-label="language">
    ${LANGS.map((l) => html`<button type="button" class=${l === getLang() ? 'on' : ''} data-testid=${'lang-' + l}
      onClick=${() => onChange(l)}>${l === 'zh' ? '中文' : 'English'}</button>`)}
  </div>`;
}

function Login({ onLogin, onLang }) {
  const [username, setU] = useState('');
  const [password, setP] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  async function submit(e) {
    e.preventDefault();
    setBusy(true); setError(null);
    try {
      const me = await api(EP.login, { method: 'POST', body: { username, password } });
      setCsrf(me.csrf_token);
      onLogin(me);
    } catch (err) { setError(err); } finally { setBusy(false); }
  }
  return html`<main class="login">
    <form class="card login-card" onSubmit=${submit} data-testid="login-form">
      <h1>${t('app.title')}</h1>
      <p class="muted">${t('login.subtitle')}</p>
      <${Field} label="login.username"><input name="username" autocomplete="username" required value=${username} onInput=${(e) => setU(e.target.value)} /><//>
      <${Field} label="login.password"><input name="password" type="password" autocomplete="current-password" required value=${password} onInput=${(e) => setP(e.target.value)} /><//>
      <${Notice} error=${error} />
      <button class="primary" type="submit" disabled=${busy} data-testid="login-submit">${t('login.submit')}</button>
      <${LangSwitch} onChange=${onLang} />
    </form>
  </main>`;
}

function Shell({ user, onLogout, onLang }) {
  const [r, setR] = useState(route());
  const [menuOpen, setMenuOpen] = useState(false);
  useEffect(() => {
    const f = () => { setR(route()); setMenuOpen(false); };
    addEventListener('hashchange', f);
    return () => removeEventListener('hashchange', f);
  }, []);
  setUserRegion(user.region_code);
  const menu = visibleMenu(user);
  const current = menu.find((m) => m.route === r) || menu.find((m) => (m.home || []).includes(user.role)) || menu[0];
  const Page = current ? current.page : null;
  return html`<div class="shell">
    <header class="top">
      <button type="button" class="burger" aria-label=${t('menu.toggle')} onClick=${() => setMenuOpen(!menuOpen)}>☰</button>
      <span class="brand">${t('app.short')}</span>
      <span class="who" data-testid="who">${user.username} · ${t('role.' + user.role)}</span>
      <${LangSwitch} onChange=${onLang} />
      <button type="button" class="link" data-testid="logout" onClick=${onLogout}>${t('login.logout')}</button>
    </header>
    <nav class=${'side' + (menuOpen ? ' open' : '')} data-testid="menu">
      ${menu.map((m) => html`<a href=${'#/' + m.route} class=${m === current ? 'on' : ''} data-testid=${'menu-' + m.route}>${t(m.label)}</a>`)}
    </nav>
    <main class="content">
      ${Page ? html`<${Page} user=${user} key=${current.route} />` : html`<${Notice}>${t('menu.none')}<//>`}
    </main>
  </div>`;
}

function App() {
  const [user, setUser] = useState(undefined);
  const [, setLangTick] = useState(0);
  useEffect(() => {
    api(EP.me).then(async (me) => {
      // a reload keeps the HttpOnly session cookie; the CSRF token is asked for again
      try { setCsrf((await api(EP.csrf)).csrf_token); } catch (e) { /* token sessions have none */ }
      setUser(me);
    }, () => setUser(null));
  }, []);
  async function changeLang(l) { await loadLang(l); setLangTick((x) => x + 1); }
  async function logout() {
    try { await api(EP.logout, { method: 'POST' }); } catch (e) { /* the session may have expired already */ }
    setCsrf(''); setUser(null); location.hash = '';
  }
  if (user === undefined) return html`<p class="boot">${t('common.loading')}</p>`;
  if (!user) return html`<${Login} onLogin=${setUser} onLang=${changeLang} />`;
  return html`<${Shell} user=${user} onLogout=${logout} onLang=${changeLang} />`;
}

loadLang().then(() => render(html`<${App} />`, document.getElementById('app')));
