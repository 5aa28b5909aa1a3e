// Campaign dashboard: progress against target by town and village (table + ECharts bars), burn-up to
// the deadline, the hardship groups' progress, the not-yet-enrolled list (paged, Excel export).
import { html, useState, useEffect, useRef } from '../../vendor/htm-preact-standalone-3.1.1.module.js';
import { EP, url } from '../api.js';
import { can } from '../roles.js';
import { LedgerSummary } from './payments.js';
import { t } from '../i18n.js';
import { Notice, Section, Table, CampaignPicker, useApi, pct, yuan, loadECharts, PAGE_SIZE, scopeWord, Download } from '../ui.js';
import { DatePicker } from '../pickers.js';

export function DashboardPage({ user }) {
  const [campaign, setCampaign] = useState(null);
  // a township officer opens on its own town's villages (ranked within the town)
  const own = ownTown(user);
  const [parent, setParent] = useState(own); // null: towns; else the town whose villages are shown
  const [county, setCounty] = useState(null); // the county (scope) total: the day and the task
  const [on, setOn] = useState(''); // the report day ('' = today, the server's clock)
  const [window_, setWindow] = useState(null); // {start, deadline} of the campaign (GET …/charts)
  const [campaigns] = useApi(EP.campaigns, { limit: 50, offset: 0 });
  // the table shows a town chosen by a bureau officer (not the user's own scope)
  const drilled = ((parent && parent.code) || null) !== ((own && own.code) || null);
  return html`<div class="page" data-testid="page-dashboard">
    <div class="row gap wrap-row">
      <${CampaignPicker} value=${campaign} onChange=${(c) => { setCampaign(c); setParent(own); }} />
      <${DatePicker} label="dash.on" value=${on} onChange=${setOn} testid="dash-on" />
    </div>
    ${campaign && county && window_ && html`<${Countdown} day=${county.on} deadline=${window_.deadline} />`}
    ${campaign && html`<${Ledger} campaign=${campaign} on=${on} own=${own} drilled=${drilled} onCounty=${setCounty} whole=${coversCampaign(user, campaigns, campaign)} />
      <${Progress} campaign=${campaign} on=${on} parent=${parent} onDrill=${setParent} fixed=${!!own} onTop=${drilled ? null : setCounty} />
      <${BurnUp} campaign=${campaign} on=${on} county=${county} onWindow=${setWindow} />
      ${can(user, 'resident.read') && html`<${TargetList} path=${EP.hardship(campaign)} title="progress.groups" testid="hardship" />
      <${TargetList} path=${EP.notEnrolled(campaign)} title="progress.not_enrolled" testid="not-enrolled"
        exportHref=${can(user, 'roster.read') && html`<${Download} testid="export-xlsx" href=${url(EP.roster(campaign), { format: 'xlsx', include_paid: 'false' })} label="common.export_xlsx" />`} />`}`}
  </div>`;
}

// Whether the user's region covers the whole campaign (the reconciliation is county-wide: a
// township officer sees the campaign but not its whole ledger, so the card is not shown).
function coversCampaign(user, campaigns, id) {
  const c = ((campaigns && campaigns.items) || []).find((x) => x.id === id);
  return !!c && (!user.region_code || c.region_code.startsWith(user.region_code));
}

function ownTown(user) {
  const code = String((user && user.region_code) || '');
  return code.length === 9 ? { code, name: '' } : null;
}

// Days from the report day to the campaign's deadline (the policy's centralized window's end).
function Countdown({ day, deadline }) {
  if (!deadline || !day) return null;
  const days = Math.round((Date.parse(deadline + 'T00:00:00Z') - Date.parse(day + 'T00:00:00Z')) / 86400000);
  const name = t('dash.deadline');
  const text = days > 0 ? t('dash.countdown', { name, day: deadline, days })
    : days === 0 ? t('dash.countdown_today', { name, day: deadline })
      : t('dash.countdown_over', { name, day: deadline, days: -days });
  return html`<div class=${'countdown' + (days < 0 ? ' over' : days <= 7 ? ' near' : '')} data-testid="countdown" data-days=${days}>
    ${days > 0 && html`<b>${days}</b>`}<span>${text}</span></div>`;
}


// The query of a progress report: a town's villages (ranked within the town), or the towns. With
// the user's own town (or none) it is the top of the dashboard, whose total is the countdown's day
// and the burn-up's task.
function progressQuery(town, on) {
  return town ? { level: 'village', region: town.code, on: on || undefined } : { level: 'town', on: on || undefined };
}

