// Policies: a policy with its citations (and a trial quote that explains every step with the clause
// it comes from); the year-over-year comparison table.
import { html, useState } from '../../vendor/htm-preact-standalone-3.1.1.module.js';
import { api, EP } from '../api.js';
import { t } from '../i18n.js';
import { Notice, Section, Table, Field, useApi, yuan } from '../ui.js';
import { Explanation } from './resident.js';

export function PoliciesPage() {
  const [list, error] = useApi(EP.policies);
  const items = (list && (list.items || list)) || [];
  const [sel, setSel] = useState('');
  const [cmp, setCmp] = useState('');
  const current = sel || (items[0] && items[0].id);
  return html`<div class="page" data-testid="page-policies">
    <${Notice} error=${error} />
    <${Section} title="policy.list">
      <${Table} columns=${[
        { key: 'jurisdiction', label: 'policy.jurisdiction', render: (p) => html`<button type="button" class="link" data-testid=${'policy-' + p.id} onClick=${() => setSel(p.id)}>${p.jurisdiction}</button>` },
        { key: 'benefit_year', label: 'resident.benefit_year' },
        { key: 'document', label: 'policy.document' },
        { key: 'version', label: 'policy.version' },
      ]} rows=${items} rowKey="id" />
    <//>
    ${current && html`<${PolicyView} id=${current} key=${current} />`}
    ${items.length > 1 && html`<${Section} title="policy.compare" testid="policy-compare">
      <div class="row gap">
        <label class="field inline"><span>${t('policy.compare_with')}</span>
          <select value=${cmp} onChange=${(e) => setCmp(e.target.value)} data-testid="compare-pick">
            <option value="">—</option>${items.filter((p) => p.id !== current).map((p) => html`<option value=${p.id}>${p.jurisdiction} ${p.benefit_year}</option>`)}
          </select></label>
      </div>
      ${cmp && html`<${Compare} a=${cmp} b=${current} />`}
    <//>`}
  </div>`;
}

function PolicyView({ id }) {
  const [p, error] = useApi(EP.policy(id));
  return html`<${Section} title="policy.view" testid="policy-view">
    <${Notice} error=${error} />
    ${p && html`<h3>${p.jurisdiction} · ${p.benefit_year}</h3>
      <p class="muted">${p.document}</p>
      <pre class="summary" data-testid="policy-summary">${p.summary}</pre>
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

function Compare({ a, b }) {
  const [data, error] = useApi(EP.compare, { a, b });
  const rows = (data && (data.items || data.rows)) || [];
  return html`<div>
    <${Notice} error=${error} />
    <${Table} columns=${[
      { key: 'item', label: 'policy.item' },
      { key: 'a', label: 'policy.before', render: (r) => r.a ?? r.before ?? '—' },
      { key: 'b', label: 'policy.after', render: (r) => r.b ?? r.after ?? '—' },
      { key: 'change', label: 'policy.change', render: (r) => r.change ?? r.delta ?? '—' },
    ]} rows=${rows} />
  </div>`;
}
