// Small shared pieces: html (Preact + htm, no build step, CSP-safe), tables with server-side paging,
// error notices, money and ID helpers.
import { html, useState, useEffect, useCallback } from '../vendor/htm-preact-standalone-3.1.1.module.js';
import { api } from './api.js';
import { t, errText } from './i18n.js';

export { html };

export const PAGE_SIZE = 20;

export function Notice({ error, kind = 'error', children }) {
  if (!error && !children) return null;
  if (error && error.missingEndpoint) {
    return html`<div class="notice warn" role="status">${t('error.endpoint_missing')}</div>`;
  }
  return html`<div class=${'notice ' + kind} role=${kind === 'error' ? 'alert' : 'status'}>${error ? errText(error) : children}</div>`;
}

// A download link that fetches the file itself (download.js): while the server writes it (a
// county's list: a minute) the button says so and cannot be pressed again; a refusal is shown on
// the page. The href stays: the link works without scripts and can be copied.
export function Download({ href, label, testid, primary }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const click = (ev) => {
    ev.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    import('./download.js').then((m) => m.save(href)).catch(setError).finally(() => setBusy(false));
  };
  return html`<span class="download"><a class=${primary ? 'button primary' : 'button'} data-testid=${testid} href=${href} download
    aria-busy=${String(busy)} onClick=${click}>${t(busy ? 'common.preparing' : label)}</a>${error && html`<${Notice} error=${error} />`}</span>`;
}

// Fetch a JSON resource and re-fetch when deps change. Returns [data, error, loading, reload].
// The scope a region code names, as a word: 全县 / 全镇（街道） / 全村（社区）.
export function scopeWord(code) {
  const n = String(code || '').length;
  return t(n >= 12 ? 'scope.village' : n >= 9 ? 'scope.town' : 'scope.county');
}

export function useApi(path, query, deps) {
  const [state, setState] = useState({ data: null, error: null, loading: !!path });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!path) { setState({ data: null, error: null, loading: false }); return; }
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    api(path, { query }).then(
      (data) => live && setState({ data, error: null, loading: false }),
      (error) => live && setState({ data: null, error, loading: false }),
    );
    return () => { live = false; };
  }, [path, JSON.stringify(query || {}), tick, ...(deps || [])]);
  const reload = useCallback(() => setTick((x) => x + 1), []);
  return [state.data, state.error, state.loading, reload];
}

// A page of rows from an endpoint answering {items, total} to ?limit=&offset= (server-side paging).
export function PagedTable({ path, query, columns, empty, testid, rowKey }) {
  const [offset, setOffset] = useState(0);
  useEffect(() => setOffset(0), [path, JSON.stringify(query || {})]);
  const [data, error, loading] = useApi(path, { ...(query || {}), limit: PAGE_SIZE, offset });
  const items = (data && (data.items || data.rows)) || [];
  // The API pages with limit/offset and says has_more (no COUNT(*) over a million rows); a total is
  // shown when an endpoint sends one.
  const total = data && typeof data.total === 'number' ? data.total : null;
  const more = data ? (data.has_more ?? (total !== null && offset + PAGE_SIZE < total)) : false;
  const last = offset + items.length;
  return html`<div class="paged" data-testid=${testid}>
    <${Notice} error=${error} />
    <${Table} columns=${columns} rows=${items} empty=${loading ? t('common.loading') : (empty || t('common.empty'))} rowKey=${rowKey} />
    ${data && (offset > 0 || more) && html`<div class="pager">
      <button type="button" disabled=${offset === 0} onClick=${() => setOffset(Math.max(0, offset - PAGE_SIZE))}>${t('common.prev')}</button>
      <span>${total !== null ? t('common.page_of', { from: offset + 1, to: last, total }) : t('common.rows', { from: offset + 1, to: last })}</span>
      <button type="button" disabled=${!more} onClick=${() => setOffset(offset + PAGE_SIZE)}>${t('common.next')}</button>
    </div>`}
  </div>`;
}

// cards: on a phone each row is a card of label/value lines (short tables whose every column matters)
export function Table({ columns, rows, empty, rowKey, cards }) {
  return html`<div class=${'table-wrap' + (cards ? ' cards' : '')}><table>
    <thead><tr>${columns.map((c) => html`<th class=${c.num ? 'num' : ''}>${t(c.label)}</th>`)}</tr></thead>
    <tbody>
      ${rows.length === 0 && html`<tr><td colspan=${columns.length} class="muted">${empty || t('common.empty')}</td></tr>`}
      ${rows.map((r, i) => html`<tr key=${rowKey ? r[rowKey] : i}>${columns.map((c) => html`<td class=${c.num ? 'num' : ''} data-label=${t(c.label)}>${c.render ? c.render(r) : fmtCell(r[c.key])}</td>`)}</tr>`)}
    </tbody>
  </table></div>`;
}

function fmtCell(v) {
  if (v === null || v === undefined || v === '') return '—';
  if (typeof v === 'boolean') return v ? t('common.yes') : t('common.no');
  return String(v);
}

