'use strict';
// 网格员: the grid worker's phone app (an installable web app at /m/). Plain DOM; everything a
// person typed or a service stored is put on the page as text (textContent), never as markup.
//
// Every write the worker makes goes through one queue (the IndexedDB store `outbox`), in the
// order of the taps, each with the request id made at the tap (the services' idempotency key):
// sent at once when there is a network, kept and sent later when there is none, so a replay never
// acts twice. A refusal by a service is a conflict, kept in `conflicts` with its message until the
// worker has read it. What was read (today's lists, the cases opened) is kept in `cache`, so the
// app shows it without a network.

const GRID = 'governance.grid.v1.GridService';
const STREAM = `/stream/${GRID}/WatchAssignments`;
const DB_NAME = 'grid-worker';
/** Seconds between retries of the queue while it holds something. */
const RETRY_SECONDS = 5;
/** A photo is sent as taken up to this size; a bigger one is re-encoded (the service takes 3 MiB). */
const PHOTO_LIMIT = 3 * 1024 * 1024;
const PHOTO_TYPES = ['image/jpeg', 'image/png', 'image/webp'];
/** Case categories as the platform's catalogue names them. */
const CATEGORIES = ['环境卫生', '市政设施', '物业服务', '邻里纠纷', '消防隐患', '噪音扰民', '违章搭建', '停车管理', '绿化养护', '治安防范'];
const OPEN_STATUSES = ['CASE_STATUS_REPORTED', 'CASE_STATUS_ACCEPTED', 'CASE_STATUS_ASSIGNED', 'CASE_STATUS_IN_PROGRESS', 'CASE_STATUS_REOPENED'];

// ---- Words ----

const UI = {
  zh: {
    title: '网格员', today: '今日', patrol: '巡查走访', queue: '待发送', me: '我的', language: 'EN', languageName: 'English',
    loading: '正在加载…', signIn: '登录', signInHint: '请使用网格员账号登录', username: '用户名', password: '密码', signingIn: '正在登录…',
    loginRefused: '用户名或密码不正确', loginLocked: '登录失败次数过多，账号已暂时锁定，请稍后再试',
    onlyWorkers: '此应用供网格员使用，请用网格员账号登录。', signOut: '退出登录',
    noWorker: '您的账号尚未绑定网格员档案。请联系社区工作人员，在网格员档案中绑定您的登录账号后再登录。',
    signInAgain: '登录已过期，请重新登录；待发送的操作会在登录后继续发送。',
    online: '在线', offline: '离线', live: '实时', connecting: '连接中',
    pendingN: '待发送 {n}', conflictsN: '冲突 {n}',
    dutyToday: '今日值班', noDuty: '今日没有排班', onDutyNow: '值班中', rosterOrder: '第{n}顺位',
    newAssignments: '新派单', myCases: '我的事件', gridTodo: '本网格待办', nothing: '暂无',
    refresh: '刷新', cachedAt: '离线：显示的是 {time} 保存的内容', notCached: '离线，手机上没有这条记录，联网后再试。',
    alarmTitle: '紧急告警', ack: '确认', acked: '已确认', ackQueued: '已确认 · 待发送',
    ackWithin: '{s} 秒内未确认将转给下一位', ackLate: '已超时，可能已转给下一位', alarmPassed: '告警已转给下一位网格员',
    device: '设备', reading: '读数', openCase: '查看事件', signFor: '签收', assignedAt: '派单时间',
    caseNumber: '编号', category: '类别', grid: '网格', address: '地址', reportTime: '上报', deadline: '时限',
    overdue: '已超期', details: '描述', resolution: '办理结果', handler: '办理层级', source: '来源', priority: '紧急程度',
    alarmKind: '告警类型', back: '返回',
    accept: '受理', claim: '领办', start: '开始处置', resolve: '办结', escalate: '上报社区', ackAction: '确认告警',
    photo: '照片', patrolAction: '提交巡查', visitAction: '提交走访',
    acceptHint: '受理后由本网格办理。', claimHint: '由我来办理这件事。', startHint: '到达现场，开始处置。',
    resolveHint: '填写办理结果，可附办结后的照片。', escalateHint: '网格内无法解决时上报社区，请写明原因。', heldAfterRefusal: '同一事件的前一步未被接受，此步未发送。', movedOn: '事件（{status}）已派给他人，此步未发送。', addNote: '添加记录', noteText: '记录内容', noteHint: '记下现场情况或联系进展，可附照片；事件状态不变。',
    note: '备注（选填）', reason: '上报原因', afterPhoto: '办结后照片（选填）', confirm: '确认', cancel: '取消',
    needText: '请填写{field}', photos: '照片', addPhoto: '拍照 / 添加照片', photoQueued: '待发送',
    photoUnavailable: '联网后显示', history: '办理记录', queuedStep: '待发送',
    queued: '待发送', queuedHint: '这些操作已保存在手机上，有网络时按顺序自动发送。', sending: '正在发送…',
    sendNow: '立即发送', nothingQueued: '没有待发送的操作。', conflicts: '冲突',
    conflictHint: '服务器没有执行下面的操作（事件可能已被他人处理）。请核对事件后再决定。',
    noConflicts: '没有冲突。', dismiss: '知道了', lastError: '上次发送失败：{e}', attempts: '已尝试 {n} 次',
    networkDown: '网络不可用，稍后自动重试', queuedAt: '{time} 记录',
    savedOffline: '已保存，联网后自动发送', conflictToast: '未执行：{what}。{message}', sentToast: '已发送',
    patrolTitle: '记录巡查 / 走访', kindPatrol: '巡查', kindVisit: '走访', position: '当前位置', locate: '重新定位',
    locating: '正在定位…', located: '已定位（精度约 {acc} 米）', noPosition: '未能定位：{e}', noGeolocation: '此设备不支持定位',
    households: '走访户数', patrolNote: '情况说明（选填）', findings: '发现的问题', addFinding: '添加问题',
    removeFinding: '删除此问题', findingN: '问题 {n}', findingDetails: '问题描述', findingCategory: '问题类别',
    findingPriority: '紧急程度', openCaseFromFinding: '立即生成事件（派网格办理）', submitPatrol: '提交',
    patrolSent: '已提交', patrolQueued: '已保存，联网后自动提交', casesOpened: '已生成事件：', startedAt: '开始时间',
    meTitle: '我的', account: '账号', grids: '服务网格', install: '添加到主屏幕', appVersion: '离线可用',
    signOutPending: '还有 {n} 项待发送：下次用本账号登录后会继续发送。确定退出吗？',
    you: '我', platform: '系统', operator: '系统初始化', resident: '居民', reporter: '上报人', revealReporter: '查看完整号码',
    casePosition: '位置', openInMap: '在地图中打开', workerKind: '身份', dutyNone: '—', nextDay: '次日',
    patrolSummary: '{kind} · {grid} · 走访 {n} 户 · 发现问题 {f} 个',
  },
  en: {
    title: 'Grid worker', today: 'Today', patrol: 'Patrol', queue: 'Outbox', me: 'Me', language: '中文', languageName: '中文',
    loading: 'Loading…', signIn: 'Sign in', signInHint: 'Sign in with your grid worker account', username: 'Username', password: 'Password', signingIn: 'Signing in…',
    loginRefused: 'Wrong username or password', loginLocked: 'Too many failures: the account is locked for a while',
    onlyWorkers: 'This app is for grid workers: sign in with a grid worker account.', signOut: 'Sign out',
    noWorker: 'Your account is not bound to a grid worker record yet. Ask the community staff to bind your sign-in to your grid worker record.',
    signInAgain: 'Your session expired: sign in again; the outbox is sent after you do.',
    online: 'Online', offline: 'Offline', live: 'Live', connecting: 'Connecting',
    pendingN: '{n} to send', conflictsN: '{n} conflicts',
    dutyToday: 'On duty today', noDuty: 'No shift today', onDutyNow: 'on duty', rosterOrder: 'order {n}',
    newAssignments: 'New assignments', myCases: 'My cases', gridTodo: 'To do in my grid', nothing: 'None',
    refresh: 'Refresh', cachedAt: 'Offline: showing what was saved at {time}', notCached: 'Offline, and this record is not on the phone.',
    alarmTitle: 'Alarm', ack: 'Confirm', acked: 'Confirmed', ackQueued: 'Confirmed · to send',
    ackWithin: 'Passes to the next worker in {s} s', ackLate: 'Timed out; it may have passed on', alarmPassed: 'The alarm passed to the next worker',
    device: 'Device', reading: 'Reading', openCase: 'Open case', signFor: 'Confirm', assignedAt: 'Assigned',
    caseNumber: 'Number', category: 'Category', grid: 'Grid', address: 'Address', reportTime: 'Reported', deadline: 'Due',
    overdue: 'Overdue', details: 'Details', resolution: 'Resolution', handler: 'Level', source: 'Source', priority: 'Priority',
    alarmKind: 'Alarm', back: 'Back',
    accept: 'Accept', claim: 'Take on', start: 'Start', resolve: 'Resolve', escalate: 'Escalate', ackAction: 'Confirm alarm',
    photo: 'Photo', patrolAction: 'Patrol', visitAction: 'Visit round',
    acceptHint: 'The grid takes the case.', claimHint: 'I handle this case.', startHint: 'On site, work starts.',
    resolveHint: 'What was done, with a photo of the result if you like.', escalateHint: 'Pass it to the community, saying why.', heldAfterRefusal: 'The step before it on this case was refused, so this one was not sent.', movedOn: 'The case ({status}) is with someone else, so this step was not sent.', addNote: 'Add a note', noteText: 'The note', noteHint: 'What you saw or did, with a photo if you like; the case stays as it is.',
    note: 'Note (optional)', reason: 'Reason', afterPhoto: 'Photo of the result (optional)', confirm: 'Confirm', cancel: 'Cancel',
    needText: 'Fill in {field}', photos: 'Photos', addPhoto: 'Take / add a photo', photoQueued: 'to send',
    photoUnavailable: 'shown when online', history: 'History', queuedStep: 'to send',
    queued: 'To send', queuedHint: 'Saved on the phone; sent in order when there is a network.', sending: 'Sending…',
    sendNow: 'Send now', nothingQueued: 'Nothing to send.', conflicts: 'Conflicts',
    conflictHint: 'The server did not do these (the case may have been handled by someone else). Check the case.',
    noConflicts: 'No conflicts.', dismiss: 'Got it', lastError: 'Last try failed: {e}', attempts: '{n} tries',
    networkDown: 'No network; retrying', queuedAt: 'made {time}',
    savedOffline: 'Saved; sent when online', conflictToast: 'Not done: {what}. {message}', sentToast: 'Sent',
    patrolTitle: 'Log a patrol or visit', kindPatrol: 'Patrol', kindVisit: 'Visit', position: 'Position', locate: 'Locate again',
    locating: 'Locating…', located: 'Located (about {acc} m)', noPosition: 'No position: {e}', noGeolocation: 'No positioning on this device',
    households: 'Households visited', patrolNote: 'Note (optional)', findings: 'Findings', addFinding: 'Add a finding',
    removeFinding: 'Remove this finding', findingN: 'Finding {n}', findingDetails: 'What was found', findingCategory: 'Category',
    findingPriority: 'Priority', openCaseFromFinding: 'Open a case for it now', submitPatrol: 'Submit',
    patrolSent: 'Submitted', patrolQueued: 'Saved; submitted when online', casesOpened: 'Cases opened: ', startedAt: 'Started',
    meTitle: 'Me', account: 'Account', grids: 'Grids served', install: 'Add to home screen', appVersion: 'Works offline',
    signOutPending: '{n} actions still to send: they are sent when you sign in with this account again. Sign out?',
    you: 'me', platform: 'System', operator: 'Initial load', resident: 'Resident', reporter: 'Reporter', revealReporter: 'Show the number',
    casePosition: 'Position', openInMap: 'Open in maps', workerKind: 'Kind', dutyNone: '—', nextDay: 'next day',
    patrolSummary: '{kind} · {grid} · {n} households · {f} findings',
  },
};