// Paid / still to pay, straight from the payment ledger (the reconciliation). The scope's progress
// total comes from the progress table itself (the same report, so the same figures); asked for here
// only while the table shows a town's villages (a bureau officer's drill-down).
function Ledger({ campaign, on, own, drilled, onCounty, whole }) {
  const [data, error] = useApi(whole ? EP.reconcile(campaign) : null);
  const [rep] = useApi(drilled ? EP.progress(campaign) : null, progressQuery(own, on));
  useEffect(() => { if (rep && drilled) onCounty(rep); }, [rep, drilled]);
  if (!whole) return null;
  return html`<${Section} title="progress.ledger" testid="ledger">
    <${Notice} error=${error} />
    ${on && html`<p class="muted small" data-testid="ledger-today">${t('progress.ledger_today')}</p>`}
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
function Progress({ campaign, on, parent, onDrill, fixed, onTop }) {
  const level = parent ? 'village' : 'town';
  const [view, setView] = useState('counts'); // counts (enrolled vs task) or rate (completion %)
  // a drill-down asks for its town only (villages ranked within the town)
  const [got, error] = useApi(EP.progress(campaign), progressQuery(parent, on));
  // while a drill-down (or the way back) loads, the other level's report is not shown as this one
  const data = got && got.level === level ? got : null;
  useEffect(() => { if (data && onTop) onTop(data); }, [data, onTop]);
  const all = (data && data.rows) || [];
  const rows = parent ? all.filter((r) => String(r.unit).startsWith(parent.code)) : all;
  const total = data && data.total;
  const target = (r) => r.progress.task ?? r.progress.required;
  // With a task table: 任务数 and 完成率; without: 应完成人数 and 参保率 (as the CLI and the bulletin
  // label them, urrbmi/targets/columns.py).
  const hasTask = !!(total && total.progress.task !== null && total.progress.task !== undefined);
  const rateOf = (r) => Number(r.progress.completion ?? r.progress.rate) * 100;
  const goal = hasTask ? 100 : Number((data && data.target_rate) || 0) * 100;
  const rateOption = {
    animation: false,
    textStyle: { fontFamily: 'WenQuanYi Micro Hei, Microsoft YaHei, sans-serif' },
    legend: { top: 0 },
    grid: { left: 8, right: 8, bottom: 8, top: 30, containLabel: true },
    tooltip: { trigger: 'axis', renderMode: 'richText', valueFormatter: (v) => Number(v).toFixed(2) + '%' },
    xAxis: { type: 'category', data: rows.map((r) => r.name), axisLabel: { interval: 0, rotate: rows.length > 6 ? 40 : 0 } },
    yAxis: { type: 'value', axisLabel: { formatter: '{value}%' } },
    series: [{
      name: t(hasTask ? 'progress.completion' : 'progress.rate'), type: 'bar',
      data: rows.map((r) => ({ value: Number(rateOf(r).toFixed(2)), itemStyle: { color: rateOf(r) >= goal ? '#1a7f37' : '#c0392b' } })),
      markLine: { symbol: 'none', label: { position: 'insideEndTop', formatter: t('dash.target_line', { rate: goal.toFixed(0) + '%' }) }, lineStyle: { color: '#9a6700', type: 'dashed' }, data: [{ yAxis: goal }] },
    }],
  };
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
      { name: t(hasTask ? 'progress.task' : 'progress.required'), type: 'bar', data: rows.map(target) },
    ],
  };
  const toggle = html`<span class="lang seg" role="group" data-testid="chart-view">
    ${['counts', 'rate'].map((v) => html`<button type="button" class=${view === v ? 'on' : ''} data-testid=${'view-' + v} onClick=${() => setView(v)}>${t(v === 'rate' ? 'dash.view_rate' : 'dash.view_counts')}</button>`)}</span>`;
  return html`<${Section} title=${parent ? 'progress.by_village' : 'progress.by_town'} testid="progress"
      actions=${html`${toggle}${parent && !fixed && html`<button type="button" class="link" onClick=${() => onDrill(null)}>${t('progress.back')}</button>`}`}>
    ${parent && html`<p class="muted">${parent.name}</p>`}
    <${Notice} error=${error} />
    ${total && html`<p class="big" data-testid="progress-total">${t(hasTask ? 'progress.total' : 'progress.total_rate', { scope: scopeWord(data.scope),
      enrolled: total.covered ?? total.enrolled, task: target(total), rate: pct(total.progress.completion ?? total.progress.rate) })}</p>`}
    ${data && html`<p class="muted small">${t('progress.as_of', { on: data.on, rate: pct(data.target_rate) })}</p>`}
    ${rows.length > 0 && html`<${Chart} option=${view === 'rate' ? rateOption : option} testid="progress-chart" />`}
    <${Table} rowKey="unit" columns=${[
      { key: 'rank', label: t('progress.rank_in', { scope: data ? scopeWord(data.scope) : '' }), num: true, render: (r) => r.progress.rank ?? '—' },
      { key: 'name', label: 'progress.unit', render: (r) => level === 'town'
        ? html`<button type="button" class="link" onClick=${() => onDrill({ code: r.unit, name: r.name })}>${r.name}</button>` : r.name },
      { key: 'base', label: 'progress.base', num: true, render: (r) => r.progress.base },
      { key: 'task', label: hasTask ? 'progress.task' : 'progress.required', num: true, render: target },
      { key: 'enrolled', label: 'progress.enrolled', num: true, render: (r) => r.covered ?? r.enrolled },
      { key: 'subsidised', label: 'progress.subsidised', num: true },
      { key: 'completion', label: hasTask ? 'progress.completion' : 'progress.rate', num: true, render: (r) => pct(r.progress.completion ?? r.progress.rate) },
      { key: 'remaining', label: 'progress.remaining', num: true, render: (r) => r.progress.remaining },
      { key: 'last', label: 'progress.last_year', num: true, render: (r) => r.last_year_enrolled ?? '—' },
    ]} rows=${rows} />
  <//>`;
}

