// Reports: the progress bulletin (Excel, printable web page) and the funding report.
import { html, useState } from '../../vendor/htm-preact-standalone-3.1.1.module.js';
import { EP, url } from '../api.js';
import { t } from '../i18n.js';
import { can } from '../roles.js';
import { Notice, Section, Table, CampaignPicker, useApi, yuan, Download } from '../ui.js';

export function ReportsPage({ user }) {
  const [campaign, setCampaign] = useState(null);
  const [level, setLevel] = useState('town');
  return html`<div class="page" data-testid="page-reports">
    <${CampaignPicker} value=${campaign} onChange=${setCampaign} />
    ${campaign && html`<${Section} title="reports.bulletin">
      <p class="muted">${t('reports.bulletin_hint')}</p>
      <div class="row gap">
        <label class="field inline"><span>${t('reports.level')}</span>
          <select value=${level} onChange=${(e) => setLevel(e.target.value)}>
            ${['town', 'village', 'school'].map((l) => html`<option value=${l}>${t('level.' + l)}</option>`)}
          </select></label>
        <${Download} testid="bulletin-xlsx" href=${url(EP.bulletin(campaign), { format: 'xlsx', level })} label="reports.xlsx" />
        <a class="button" data-testid="bulletin-html" href=${url(EP.bulletin(campaign), { format: 'html', level })} target="_blank" rel="noopener">${t('reports.html')}</a>
      </div>
    <//>
    ${can(user, 'funding.read') && html`<${Funding} campaign=${campaign} />`}`}
  </div>`;
}

function Funding({ campaign }) {
  const [data, error] = useApi(EP.funding(campaign));
  return html`<${Section} title="reports.funding" testid="funding">
    <p class="muted">${t('reports.funding_hint')}</p>
    <${Notice} error=${error} />
    ${data && html`<p>${t('reports.funding_head', { on: data.on, enrolled: data.enrolled, total: yuan(data.total) })}</p>
      <${Table} columns=${[
        { key: 'section', label: 'reports.section' },
        { key: 'item', label: 'policy.item' },
        { key: 'funder', label: 'reports.funder' },
        { key: 'persons', label: 'reports.persons', num: true },
        { key: 'per_person', label: 'reports.per_person', num: true, render: (r) => yuan(r.per_person) },
        { key: 'amount', label: 'reports.amount', num: true, render: (r) => yuan(r.amount) },
      ]} rows=${data.lines || []} />
      ${data.financing_note && html`<p class="muted small">${data.financing_note}</p>`}`}
  <//>`;
}