/** The contract's enum values in words: the console's labels.json (`enums`, by value, zh and en). */
let labels = { enums: {} };

let lang = localStorage.getItem('worker-lang') === 'en' ? 'en' : 'zh';
/** The console's errors.json: the services' refusals in Chinese, by template. */
let errorWords = { rules: {}, fields: {}, resources: {} };

const t = (key, values = {}) => String(UI[lang][key] ?? UI.zh[key] ?? key).replace(/\{(\w+)\}/g, (_, k) => String(values[k] ?? ''));
/** An enum value in words; one without a label shows as it is (a test sees it). */
const E = (value) => (value ? labels.enums[value]?.[lang] ?? value : '');

// ---- DOM ----

let counter = 0;
const uid = (prefix) => `${prefix}-${++counter}`;

/** A labelled control. */
function field(label, input, hint) {
  if (!input.id) input.id = uid('f');
  return el('div', { class: 'field' }, el('label', { for: input.id, text: label }), input,
    hint ? el('small', { class: 'muted', text: hint }) : null);
}

function card(title, ...children) {
  return el('section', { class: 'card' }, title ? el('h2', {}, title) : null, ...children);
}

const main = () => document.getElementById('main');
function show(...nodes) {
  main().replaceChildren(...nodes.flat().filter((node) => node !== null && node !== undefined && node !== false));
}

let toastTimer = 0;
function toast(text, bad = false) {
  const node = document.getElementById('toast');
  node.textContent = text;
  node.className = bad ? 'toast bad' : 'toast';
  node.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { node.hidden = true; }, bad ? 8000 : 3000);
}

// ---- Time, in the city's clock (Beijing time) wherever the phone is ----

const clock = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
const parts = (value) => Object.fromEntries(clock.formatToParts(new Date(value)).map((part) => [part.type, part.value]));
const hhmm = (value) => { const p = parts(value); return `${p.hour}:${p.minute}`; };
/** A span of time within a day: 08:00–20:00, 00:00–24:00, 20:00–次日 08:00. */
function span(start, end) {
  const [a, b] = [parts(start), parts(end)];
  const sameDay = a.year === b.year && a.month === b.month && a.day === b.day;
  const dayAfter = Date.parse(`${b.year}-${b.month}-${b.day}T00:00:00+08:00`) - Date.parse(`${a.year}-${a.month}-${a.day}T00:00:00+08:00`) === 86400000;
  const until = sameDay ? hhmm(end) : dayAfter && b.hour === '00' && b.minute === '00' ? '24:00' : `${t('nextDay')} ${hhmm(end)}`;
  return `${hhmm(start)}–${until}`;
}
const dayTime = (value) => { if (!value) return ''; const p = parts(value); return `${p.month}-${p.day} ${p.hour}:${p.minute}`; };
/** Today in the city, as [start, end) timestamps. */
function cityDay(now = Date.now()) {
  const p = parts(now);
  const start = Date.parse(`${p.year}-${p.month}-${p.day}T00:00:00+08:00`);
  return [new Date(start).toISOString(), new Date(start + 24 * 3600 * 1000).toISOString()];
}
const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });
/**
 * A request id (the services' idempotency key), made at the moment of the tap: a random UUID
 * (crypto.randomUUID; from crypto.getRandomValues where the page is not a secure context).
 */
function requestId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// ---- IndexedDB: outbox (the queue of writes), conflicts, cache ----

let database = null;
function openDatabase() {
  database ??= new Promise((resolve, reject) => {
    const opening = indexedDB.open(DB_NAME, 1);
    opening.onupgradeneeded = () => {
      const db = opening.result;
      // Key order is tap order: autoIncrement keys only grow.
      db.createObjectStore('outbox', { keyPath: 'seq', autoIncrement: true });
      db.createObjectStore('conflicts', { keyPath: 'seq' });
      db.createObjectStore('cache');
    };
    opening.onsuccess = () => resolve(opening.result);
    opening.onerror = () => reject(opening.error);
  });
  return database;
}
const request = (r) => new Promise((resolve, reject) => { r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });
const finished = (tx) => new Promise((resolve, reject) => {
  tx.oncomplete = () => resolve(); tx.onerror = () => reject(tx.error); tx.onabort = () => reject(tx.error);
});
async function objectStore(name, mode = 'readonly') {
  return (await openDatabase()).transaction(name, mode).objectStore(name);
}
const idb = {
  get: async (name, key) => request((await objectStore(name)).get(key)),
  all: async (name) => request((await objectStore(name)).getAll()),
  put: async (name, value, key) => request((await objectStore(name, 'readwrite')).put(value, key)),
  add: async (name, value) => request((await objectStore(name, 'readwrite')).add(value)),
  delete: async (name, key) => request((await objectStore(name, 'readwrite')).delete(key)),
};
const cacheGet = (key) => idb.get('cache', key).catch(() => undefined);
const cachePut = (key, value) => idb.put('cache', { ...value, savedAt: Date.now() }, key).catch(() => undefined);

// ---- Calls ----

/** A refusal by a service: HTTP status, Connect code, its message and its google.rpc.ErrorInfo. */
class ServiceError extends Error {
  constructor(status, code, message, details) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.info = details?.find?.((detail) => detail.type === 'google.rpc.ErrorInfo')?.debug?.metadata ?? null;
    const split = /^([a-z_][a-z0-9_.[\]]*): /.exec(message || '');
    this.field = this.info ? this.info.field ?? '' : split?.[1] ?? '';
  }

  get plain() {
    return { status: this.status, code: this.code, message: this.message, info: this.info, field: this.field, local: this.local };
  }
}
/** No answer: no network, a dropped connection, a timeout, or an answer that is not the service's. */
class NetworkError extends Error {}

async function fetchWithin(url, options, ms) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), ms);
  try {
    return await fetch(url, { ...options, signal: abort.signal, credentials: 'same-origin' });
  } catch (error) {
    throw new NetworkError(String(error?.message || error));
  } finally {
    clearTimeout(timer);
  }
}

/** An answer as JSON, or the Connect error it carries; anything else is no answer. */
async function answerOf(response) {
  const body = await response.json().catch(() => null);
  if (response.ok && body !== null) return body;
  if (!response.ok && body && typeof body.code === 'string') {
    throw new ServiceError(response.status, body.code, body.message ?? '', body.details);
  }
  throw new NetworkError(`HTTP ${response.status}`);
}

