// The township office's pages (issue 15 item 3): the lists for action filtered town → village with
// the whole list as Excel (village, household head, phone, last year's state, amount as a number),
// and the review queue of conflicting department records on a page of its own.
import { html, useState, useEffect } from '../../vendor/htm-preact-standalone-3.1.1.module.js';
import { EP, url } from '../api.js';
import { t } from '../i18n.js';
import { Notice, Section, CampaignPicker, useApi, yuan, PAGE_SIZE, Download } from '../ui.js';
import { RegionPicker, DatePicker } from '../pickers.js';
import { ReviewQueue } from './imports.js';

const KINDS = { not_enrolled: EP.notEnrolled, hardship: EP.hardship };
const MONEY = new Set(['due']);

export function ListsPage({ user }) {
  const [campaign, setCampaign] = useState(null);
  const [region, setRegion] = useState('');
  const [kind, setKind] = useState('not_enrolled');
  const [on, setOn] = useState('');
  const query = { region: region || undefined, on: on || undefined };
  return html`<div class="page" data-testid="page-lists">
    <${CampaignPicker} value=${campaign} onChange=${setCampaign} />
    <${Section} title="lists.filters" testid="list-filters">
      <div class="grid2">
        <${RegionPicker} user=${user} value=${region} onChange=${setRegion} testid="list-region" />
        <label class="field"><span>${t('lists.kind')}</span>
          <select data-testid="list-kind" value=${kind} onChange=${(e) => setKind(e.target.value)}>
            ${Object.keys(KINDS).map((k) => html`<option value=${k}>${t('lists.kind.' + k)}</option>`)}
          </select></label>
        <${DatePicker} label="lists.on" value=${on} onChange=${setOn} testid="list-on" />
      </div>
      ${campaign && kind === 'not_enrolled' && html`<div class="row gap">
        <${Download} primary testid="list-export" href=${url(EP.notEnrolledXlsx(campaign), query)} label="lists.export" />
        <span class="muted small">${t('lists.export_hint')}</span></div>`}
    <//>
    ${campaign && html`<${ListTable} path=${KINDS[kind](campaign)} query=${query} />`}
  </div>`;
}

// A page of a list for action ({title, headers, keys, total, rows, notes}), paged by the server.
function ListTable({ path, query }) {
  const [offset, setOffset] = useState(0);
  useEffect(() => setOffset(0), [path, JSON.stringify(query)]);
  const [data, error, loading] = useApi(path, { ...query, limit: PAGE_SIZE, offset });
  const keys = (data && data.keys) || [];
  const heads = keys.map((k, i) => { const s = t('lists.col.' + k); return s === 'lists.col.' + k ? data.headers[i] : s; });
  const rows = (data && data.rows) || [];
  const total = data ? data.total : 0;
  const cell = (k, v) => (v === null || v === undefined || v === '' ? '—' : MONEY.has(k) ? yuan(v) : String(v));
  return html`<section class="card" data-testid="list-table">
    <header class="card-h"><h2>${data ? data.title : t('common.loading')}</h2>
      ${data && html`<span class="muted" data-testid="list-total" data-total=${total}>${t('common.total', { total })}</span>`}</header>
    <${Notice} error=${error} />
    ${data && html`<div class="table-wrap"><table>
      <thead><tr>${heads.map((h, i) => html`<th class=${MONEY.has(keys[i]) ? 'num' : ''}>${h}</th>`)}</tr></thead>
      <tbody>
        ${rows.length === 0 && html`<tr><td colspan=${keys.length || 1} class="muted">${loading ? t('common.loading') : t('common.empty')}</td></tr>`}
        ${rows.map((r) => html`<tr>${keys.map((k, i) => html`<td class=${MONEY.has(k) ? 'num' : ''} data-label=${heads[i]}>${cell(k, r[k])}</td>`)}</tr>`)}
      </tbody></table></div>
      <div class="pager">
        <button type="button" disabled=${offset === 0} onClick=${() => setOffset(Math.max(0, offset - PAGE_SIZE))}>${t('common.prev')}</button>
        <span>${t('common.page_of', { from: total ? offset + 1 : 0, to: offset + rows.length, total })}</span>
        <button type="button" disabled=${offset + PAGE_SIZE >= total} onClick=${() => setOffset(offset + PAGE_SIZE)}>${t('common.next')}</button>
      </div>
      ${(data.notes || []).map((n) => html`<p class="muted small">${n}</p>`)}`}
  </section>`;
}

export function ReviewsPage() {
  return html`<div class="page" data-testid="page-reviews">
    <p class="muted">${t('reviews.hint')}</p>
    <${ReviewQueue} tick=${0} />
  </div>`;
}
