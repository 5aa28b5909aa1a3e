// Reports: the progress bulletin and the funding report, downloadable.
import { html, useState } from '../../vendor/htm-preact-standalone-3.1.1.module.js';
import { EP, url } from '../api.js';
import { t } from '../i18n.js';
import { can } from '../roles.js';
import { Section, CampaignPicker } from '../ui.js';

export function ReportsPage({ user }) {
  const [campaign, setCampaign] = useState(null);
  return html`<div class="page" data-testid="page-reports">
    <${CampaignPicker} value=${campaign} onChange=${setCampaign} />
    ${campaign && html`<${Section} title="reports.bulletin">
      <p class="muted">${t('reports.bulletin_hint')}</p>
      <div class="row gap">
        <a class="button" data-testid="bulletin-xlsx" href=${url(EP.bulletin(campaign))} download>${t('reports.xlsx')}</a>
        <a class="button" data-testid="bulletin-html" href=${url(EP.bulletinHtml(campaign))} target="_blank" rel="noopener">${t('reports.html')}</a>
      </div>
    <//>
    ${can(user, 'funding.read') && html`<${Section} title="reports.funding">
      <p class="muted">${t('reports.funding_hint')}</p>
      <a class="button" data-testid="funding-xlsx" href=${url(EP.funding(campaign))} download>${t('reports.xlsx')}</a>
    <//>`}`}
  </div>`;
}