async function call(method, body = {}, ms = 20000) {
  const response = await fetchWithin(`/${GRID}/${method}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': state.session?.csrfToken ?? '' },
    body: JSON.stringify(body),
  }, ms);
  try {
    return await answerOf(response);
  } catch (error) {
    if (error instanceof ServiceError && error.status === 401) sessionLost();
    throw error;
  }
}

async function callAll(method, body, key, limit = 1000) {
  const all = [];
  let pageToken = '';
  do {
    const page = await call(method, { ...body, pageSize: 200, pageToken });
    all.push(...(page[key] || []));
    pageToken = page.nextPageToken || '';
  } while (pageToken && all.length < limit);
  return all;
}

/** A record id (case_…, wkr_…, pat_…): never shown. */
const ID = /\b[a-z]{2,6}_[0-9A-Za-z]{10,}\b/g;
const scrub = (text) => String(text ?? '').replace(ID, '').replace(/\b[A-Z][A-Z0-9]+(?:_[A-Z0-9]+)+\b/g, (value) => E(value))
  .replace(/\s{2,}/g, ' ').trim();

/** A value put in a refusal, in words: a place by its name, a time, an enum by its label; ids left out. */
function valueWords(value) {
  if (/^\d{12}(\d{3})?$/.test(value)) return state.grids[value] ?? (value.length === 12 ? E('CASE_LEVEL_COMMUNITY') : E('CASE_LEVEL_GRID'));
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value)) return dayTime(value);
  if (labels.enums[value]) return E(value);
  if (/^[a-z]{2,6}_[0-9A-Za-z]{10,}$/.test(value)) return '';
  if (/^[a-z][a-zA-Z]*$/.test(value)) {
    const suffix = `_${value.replace(/[A-Z]/g, (letter) => `_${letter}`).toUpperCase()}`;
    const key = Object.keys(labels.enums).find((name) => name.endsWith(suffix));
    if (key) return E(key);
  }
  return scrub(value);
}

/** A refusal in the app's language: what kind, which field, which rule (errors.json). */
function refusalText(error) {
  const kind = ERROR_CODES[lang][error.code] ?? ERROR_CODES[lang].unknown;
  if (lang !== 'zh') return error.message ? `${kind}: ${scrub(error.message)}` : kind;
  const info = error.info;
  const said = [];
  if (info) {
    const render = (name, table) => {
      const words = info[name] === undefined ? undefined : table[info[name]];
      return words === undefined ? null : words.replace(/\{(\d+)\}/g, (_, index) => valueWords(info[`${name}_${index}`] ?? ''));
    };
    const resource = render('resource', errorWords.resources);
    if (resource) said.push(`${resource}${error.code === 'already_exists' ? '已存在' : '不存在'}`);
    for (const name of ['rule', 'reason', 'detail']) {
      const text = render(name, errorWords.rules);
      if (text) said.push(text);
    }
  }
  const last = String(error.field || '').split('.').pop().replace(/\[[^\]]*\]$/, '');
  const name = last ? errorWords.fields?.[last] ?? '' : '';
  return said.length ? `${kind}：${name}${said.join('：')}` : kind;
}

function errorText(error) {
  if (error instanceof NetworkError) return t('networkDown');
  // The app's own refusal of a queued step (heldStep): already in the app's words.
  if (error?.local) return t(error.local.key, error.local.values);
  if (error instanceof ServiceError) return refusalText(error);
  if (error && typeof error.code === 'string') return refusalText(error);
  return String(error?.message || error);
}

// ---- State ----

const state = {
  session: null, // { subject, role, scope, csrfToken, username }
  worker: null, // GridWorker
  grids: {}, // grid code → name
  outbox: [], // this user's queued writes, oldest first
  conflicts: [], // this user's refused writes
  assignments: new Map(), // assignment id → Assignment, as the stream delivered it
  today: null,
  draining: false,
  needSignIn: false,
  stream: null,
  streamState: 'closed',
  installPrompt: null,
  view: null, // { name, id, busy, refresh }
};

const online = () => navigator.onLine !== false;

// ---- Session and the worker record ----

async function fetchMe() {
  let response;
  try {
    response = await fetchWithin('/auth/me', {}, 8000);
  } catch (error) {
    return { offline: true };
  }
  if (response.status === 401) return { signedOut: true };
  try {
    return { me: await answerOf(response) };
  } catch (error) {
    return error instanceof ServiceError && error.status < 500 ? { signedOut: true } : { offline: true };
  }
}

/** The grid worker record bound to the signed-in principal (GridWorker.principal_id), or null. */
async function findWorker(session) {
  let pageToken = '';
  do {
    const page = await call('ListGridWorkers', { divisionPrefix: session.scope || '', pageSize: 200, pageToken });
    const mine = (page.workers || []).find((worker) => worker.principalId === session.subject);
    if (mine) return mine;
    pageToken = page.nextPageToken || '';
  } while (pageToken);
  return null;
}

async function gridNames(worker) {
  const names = {};
  try {
    const grids = await callAll('ListGrids', { workerId: worker.id }, 'grids', 200);
    for (const grid of grids) names[grid.gridCode] = grid.name;
  } catch (error) {
    if (!(error instanceof NetworkError)) throw error;
  }
  return names;
}

/** Starts the app for `me` (from /auth/me); with `cached`, from what the phone kept (offline). */
async function startSession(me, cached = null) {
  // Another person on this phone: nothing of the last one's shows.
  if (state.session?.subject !== me.subject) {
    state.assignments.clear();
    state.today = null;
    state.worker = null;
    state.grids = {};
  }
  state.session = { subject: me.subject, role: me.role, scope: me.scope, csrfToken: me.csrfToken, username: String(me.subject || '').replace(/^user:/, '') };
  state.needSignIn = false;
  if (me.role !== 'grid_worker') {
    showBlocked(t('onlyWorkers'));
    return;
  }
  if (cached) {
    state.worker = cached.worker;
    state.grids = cached.grids || {};
  } else {
    try {
      state.worker = await findWorker(state.session);
      if (state.worker) state.grids = await gridNames(state.worker);
    } catch (error) {
      const kept = await cacheGet('session');
      if (!(error instanceof NetworkError) || kept?.subject !== me.subject) {
        showBlocked(errorText(error));
        return;
      }
      state.worker = kept.worker;
      state.grids = kept.grids || {};
    }
    if (!state.worker) {
      showBlocked(`${t('noWorker')}（${t('account')}：${state.session.username}）`);
      return;
    }
    await cachePut('session', { subject: me.subject, role: me.role, scope: me.scope, username: state.session.username,
      worker: state.worker, grids: state.grids });
  }
  const kept = await cacheGet('assignments');
  if (kept?.subject === me.subject) for (const assignment of kept.list || []) state.assignments.set(assignment.id, assignment);
  await loadQueues();
  document.body.classList.remove('signed-out');
  document.getElementById('tabs').hidden = false;
  renderChrome();
  renderAlarms();
  openStream();
  await route();
  drain();
}

/** The session ended (idle too long, signed out elsewhere): sign in again; the queue waits for it. */
function sessionLost() {
  if (!state.session || state.needSignIn) return;
  state.needSignIn = true;
  // A view still loading does not draw over the sign-in.
  state.view = null;
  closeStream();
  showSignIn(t('signInAgain'));
}

function showBlocked(text) {
  document.body.classList.add('signed-out');
  document.getElementById('tabs').hidden = true;
  show(el('section', { class: 'card signin' }, el('p', { class: 'banner error', id: 'blocked', text }),
    el('button', { type: 'button', class: 'wide secondary', id: 'signout', text: t('signOut'), onclick: signOut })));
}

function showSignIn(message = '') {
  closeStream();
  document.body.classList.add('signed-out');
  document.getElementById('tabs').hidden = true;
  renderChrome();
  const username = el('input', { id: 'username', name: 'username', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' });
  const password = el('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const error = el('p', { class: 'error', id: 'login-error', role: 'alert', text: message });
  const button = el('button', { type: 'submit', id: 'signin', class: 'wide big', text: t('signIn') });
  const form = el('form', { class: 'card signin', id: 'login' },
    el('img', { src: 'worker-icon.svg', alt: '', class: 'logo' }),
    el('h2', { text: t('title') }), el('p', { class: 'muted center', text: t('signInHint') }),
    field(t('username'), username), field(t('password'), password), button, error);
  if (state.session?.username) username.value = state.session.username;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = '';
    button.disabled = true;
    button.textContent = t('signingIn');
    try {
      const response = await fetchWithin('/auth/login', {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username: username.value.trim(), password: password.value, otp: '' }),
      }, 15000);
      await answerOf(response);
      const who = await fetchMe();
      if (!who.me) throw new NetworkError('no session');
      await startSession(who.me);
    } catch (failure) {
      if (failure instanceof ServiceError && failure.code === 'unauthenticated') error.textContent = t('loginRefused');
      else if (failure instanceof ServiceError && failure.code === 'permission_denied') error.textContent = t('loginLocked');
      else error.textContent = errorText(failure);
      button.disabled = false;
      button.textContent = t('signIn');
    }
  });
  show(form);
}

async function signOut() {
  if (state.outbox.length && !window.confirm(t('signOutPending', { n: state.outbox.length }))) return;
  try {
    await fetchWithin('/auth/logout', { method: 'POST', headers: { 'X-CSRF-Token': state.session?.csrfToken ?? '' } }, 8000);
  } catch (error) {
    // Offline: the session ends on the server by itself.
  }
  closeStream();
  // What this user read leaves the phone; their queued writes stay for their next sign-in.
  const db = await openDatabase();
  const tx = db.transaction('cache', 'readwrite');
  tx.objectStore('cache').clear();
  await finished(tx).catch(() => undefined);
  state.session = null;
  state.worker = null;
  state.assignments.clear();
  state.outbox = [];
  state.conflicts = [];
  location.hash = '';
  renderAlarms();
  showSignIn();
}

// ---- The outbox ----

/** What each case step is: its method, the states it is taken from, where it leads, its history line. */
const STEPS = {
  accept: { method: 'AcceptCase', from: ['CASE_STATUS_REPORTED', 'CASE_STATUS_REOPENED'], to: 'CASE_STATUS_ACCEPTED', event: 'CASE_EVENT_KIND_ACCEPTED', text: 'note', hint: 'acceptHint' },
  claim: { method: 'AssignCase', from: ['CASE_STATUS_ACCEPTED'], to: 'CASE_STATUS_ASSIGNED', event: 'CASE_EVENT_KIND_ASSIGNED', text: 'note', hint: 'claimHint' },
  start: { method: 'StartCase', from: ['CASE_STATUS_ASSIGNED'], to: 'CASE_STATUS_IN_PROGRESS', event: 'CASE_EVENT_KIND_STARTED', text: 'note', hint: 'startHint', mine: true },
  resolve: { method: 'ResolveCase', from: ['CASE_STATUS_IN_PROGRESS'], to: 'CASE_STATUS_RESOLVED', event: 'CASE_EVENT_KIND_RESOLVED', text: 'resolution', required: true, photo: true, hint: 'resolveHint', mine: true },
  escalate: { method: 'EscalateCase', from: OPEN_STATUSES, to: 'CASE_STATUS_ACCEPTED', event: 'CASE_EVENT_KIND_ESCALATED', text: 'note', required: true, hint: 'escalateHint' },
  // A note changes nothing but the history (AddCaseNote answers its NOTED event).
  addNote: { method: 'AddCaseNote', from: [...OPEN_STATUSES, 'CASE_STATUS_RESOLVED'], to: null, event: 'CASE_EVENT_KIND_NOTED', text: 'note', required: true, photo: true, hint: 'noteHint' },
};
const ACTION_WORDS = { ack: 'ackAction', photo: 'photo', patrol: 'patrolAction', visit: 'visitAction' };
const actionName = (action) => t(ACTION_WORDS[action] ?? action);
const entryLabel = (entry) => [actionName(entry.what?.action), entry.what?.caseNumber, entry.what?.title].filter(Boolean).join(' · ');

async function loadQueues() {
  const subject = state.session?.subject;
  const [outbox, conflicts] = await Promise.all([idb.all('outbox'), idb.all('conflicts')]);
  state.outbox = outbox.filter((entry) => entry.subject === subject).sort((a, b) => a.seq - b.seq);
  state.conflicts = conflicts.filter((entry) => entry.subject === subject).sort((a, b) => a.seq - b.seq);
}

/** Waiting taps: a send's outcome by entry seq. */
const waiters = new Map();

/**
 * Puts one write in the queue and starts sending. `entry`: `{ kind: 'call', method, body }` with
 * `body.requestId` made at the tap, or `{ kind: 'upload', parent, blob, filename, requestId }`;
 * `what` says what it is for the lists. Returns once the entry is stored, with `outcome`: its
 * answer (`{ answer }`) or refusal (`{ error }`) once sent, or null when it still waits after `waitMs`.
 */
async function enqueue(entry, waitMs = 6000) {
  const stored = { ...entry, subject: state.session.subject, createdAt: Date.now(), attempts: 0, lastError: null };
  stored.seq = await idb.add('outbox', stored);
  state.outbox.push(stored);
  renderChrome();
  const settled = new Promise((resolve) => { waiters.set(stored.seq, resolve); });
  // Offline, the tap is answered at once: it waits in the queue.
  if (!online()) settle(stored, null);
  drain();
  return { seq: stored.seq, outcome: Promise.race([settled, sleep(waitMs).then(() => null)]) };
}

function settle(entry, outcome) {
  // An acknowledged (or refused) assignment is no longer waiting for this worker.
  if (outcome && entry.method === 'AcknowledgeAssignment') {
    const id = entry.body.assignmentId;
    if (outcome.answer && state.assignments.has(id)) {
      state.assignments.set(id, outcome.answer);
      confirmedAlarms.set(id, Date.now());
      setTimeout(() => { confirmedAlarms.delete(id); if (state.assignments.get(id)?.state !== 'ASSIGNMENT_STATE_PENDING') state.assignments.delete(id); saveAssignments(); renderAlarms(); }, 5000);
    } else {
      state.assignments.delete(id);
    }
    saveAssignments();
  }
  const resolve = waiters.get(entry.seq);
  waiters.delete(entry.seq);
  resolve?.(outcome);
}

/** Whether a failure is the service refusing the write (kept as a conflict), or no answer (retried). */
function disposition(error) {
  if (error instanceof NetworkError) return 'retry';
  if (!(error instanceof ServiceError)) return 'retry';
  if (error.status === 401 || error.code === 'unauthenticated') return 'signin';
  if (error.status >= 500 || error.status === 408 || error.status === 429
    || ['unavailable', 'deadline_exceeded', 'resource_exhausted', 'aborted', 'internal', 'unknown'].includes(error.code)) return 'retry';
  return 'conflict';
}

async function sendUpload(entry) {
  if (entry.eventId === null && entry.caseId) {
    // The step the photo goes with, found once and kept: a replay sends the very same request.
    const events = await callAll('ListCaseEvents', { caseId: entry.caseId }, 'events');
    const step = [...events].reverse().find((event) => !entry.stepKind || event.kind === entry.stepKind) ?? events[events.length - 1];
    entry.eventId = step?.id ?? '';
    await idb.put('outbox', entry);
  }
  const form = new FormData();
  form.append('request_id', entry.requestId);
  if (entry.eventId) form.append('event_id', entry.eventId);
  form.append('file', entry.blob, entry.filename);
  const response = await fetchWithin(`/files/${entry.parent}`, {
    method: 'POST', headers: { 'X-CSRF-Token': state.session?.csrfToken ?? '' }, body: form,
  }, 60000);
  return answerOf(response);
}

/** A queued step the app itself does not send, kept as a conflict in its own words. */
function heldStep(key, values = {}) {
  const error = new ServiceError(409, 'failed_precondition', key);
  error.local = { key, values };
  return error;
}

/**
 * Whether a queued step still fits the case as it now is, for the steps the service would take
 * whatever happened meanwhile: taking a case on (the service also reassigns, so a queued 领办 would
 * take a case already dispatched to a colleague) and the steps of the case's own worker (which
 * must still be this worker's). A case already this worker's passes, so that a replay of a step
 * already applied is answered by the service's ledger as the first time. Wrong states are the
 * service's transition table's to refuse.
 */
async function checkStillFits(entry) {
  const step = STEPS[entry.what?.action];
  if (entry.kind !== 'call' || !step || !(entry.what.action === 'claim' || step.mine)) return;
  const now = await call('GetCase', { id: entry.caseId });
  const mine = now.assigneeId === state.worker?.id;
  const fits = entry.what.action === 'claim' ? !now.assigneeId || mine : mine;
  if (!fits) throw heldStep('movedOn', { status: E(now.status) });
}

async function send(entry) {
  await checkStillFits(entry);
  return entry.kind === 'upload' ? sendUpload(entry) : call(entry.method, entry.body);
}

/**
 * Sends the queue, oldest first, one at a time, each with its own request id. A refusal moves the
 * entry to the conflicts and the run goes on; no answer (network, 5xx) ends the run, which is
 * tried again on `online` and every few seconds.
 */
async function drain() {
  if (!state.session || state.needSignIn || !state.outbox.length) return;
  if (state.draining) { state.drainAgain = true; return; }
  state.draining = true;
  state.drainAgain = false;
  renderChrome();
  let sent = 0;
  const run = async () => {
    let csrfChecked = false;
    for (;;) {
      await loadQueues();
      const entry = state.outbox[0];
      if (!entry || !online()) break;
      try {
        // A step queued behind a refused one of the same case was meant to follow it: it is not
        // sent on its own, but kept beside it.
        if (entry.caseId && state.conflicts.some((refused) => refused.caseId === entry.caseId && refused.seq < entry.seq)) {
          throw heldStep('heldAfterRefusal');
        }
        const answer = await send(entry);
        await idb.delete('outbox', entry.seq);
        sent += 1;
        settle(entry, { answer });
      } catch (error) {
        const what = disposition(error);
        if (what === 'conflict' && error.code === 'permission_denied' && !csrfChecked) {
          // A token of an older session: read the current one and try once more.
          csrfChecked = true;
          const who = await fetchMe();
          if (who.me && who.me.csrfToken !== state.session.csrfToken) {
            state.session.csrfToken = who.me.csrfToken;
            continue;
          }
        }
        if (what === 'conflict') {
          const db = await openDatabase();
          const tx = db.transaction(['outbox', 'conflicts'], 'readwrite');
          const { blob, ...kept } = entry;
          tx.objectStore('conflicts').put({ ...kept, refusal: error.plain, refusedAt: Date.now() });
          tx.objectStore('outbox').delete(entry.seq);
          await finished(tx);
          settle(entry, { error });
          toast(t('conflictToast', { what: entryLabel(entry), message: errorText(error) }), true);
          continue;
        }
        entry.attempts += 1;
        entry.lastError = error instanceof ServiceError ? error.plain : { network: true };
        entry.lastTry = Date.now();
        await idb.put('outbox', entry);
        if (what === 'signin') state.needSignIn = true;
        // Whoever waits for these taps learns they wait in the queue.
        for (const waiting of state.outbox) settle(waiting, null);
        break;
      }
    }
  };
  try {
    if (navigator.locks?.request) await navigator.locks.request('grid-worker-outbox', run);
    else await run();
  } catch (error) {
    console.warn('outbox', error);
  } finally {
    state.draining = false;
    await loadQueues().catch(() => undefined);
    renderChrome();
    if (state.needSignIn) {
      state.needSignIn = false;
      sessionLost();
    } else {
      if (sent) {
        renderAlarms();
        refreshView();
      }
      // Something queued while the run ended: its own run.
      if (state.drainAgain && state.outbox.length && online()) setTimeout(drain, 0);
    }
  }
}

setInterval(() => { if (state.outbox.length && online()) drain(); }, RETRY_SECONDS * 1000);

/** A case as it will be once its queued steps are sent. */
function projected(gridCase) {
  if (!gridCase) return gridCase;
  const queued = state.outbox.filter((entry) => entry.kind === 'call' && entry.caseId === gridCase.id);
  const next = { ...gridCase, handler: { ...(gridCase.handler || {}) }, queued: queued.length };
  for (const entry of queued) {
    const step = STEPS[entry.what?.action];
    if (!step || !step.to) continue;
    next.status = step.to;
    if (entry.what.action === 'claim') next.assigneeId = state.worker?.id;
    if (entry.what.action === 'resolve') next.resolution = entry.body.resolution;
    if (entry.what.action === 'escalate') {
      next.handler = { level: 'CASE_LEVEL_COMMUNITY', unitCode: String(next.handler.unitCode || '').slice(0, 12) };
      next.assigneeId = '';
    }
  }
  return next;
}

/** The steps the worker may take on a case now (the service checks again). */
function stepsFor(gridCase) {
  const atGrid = (gridCase.handler?.level ?? 'CASE_LEVEL_GRID') === 'CASE_LEVEL_GRID';
  if (!atGrid) return [];
  const someoneElses = Boolean(gridCase.assigneeId) && gridCase.assigneeId !== state.worker?.id;
  return Object.entries(STEPS).filter(([key, step]) => step.from.includes(gridCase.status)
    && (!step.mine || gridCase.assigneeId === state.worker?.id) && !(key === 'escalate' && someoneElses)).map(([key]) => key);
}

// ---- Assignments, live ----

const isAlarm = (assignment) => assignment.gridCase?.source === 'CASE_SOURCE_SENSOR_ALARM';
/** An assignment still waiting for this worker's confirmation; one they made themselves (领办) is not. */
const awaiting = (assignment) => assignment.state === 'ASSIGNMENT_STATE_PENDING' && assignment.audit?.createdBy !== state.session?.subject;
const ackQueued = (assignment) => state.outbox.some((entry) => entry.what?.action === 'ack' && entry.body?.assignmentId === assignment.id);
let reconnectDelay = 1000;
let reconnectTimer = 0;
let pendingCheck = 0;

function setStreamState(value) {
  state.streamState = value;
  document.body.dataset.stream = value;
  renderChrome();
}

function closeStream() {
  clearTimeout(reconnectTimer);
  if (state.stream) state.stream.close();
  state.stream = null;
  setStreamState('closed');
}

/** The worker's assignments as server-sent events: the pending ones first, then each new one. */
function openStream() {
  closeStream();
  if (!state.worker || !state.session) return;
  if (!online()) return;
  const source = new EventSource(`${STREAM}?request=${encodeURIComponent(JSON.stringify({ workerId: state.worker.id, includePending: true }))}`);
  state.stream = source;
  setStreamState('connecting');
  const seen = new Set();
  source.onopen = () => {
    reconnectDelay = 1000;
    setStreamState('open');
    // The pending ones come first: one the stream no longer sends was handled meanwhile.
    clearTimeout(pendingCheck);
    pendingCheck = setTimeout(() => {
      if (state.stream !== source) return;
      let changed = false;
      for (const [id, assignment] of state.assignments) {
        if (assignment.state === 'ASSIGNMENT_STATE_PENDING' && !seen.has(id) && !ackQueued(assignment)) {
          state.assignments.delete(id);
          changed = true;
        }
      }
      if (changed) { saveAssignments(); renderAlarms(); refreshView(); }
    }, 4000);
  };
  source.onmessage = (event) => {
    let assignment;
    try { assignment = JSON.parse(event.data); } catch (error) { return; }
    seen.add(assignment.id);
    receive(assignment);
  };
  source.addEventListener('error', (event) => {
    if (state.stream !== source) return;
    // The gateway's `event: error` names why it ended; a dropped connection has no data.
    let code = '';
    try { code = event.data ? JSON.parse(event.data).code : ''; } catch (error) { code = ''; }
    if (code === 'unauthenticated') { sessionLost(); return; }
    if (code || source.readyState === EventSource.CLOSED) {
      source.close();
      state.stream = null;
      setStreamState('closed');
      scheduleReconnect();
    } else {
      setStreamState('connecting');
    }
  });
}

function scheduleReconnect() {
  clearTimeout(reconnectTimer);
  reconnectTimer = setTimeout(() => { if (state.worker && online()) openStream(); }, reconnectDelay);
  reconnectDelay = Math.min(reconnectDelay * 2, 30000);
}

function saveAssignments() {
  cachePut('assignments', { subject: state.session?.subject, list: [...state.assignments.values()] });
}

function receive(assignment) {
  const known = state.assignments.get(assignment.id);
  state.assignments.set(assignment.id, assignment);
  saveAssignments();
  if (!known && assignment.state === 'ASSIGNMENT_STATE_PENDING') {
    if (isAlarm(assignment)) {
      freshAlarms.add(assignment.id);
      try { navigator.vibrate?.([500, 200, 500, 200, 800]); } catch (error) { /* not allowed before a tap */ }
    }
  }
  renderAlarms();
  refreshView({ soon: true });
}

const freshAlarms = new Set();
/** Alarm cards just confirmed: shown green for a moment. */
const confirmedAlarms = new Map();

async function acknowledge(assignment) {
  const queued = await enqueue({
    kind: 'call', method: 'AcknowledgeAssignment', caseId: assignment.caseId,
    body: { requestId: requestId(), assignmentId: assignment.id },
    what: { action: 'ack', caseNumber: assignment.gridCase?.caseNumber ?? '', title: caseTitle(assignment.gridCase || {}) },
  }, 3000);
  renderAlarms();
  const outcome = await queued.outcome;
  if (!outcome) toast(t('savedOffline'));
  renderAlarms();
  refreshView();
}

function alarmCard(assignment) {
  const gridCase = assignment.gridCase || {};
  const queued = ackQueued(assignment);
  const done = assignment.state === 'ASSIGNMENT_STATE_ACKNOWLEDGED';
  const place = [state.grids[gridCase.location?.gridCode], gridCase.location?.address].filter(Boolean).join(' · ');
  const countdown = el('span', { class: 'countdown', 'data-deadline': assignment.ackDeadline || '' });
  const classes = ['alarm', freshAlarms.has(assignment.id) ? 'fresh' : '', done || queued ? 'acked' : ''].filter(Boolean).join(' ');
  freshAlarms.delete(assignment.id);
  return el('article', { class: classes, 'data-assignment': assignment.id, 'aria-label': t('alarmTitle') },
    el('p', { class: 'kind', text: `${E(gridCase.alarm?.kind) || t('alarmTitle')}` }),
    el('p', { class: 'place', text: place }),
    el('p', { class: 'meta' }, el('span', { text: gridCase.caseNumber ?? '' }),
      gridCase.alarm?.occurredTime ? el('span', { text: hhmm(gridCase.alarm.occurredTime) }) : null,
      gridCase.alarm?.deviceId ? el('span', { text: `${t('device')} ${gridCase.alarm.deviceId}` }) : null),
    gridCase.alarm?.reading ? el('p', { class: 'meta', text: `${t('reading')}：${gridCase.alarm.reading}` }) : null,
    done || queued ? null : el('p', { class: 'meta' }, countdown),
    done || queued
      ? el('button', { type: 'button', class: 'ack', text: done ? t('acked') : t('ackQueued'), onclick: () => openCaseView(assignment.caseId) })
      : el('button', { type: 'button', class: 'ack', 'data-ack': assignment.id, text: t('ack'), onclick: (event) => { event.currentTarget.disabled = true; acknowledge(assignment); } }));
}

/** The alarm cards above every screen: pending alarms, and those just confirmed. */
function renderAlarms() {
  const zone = document.getElementById('alarms');
  if (!state.session) { zone.replaceChildren(); return; }
  const shown = [...state.assignments.values()].filter((assignment) => isAlarm(assignment)
    && (assignment.state === 'ASSIGNMENT_STATE_PENDING' || confirmedAlarms.has(assignment.id)));
  // Cards that did not change stay as they are, so a tap on one is never lost to a redraw.
  const signature = (assignment) => `${assignment.id}:${assignment.state}:${ackQueued(assignment)}:${lang}`;
  const drawn = [...zone.children].map((node) => node.dataset.signature).join('|');
  if (drawn !== shown.map(signature).join('|') || shown.some((assignment) => freshAlarms.has(assignment.id))) {
    zone.replaceChildren(...shown.map((assignment) => {
      const node = alarmCard(assignment);
      node.dataset.signature = signature(assignment);
      return node;
    }));
  }
  tickCountdowns();
}

const checkedPassed = new Set();
function tickCountdowns() {
  for (const node of document.querySelectorAll('.countdown[data-deadline]')) {
    const deadline = Date.parse(node.dataset.deadline);
    if (!deadline) { node.textContent = ''; continue; }
    const seconds = Math.ceil((deadline - Date.now()) / 1000);
    node.textContent = seconds > 0 ? t('ackWithin', { s: seconds }) : t('ackLate');
    const card = node.closest('[data-assignment]');
    if (seconds <= -2 && card && online() && !checkedPassed.has(card.dataset.assignment)) {
      checkedPassed.add(card.dataset.assignment);
      checkPassed(card.dataset.assignment);
    }
  }
}
setInterval(tickCountdowns, 1000);

/** An alarm not confirmed in time passes on: once its case has another assignee, its card goes. */
async function checkPassed(id) {
  const assignment = state.assignments.get(id);
  if (!assignment || ackQueued(assignment)) return;
  try {
    const gridCase = await call('GetCase', { id: assignment.caseId });
    if (gridCase.assigneeId !== state.worker?.id) {
      state.assignments.delete(id);
      saveAssignments();
      renderAlarms();
      toast(t('alarmPassed'));
      // The case is no longer this worker's: today's lists and an open case are drawn again.
      refreshView();
    }
  } catch (error) {
    checkedPassed.delete(id);
  }
}

// ---- Chrome: the top bar, the tabs ----

function renderChrome() {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.title = t('title');
  document.getElementById('app-title').textContent = t('title');
  const langButton = document.getElementById('lang');
  langButton.textContent = t('language');
  langButton.setAttribute('aria-label', t('languageName'));
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  const net = document.getElementById('net');
  const isOnline = online();
  net.textContent = !isOnline ? t('offline') : state.streamState === 'open' ? t('live') : state.worker ? t('connecting') : t('online');
  net.className = isOnline ? 'net' : 'net offline';
  const sync = document.getElementById('sync');
  const queued = state.outbox.length;
  const conflicted = state.conflicts.length;
  sync.hidden = !state.session || (!queued && !conflicted);
  sync.className = conflicted ? 'sync conflicted' : 'sync';
  sync.replaceChildren(...[
    queued ? el('span', {}, t('queued'), ' ', el('b', { id: 'outbox-count', text: String(queued) })) : null,
    queued && conflicted ? ' · ' : null,
    conflicted ? el('span', {}, t('conflicts'), ' ', el('b', { id: 'conflict-count', text: String(conflicted) })) : null,
  ].filter(Boolean));
  const count = document.getElementById('tab-count');
  count.hidden = !(queued || conflicted);
  count.textContent = String(queued + conflicted);
  count.className = conflicted ? 'count conflicted' : 'count';
  const current = state.view?.name === 'case' ? 'today' : state.view?.name;
  for (const tab of document.querySelectorAll('#tabs a')) {
    tab.classList.toggle('active', tab.dataset.tab === current);
    if (tab.dataset.tab === current) tab.setAttribute('aria-current', 'page'); else tab.removeAttribute('aria-current');
  }
  document.body.dataset.queued = String(queued);
  document.body.dataset.conflicts = String(conflicted);
}

// ---- Views ----

async function route() {
  if (!state.session || !state.worker) return;
  const hash = location.hash.slice(1);
  const [name, id] = hash.split('/');
  if (name === 'case' && id) state.view = { name: 'case', id: decodeURIComponent(id) };
  else if (['patrol', 'queue', 'me'].includes(name)) state.view = { name };
  else state.view = { name: 'today' };
  renderChrome();
  window.scrollTo(0, 0);
  await renderView();
  main().focus({ preventScroll: true });
}

async function renderView() {
  const view = state.view;
  if (!view) return;
  if (view.name === 'today') await todayView();
  else if (view.name === 'case') await caseView(view.id);
  else if (view.name === 'patrol') patrolView();
  else if (view.name === 'queue') queueView();
  else if (view.name === 'me') meView();
}

let refreshTimer = 0;
/** Draws the current view again with fresh data, unless the worker is filling in a form there. */
function refreshView({ soon = false } = {}) {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => {
    if (!state.view || state.view.busy) return;
    if (['today', 'case', 'queue'].includes(state.view.name)) renderView();
  }, soon ? 150 : 0);
}

function openCaseView(id) {
  location.hash = `#case/${encodeURIComponent(id)}`;
}

/** Banner saying the data is from the phone, when it is. */
const staleBanner = (savedAt) => el('p', { class: 'banner offline', text: t('cachedAt', { time: dayTime(savedAt) }) });

function statusChip(gridCase) {
  const key = String(gridCase.status || '').replace('CASE_STATUS_', '').toLowerCase();
  return el('span', { class: `chip s-${key}`, text: E(gridCase.status) });
}
function priorityChip(gridCase) {
  if (gridCase.priority === 'CASE_PRIORITY_URGENT') return el('span', { class: 'chip urgent', text: E(gridCase.priority) });
  if (gridCase.priority === 'CASE_PRIORITY_HIGH') return el('span', { class: 'chip high', text: E(gridCase.priority) });
  return null;
}
const caseTitle = (gridCase) => (gridCase.source === 'CASE_SOURCE_SENSOR_ALARM' && gridCase.alarm?.kind
  ? E(gridCase.alarm.kind) : gridCase.title || gridCase.category || '');
const overdue = (gridCase) => gridCase.overdue || (gridCase.deadline && Date.parse(gridCase.deadline) < Date.now()
  && OPEN_STATUSES.includes(gridCase.status));

function caseRow(raw) {
  const gridCase = projected(raw);
  return el('li', {}, el('button', { type: 'button', class: 'case-row', 'data-case': gridCase.id, onclick: () => openCaseView(gridCase.id) },
    el('span', { class: 'line1' }, el('span', { class: 'title', text: caseTitle(gridCase) }), priorityChip(gridCase), statusChip(gridCase),
      gridCase.queued ? el('span', { class: 'chip pending', text: t('queuedStep') }) : null),
    el('span', { class: 'line2' }, el('span', { class: 'number', text: gridCase.caseNumber ?? '' }),
      el('span', { text: gridCase.location?.address || state.grids[gridCase.location?.gridCode] || '' }),
      gridCase.deadline || gridCase.overdue ? el('span', { class: overdue(gridCase) ? 'late' : '', text: overdue(gridCase) ? t('overdue') : `${t('deadline')} ${dayTime(gridCase.deadline)}` }) : null)));
}

async function loadToday() {
  const [from, to] = cityDay();
  const worker = state.worker;
  const [shifts, mine, ...gridLists] = await Promise.all([
    callAll('ListDutyShifts', { workerId: worker.id, fromTime: from, toTime: to }, 'shifts', 100),
    callAll('ListCases', { assigneeId: worker.id, statuses: ['CASE_STATUS_ASSIGNED', 'CASE_STATUS_IN_PROGRESS'], orderBy: 'deadline' }, 'cases', 200),
    ...(worker.gridCodes || []).map((gridCode) => callAll('ListCases', {
      gridCode, level: 'CASE_LEVEL_GRID', statuses: ['CASE_STATUS_REPORTED', 'CASE_STATUS_REOPENED', 'CASE_STATUS_ACCEPTED'], orderBy: 'deadline',
    }, 'cases', 200)),
  ]);
  const today = { subject: state.session.subject, shifts, mine, todo: gridLists.flat() };
  await cachePut('today', today);
  // Each listed case is readable offline, with what the list knew of it.
  for (const gridCase of [...mine, ...today.todo]) {
    const kept = await cacheGet(`case:${gridCase.id}`);
    if (!kept || Date.parse(gridCase.audit?.updateTime ?? 0) > Date.parse(kept.gridCase?.audit?.updateTime ?? 0)) {
      await cachePut(`case:${gridCase.id}`, { gridCase, events: kept?.events ?? null, files: kept?.files ?? [] });
    }
  }
  return today;
}

async function todayView() {
  const view = state.view;
  let today = null;
  let stale = null;
  if (!state.today) show(el('p', { class: 'loading', text: t('loading') }));
  if (online()) {
    try { today = await loadToday(); } catch (error) {
      if (!(error instanceof NetworkError)) toast(errorText(error), true);
    }
  }
  if (!today) {
    const kept = await cacheGet('today');
    if (kept?.subject === state.session.subject) { today = kept; stale = kept.savedAt; }
  }
  if (state.view !== view) return;
  state.today = today;
  today ??= { shifts: [], mine: [], todo: [] };
  const worker = state.worker;
  const now = Date.now();
  const shifts = [...today.shifts].sort((a, b) => Date.parse(a.startTime) - Date.parse(b.startTime));
  const dutyList = shifts.length ? el('ul', { class: 'list', id: 'shifts' }, shifts.map((shift) => {
    const live = Date.parse(shift.startTime) <= now && now < Date.parse(shift.endTime);
    return el('li', { class: live ? 'shift now' : 'shift' },
      el('span', { class: 'time', text: span(shift.startTime, shift.endTime) }),
      el('span', { text: state.grids[shift.gridCode] ?? '' }),
      el('span', { class: 'muted', text: [live ? t('onDutyNow') : '', t('rosterOrder', { n: shift.rosterOrder || 1 })].filter(Boolean).join(' · ') }));
  })) : el('p', { class: 'empty', id: 'shifts', text: t('noDuty') });
  const pendingOthers = [...state.assignments.values()].filter((assignment) => !isAlarm(assignment) && awaiting(assignment));
  const assignmentsCard = pendingOthers.length ? card(el('span', { text: t('newAssignments') }),
    el('ul', { class: 'list', id: 'assignments' }, pendingOthers.map((assignment) => {
      const gridCase = assignment.gridCase || {};
      const queued = ackQueued(assignment);
      return el('li', { class: 'assignment', 'data-assignment': assignment.id },
        el('button', { type: 'button', class: 'case-row', onclick: () => openCaseView(assignment.caseId) },
          el('span', { class: 'line1' }, el('span', { class: 'title', text: caseTitle(gridCase) }), priorityChip(gridCase)),
          el('span', { class: 'line2' }, el('span', { class: 'number', text: gridCase.caseNumber ?? '' }),
            el('span', { text: `${t('assignedAt')} ${dayTime(assignment.assignTime)}` }))),
        el('button', { type: 'button', class: 'wide secondary', disabled: queued, 'data-ack': assignment.id,
          text: queued ? t('ackQueued') : t('signFor'), onclick: (event) => { event.currentTarget.disabled = true; acknowledge(assignment); } }));
    }))) : null;
  const inMine = new Set(today.mine.map((gridCase) => gridCase.id));
  const projectedTodo = today.todo.map(projected);
  // A case claimed from the grid list while offline moves to "my cases" at once.
  const mine = [...today.mine, ...today.todo.filter((gridCase, index) => !inMine.has(gridCase.id) && projectedTodo[index].assigneeId === worker.id)];
  const todo = today.todo.filter((gridCase, index) => projectedTodo[index].assigneeId !== worker.id);
  const list = (id, cases) => (cases.length ? el('ul', { class: 'list', id }, cases.map(caseRow)) : el('p', { class: 'empty', id, text: t('nothing') }));
  show(
    stale ? staleBanner(stale) : null,
    el('section', { class: 'card who' }, el('span', { class: 'avatar', 'aria-hidden': 'true', text: (worker.name || '?').slice(0, 1) }),
      el('div', {}, el('p', { class: 'name', text: worker.name }),
        el('p', { class: 'muted', text: [E(worker.kind), ...(worker.gridCodes || []).map((code) => state.grids[code]).filter(Boolean)].join(' · ') }))),
    card(el('span', { text: t('dutyToday') }), dutyList),
    assignmentsCard,
    card(el('span', {}, t('myCases'), ' ', el('span', { class: 'n', text: String(mine.length) })), list('my-cases', mine)),
    card(el('span', {}, t('gridTodo'), ' ', el('span', { class: 'n', text: String(todo.length) })), list('grid-cases', todo)),
    el('button', { type: 'button', class: 'wide secondary', id: 'refresh', text: t('refresh'), onclick: () => { if (online()) openStream(); renderView(); } }));
}

// ---- A case ----

async function loadCase(id) {
  if (online()) {
    try {
      const [gridCase, events, files] = await Promise.all([
        call('GetCase', { id }), callAll('ListCaseEvents', { caseId: id }, 'events'),
        call('ListAttachments', { parent: `cases/${id}` }).then((answer) => answer.attachments || []).catch((error) => {
          if (error instanceof NetworkError) throw error;
          return [];
        })]);
      const loaded = { gridCase, events, files };
      await cachePut(`case:${id}`, loaded);
      return loaded;
    } catch (error) {
      if (!(error instanceof NetworkError)) return { error };
    }
  }
  const kept = await cacheGet(`case:${id}`);
  return kept ? { ...kept, stale: kept.savedAt } : null;
}

/** An assignment the worker made to themselves: 领办. */
const claimed = (event) => event.kind === 'CASE_EVENT_KIND_ASSIGNED' && event.actor === state.session?.subject
  && event.assigneeId === state.worker?.id;

const actorName = (actor) => {
  const text = String(actor || '');
  if (text === state.session?.subject) return `${state.worker?.name ?? ''}（${t('you')}）`;
  if (text.startsWith('service:') || text === 'system') return t('platform');
  if (text === 'user:operator') return t('operator');
  if (text.startsWith('resident:')) return t('resident');
  return text.replace(/^(user|apikey):/, '');
};

/**
 * Who reported the case and where, for the worker on their way: the reporter masked, with a tap
 * to read the whole number (GetCase with reveal_reporter, recorded in the audit trail) and call
 * it; the point as a `geo:` link the phone's map app opens (RFC 5870).
 */
function reporterAndPlace(gridCase) {
  const rows = [];
  const reporter = gridCase.reporter;
  if (reporter?.name || reporter?.phone) {
    const shown = el('dd', { id: 'case-reporter' }, [reporter.name, reporter.phone].filter(Boolean).join(' '));
    if (reporter.masked) {
      shown.append(' ', el('button', { type: 'button', class: 'link', id: 'reveal-reporter', text: t('revealReporter'), onclick: async (event) => {
        event.currentTarget.disabled = true;
        try {
          const whole = (await call('GetCase', { id: gridCase.id, revealReporter: true })).reporter ?? {};
          shown.replaceChildren(`${whole.name ?? ''} `, whole.phone ? el('a', { href: `tel:${whole.phone}`, text: whole.phone }) : '');
        } catch (error) {
          toast(errorText(error), true);
          event.currentTarget.disabled = false;
        }
      } }));
    }
    rows.push(el('dt', { text: t('reporter') }), shown);
  }
  const point = gridCase.location?.point;
  if (point && (point.longitude || point.latitude)) {
    const lat = Number(point.latitude).toFixed(6);
    const lon = Number(point.longitude).toFixed(6);
    rows.push(el('dt', { text: t('casePosition') }), el('dd', {}, el('a', { href: `geo:${lat},${lon}`, id: 'case-geo', text: t('openInMap') }),
      ` ${lat}, ${lon}${point.accuracyMeters ? ` ±${Math.round(point.accuracyMeters)} m` : ''}`));
  }
  return rows.length ? el('dl', { class: 'facts' }, rows) : null;
}

function photoTile(file) {
  const href = `/files/${encodeURIComponent(file.id)}`;
  const image = el('img', { src: href, alt: file.filename || t('photo'), loading: 'lazy' });
  const tile = el('div', { class: 'photo', 'data-attachment': file.id }, el('a', { href, target: '_blank', rel: 'noopener' }, image));
  image.addEventListener('error', () => tile.replaceChildren(t('photoUnavailable')));
  return tile;
}

function queuedPhotoTile(entry) {
  return el('div', { class: 'photo queued', 'data-queued': entry.seq },
    entry.thumb ? el('img', { src: entry.thumb, alt: entry.filename || t('photo') }) : null,
    el('span', { class: 'tag', text: t('photoQueued') }));
}

/**
 * A photo for the queue: sent as taken when the service takes it (JPEG, PNG or WebP of at most
 * 3 MiB), else re-encoded as a JPEG of at most 1600 px; with a small thumbnail as a data: URL (the
 * page's policy shows data: images, not blob: ones).
 */
async function preparePhoto(file) {
  let bitmap = null;
  try { bitmap = await createImageBitmap(file); } catch (error) { bitmap = null; }
  const draw = (size, type, quality) => {
    const scale = Math.min(1, size / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    return canvas;
  };
  const base = (file.name || 'photo').replace(/\.[^.]*$/, '') || 'photo';
  if (!bitmap) return { blob: file, filename: file.name || 'photo.jpg', thumb: '' };
  const thumb = draw(240).toDataURL('image/jpeg', 0.7);
  if (file.size <= PHOTO_LIMIT && PHOTO_TYPES.includes(file.type)) return { blob: file, filename: file.name || `${base}.jpg`, thumb };
  const blob = await new Promise((resolve) => { draw(1600).toBlob(resolve, 'image/jpeg', 0.85); });
  return { blob: blob || file, filename: `${base}.jpg`, thumb };
}

/** Queues a photo of a case with the step it belongs to (the latest, sent or queued). */
async function queuePhoto(gridCase, file, { stepKind = null, eventId = null } = {}) {
  const photo = await preparePhoto(file);
  return enqueue({
    kind: 'upload', parent: `cases/${gridCase.id}`, caseId: gridCase.id, requestId: requestId(),
    blob: photo.blob, filename: photo.filename, thumb: photo.thumb, stepKind, eventId,
    what: { action: 'photo', caseNumber: gridCase.caseNumber ?? '', title: caseTitle(gridCase) },
  }, 10000);
}

function photoPicker(id, label, onfile) {
  const input = el('input', { type: 'file', accept: 'image/*', capture: 'environment', id, name: 'file', 'aria-label': label });
  input.addEventListener('change', () => { const file = input.files?.[0]; if (file) onfile(file, input); });
  return el('label', { class: 'button secondary wide photo-pick', for: id }, el('span', { text: label }), input);
}

async function caseView(id) {
  const view = state.view;
  if (!view.loaded) show(el('p', { class: 'loading', text: t('loading') }));
  let loaded = await loadCase(id);
  if (state.view !== view) return;
  const back = el('button', { type: 'button', class: 'back', id: 'back', text: `‹ ${t('back')}`, onclick: () => { location.hash = '#today'; } });
  if (!loaded) {
    const listed = [...(state.today?.mine ?? []), ...(state.today?.todo ?? [])].find((gridCase) => gridCase.id === id)
      ?? [...state.assignments.values()].find((assignment) => assignment.caseId === id)?.gridCase;
    if (!listed) { show(back, el('p', { class: 'banner offline', text: t('notCached') })); return; }
    loaded = { gridCase: listed, events: null, files: [], stale: Date.now() };
  }
  if (loaded.error) { show(back, el('p', { class: 'banner error', text: errorText(loaded.error) })); return; }
  view.loaded = true;
  const raw = loaded.gridCase;
  const gridCase = projected(raw);
  const events = loaded.events || [];
  const files = loaded.files || [];
  const queuedHere = state.outbox.filter((entry) => entry.caseId === id);
  const facts = [
    [t('caseNumber'), gridCase.caseNumber], [t('category'), gridCase.category], [t('source'), E(gridCase.source)],
    [t('grid'), state.grids[gridCase.location?.gridCode] ?? ''], [t('address'), gridCase.location?.address ?? ''],
    [t('handler'), E(gridCase.handler?.level)],
    [t('reportTime'), dayTime(gridCase.reportTime)],
    [t('deadline'), overdue(gridCase) ? t('overdue') : dayTime(gridCase.deadline)],
    gridCase.alarm ? [t('alarmKind'), [E(gridCase.alarm.kind), gridCase.alarm.deviceId ? `${t('device')} ${gridCase.alarm.deviceId}` : ''].filter(Boolean).join(' · ')] : null,
    gridCase.alarm?.reading ? [t('reading'), gridCase.alarm.reading] : null,
    [t('details'), gridCase.source === 'CASE_SOURCE_SENSOR_ALARM' ? '' : gridCase.details], [t('resolution'), gridCase.resolution],
  ].filter((row) => row && row[1]);
  const head = el('section', { class: 'card case-head' },
    el('h2', { id: 'case-title', text: caseTitle(gridCase) }),
    el('p', { class: 'chips', id: 'case-status' }, statusChip(gridCase), priorityChip(gridCase),
      gridCase.queued ? el('span', { class: 'chip pending', text: t('queuedStep') }) : null),
    el('dl', { class: 'facts' }, facts.flatMap(([key, value]) => [el('dt', { text: key }), el('dd', { text: value })])),
    reporterAndPlace(gridCase));
  // The steps offered, each opening its short form under the buttons.
  const sheet = el('div', { id: 'step-sheet' });
  const stepButtons = stepsFor(gridCase).map((key) => el('button', {
    type: 'button', class: ['escalate', 'addNote'].includes(key) ? 'wide ghost' : 'wide big', id: `step-${key}`, text: t(key),
    onclick: () => openStep(gridCase, key, sheet, events),
  }));
  const pendingAssignment = [...state.assignments.values()].find((assignment) => assignment.caseId === id && awaiting(assignment) && !ackQueued(assignment));
  const actions = el('section', { class: 'card' },
    el('div', { class: 'actions', id: 'case-actions' },
      pendingAssignment ? el('button', { type: 'button', class: 'wide big', id: 'step-ack', text: isAlarm(pendingAssignment) ? t('ack') : t('signFor'),
        onclick: (event) => { event.currentTarget.disabled = true; acknowledge(pendingAssignment).then(() => refreshView()); } }) : null,
      stepButtons,
      photoPicker('case-photo', t('addPhoto'), async (file, input) => {
        const lastQueued = [...queuedHere].reverse().find((entry) => entry.kind === 'call' && STEPS[entry.what?.action]);
        const options = lastQueued ? { stepKind: STEPS[lastQueued.what.action].event } : { eventId: events.length ? events[events.length - 1].id : null };
        input.value = '';
        const outcome = await (await queuePhoto(gridCase, file, options)).outcome;
        if (outcome?.error) return;
        if (!outcome) toast(t('savedOffline'));
        view.busy = false;
        refreshView();
      })),
    sheet);
  // History: each step with its photos; queued steps and photos at the end.
  const byEvent = new Map();
  const loose = [];
  for (const file of files) {
    if (file.eventId && events.some((event) => event.id === file.eventId)) {
      if (!byEvent.has(file.eventId)) byEvent.set(file.eventId, []);
      byEvent.get(file.eventId).push(file);
    } else loose.push(file);
  }
  const timeline = el('ol', { class: 'timeline', id: 'case-history' },
    events.map((event) => {
      const note = event.kind === 'CASE_EVENT_KIND_ACKNOWLEDGED' ? '' : scrub(event.note);
      const moved = ['CASE_EVENT_KIND_ESCALATED', 'CASE_EVENT_KIND_TRANSFERRED'].includes(event.kind) ? E(event.toUnit?.level) : '';
      const photos = byEvent.get(event.id) ?? [];
      return el('li', { 'data-event': event.id, 'data-kind': event.kind },
        el('p', {}, el('span', { class: 'what', text: [claimed(event) ? t('claim') : E(event.kind), moved ? `→ ${moved}` : ''].filter(Boolean).join(' ') }), ' ',
          el('span', { class: 'when', text: `${dayTime(event.eventTime)} · ${actorName(event.actor)}` })),
        note ? el('p', { text: note }) : null,
        photos.length ? el('div', { class: 'photos' }, photos.map(photoTile)) : null);
    }),
    loose.length ? el('li', {}, el('p', { class: 'what', text: t('photos') }), el('div', { class: 'photos' }, loose.map(photoTile))) : null,
    queuedHere.filter((entry) => entry.kind === 'call').map((entry) => el('li', { class: 'queued', 'data-queued': entry.seq },
      el('p', {}, el('span', { class: 'what', text: actionName(entry.what?.action) }), ' ',
        el('span', { class: 'chip pending', text: t('queuedStep') })),
      entry.body?.note || entry.body?.resolution ? el('p', { text: entry.body.note || entry.body.resolution }) : null)),
    queuedHere.some((entry) => entry.kind === 'upload')
      ? el('li', { class: 'queued' }, el('p', { class: 'what', text: `${t('photos')} · ${t('queuedStep')}` }),
        el('div', { class: 'photos', id: 'queued-photos' }, queuedHere.filter((entry) => entry.kind === 'upload').map(queuedPhotoTile)))
      : null);
  show(back, loaded.stale ? staleBanner(loaded.stale) : null, head, actions, card(t('history'), timeline));
}

/** The short form of one step: a note or the resolution (and the after-photo), then the queue. */
function openStep(gridCase, key, sheet, events) {
  const step = STEPS[key];
  const view = state.view;
  view.busy = true;
  const isResolve = key === 'resolve';
  const label = isResolve ? t('resolution') : key === 'escalate' ? t('reason') : key === 'addNote' ? t('noteText') : t('note');
  const text = el('textarea', { id: 'step-text', name: step.text, rows: isResolve ? 4 : 2, maxlength: 2000, required: step.required || undefined });
  let photo = null;
  const photoName = el('span', { class: 'muted', id: 'after-photo-name' });
  const picker = step.photo ? photoPicker('after-photo', isResolve ? t('afterPhoto') : t('addPhoto'), (file) => { photo = file; photoName.textContent = file.name || t('photo'); }) : null;
  const error = el('p', { class: 'error', role: 'alert' });
  const confirm = el('button', { type: 'submit', class: 'wide big', id: 'step-confirm', text: lang === 'zh' ? `${t('confirm')}${t(key)}` : t(key) });
  const form = el('form', { class: 'sheet', id: `sheet-${key}` },
    el('h3', { text: t(key) }), el('p', { class: 'muted', text: t(step.hint) }),
    field(label, text), picker, picker ? photoName : null, error,
    el('div', { class: 'row' }, el('button', { type: 'button', class: 'secondary', text: t('cancel'), onclick: () => { view.busy = false; sheet.replaceChildren(); } }), confirm));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const value = text.value.trim();
    if (step.required && !value) { error.textContent = t('needText', { field: label }); text.focus(); return; }
    confirm.disabled = true;
    const body = { requestId: requestId(), caseId: gridCase.id };
    if (key === 'claim') body.assigneeId = state.worker.id;
    if (step.text === 'resolution') body.resolution = value; else if (value) body.note = value;
    const queued = await enqueue({ kind: 'call', method: step.method, caseId: gridCase.id, body,
      what: { action: key, caseNumber: gridCase.caseNumber ?? '', title: caseTitle(gridCase) } });
    // The after-photo goes with the resolution: queued right behind it.
    const photoQueued = photo ? await queuePhoto(gridCase, photo, { stepKind: step.event }) : null;
    const outcome = await queued.outcome;
    if (photoQueued) await photoQueued.outcome;
    view.busy = false;
    if (!outcome) toast(t('savedOffline'));
    else if (outcome.answer) toast(t('sentToast'));
    await caseView(gridCase.id);
  });
  sheet.replaceChildren(form);
  text.focus();
  form.scrollIntoView({ block: 'nearest' });
}

