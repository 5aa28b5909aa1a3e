// Campaign dashboard: progress against target by town and village (table + ECharts bars), burn-up to
// the deadline, the hardship groups' progress, the not-yet-enrolled list (paged, Excel export).
import { html, useState, useEffect, useRef } from '../../vendor/htm-preact-standalone-3.1.1.module.js';
import { api, EP, url } from '../api.js';
import { can } from '../roles.js';
import { LedgerSummary } from './payments.js';
import { t } from '../i18n.js';
import { Notice, Section, Table, CampaignPicker, useApi, pct, loadECharts, PAGE_SIZE } from '../ui.js';

export function DashboardPage({ user }) {
  const [campaign, setCampaign] = useState(null);
  const [parent, setParent] = useState(null); // null: towns; else the town whose villages are shown
  const [asOf, setAsOf] = useState(null); // the server's day (from the progress report)
  return html`<div class="page" data-testid="page-dashboard">
    <${CampaignPicker} value=${campaign} onChange=${(c) => { setCampaign(c); setParent(null); }} />
    ${campaign && html`<${Ledger} campaign=${campaign} onAsOf=${setAsOf} />
      <${Progress} campaign=${campaign} parent=${parent} onDrill=${setParent} />
      <${BurnUp} campaign=${campaign} asOf=${asOf} />
      <${TargetList} path=${EP.hardship(campaign)} title="progress.groups" testid="hardship" />
      <${TargetList} path=${EP.notEnrolled(campaign)} title="progress.not_enrolled" testid="not-enrolled"
        exportHref=${can(user, 'roster.read') && html`<a class="button" data-testid="export-xlsx" href=${url(EP.roster(campaign), { format: 'xlsx', include_paid: 'false' })} download>${t('common.export_xlsx')}</a>`} />`}
  </div>`;
}

