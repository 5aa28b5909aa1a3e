// Save a file from the API (an Excel list, a roster) under the name the server gave it. Loaded on
// the first click of a download button (ui.js, Download): the log-in page does not carry it.
import { ApiError } from './api.js';

export async function save(href) {
  let res;
  try {
    res = await fetch(href, { credentials: 'same-origin' });
  } catch (e) {
    throw new ApiError(0, 'network', '网络连接失败，请稍后重试', 'Network error, please try again');
  }
  if (!res.ok) {
    const e = ((await res.json().catch(() => null)) || {}).error || {};
    throw new ApiError(res.status, e.code || 'http_error', e.message || `HTTP ${res.status}`, e.message_en || `HTTP ${res.status}`);
  }
  const disposition = res.headers.get('content-disposition') || '';
  const named = /filename\*=UTF-8''([^;]+)/i.exec(disposition) || /filename="([^"]+)"/i.exec(disposition);
  const a = document.createElement('a');
  a.href = URL.createObjectURL(await res.blob());
  a.download = named ? decodeURIComponent(named[1]) : 'download';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 60000);
}