// ---- Patrols and visits ----

function patrolView() {
  const view = state.view;
  view.busy = false;
  const startedAt = new Date();
  const worker = state.worker;
  const gridCodes = worker.gridCodes || [];
  const kindChoice = (value, words, checked) => el('label', {}, el('input', { type: 'radio', name: 'kind', value, checked }), el('span', { text: words }));
  const kinds = el('div', { class: 'segmented', role: 'radiogroup', 'aria-label': t('patrolTitle') },
    kindChoice('PATROL_KIND_PATROL', t('kindPatrol'), true), kindChoice('PATROL_KIND_VISIT', t('kindVisit'), false));
  const grid = el('select', { id: 'patrol-grid', name: 'gridCode' }, gridCodes.map((code) => el('option', { value: code, text: state.grids[code] ?? t('grid') })));
  let point = null;
  const where = el('span', { class: 'where', id: 'position', role: 'status' });
  const locate = el('button', { type: 'button', class: 'secondary', id: 'locate', text: t('locate') });
  const findLocation = () => {
    if (!navigator.geolocation) { where.textContent = t('noGeolocation'); return; }
    where.textContent = t('locating');
    navigator.geolocation.getCurrentPosition((position) => {
      point = { longitude: position.coords.longitude, latitude: position.coords.latitude, accuracyMeters: Math.round(position.coords.accuracy || 0) };
      where.textContent = `${t('located', { acc: point.accuracyMeters })} ${point.latitude.toFixed(5)}, ${point.longitude.toFixed(5)}`;
      where.dataset.located = 'true';
    }, (failure) => { where.textContent = t('noPosition', { e: failure.message || failure.code }); },
    { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  };
  locate.addEventListener('click', findLocation);
  const households = el('input', { id: 'households', name: 'households', type: 'number', inputmode: 'numeric', min: 0, max: 10000, value: '0' });
  const note = el('textarea', { id: 'patrol-note', name: 'note', rows: 2, maxlength: 2000 });
  const findings = el('div', { id: 'findings' });
  const renumber = () => findings.querySelectorAll('legend').forEach((legend, index) => { legend.textContent = t('findingN', { n: index + 1 }); });
  const addFinding = () => {
    view.busy = true;
    const n = findings.children.length + 1;
    const details = el('textarea', { name: 'details', rows: 2, maxlength: 2000, id: `finding-${n}-details` });
    const category = el('select', { name: 'category', id: `finding-${n}-category` }, CATEGORIES.map((name) => el('option', { value: name, text: name })));
    const priority = el('select', { name: 'priority', id: `finding-${n}-priority` },
      ['CASE_PRIORITY_NORMAL', 'CASE_PRIORITY_HIGH', 'CASE_PRIORITY_URGENT', 'CASE_PRIORITY_LOW'].map((value) => el('option', { value, text: E(value) })));
    const opens = el('input', { type: 'checkbox', name: 'openCase', id: `finding-${n}-open`, checked: true });
    const box = el('fieldset', { class: 'finding' }, el('legend', { text: t('findingN', { n }) }),
      field(t('findingDetails'), details), field(t('findingCategory'), category), field(t('findingPriority'), priority),
      el('label', { class: 'check', for: opens.id }, opens, el('span', { text: t('openCaseFromFinding') })),
      el('button', { type: 'button', class: 'ghost wide', text: t('removeFinding'), onclick: () => { box.remove(); renumber(); } }));
    findings.append(box);
    details.focus();
  };
  const error = el('p', { class: 'error', role: 'alert', id: 'patrol-error' });
  const result = el('div', { id: 'patrol-result', role: 'status' });
  const submit = el('button', { type: 'submit', class: 'wide big', id: 'patrol-submit', text: t('submitPatrol') });
  const form = el('form', { id: 'patrol-form' },
    card(t('patrolTitle'), kinds,
      gridCodes.length > 1 ? field(t('grid'), grid) : el('p', { class: 'muted', text: `${t('grid')}：${state.grids[gridCodes[0]] ?? ''}` }),
      el('div', { class: 'field' }, el('span', { class: 'label', text: t('position') }), el('div', { class: 'position' }, where, locate)),
      field(t('households'), households), field(t('patrolNote'), note),
      el('p', { class: 'muted', text: `${t('startedAt')} ${hhmm(startedAt)}` })),
    card(t('findings'), findings, el('button', { type: 'button', class: 'secondary wide', id: 'add-finding', text: t('addFinding'), onclick: addFinding })),
    error, submit, result);
  form.addEventListener('input', () => { view.busy = true; });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = '';
    const boxes = [...findings.querySelectorAll('fieldset')];
    const gridCode = gridCodes.length > 1 ? grid.value : gridCodes[0];
    const listed = [];
    for (const box of boxes) {
      const details = box.querySelector('[name=details]');
      if (!details.value.trim()) { error.textContent = t('needText', { field: t('findingDetails') }); details.focus(); return; }
      listed.push({
        details: details.value.trim(), category: box.querySelector('[name=category]').value,
        openCase: box.querySelector('[name=openCase]').checked, priority: box.querySelector('[name=priority]').value,
        location: { gridCode, ...(point ? { point } : {}) },
      });
    }
    const kind = form.querySelector('input[name=kind]:checked').value;
    const patrol = {
      gridCode, workerId: worker.id, kind, startTime: startedAt.toISOString(), endTime: new Date().toISOString(),
      householdsVisited: Math.max(0, Math.min(10000, Number.parseInt(households.value, 10) || 0)),
      note: note.value.trim(), findings: listed, ...(point ? { point } : {}),
    };
    submit.disabled = true;
    const outcome = await (await enqueue({
      kind: 'call', method: 'CreatePatrol', body: { requestId: requestId(), patrol },
      what: { action: kind === 'PATROL_KIND_VISIT' ? 'visit' : 'patrol', title: state.grids[gridCode] ?? '' },
    }, 8000)).outcome;
    view.busy = false;
    if (outcome?.error) { error.textContent = errorText(outcome.error); submit.disabled = false; return; }
    form.replaceChildren(card(outcome ? t('patrolSent') : t('patrolQueued'),
      el('p', { class: 'muted', id: 'patrol-summary', text: t('patrolSummary', { kind: E(kind), grid: state.grids[gridCode] ?? '', n: patrol.householdsVisited, f: listed.length }) }),
      result));
    form.dataset.done = outcome ? 'sent' : 'queued';
    if (outcome?.answer) {
      const opened = (outcome.answer.findings || []).map((finding) => finding.caseId).filter(Boolean);
      if (opened.length) {
        const cases = await Promise.all(opened.map((caseId) => call('GetCase', { id: caseId }).catch(() => null)));
        result.replaceChildren(el('p', { text: t('casesOpened') }), el('ul', { class: 'list', id: 'opened-cases' }, cases.filter(Boolean).map(caseRow)));
      }
    }
    result.append(el('button', { type: 'button', class: 'secondary wide', id: 'patrol-again', text: t('patrolTitle'), onclick: () => patrolView() }));
  });
  show(form);
  findLocation();
}

