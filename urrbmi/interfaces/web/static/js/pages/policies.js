// Policies: a policy with its citations (and a trial quote that explains every step with the clause
// it comes from); the year-over-year comparison table.
import { html, useState } from '../../vendor/htm-preact-standalone-3.1.1.module.js';
import { api, EP } from '../api.js';
import { t } from '../i18n.js';
import { Notice, Section, Table, Field, useApi, yuan } from '../ui.js';
import { can } from '../roles.js';
import { Explanation } from './resident.js';

// The policy the page opens on: the one of the campaign covering the user's region (users who see
// campaigns), else the latest one whose jurisdiction contains the user's region (or lies in it).
export function ownPolicy(user, items, campaigns) {
  const region = (user && user.region_code) || '';
  const overlaps = (code) => !region || code.startsWith(region) || region.startsWith(code);
  const mine = ((campaigns && campaigns.items) || []).filter((c) => overlaps(c.region_code) && items.some((p) => p.id === c.policy_id));
  if (mine.length) return mine[mine.length - 1].policy_id;
  const own = items.filter((p) => p.jurisdiction_code && overlaps(p.jurisdiction_code))
    .sort((a, b) => (b.jurisdiction_code.length - a.jurisdiction_code.length) || (b.benefit_year - a.benefit_year));
  return own.length ? own[0].id : (items[0] && items[0].id);
}

export function PoliciesPage({ user }) {
  const [list, error] = useApi(EP.policies);
  const [campaigns] = useApi(can(user, 'campaign.read') ? EP.campaigns : null, { limit: 50, offset: 0 });
  const items = (list && (list.items || list)) || [];
  const [sel, setSel] = useState('');
  const ready = list && (!can(user, 'campaign.read') || campaigns);
  const own = ready ? ownPolicy(user, items, campaigns) : null;
  const current = sel || own;
  const cur = items.find((p) => p.id === current);
  return html`<div class="page" data-testid="page-policies">
    <${Notice} error=${error} />
    <${Section} title="policy.list">
      <${Table} columns=${[
        { key: 'jurisdiction', label: 'policy.jurisdiction', render: (p) => html`<button type="button" class="link" data-testid=${'policy-' + p.id} onClick=${() => setSel(p.id)}>${p.jurisdiction}</button>${p.id === own ? html` <span class="tag">${t('policy.yours')}</span>` : ''}` },
        { key: 'benefit_year', label: 'resident.benefit_year' },
        { key: 'document', label: 'policy.document' },
        { key: 'version', label: 'policy.version' },
      ]} rows=${items} rowKey="id" />
    <//>
    ${current && html`<${PolicyView} id=${current} key=${current} />`}
    ${cur && cur.jurisdiction_code && html`<${Compare} key=${cur.id} jurisdiction=${cur.jurisdiction_code} year=${cur.benefit_year} />`}
  </div>`;
}

function PolicyView({ id }) {
  const [p, error] = useApi(EP.policy(id));
  return html`<${Section} title="policy.view" testid="policy-view">
    <${Notice} error=${error} />
    ${p && html`<h3>${p.jurisdiction} · ${p.benefit_year}</h3>
      <p class="muted">${p.document}</p>
      <pre class="summary" data-testid="policy-summary">${(p.summary || '').split('（' + p.id + '）').join('')}</pre>
      <${TrialQuote} id=${id} />`}
  <//>`;
}

function TrialQuote({ id }) {
  const [f, setF] = useState({ paid_on: '', birth_date: '' });
  const [q, setQ] = useState(null);
  const [error, setError] = useState(null);
  async function submit(e) {
    e.preventDefault(); setError(null); setQ(null);
    const body = {};
    for (const [k, v] of Object.entries(f)) if (v) body[k] = v;
    try { setQ(await api(EP.quote(id), { method: 'POST', body })); } catch (err) { setError(err); }
  }
  return html`<form class="card inner" onSubmit=${submit} data-testid="trial-quote">
    <h3>${t('policy.trial')}</h3>
    <div class="grid2">
      <${Field} label="payment.paid_on"><input type="date" name="paid_on" required value=${f.paid_on} onInput=${(e) => setF({ ...f, paid_on: e.target.value })} /><//>
      <${Field} label="resident.birth_date"><input type="date" name="birth_date" value=${f.birth_date} onInput=${(e) => setF({ ...f, birth_date: e.target.value })} /><//>
    </div>
    <button class="primary" type="submit">${t('policy.quote')}</button>
    <${Notice} error=${error} />
    ${q && html`<p class="big" data-testid="quote-total">${t('policy.quote_result', { due: yuan(q.total_due), start: q.benefit_start, end: q.benefit_end })}</p>
      <${Explanation} steps=${q.explanation || []} />`}
  </form>`;
}

// The year-over-year table of subsidy categories and standards (附件2 shape): GET policy-comparisons.
function Compare({ jurisdiction, year }) {
  const [before, setBefore] = useState(year - 1);
  const [data, error] = useApi(EP.compare, { jurisdiction, before, after: year });
  const rows = (data && data.rows) || [];
  const side = (x) => x ? html`<div>${x.notice_name}</div>
    <div class="small">${(x.rules || []).map((r) => html`<div>${t('policy.tier', { tier: r.tier })}：${r.text}${r.amount !== null && r.amount !== undefined ? `（${r.amount}${t('common.yuan')}）` : ''}${r.missing ? html`<span class="assumed">（${t('policy.amount_missing')}）</span>` : ''}</div>`)}</div>
    <div class="cite">${t('policy.certified_by')}：${x.certified_by || '—'}；${t('policy.funded_by')}：${x.funded_by || '—'}</div>
    <div class="cite">${t('policy.cite')}：${x.cite}</div>` : '—';
  return html`<${Section} title="policy.compare" testid="policy-compare">
    <div class="row gap">
      <label class="field inline"><span>${t('policy.compare_with')}</span>
        <select value=${before} onChange=${(e) => setBefore(Number(e.target.value))} data-testid="compare-year">
          ${[1, 2, 3].map((d) => html`<option value=${year - d}>${year - d}</option>`)}
        </select></label>
      <span class="muted">→ ${year}</span>
    </div>
    ${error && error.code === 'unknown_policy'
      ? html`<${Notice} kind="info">${t('policy.no_earlier', { year: before })}<//>` : html`<${Notice} error=${error} />`}
    ${data && html`<${Table} rowKey="category_code" columns=${[
      { key: 'category_name', label: 'policy.item' },
      { key: 'before', label: 'policy.before', render: (r) => side(r.before) },
      { key: 'after', label: 'policy.after', render: (r) => side(r.after) },
      { key: 'change_zh', label: 'policy.change', render: (r) => html`<b>${t('change.' + r.change)}</b>${(r.changed_fields || []).length ? html`<div class="small muted">${r.changed_fields.map((f) => t('change.field.' + f)).join('、')}</div>` : ''}` },
    ]} rows=${rows} />
    ${(data.gaps || []).length > 0 && html`<h3>${t('policy.gaps')}</h3><ul class="small">${data.gaps.map((g) => html`<li>${g}</li>`)}</ul>`}`}
  <//>`;
}
