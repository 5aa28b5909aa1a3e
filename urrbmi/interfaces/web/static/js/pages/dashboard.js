// Campaign dashboard: progress against target by town and village (table + ECharts bars), burn-up to
// the deadline, the hardship groups' progress, the not-yet-enrolled list (paged, Excel export).
import { html, useState, useEffect, useRef } from '../../vendor/htm-preact-standalone-3.1.1.module.js';
import { EP, url } from '../api.js';
import { can } from '../roles.js';
import { LedgerSummary } from './payments.js';
import { t } from '../i18n.js';
import { Notice, Section, Table, PagedTable, CampaignPicker, useApi, pct, loadECharts } from '../ui.js';

export function DashboardPage({ user }) {
  const [campaign, setCampaign] = useState(null);
  const [parent, setParent] = useState(null); // null: towns; else the town whose villages are shown
  return html`<div class="page" data-testid="page-dashboard">
    <${CampaignPicker} value=${campaign} onChange=${(c) => { setCampaign(c); setParent(null); }} />
    ${campaign && html`<${Ledger} campaign=${campaign} />
      <${Progress} campaign=${campaign} parent=${parent} onDrill=${setParent} />
      <${BurnUp} campaign=${campaign} />
      <${Groups} campaign=${campaign} />
      <${NotEnrolled} campaign=${campaign} region=${parent && parent.code} user=${user} />`}
  </div>`;
}

// Paid / still to pay, straight from the payment ledger (the reconciliation).
function Ledger({ campaign }) {
  const [data, error] = useApi(EP.reconcile(campaign));
  return html`<${Section} title="progress.ledger" testid="ledger">
    <${Notice} error=${error} />
    ${data && html`<${LedgerSummary} data=${data} />`}
  <//>`;
}

function Chart({ option, testid }) {
  const el = useRef(null);
  const [err, setErr] = useState(null);
  useEffect(() => {
    let chart; let live = true;
    const onResize = () => chart && chart.resize();
    loadECharts().then((echarts) => {
      if (!live || !el.current) return;
      chart = echarts.init(el.current, null, { renderer: 'canvas' });
      chart.setOption(option);
      addEventListener('resize', onResize);
    }, setErr);
    return () => { live = false; removeEventListener('resize', onResize); chart && chart.dispose(); };
  }, [JSON.stringify(option)]);
  return html`<div><div class="chart" ref=${el} data-testid=${testid}></div>${err && html`<${Notice}>${t('error.chart')}<//>`}</div>`;
}

function Progress({ campaign, parent, onDrill }) {
  const level = parent ? 'village' : 'town';
  const [data, error] = useApi(EP.progress(campaign), { level, parent: parent && parent.code, limit: 200, offset: 0 });
  const rows = (data && (data.items || data.rows)) || [];
  const option = {
    animation: false,
    textStyle: { fontFamily: 'WenQuanYi Micro Hei, Microsoft YaHei, sans-serif' },
    legend: { top: 0 },
    grid: { left: 8, right: 8, bottom: 8, top: 30, containLabel: true },
    tooltip: { trigger: 'axis', renderMode: 'richText' },
    xAxis: { type: 'category', data: rows.map((r) => r.name || r.unit), axisLabel: { interval: 0, rotate: rows.length > 6 ? 40 : 0 } },
    yAxis: { type: 'value' },
    series: [
      { name: t('progress.enrolled'), type: 'bar', data: rows.map((r) => r.enrolled) },
      { name: t('progress.task'), type: 'bar', data: rows.map((r) => r.task) },
    ],
  };
  return html`<${Section} title=${parent ? 'progress.by_village' : 'progress.by_town'} testid="progress"
      actions=${parent && html`<button type="button" class="link" onClick=${() => onDrill(null)}>${t('progress.back')}</button>`}>
    ${parent && html`<p class="muted">${parent.name}</p>`}
    <${Notice} error=${error} />
    ${data && data.total_row && html`<p class="big" data-testid="progress-total">${t('progress.total', {
      enrolled: data.total_row.enrolled, task: data.total_row.task, rate: pct(data.total_row.completion) })}</p>`}
    ${rows.length > 0 && html`<${Chart} option=${option} testid="progress-chart" />`}
    <${Table} columns=${[
      { key: 'name', label: 'progress.unit', render: (r) => level === 'town'
        ? html`<button type="button" class="link" onClick=${() => onDrill({ code: r.code, name: r.name })}>${r.name}</button>` : r.name },
      { key: 'base', label: 'progress.base', num: true },
      { key: 'task', label: 'progress.task', num: true },
      { key: 'enrolled', label: 'progress.enrolled', num: true },
      { key: 'completion', label: 'progress.completion', num: true, render: (r) => pct(r.completion) },
      { key: 'remaining', label: 'progress.remaining', num: true },
    ]} rows=${rows} />
  <//>`;
}

function BurnUp({ campaign }) {
  const [data, error] = useApi(EP.burnup(campaign));
  const days = (data && data.days) || [];
  const option = {
    animation: false,
    legend: { top: 0 },
    grid: { left: 8, right: 8, bottom: 8, top: 30, containLabel: true },
    tooltip: { trigger: 'axis', renderMode: 'richText' },
    xAxis: { type: 'category', data: days.map((d) => d.date) },
    yAxis: { type: 'value' },
    series: [
      { name: t('progress.enrolled_cum'), type: 'line', data: days.map((d) => d.enrolled), showSymbol: false },
      { name: t('progress.target'), type: 'line', data: days.map(() => data.target), showSymbol: false, lineStyle: { type: 'dashed' } },
    ],
  };
  return html`<${Section} title="progress.burnup" testid="burnup">
    <${Notice} error=${error} />
    ${data && html`<p class="muted">${t('progress.deadline', { date: data.deadline || '—' })}</p>`}
    ${days.length > 0 && html`<${Chart} option=${option} testid="burnup-chart" />`}
  <//>`;
}

function Groups({ campaign }) {
  const [data, error] = useApi(EP.groups(campaign));
  const rows = (data && (data.items || data)) || [];
  return html`<${Section} title="progress.groups" testid="groups">
    <${Notice} error=${error} />
    <${Table} columns=${[
      { key: 'category', label: 'resident.category' },
      { key: 'total', label: 'progress.base', num: true },
      { key: 'enrolled', label: 'progress.enrolled', num: true },
      { key: 'completion', label: 'progress.completion', num: true, render: (r) => pct(r.completion) },
    ]} rows=${Array.isArray(rows) ? rows : []} />
  <//>`;
}

function NotEnrolled({ campaign, region, user }) {
  // Excel: the campaign roster of those still to pay (full ID numbers: roles with roster.read only)
  return html`<${Section} title="progress.not_enrolled" testid="not-enrolled"
      actions=${can(user, 'roster.read') && html`<a class="button" data-testid="export-xlsx" href=${url(EP.roster(campaign), { format: 'xlsx', include_paid: 'false' })} download>${t('common.export_xlsx')}</a>`}>
    <${PagedTable} path=${EP.notEnrolled(campaign)} query=${{ region }} columns=${[
      { key: 'name', label: 'resident.name' },
      { key: 'id_number', label: 'resident.id_number' },
      { key: 'village', label: 'progress.village', render: (r) => r.village || r.region_name || r.region_code },
      { key: 'amount_due', label: 'resident.amount_due', num: true },
      { key: 'categories', label: 'resident.identities_now', render: (r) => (r.categories || []).join('、') || '—' },
    ]} />
  <//>`;
}