// ---- The outbox and its conflicts ----

function queueView() {
  const queued = state.outbox;
  // Drawn again only when something in it changed, so a tap on it is never lost to a redraw.
  const signature = JSON.stringify([lang, online(), state.draining, queued.map((entry) => [entry.seq, entry.attempts]),
    state.conflicts.map((entry) => entry.seq)]);
  if (state.view?.name === 'queue' && state.view.signature === signature && main().querySelector('#outbox')) return;
  if (state.view?.name === 'queue') state.view.signature = signature;
  const outbox = queued.length ? el('ul', { class: 'list outbox', id: 'outbox' }, queued.map((entry) => el('li', { 'data-seq': entry.seq },
    el('p', { class: 'what', text: entryLabel(entry) }),
    el('p', { class: 'muted', text: [t('queuedAt', { time: dayTime(entry.createdAt) }),
      entry.attempts ? t('attempts', { n: entry.attempts }) : ''].filter(Boolean).join(' · ') }),
    entry.lastError ? el('p', { class: 'muted', text: t('lastError', { e: entry.lastError.network ? t('networkDown') : errorText(entry.lastError) }) }) : null,
    entry.thumb ? el('div', { class: 'photos' }, queuedPhotoTile(entry)) : null)))
    : el('p', { class: 'empty', id: 'outbox', text: t('nothingQueued') });
  const conflicts = state.conflicts.length ? el('ul', { class: 'list conflicts', id: 'conflicts' }, state.conflicts.map((entry) => el('li', { 'data-seq': entry.seq },
    el('p', { class: 'what', text: entryLabel(entry) }),
    el('p', { class: 'message', text: errorText(entry.refusal) }),
    el('p', { class: 'muted', text: t('queuedAt', { time: dayTime(entry.createdAt) }) }),
    el('div', { class: 'row' },
      entry.caseId ? el('button', { type: 'button', class: 'secondary', text: t('openCase'), onclick: () => openCaseView(entry.caseId) }) : null,
      el('button', { type: 'button', class: 'ghost', text: t('dismiss'), onclick: async () => {
        await idb.delete('conflicts', entry.seq);
        await loadQueues();
        renderChrome();
        queueView();
      } })))))
    : el('p', { class: 'empty', id: 'conflicts', text: t('noConflicts') });
  show(
    card(el('span', {}, t('queued'), ' ', el('span', { class: 'n', text: String(queued.length) })),
      el('p', { class: 'muted', text: t('queuedHint') }), outbox,
      queued.length ? el('button', { type: 'button', class: 'wide', id: 'send-now', disabled: state.draining || !online(),
        text: state.draining ? t('sending') : t('sendNow'), onclick: () => { state.needSignIn = false; drain(); } }) : null),
    card(el('span', {}, t('conflicts'), ' ', el('span', { class: 'n', text: String(state.conflicts.length) })),
      state.conflicts.length ? el('p', { class: 'muted', text: t('conflictHint') }) : null, conflicts));
}

