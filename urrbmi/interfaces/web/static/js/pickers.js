// Pickers shared by the township and bureau pages: a region picker (town → village, from
// GET regions, inside the user's scope), a date picker, and a confirmation dialog for actions
// that move money or lock an account (issue 15 items 4 and 6).
import { html, useState, useEffect, useRef } from '../vendor/htm-preact-standalone-3.1.1.module.js';
import { api, EP } from './api.js';
import { t } from './i18n.js';
import { Notice } from './ui.js';

// Every region in the user's scope, fetched once per session (a county: ~270 rows, two pages).
let regionsLoading = null;
export function loadRegions() {
  if (!regionsLoading) {
    regionsLoading = (async () => {
      const all = [];
      for (let offset = 0; offset < 20000; offset += 500) {
        const page = await api(EP.regions, { query: { limit: 500, offset } });
        all.push(...(page.items || []));
        if (!page.has_more) break;
      }
      return all;
    })();
    regionsLoading.catch(() => { regionsLoading = null; });
  }
  return regionsLoading;
}

export function useRegions() {
  const [state, setState] = useState({ items: null, error: null });
  useEffect(() => {
    let live = true;
    loadRegions().then((items) => live && setState({ items, error: null }), (error) => live && setState({ items: [], error }));
    return () => { live = false; };
  }, []);
  return state;
}

// Town → village. `value` is a region code ('' = the user's whole region). `need`: 'village' makes
// a village compulsory (registering a resident), 'any' lets the user stop at the town or the county.
// The user's own town (or village) is fixed: a township officer picks only among its villages.
export function RegionPicker({ user, value, onChange, need = 'any', testid = 'region' }) {
  const { items, error } = useRegions();
  const own = (user && user.region_code) || '';
  const list = items || [];
  const towns = list.filter((r) => r.level === 'town');
  const ownTown = own.length >= 9 ? own.slice(0, 9) : '';
  const [picked, setPicked] = useState(value && value.length >= 9 ? value.slice(0, 9) : '');
  const town = ownTown || picked;
  const villages = list.filter((r) => r.level === 'village' && r.parent_code === town);
  const village = own.length === 12 ? own : (value && value.length === 12 ? value : '');
  // a village is still to be chosen when one is needed: the value is empty until then
  const pickTown = (code) => { setPicked(code); onChange(need === 'village' ? '' : code); };
  return html`<div class="region-picker" data-testid=${testid}>
    <label class="field"><span>${t('region.town')}</span>
      <select data-testid=${testid + '-town'} disabled=${!!ownTown} value=${town} onChange=${(e) => pickTown(e.target.value)}>
        ${!ownTown && html`<option value="">${need === 'village' ? t('region.choose') : t('region.all_towns')}</option>`}
        ${(ownTown ? list.filter((r) => r.code === ownTown) : towns).map((r) => html`<option value=${r.code}>${r.name}</option>`)}
        ${ownTown && !list.some((r) => r.code === ownTown) && html`<option value=${ownTown}>${t('region.own')}</option>`}
      </select></label>
    <label class="field"><span>${t('region.village')}</span>
      <select data-testid=${testid + '-village'} disabled=${!town || own.length === 12} value=${village}
        required=${need === 'village'} onChange=${(e) => onChange(e.target.value || town)}>
        <option value="">${need === 'village' ? t('region.choose') : t('region.all_villages')}</option>
        ${villages.map((r) => html`<option value=${r.code}>${r.name}</option>`)}
      </select></label>
    <${Notice} error=${error} />
  </div>`;
}

// The name of a region from the picker's cache ('' when not loaded or not in scope).
export function regionLabel(items, code) {
  const r = (items || []).find((x) => x.code === code);
  return r ? r.name : '';
}

// A date field (the browser's own calendar: <input type=date>), ISO yyyy-mm-dd.
export function DatePicker({ label, value, onChange, max, testid }) {
  return html`<label class="field inline"><span>${t(label)}</span>
    <input type="date" data-testid=${testid} value=${value || ''} max=${max || ''} onChange=${(e) => onChange(e.target.value)} /></label>`;
}

// A confirmation in the page (not window.confirm: it can say what will happen, ask for a reason and
// show the API's error in place). `onConfirm(reason)` returns a promise; the dialog closes when it
// resolves and shows the error when it fails.
export function Confirm({ title, body, reasonLabel, confirmLabel, onConfirm, onClose, danger, testid = 'confirm' }) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const box = useRef(null);
  useEffect(() => { box.current && box.current.scrollIntoView({ block: 'nearest' }); }, []);
  async function submit(e) {
    e.preventDefault();
    if (reasonLabel && !reason.trim()) { setError({ zh: t('confirm.reason_needed'), en: t('confirm.reason_needed') }); return; }
    setBusy(true); setError(null);
    try { await onConfirm(reason.trim()); onClose(); } catch (err) { setError(err); } finally { setBusy(false); }
  }
  return html`<div class="modal-back" onClick=${(e) => e.target === e.currentTarget && !busy && onClose()}>
    <form class="card modal" role="dialog" aria-modal="true" ref=${box} onSubmit=${submit} data-testid=${testid}>
      <h2>${title}</h2>
      <div class="modal-body">${body}</div>
      ${reasonLabel && html`<label class="field"><span>${reasonLabel}</span>
        <input data-testid=${testid + '-reason'} value=${reason} maxlength="400" onInput=${(e) => setReason(e.target.value)} /></label>`}
      <${Notice} error=${error} />
      <div class="row gap">
        <button type="submit" class=${danger ? 'primary danger' : 'primary'} disabled=${busy} data-testid=${testid + '-ok'}>${confirmLabel || t('confirm.ok')}</button>
        <button type="button" disabled=${busy} onClick=${onClose} data-testid=${testid + '-cancel'}>${t('common.cancel')}</button>
      </div>
    </form>
  </div>`;
}