export function pct(x) { return x === null || x === undefined ? '—' : (Number(x) * 100).toFixed(2) + '%'; }

export function yuan(v) {
  if (v === null || v === undefined) return '—';
  const s = String(v);
  const [i, f = ''] = s.split('.');
  return `${i.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${(f + '00').slice(0, 2)}`;
}

// Amount in Chinese capital numerals for the receipt (e.g. 380.00 → 叁佰捌拾元整). Exact: works on the
// decimal string, never through float arithmetic.
export function yuanCapital(v) {
  const digits = '零壹贰叁肆伍陆柒捌玖';
  const units = ['', '拾', '佰', '仟'];
  const big = ['', '万', '亿', '万亿'];
  const [ip, fp = ''] = String(v).split('.');
  const f = (fp + '00').slice(0, 2);
  const n = ip.replace(/^0+/, '');
  let out = '';
  let zero = false;
  let groupHas = false;
  for (let i = 0; i < n.length; i++) {
    const d = Number(n[i]);
    const pos = n.length - 1 - i;
    if (d === 0) zero = true;
    else {
      if (zero && out) out += '零';
      zero = false;
      out += digits[d] + units[pos % 4];
      groupHas = true;
    }
    if (pos % 4 === 0 && groupHas) { out += big[pos / 4]; groupHas = false; }
  }
  if (out) out += '元';
  if (f === '00') return (out || '零元') + '整';
  if (f[0] !== '0') out += digits[Number(f[0])] + '角'; else if (out) out += '零';
  if (f[1] !== '0') out += digits[Number(f[1])] + '分';
  return out;
}

// Chinese resident ID number: 18 characters, GB 11643 check digit (ISO 7064 MOD 11-2).
export function normalizeId(s) { return String(s || '').replace(/[\s-]/g, '').toUpperCase(); }
export function validId(s) {
  if (!/^\d{17}[\dX]$/.test(s)) return false;
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(s[i]) * w[i];
  return '10X98765432'[sum % 11] === s[17];
}

export function Field({ label, children }) {
  return html`<label class="field"><span>${t(label)}</span>${children}</label>`;
}

export function Section({ title, children, actions, testid }) {
  return html`<section class="card" data-testid=${testid}>
    <header class="card-h"><h2>${t(title)}</h2>${actions}</header>
    ${children}
  </section>`;
}

// The campaign the page works on (the newest by default).
export function CampaignPicker({ value, onChange }) {
  const [data, error] = useApi('campaigns', { limit: 50, offset: 0 });
  const [policies] = useApi('policies');
  const items = (data && (data.items || data)) || [];
  const jurisdiction = (c) => { const p = (policies || []).find((x) => x.id === c.policy_id); return p ? p.jurisdiction : undefined; };
  useEffect(() => {
    if (!value && items.length) onChange(items[items.length - 1].id);
  }, [data]);
  return html`<div class="row gap">
    <label class="field inline"><span>${t('campaign.pick')}</span>
      <select data-testid="campaign-pick" value=${value || ''} onChange=${(e) => onChange(Number(e.target.value))}>
        ${items.map((c) => html`<option value=${c.id}>${t('campaign.option', { year: c.benefit_year, region: regionNames.get(c.region_code) || c.region_code })}</option>`)}
      </select></label>
    ${items.length > 0 && html`<span class="muted small"><${RegionName} code=${items[items.length - 1].region_code} fallback=${jurisdiction(items[items.length - 1])} /></span>`}
    <${Notice} error=${error} />
  </div>`;
}

let echartsLoading = null;
// ECharts is ~170 kB gzipped: loaded only by the pages that draw charts, never on the log-in page.
export function loadECharts() {
  if (window.echarts) return Promise.resolve(window.echarts);
  if (!echartsLoading) {
    echartsLoading = new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = '/static/vendor/echarts-6.1.0.common.min.js';
      s.onload = () => resolve(window.echarts);
      s.onerror = reject;
      document.head.appendChild(s);
    });
  }
  return echartsLoading;
}

// A region's name from its code (GET regions?under=CODE&limit=1 lists the region itself first).
const regionNames = new Map();
// The user's region (set at log-in): names of regions outside it are not asked for (the API would
// refuse them); a caller may pass a fallback name (e.g. the policy's jurisdiction).
let userRegion = '';
export function setUserRegion(code) { userRegion = code || ''; }
export function RegionName({ code, fallback }) {
  if (fallback && !regionNames.has(code) && !code.startsWith(userRegion)) regionNames.set(code, fallback);
  const known = regionNames.get(code);
  const [data] = useApi(known || !code || !code.startsWith(userRegion) ? null : 'regions', { under: code, limit: 1, offset: 0 });
  const item = data && (data.items || [])[0];
  if (item && item.code === code) regionNames.set(code, item.name);
  const name = regionNames.get(code);
  return html`<span title=${code}>${name ? `${name}（${code}）` : code}</span>`;
}