function meView() {
  const worker = state.worker;
  show(
    el('section', { class: 'card who' }, el('span', { class: 'avatar', 'aria-hidden': 'true', text: (worker.name || '?').slice(0, 1) }),
      el('div', {}, el('p', { class: 'name', text: worker.name }), el('p', { class: 'muted', text: E(worker.kind) }))),
    card('', el('dl', { class: 'facts' },
      el('dt', { text: t('account') }), el('dd', { text: state.session.username }),
      el('dt', { text: t('grids') }), el('dd', { text: (worker.gridCodes || []).map((code) => state.grids[code] ?? '').filter(Boolean).join('、') || t('dutyNone') }))),
    state.installPrompt ? el('button', { type: 'button', class: 'wide secondary', id: 'install', text: t('install'), onclick: async () => {
      const prompt = state.installPrompt;
      state.installPrompt = null;
      prompt.prompt();
      await prompt.userChoice.catch(() => undefined);
      meView();
    } }) : null,
    el('p', { class: 'muted', text: t('appVersion') }),
    el('button', { type: 'button', class: 'wide', id: 'signout', text: t('signOut'), onclick: signOut }));
}

// ---- Start ----

/** The session checked again (its CSRF token, whether it still holds) once the network is back. */
async function refreshSession() {
  const who = await fetchMe();
  if (who.me && state.session && who.me.subject === state.session.subject) {
    state.session.csrfToken = who.me.csrfToken;
    return true;
  }
  if (who.signedOut) sessionLost();
  return false;
}