// Burn-up (cumulative enrolled per day up to the report day, against the task) and the enrolled by
// subsidy category, from GET campaigns/{c}/charts (one request, counted in the user's scope).
function BurnUp({ campaign, on, county, onWindow }) {
  const [data, error] = useApi(EP.charts(campaign), { on: on || undefined });
  useEffect(() => { if (data) onWindow({ start: data.start, deadline: data.deadline }); }, [data]);
  const points = (data && data.burnup) || [];
  const target = county && county.total ? (county.total.progress.task ?? county.total.progress.required) : null;
  const deadline = (data && data.deadline) || null;
  // the days after the last point up to the deadline, so the deadline is on the axis
  const days = points.map((d) => d.day);
  if (deadline && days.length && deadline > days[days.length - 1]) {
    for (let d = new Date(days[days.length - 1] + 'T00:00:00Z'); ;) {
      d.setUTCDate(d.getUTCDate() + 1);
      const iso = d.toISOString().slice(0, 10);
      days.push(iso);
      if (iso >= deadline || days.length > 800) break;
    }
  }
  // the deadline as a vertical red line (a two-point series: the vendored "simple" ECharts
  // build has no markLine component)
  const top = Math.max(target || 0, ...points.map((d) => d.enrolled), 1);
  const marker = deadline && days.includes(deadline)
    ? [{ name: t('progress.deadline', { day: deadline.slice(5) }), type: 'line', data: [[deadline, 0], [deadline, top]], showSymbol: false, lineStyle: { color: '#d9534f', width: 2 }, itemStyle: { color: '#d9534f' } }]
    : [];
  const option = {
    animation: false,
    legend: { top: 0 },
    grid: { left: 8, right: 8, bottom: 8, top: 30, containLabel: true },
    tooltip: { trigger: 'axis', renderMode: 'richText' },
    xAxis: { type: 'category', data: days },
    yAxis: { type: 'value' },
    series: [
      { name: t('progress.enrolled_cum'), type: 'line', data: points.map((d) => d.enrolled), showSymbol: false },
      ...(target ? [{ name: t('progress.target'), type: 'line', data: days.map(() => target), showSymbol: false, lineStyle: { type: 'dashed' } }] : []),
      ...marker,
    ],
  };
  const parts = data ? Object.entries(data.composition || {}).sort((x, y) => y[1] - x[1]) : [];
  const bars = {
    animation: false,
    grid: { left: 8, right: 24, bottom: 8, top: 8, containLabel: true },
    tooltip: { trigger: 'axis', renderMode: 'richText' },
    xAxis: { type: 'value' },
    yAxis: { type: 'category', inverse: true, data: parts.map((x) => x[0]) },
    series: [{ name: t('progress.enrolled'), type: 'bar', data: parts.map((x) => x[1]), label: { show: true, position: 'right' } }],
  };
  return html`<div>
    <${Section} title="progress.burnup" testid="burnup">
      <${Notice} error=${error} />
      <p class="muted small" data-points=${points.length} data-deadline=${deadline || ''}>${t('progress.burnup_hint', { on: (county && county.on) || '—' })}${deadline ? ' ' + t('progress.deadline_hint', { day: deadline }) : ''}</p>
      ${points.length > 1 && html`<${Chart} option=${option} testid="burnup-chart" />`}
    <//>
    ${parts.length > 0 && html`<${Section} title="progress.composition" testid="composition">
      <${Chart} option=${bars} testid="composition-chart" />
    <//>`}
  </div>`;
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
        ${rows.map((r) => html`<tr>${keys.map((k, i) => html`<td class=${k === 'due' ? 'num' : ''} data-label=${heads[i]}>${r[k] === null || r[k] === undefined || r[k] === '' ? '—' : k === 'due' ? yuan(r[k]) : String(r[k])}</td>`)}</tr>`)}
      </tbody></table></div>
      <div class="pager">
        <button type="button" disabled=${offset === 0} onClick=${() => setOffset(Math.max(0, offset - PAGE_SIZE))}>${t('common.prev')}</button>
        <span>${t('common.page_of', { from: total ? offset + 1 : 0, to: offset + rows.length, total })}</span>
        <button type="button" disabled=${offset + PAGE_SIZE >= total} onClick=${() => setOffset(offset + PAGE_SIZE)}>${t('common.next')}</button>
      </div>
      ${(data.notes || []).map((n) => html`<p class="muted small">${n}</p>`)}`}
  <//>`;
}