// Paid / still to pay, straight from the payment ledger (the reconciliation).
function Ledger({ campaign, onAsOf }) {
  const [data, error] = useApi(EP.reconcile(campaign));
  const [rep] = useApi(EP.progress(campaign), { level: 'county' });
  useEffect(() => { if (rep && rep.on) onAsOf(rep.on); }, [rep]);
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

// A progress report (urrbmi.targets): rows [{unit, name, enrolled, ..., progress: {base, task,
// required, completion, remaining, rank}}] and the total row.
function Progress({ campaign, parent, onDrill }) {
  const level = parent ? 'village' : 'town';
  const [data, error] = useApi(EP.progress(campaign), { level });
  const all = (data && data.rows) || [];
  const rows = parent ? all.filter((r) => String(r.unit).startsWith(parent.code)) : all;
  const total = data && data.total;
  const target = (r) => r.progress.task ?? r.progress.required;
  const option = {
    animation: false,
    textStyle: { fontFamily: 'WenQuanYi Micro Hei, Microsoft YaHei, sans-serif' },
    legend: { top: 0 },
    grid: { left: 8, right: 8, bottom: 8, top: 30, containLabel: true },
    tooltip: { trigger: 'axis', renderMode: 'richText' },
    xAxis: { type: 'category', data: rows.map((r) => r.name), axisLabel: { interval: 0, rotate: rows.length > 6 ? 40 : 0 } },
    yAxis: { type: 'value' },
    series: [
      { name: t('progress.enrolled'), type: 'bar', data: rows.map((r) => r.covered ?? r.enrolled) },
      { name: t('progress.task'), type: 'bar', data: rows.map(target) },
    ],
  };
  return html`<${Section} title=${parent ? 'progress.by_village' : 'progress.by_town'} testid="progress"
      actions=${parent && html`<button type="button" class="link" onClick=${() => onDrill(null)}>${t('progress.back')}</button>`}>
    ${parent && html`<p class="muted">${parent.name}</p>`}
    <${Notice} error=${error} />
    ${total && html`<p class="big" data-testid="progress-total">${t('progress.total', {
      enrolled: total.covered ?? total.enrolled, task: target(total), rate: pct(total.progress.completion ?? total.progress.rate) })}</p>`}
    ${data && html`<p class="muted small">${t('progress.as_of', { on: data.on, rate: pct(data.target_rate) })}</p>`}
    ${rows.length > 0 && html`<${Chart} option=${option} testid="progress-chart" />`}
    <${Table} rowKey="unit" columns=${[
      { key: 'rank', label: 'progress.rank', num: true, render: (r) => r.progress.rank ?? '—' },
      { key: 'name', label: 'progress.unit', render: (r) => level === 'town'
        ? html`<button type="button" class="link" onClick=${() => onDrill({ code: r.unit, name: r.name })}>${r.name}</button>` : r.name },
      { key: 'base', label: 'progress.base', num: true, render: (r) => r.progress.base },
      { key: 'task', label: 'progress.task', num: true, render: target },
      { key: 'enrolled', label: 'progress.enrolled', num: true, render: (r) => r.covered ?? r.enrolled },
      { key: 'subsidised', label: 'progress.subsidised', num: true },
      { key: 'completion', label: 'progress.completion', num: true, render: (r) => pct(r.progress.completion ?? r.progress.rate) },
      { key: 'remaining', label: 'progress.remaining', num: true, render: (r) => r.progress.remaining },
      { key: 'last', label: 'progress.last_year', num: true, render: (r) => r.last_year_enrolled },
    ]} rows=${rows} />
  <//>`;
}

function isoDay(d) { return d.toISOString().slice(0, 10); }

// Burn-up: the county's enrolled count at weekly dates up to the report day, against the target.
// Each point is one progress report (?level=county&on=): at most WEEKS requests, made one at a time.
const WEEKS = 8;
function BurnUp({ campaign, asOf }) {
  const [points, setPoints] = useState([]);
  const [error, setError] = useState(null);
  useEffect(() => {
    if (!asOf) return undefined;
    let live = true;
    const end = new Date(asOf + 'T00:00:00Z');
    const days = [];
    for (let w = WEEKS - 1; w >= 0; w--) days.push(isoDay(new Date(end.getTime() - w * 7 * 864e5)));
    (async () => {
      const got = [];
      for (const on of days) {
        try {
          const r = await api(EP.progress(campaign), { query: { level: 'county', on } });
          if (!live) return;
          if (r.total) got.push({ on, enrolled: r.total.covered ?? r.total.enrolled, target: r.total.progress.task ?? r.total.progress.required });
          setPoints([...got]);
        } catch (e) { if (live) setError(e); return; }
      }
    })();
    return () => { live = false; };
  }, [campaign, asOf]);
  const option = {
    animation: false,
    legend: { top: 0 },
    grid: { left: 8, right: 8, bottom: 8, top: 30, containLabel: true },
    tooltip: { trigger: 'axis', renderMode: 'richText' },
    xAxis: { type: 'category', data: points.map((d) => d.on) },
    yAxis: { type: 'value' },
    series: [
      { name: t('progress.enrolled_cum'), type: 'line', data: points.map((d) => d.enrolled) },
      { name: t('progress.target'), type: 'line', data: points.map((d) => d.target), showSymbol: false, lineStyle: { type: 'dashed' } },
    ],
  };
  return html`<${Section} title="progress.burnup" testid="burnup">
    <${Notice} error=${error} />
    <p class="muted small" data-points=${points.length}>${t('progress.burnup_hint', { weeks: WEEKS })}</p>
    ${points.length > 1 && html`<${Chart} option=${option} testid="burnup-chart" />`}
  <//>`;
}

// A list page from urrbmi.targets.lists: {title, headers, keys, total, rows, notes}, paged by the server.
function TargetList({ path, testid, title, exportHref }) {
  const [offset, setOffset] = useState(0);
  const [data, error, loading] = useApi(path, { limit: PAGE_SIZE, offset });
  const keys = (data && data.keys) || [];
  const heads = (data && data.headers) || [];
  const rows = (data && data.rows) || [];
  const total = data ? data.total : 0;
  return html`<${Section} title=${title} testid=${testid} actions=${exportHref}>
    <${Notice} error=${error} />
    ${data && html`<div class="table-wrap"><table>
      <thead><tr>${heads.map((h) => html`<th>${h}</th>`)}</tr></thead>
      <tbody>
        ${rows.length === 0 && html`<tr><td colspan=${heads.length || 1} class="muted">${loading ? t('common.loading') : t('common.empty')}</td></tr>`}
        ${rows.map((r) => html`<tr>${keys.map((k, i) => html`<td data-label=${heads[i]}>${r[k] === null || r[k] === undefined ? '—' : String(r[k])}</td>`)}</tr>`)}
      </tbody></table></div>
      <div class="pager">
        <button type="button" disabled=${offset === 0} onClick=${() => setOffset(Math.max(0, offset - PAGE_SIZE))}>${t('common.prev')}</button>
        <span>${t('common.page_of', { from: total ? offset + 1 : 0, to: offset + rows.length, total })}</span>
        <button type="button" disabled=${offset + PAGE_SIZE >= total} onClick=${() => setOffset(offset + PAGE_SIZE)}>${t('common.next')}</button>
      </div>
      ${(data.notes || []).map((n) => html`<p class="muted small">${n}</p>`)}`}
  <//>`;
}