window.addEventListener('online', async () => {
  renderChrome();
  if (!state.session || !state.worker) return;
  if (!(await refreshSession())) return;
  openStream();
  drain();
  refreshView();
});
window.addEventListener('offline', () => {
  closeStream();
  renderChrome();
});
window.addEventListener('hashchange', () => { route(); });
window.addEventListener('beforeinstallprompt', (event) => {
  event.preventDefault();
  state.installPrompt = event;
});
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState !== 'visible' || !state.session || !state.worker) return;
  if (online() && !state.stream) openStream();
  drain();
  refreshView();
});
// Lists stay fresh (and the session alive) while the app is open.
setInterval(() => { if (state.session && online() && document.visibilityState === 'visible') refreshView(); }, 60000);

document.addEventListener('DOMContentLoaded', async () => {
  if ('serviceWorker' in navigator) navigator.serviceWorker.register('sw.js', { scope: './' }).catch(() => undefined);
  document.getElementById('lang').addEventListener('click', () => {
    lang = lang === 'zh' ? 'en' : 'zh';
    localStorage.setItem('worker-lang', lang);
    renderChrome();
    renderAlarms();
    if (state.session && state.worker) renderView(); else if (!state.session) showSignIn();
  });
  document.getElementById('sync').addEventListener('click', () => { location.hash = '#queue'; });
  renderChrome();
  [errorWords, labels] = await Promise.all([['errors', errorWords], ['labels', labels]].map(([name, fallback]) =>
    fetch(`/console/${name}.json`).then((response) => response.json()).catch(() => fallback)));
  const who = await fetchMe();
  if (who.me) {
    await startSession(who.me);
    return;
  }
  if (who.offline) {
    const kept = await cacheGet('session');
    if (kept?.worker) {
      await startSession({ subject: kept.subject, role: kept.role, scope: kept.scope, csrfToken: '' }, kept);
      return;
    }
  }
  showSignIn();
});
