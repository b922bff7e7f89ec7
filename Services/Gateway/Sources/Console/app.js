'use strict';
// The officials' console: plain DOM built from the gateway's Connect API. Everything a user typed
// is put on the page as text (textContent), never as markup. Words come from i18n.js and
// labels.json; places are shown by name (code on hover), cases by their case number.

const S = {
  org: 'governance.organisation.v1.OrganisationService',
  prop: 'governance.property.v1.PropertyService',
  grid: 'governance.grid.v1.GridService',
  vol: 'governance.volunteers.v1.VolunteersService',
  eval: 'governance.evaluation.v1.EvaluationService',
};

let lang = localStorage.getItem('lang') || 'zh';
let session = null;
let labels = { enums: {} };
/** errors.json: the services' refusals in Chinese, by template (rules), field and resource. */
let errorWords = { rules: {}, fields: {}, resources: {} };

const t = (key, values = {}) => String(UI[lang][key] ?? UI.zh[key] ?? key).replace(/\{(\w+)\}/g, (_, k) => values[k] ?? '');
/** The label of a contract's enum value; an unlabelled one shows as it is, so a test sees it. */
const E = (value) => (value ? labels.enums[value]?.[lang] ?? value : '');
/** Two words as the language writes them together: 新建小区, "New compound". */
const joinWords = (a, b) => (lang === 'zh' ? `${a}${b}` : `${a} ${b.toLowerCase()}`);
const roleName = (role) => UI[lang].roles[role] ?? role;
/** A volunteer's skill by its catalogue code (labels.json `skills`); free text stays as written. */
const skillName = (code) => labels.skills?.[code]?.[lang] ?? code;

let uniqueCounter = 0;
const uid = (prefix) => `${prefix}-${++uniqueCounter}`;

/** A labelled control: the label's `for` names the input, so screen readers and clicks find it. */
function field(label, input, hint) {
  if (!input.id) input.id = uid('field');
  const error = el('span', { class: 'field-error', id: `${input.id}-error`, role: 'alert' });
  input.setAttribute('aria-describedby', error.id);
  // A text area shows how much of its limit is used, so nothing is cut without notice.
  const limit = input.tagName === 'TEXTAREA' && input.maxLength > 0 ? input.maxLength : 0;
  const count = limit ? el('small', { class: 'hint count', 'aria-live': 'polite', text: `0 / ${limit}` }) : null;
  if (count) input.addEventListener('input', () => { count.textContent = `${input.value.length} / ${limit}`; });
  return el('div', { class: 'field' }, el('label', { for: input.id, text: label }), input,
    hint ? el('small', { class: 'hint', text: hint }) : null, count, error);
}

// ---- Calls and their errors ----

/**
 * A refusal: its code, the service's English message and, when the service sent one, its
 * google.rpc.ErrorInfo: the field, and each text (`rule`, `detail`, `reason`, `resource`) as a
 * template with its values (`rule_0`, …), which errors.json puts in Chinese.
 */
class ServiceError extends Error {
  constructor(code, message, details = []) {
    super(message);
    this.code = code;
    this.info = details?.find?.((detail) => detail.type === 'google.rpc.ErrorInfo')?.debug?.metadata ?? null;
    const split = /^([a-z_][a-z0-9_.[\]]*): /.exec(message || '');
    this.field = this.info ? this.info.field ?? '' : split?.[1] ?? '';
  }

  /** The refusal naming its field as `label`, as a form shows it beside that field. */
  textFor(label) {
    const kind = ERROR_CODES[lang][this.code] ?? this.code;
    if (lang !== 'zh') return `${kind}: ${label} ${this.message.replace(/^[^:]*: /, '')}`;
    return `${kind}：${label}${this.said() ?? ''}`;
  }

  /** The refusal in the console's language: what kind, which field, which rule. */
  get text() {
    const kind = ERROR_CODES[lang][this.code] ?? this.code;
    if (lang !== 'zh') return this.message ? `${kind}: ${this.message}` : kind;
    const last = this.field.split('.').pop().replace(/\[[^\]]*\]$/, '');
    const name = this.field ? errorWords.fields[last] ?? '' : '';
    const said = this.said();
    return said ? `${kind}：${name}${said}` : kind;
  }

  /** What the service said, in Chinese from errors.json; null when it sent no template known there. */
  said() {
    if (!this.info) return null;
    const parts = [];
    const resource = this.render('resource', errorWords.resources);
    if (resource) parts.push(`${resource}${this.code === 'already_exists' ? '已存在' : '不存在'}`);
    for (const name of ['rule', 'reason', 'detail']) {
      const text = this.render(name, errorWords.rules);
      if (text) parts.push(text);
    }
    return parts.length ? parts.join('：') : null;
  }

  /** The metadata's template `name` in Chinese from `table`, its values in place and in words. */
  render(name, table) {
    const template = this.info[name];
    const words = template === undefined ? undefined : table[template];
    if (words === undefined) return null;
    return words.replace(/\{(\d+)\}/g, (_, index) => valueWords(this.info[`${name}_${index}`] ?? ''));
  }
}

/**
 * A value put in a refusal, in words: a place by its name, a time in Beijing time, a contract's
 * enum value (sent by its proto name) by its label, a role by its name.
 */
function valueWords(value) {
  if (/^\d{12}(\d{3})?$/.test(value)) return places.name(value);
  // A jurisdiction is a code's leading digits: the division they stand for, when the user knows it.
  if (/^\d{2,11}$/.test(value)) return places.names.get(value.padEnd(12, '0')) ?? value;
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value)) return formatTime(value);
  if (labels.enums[value]) return E(value);
  if (UI[lang].roles[value]) return roleName(value);
  // The service's own enums (a division's level) are written by their case name: `community`
  // is the label of `…_COMMUNITY`.
  if (/^[a-z][a-zA-Z]*$/.test(value)) {
    const suffix = `_${value.replace(/[A-Z]/g, (letter) => `_${letter}`).toUpperCase()}`;
    const key = Object.keys(labels.enums).find((name) => name.endsWith(suffix));
    if (key) return E(key);
  }
  return value;
}

async function call(service, method, body = {}) {
  const response = await fetch(`/${service}/${method}`, {
    method: 'POST', credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': session?.csrfToken ?? '' },
    body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({ code: 'internal', message: response.statusText }));
  if (!response.ok) throw new ServiceError(answer.code, answer.message, answer.details);
  return answer;
}

/** Every page of a list (for registers of hundreds, e.g. a jurisdiction's divisions). */
async function callAll(service, method, body, key, limit = 5000) {
  const all = [];
  let pageToken = '';
  do {
    const page = await call(service, method, { ...body, pageSize: 500, pageToken });
    all.push(...(page[key] || []));
    pageToken = page.nextPageToken || '';
  } while (pageToken && all.length < limit);
  return all;
}

/** The division-code prefix a picked code stands for: its trailing zero groups dropped (320102001000 → 320102001). */
const prefixOf = (code) => String(code || '').replace(/(?:000)+$/, '');
/**
 * A request id (the services' idempotency key) made once per dialog, so a retry of the same
 * submission acts once; random from crypto.getRandomValues, which plain HTTP has too.
 */
function requestID() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `console-${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}
const may = (method) => session?.may?.includes(method);
const errorText = (error) => (error instanceof ServiceError ? error.text : String(error.message || error));

/** Shows an error beside the form's field it names, or under the form. */
function showError(form, error, fieldFor = {}) {
  for (const node of form.querySelectorAll('.field-error')) node.textContent = '';
  for (const node of form.querySelectorAll('[aria-invalid]')) node.removeAttribute('aria-invalid');
  const status = form.querySelector('.form-status');
  const last = error instanceof ServiceError ? error.field.split('.').pop() : '';
  const camel = last.replace(/_([a-z])/g, (_, letter) => letter.toUpperCase());
  const input = error instanceof ServiceError && last
    && form.querySelector(`[name="${fieldFor[error.field] ?? fieldFor[last] ?? last}"], [name="${camel}"]`);
  if (input) {
    input.setAttribute('aria-invalid', 'true');
    const slot = form.querySelector(`#${CSS.escape(input.dataset.errorSlot ?? `${input.id}-error`)}`);
    // Beside the field, the field is named as its label names it.
    const label = slot?.parentElement?.querySelector('label')?.textContent;
    if (slot) { slot.textContent = label ? error.textFor(label) : errorText(error); return; }
  }
  if (status) { status.className = 'form-status error'; status.textContent = errorText(error); }
}

// ---- Time and numbers ----

const pad = (n) => String(n).padStart(2, '0');
// Times are shown in the city's clock (Beijing time), wherever the browser is, as case numbers are dated.
const cityClock = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
function formatTime(value) {
  if (!value) return '';
  const parts = Object.fromEntries(cityClock.formatToParts(new Date(value)).map((part) => [part.type, part.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}
/** A contract Date as a date input's value (YYYY-MM-DD), and back. */
const dateInput = (date) => (date?.year ? `${date.year}-${pad(date.month)}-${pad(date.day)}` : '');
const dateValue = (text) => { const [year, month, day] = text.split('-').map(Number); return { year, month, day }; };
const formatDate = (date) => (date?.year ? `${date.year}-${pad(date.month)}-${pad(date.day)}` : '');
const percent = (share) => `${((share || 0) * 100).toFixed(1)}%`;
const isoDate = (date) => ({ year: date.getFullYear(), month: date.getMonth() + 1, day: date.getDate() });

// ---- Places: names for codes, and the division tree picker ----

const places = {
  names: new Map(), // division or grid code → name
  children: new Map(), // parent code → [{code, name, level}]
  gridsLoaded: new Set(), // community codes whose grids are known
  compounds: new Map(), // compound id → name

  async load() {
    const divisions = await callAll(S.grid, 'ListDivisions', { divisionPrefix: session.scope }, 'divisions');
    this.names.clear(); this.children.clear();
    for (const division of divisions) {
      this.names.set(division.divisionCode, division.name);
      const siblings = this.children.get(division.parentCode) ?? [];
      siblings.push({ code: division.divisionCode, name: division.name, level: division.level });
      this.children.set(division.parentCode, siblings);
    }
    for (const list of this.children.values()) list.sort((a, b) => a.code.localeCompare(b.code));
  },

  /** The top of the tree the caller sees: the divisions whose parent is not in it. */
  roots() {
    const roots = [];
    for (const [parent, list] of this.children) if (!this.names.has(parent)) roots.push(...list);
    return roots.sort((a, b) => a.code.localeCompare(b.code));
  },

  async gridsOf(community) {
    if (!this.gridsLoaded.has(community)) {
      const grids = await callAll(S.grid, 'ListGrids', { divisionPrefix: community }, 'grids');
      const list = grids.filter((grid) => grid.kind !== 'GRID_KIND_MICRO').map((grid) => ({
        code: grid.gridCode, name: grid.name, level: 'DIVISION_LEVEL_GRID' }));
      for (const grid of grids) this.names.set(grid.gridCode, grid.name);
      list.sort((a, b) => a.code.localeCompare(b.code));
      this.children.set(community, list);
      this.gridsLoaded.add(community);
    }
    return this.children.get(community) ?? [];
  },

  /** Loads the names of the grids among `codes` (by their communities), before a list shows them. */
  async ensure(codes) {
    const communities = new Set(codes.filter((code) => code && code.length >= 15).map((code) => code.slice(0, 12)));
    // Divisions above the user's own (a district's periods and companies, seen from a street) by name too.
    const above = [...new Set(codes.filter((code) => code?.length === 12 && !this.names.has(code)))];
    await Promise.all([...[...communities].filter((c) => !this.gridsLoaded.has(c)).map((c) => this.gridsOf(c).catch(() => [])),
      ...above.map(async (code) => {
        const division = await call(S.grid, 'GetDivision', { divisionCode: code }).catch(() => null);
        if (division?.name) this.names.set(code, division.name);
      })]);
  },

  async ensureCompounds(ids) {
    const missing = [...new Set(ids.filter((id) => id && !this.compounds.has(id)))];
    await Promise.all(missing.map(async (id) => {
      const compound = await call(S.prop, 'GetCompound', { id }).catch(() => null);
      if (compound) this.compounds.set(id, compound.name);
    }));
  },

  companies: new Map(), // company id → name

  async ensureCompanies(ids) {
    const missing = [...new Set(ids.filter((id) => id && !this.companies.has(id)))];
    for (let start = 0; start < missing.length; start += 100) {
      const { companies = [] } = await call(S.prop, 'ListCompanies', { ids: missing.slice(start, start + 100), pageSize: 100 })
        .catch(() => ({}));
      for (const company of companies) this.companies.set(company.id, company.name);
    }
  },

  name(code) { return this.names.get(code) ?? code; },

  /** The name of a jurisdiction (a division-code prefix): its division, or the whole city. */
  scopeName(scope) {
    if (!scope) return t('wholeCity');
    const code = scope.padEnd(12, '0');
    if (this.names.has(code)) return this.names.get(code);
    const roots = this.roots();
    return roots.length === 1 && scope.length > 4 ? roots[0].name : t('wholeCity');
  },

  /** The name of a place with its code on hover. */
  tag(code) {
    if (!code) return el('span', { text: '' });
    return el('span', { class: 'place', title: code, text: this.names.get(code) ?? code });
  },

  /** 仙林街道 › 文枢社区 › 第3网格: the path below the caller's jurisdiction. */
  path(code) {
    const parts = [];
    for (const length of [6, 9, 12, 15]) {
      if (code.length < length) break;
      let part = code.slice(0, length);
      if (length < 12) part = part.padEnd(12, '0');
      if (this.names.has(part) && !parts.includes(this.names.get(part))) parts.push(this.names.get(part));
    }
    return parts.join(' › ');
  },
};

/**
 * A button that opens the division tree (district → street → community → grid) and holds the
 * chosen code in a hidden input named `name`. `pick` says which levels may be chosen.
 */
function placePicker({ name, label, pick = 'any', required = false, value = '', within = '', except = '' }) {
  const hidden = el('input', { type: 'hidden', name, value });
  const button = el('button', { type: 'button', class: 'picker-button', 'aria-haspopup': 'dialog',
    text: value ? places.name(value) : t(pick === 'grid' ? 'pickGrid' : 'pickPlace') });
  button.dataset.required = required ? 'true' : '';
  const set = (code) => {
    hidden.value = code;
    button.textContent = code ? places.name(code) : t(pick === 'grid' ? 'pickGrid' : 'pickPlace');
    button.title = code ? `${places.path(code)}（${code}）` : '';
    hidden.dispatchEvent(new Event('change', { bubbles: true }));
  };
  button.addEventListener('click', () => openTree({ pick, onPick: set, allowClear: !required, within, except }));
  const holder = field(label, button);
  holder.append(hidden);
  hidden.id = `${button.id}-value`;
  hidden.dataset.errorSlot = `${button.id}-error`;
  holder.setPicked = set;
  return holder;
}

async function openTree({ pick, onPick, allowClear, within = '', except = '' }) {
  const dialog = el('dialog', { class: 'tree-dialog', 'aria-label': t(pick === 'grid' ? 'pickGrid' : 'pickPlace') });
  const tree = el('ul', { role: 'tree', class: 'tree' });
  const choose = (code) => { dialog.close(); dialog.remove(); onPick(code); };
  const canPick = (node) => pick === 'any' || (pick === 'grid' && node.level === 'DIVISION_LEVEL_GRID')
    || (pick === 'community' && node.level === 'DIVISION_LEVEL_COMMUNITY')
    || (pick === 'division' && ['DIVISION_LEVEL_DISTRICT', 'DIVISION_LEVEL_STREET'].includes(node.level));
  const item = (node) => {
    const isCommunity = node.level === 'DIVISION_LEVEL_COMMUNITY';
    const hasChildren = isCommunity ? !['community', 'division'].includes(pick) : (places.children.get(node.code) ?? []).length > 0;
    const li = el('li', { role: 'treeitem', 'aria-expanded': hasChildren ? 'false' : null });
    const children = el('ul', { role: 'group', hidden: true });
    const toggle = hasChildren ? el('button', { type: 'button', class: 'toggle', 'aria-label': `${t('expand')} ${node.name}`, text: '▸',
      onclick: async () => {
        const open = li.getAttribute('aria-expanded') === 'true';
        if (!open && !li.dataset.loaded) {
          li.dataset.loaded = 'true';
          const list = isCommunity ? await places.gridsOf(node.code) : places.children.get(node.code) ?? [];
          children.append(...list.map(item));
        }
        li.setAttribute('aria-expanded', open ? 'false' : 'true');
        children.hidden = open;
        toggle.textContent = open ? '▸' : '▾';
      } }) : el('span', { class: 'toggle-space' });
    const label = canPick(node) && node.code !== except
      ? el('button', { type: 'button', class: 'tree-pick', 'data-code': node.code, title: node.code, text: `${node.name}`, onclick: () => choose(node.code) })
      : el('span', { class: 'tree-label', title: node.code, text: node.name });
    li.append(toggle, label, el('small', { class: 'level', text: E(node.level) }), children);
    return li;
  };
  // Within a division: its own node is the tree's root.
  const roots = within ? [{ code: within, name: places.name(within), level: 'DIVISION_LEVEL_COMMUNITY' }] : places.roots();
  tree.append(...roots.map(item));
  dialog.append(el('h3', { text: t(pick === 'grid' ? 'pickGrid' : 'pickPlace') }), tree,
    el('div', { class: 'actions' },
      allowClear ? el('button', { type: 'button', class: 'secondary', text: t('all'), onclick: () => choose('') }) : null,
      el('button', { type: 'button', class: 'secondary', text: t('cancel'), onclick: () => { dialog.close(); dialog.remove(); } })));
  document.body.append(dialog);
  dialog.showModal();
  // One level opened, so the first choice is a click away.
  const first = tree.querySelector('.toggle');
  if (first && roots.length === 1) first.click();
}

// ---- Page scaffolding ----

const main = () => document.getElementById('main');
function show(...nodes) { main().replaceChildren(...nodes.filter((node) => node)); main().focus({ preventScroll: true }); }
function card(title, ...content) { return el('section', { class: 'card' }, title ? el('h2', { text: title }) : null, ...content); }
function message(text, kind = 'error') { return el('p', { class: kind, role: kind === 'error' ? 'alert' : 'status', text }); }
/** A table of a detail page; an empty one says so. */
function table(headers, rows, id) {
  return el('div', { class: 'table-wrap' }, el('table', { class: 'list', id },
    el('thead', {}, el('tr', {}, headers.map((h) => el('th', { scope: 'col', text: h })))),
    el('tbody', {}, rows.length ? rows.map((cells) => el('tr', {}, cells.map((c) => el('td', {}, c instanceof Node ? c : String(c ?? '')))))
      : el('tr', {}, el('td', { colspan: headers.length, class: 'list-status', text: t('noData') })))));
}
function badge(value) { return el('span', { class: `badge ${String(value || '').toLowerCase()}`, text: E(value) }); }

/** A dialog asking for what an action needs; resolves with the form's values, or null. */
function ask(title, fields, { confirmText = t('confirm'), run, fieldFor = {}, cancel = true } = {}) {
  return new Promise((resolve) => {
    const form = el('form', { method: 'dialog', class: 'dialog-form' });
    const dialog = el('dialog', { 'aria-label': title }, el('h3', { text: title }), form);
    for (const spec of fields) form.append(spec.node ?? spec);
    const status = el('p', { class: 'form-status', role: 'status' });
    const submit = el('button', { type: 'submit', id: 'dialog-confirm', text: confirmText });
    form.append(status, el('div', { class: 'actions' }, submit,
      cancel && el('button', { type: 'button', class: 'secondary', id: 'dialog-cancel', text: t('cancel'), onclick: () => { dialog.close(); dialog.remove(); resolve(null); } })));
    const id = requestID();
    // Escape closes the dialog as Cancel does.
    dialog.addEventListener('cancel', () => { dialog.remove(); resolve(null); });
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const values = Object.fromEntries(new FormData(form).entries());
      if (!run) { dialog.close(); dialog.remove(); resolve(values); return; }
      submit.disabled = true; status.className = 'form-status'; status.textContent = t('working');
      try { const answer = await run(values, id); dialog.close(); dialog.remove(); resolve(answer ?? values); }
      catch (error) { status.textContent = ''; showError(form, error, fieldFor); submit.disabled = false; }
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/**
 * A list the service pages, filters and orders: filters are sent with the request, pages follow
 * the service's page tokens (a stack keeps the way back).
 */
function listView({ id, service, method, key, filters = [], columns, open, request = () => ({}), prepare, pageSize = 20 }) {
  const form = el('form', { class: 'filters', id: `${id}-filters`, role: 'search' });
  for (const filter of filters) form.append(filter);
  // Exports write every record the search selects, in the order shown, as a file the browser
  // saves as it arrives (GET /exports/…, ExportController).
  const exportLink = (format, extra = {}) => {
    const asked = { ...(query ?? request(Object.fromEntries([...new FormData(form).entries()].filter(([, v]) => v !== '')))),
      ...(sort ? { orderBy: sort } : {}) };
    const params = new URLSearchParams({ format, request: JSON.stringify(asked), ...extra });
    const link = el('a', { href: `/exports/${service}/${method}?${params}`, download: '' });
    document.body.append(link); link.click(); link.remove();
  };
  const revealExport = method === 'ListMembers' && may(`${S.org.split('.').pop()}/RevealContact`)
    ? el('button', { type: 'button', class: 'secondary', id: `${id}-export-reveal`, text: t('exportReveal'), onclick: async () => {
      const reason = await ask(t('exportReveal'), [field(t('exportRevealReason'),
        el('textarea', { name: 'reason', required: true, rows: 2, maxlength: 200, id: `${id}-export-reason` }))], { run: async (v) => v.reason });
      if (reason) exportLink('xlsx', { reveal: 'true', reason });
    } }) : null;
  form.append(el('div', { class: 'filter-buttons full-row' }, el('button', { type: 'submit', id: `${id}-search`, text: t('search') }),
    el('button', { type: 'reset', class: 'secondary', text: t('reset') }),
    el('button', { type: 'button', class: 'secondary', id: `${id}-export-xlsx`, text: t('exportXlsx'), onclick: () => exportLink('xlsx') }),
    el('button', { type: 'button', class: 'secondary', id: `${id}-export-csv`, text: t('exportCsv'), onclick: () => exportLink('csv') }),
    revealExport));
  const table = el('table', { id: `${id}-table`, class: 'list' });
  const pager = el('div', { class: 'pager' });
  const status = el('p', { class: 'list-status', role: 'status' });
  const tokens = [''];
  let index = 0;
  // The query of the last search: pages go on with it, whatever the form holds meanwhile.
  let query = null;
  // A column with a third entry, the service's order_by field, sorts the list by it: the service
  // orders and pages; a second click reverses, and the order shown is the one asked for.
  let sort = null;
  const headers = columns.map(([label, , sortField]) => {
    if (!sortField) return el('th', { scope: 'col', text: label });
    const th = el('th', { scope: 'col', 'aria-sort': 'none' });
    th.append(el('button', { type: 'button', class: 'sort', id: `${id}-sort-${sortField}`, title: t('sortBy', { column: label }),
      onclick: () => {
        sort = sort === sortField ? `${sortField} desc` : sortField;
        tokens.length = 1; index = 0; load();
      } }, label, el('span', { class: 'sort-mark', 'aria-hidden': 'true' })));
    th.dataset.sortField = sortField;
    return th;
  });
  const head = el('thead', {}, el('tr', {}, headers));
  const showSort = () => {
    for (const th of headers) {
      if (!th.dataset.sortField) continue;
      const direction = sort === th.dataset.sortField ? 'ascending' : sort === `${th.dataset.sortField} desc` ? 'descending' : 'none';
      th.setAttribute('aria-sort', direction);
      th.querySelector('.sort-mark').textContent = direction === 'ascending' ? ' ▲' : direction === 'descending' ? ' ▼' : ' ↕';
    }
  };
  // The search, page and order live in the browser's history entry, so Back from a detail
  // returns to the same page of the same search.
  const remembered = history.state?.list?.id === id ? history.state.list : null;
  if (remembered) {
    for (const input of form.querySelectorAll('input[name], select[name]')) {
      const value = remembered.values[input.name];
      if (input.type === 'checkbox') input.checked = value !== undefined;
      else if (input.type === 'hidden') input.closest('.field')?.setPicked?.(value ?? '');
      else input.value = value ?? '';
    }
    tokens.splice(0, tokens.length, ...remembered.tokens);
    index = remembered.index;
    sort = remembered.sort;
  }
  const load = async () => {
    status.textContent = t('loading');
    const values = Object.fromEntries([...new FormData(form).entries()].filter(([, v]) => v !== ''));
    if (!query || index === 0) query = request(values);
    showSort();
    try {
      const answer = await call(service, method, { ...query, ...(sort ? { orderBy: sort } : {}), pageSize, pageToken: tokens[index] });
      const rows = answer[key] || [];
      if (prepare) await prepare(rows);
      tokens[index + 1] = answer.nextPageToken || '';
      history.replaceState({ ...history.state, list: { id, values, tokens: [...tokens], index, sort } }, '');
      const body = el('tbody', {}, rows.map((row) => {
        const tr = el('tr', { class: open ? 'row' : '', tabindex: open ? 0 : null },
          columns.map(([, value]) => { const shown = value(row); return el('td', {}, shown instanceof Node ? shown : String(shown ?? '')); }));
        if (open) {
          tr.addEventListener('click', () => open(row));
          tr.addEventListener('keydown', (event) => { if (event.key === 'Enter') open(row); });
        }
        return tr;
      }));
      table.replaceChildren(head, body);
      status.textContent = rows.length ? '' : t('noData');
      pager.replaceChildren(
        el('button', { type: 'button', class: 'secondary', disabled: index === 0, text: t('previous'), onclick: () => { index -= 1; load(); } }),
        el('span', { text: t('page', { n: index + 1 }) }),
        el('button', { type: 'button', class: 'secondary', id: `${id}-next`, disabled: !tokens[index + 1], text: t('next'), onclick: () => { index += 1; load(); } }));
    } catch (error) { status.textContent = ''; table.replaceChildren(); pager.replaceChildren(message(errorText(error))); }
  };
  // A search orders as the form says, so it sets aside a column's order.
  form.addEventListener('submit', (event) => { event.preventDefault(); tokens.length = 1; index = 0; query = null; sort = null; load(); });
  form.addEventListener('reset', () => setTimeout(() => {
    sort = null;
    // Reset clears the form, a figure's drill-down included, rather than returning to it.
    for (const input of form.querySelectorAll('input, select')) {
      if (input.type === 'checkbox') input.checked = false;
      else if (input.tagName === 'SELECT') input.selectedIndex = 0;
      else input.value = '';
    }
    for (const picker of form.querySelectorAll('.field')) picker.setPicked?.('');
    tokens.length = 1; index = 0; query = null; load();
  }));
  load();
  return { node: el('div', { class: 'list-view' }, form, el('div', { class: 'table-wrap' }, table), status, pager), reload: load, form };
}

const enumSelect = (name, label, values, { any = true, value = '' } = {}) => field(label,
  el('select', { name }, any ? el('option', { value: '', text: t('any') }) : null,
    values.map((v) => el('option', { value: v, text: E(v), selected: v === value }))));
const textFilter = (name, label, attrs = {}) => field(label, el('input', { name, ...attrs }));
const enumValues = (prefix) => Object.keys(labels.enums).filter((key) => key.startsWith(prefix));

// ---- Charts: SVG scaled to their card (viewBox, width 100%) ----

const SVG = 'http://www.w3.org/2000/svg';
function svgNode(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Horizontal bars; each bar may lead to the list behind it. */
function barChart(id, rows) {
  const width = 360, barHeight = 18, gap = 8, labelWidth = 96, valueWidth = 52;
  const height = Math.max(1, rows.length) * (barHeight + gap);
  const svg = svgNode('svg', { class: 'chart', id, viewBox: `0 0 ${width} ${height}`, width: '100%', role: 'img' });
  const max = Math.max(1, ...rows.map((row) => row.value));
  rows.forEach((row, index) => {
    const y = index * (barHeight + gap);
    const length = Math.max(1, (width - labelWidth - valueWidth) * row.value / max);
    const group = svgNode('g', row.go ? { class: 'link', tabindex: 0, role: 'link', 'aria-label': `${row.label} ${row.text ?? row.value}` } : {});
    group.append(svgNode('text', { x: 0, y: y + 13 }, row.label),
      svgNode('rect', { x: labelWidth, y, width: length, height: barHeight, rx: 2, fill: row.color || '#c62828' }),
      svgNode('text', { x: labelWidth + length + 4, y: y + 13 }, row.text ?? String(row.value)));
    if (row.go) {
      group.addEventListener('click', row.go);
      group.addEventListener('keydown', (event) => { if (event.key === 'Enter') row.go(); });
    }
    svg.append(group);
  });
  if (!rows.length) { svg.setAttribute('viewBox', `0 0 ${width} 24`); svg.append(svgNode('text', { x: 0, y: 16 }, t('noData'))); }
  return svg;
}

function gauge(id, label, share, go) {
  const svg = svgNode('svg', { class: 'chart', id, viewBox: '0 0 150 150', width: '100%', role: 'img', 'aria-label': `${label} ${percent(share)}` });
  const radius = 55, length = 2 * Math.PI * radius, value = Math.max(0, Math.min(1, share || 0));
  for (const [stroke, dash] of [['#eceff1', length], ['#c62828', length * value]]) {
    svg.append(svgNode('circle', { cx: 75, cy: 75, r: radius, fill: 'none', stroke, 'stroke-width': 14,
      'stroke-dasharray': `${dash} ${length}`, transform: 'rotate(-90 75 75)' }));
  }
  svg.append(svgNode('text', { x: 75, y: 82, 'text-anchor': 'middle', class: 'gauge-value' }, percent(value)));
  const holder = el('div', { class: `gauge${go ? ' link' : ''}`, tabindex: go ? 0 : null }, svg, el('div', { class: 'legend', text: label }));
  if (go) { holder.addEventListener('click', go); holder.addEventListener('keydown', (event) => { if (event.key === 'Enter') go(); }); }
  return holder;
}

/** Lines of shares (0–1) over periods, with a legend. */
function lineChart(id, periods, series) {
  const width = 520, height = 150, left = 34, bottom = 20, top = 8, right = 24;
  const svg = svgNode('svg', { class: 'chart', id, viewBox: `0 0 ${width} ${height}`, width: '100%', role: 'img' });
  const x = (i) => left + (periods.length < 2 ? 0 : i * (width - left - right) / (periods.length - 1));
  const y = (v) => top + (1 - v) * (height - top - bottom);
  for (const v of [0, 0.5, 1]) {
    svg.append(svgNode('line', { x1: left, x2: width - right, y1: y(v), y2: y(v), stroke: '#e4e7eb' }),
      svgNode('text', { x: 0, y: y(v) + 4 }, `${v * 100}%`));
  }
  periods.forEach((label, i) => svg.append(svgNode('text', { x: x(i), y: height - 4, 'text-anchor': 'middle' }, label)));
  // A period without a value (nothing resolved then) leaves a gap rather than a fall to zero.
  for (const line of series) {
    let run = [];
    const flush = () => {
      if (run.length > 1) svg.append(svgNode('polyline', { fill: 'none', stroke: line.color, 'stroke-width': 2, points: run.join(' ') }));
      run = [];
    };
    line.values.forEach((v, i) => {
      if (v === null) { flush(); return; }
      run.push(`${x(i)},${y(v)}`);
      svg.append(svgNode('circle', { cx: x(i), cy: y(v), r: 3, fill: line.color }));
    });
    flush();
  }
  const legend = el('div', { class: 'legend' }, series.map((line) => {
    const swatch = el('i');
    swatch.style.background = line.color;
    return el('span', { class: 'key' }, swatch, line.label);
  }));
  return el('div', {}, svg, legend);
}

// ---- Dashboard ----

/** The dates a period selector stands for, and the earlier periods of its trend. */
function periodRange(kind, back = 0) {
  // Today in the city (Beijing), whatever the browser's clock says.
  const today = Object.fromEntries(cityClock.formatToParts(new Date()).map((part) => [part.type, Number(part.value)]));
  const now = new Date(today.year, today.month - 1, today.day);
  if (kind === 'month') {
    const from = new Date(now.getFullYear(), now.getMonth() - back, 1);
    const to = new Date(from.getFullYear(), from.getMonth() + 1, 0);
    return { from, to, label: `${from.getMonth() + 1}${lang === 'zh' ? '月' : ''}` };
  }
  if (kind === 'quarter') {
    const quarter = Math.floor(now.getMonth() / 3) - back;
    const from = new Date(now.getFullYear(), quarter * 3, 1);
    const to = new Date(from.getFullYear(), from.getMonth() + 3, 0);
    return { from, to, label: `${from.getFullYear() % 100}Q${Math.floor(from.getMonth() / 3) + 1}` };
  }
  const from = new Date(now.getFullYear() - back, 0, 1);
  return { from, to: new Date(from.getFullYear(), 11, 31), label: String(from.getFullYear()) };
}

let dashboardPeriod = 'year';

async function dashboard() {
  const scope = session.scope || '';
  const range = periodRange(dashboardPeriod);
  const dates = { fromDate: isoDate(range.from), toDate: isoDate(range.to) };
  const selector = el('div', { class: 'segmented', role: 'group', 'aria-label': t('period') },
    ['month', 'quarter', 'year'].map((kind) => el('button', { type: 'button', id: `period-${kind}`,
      class: kind === dashboardPeriod ? 'active' : 'secondary', 'aria-pressed': kind === dashboardPeriod ? 'true' : 'false', text: t(`this_${kind}`),
      onclick: () => { dashboardPeriod = kind; dashboard(); } })));
  const cards = el('div', { class: 'cards' });
  show(el('div', { class: 'page-head' }, el('h2', { text: `${t('dashboard')} · ${places.scopeName(scope)}` }), selector), cards);
  const add = async (title, build, wide = false) => {
    const holder = el('section', { class: `card${wide ? ' wide' : ''}`, 'aria-busy': 'true' }, el('h3', { text: title }));
    cards.append(holder);
    try { holder.append(await build()); } catch (error) { holder.append(message(`${t('failed')}：${errorText(error)}`)); }
    holder.removeAttribute('aria-busy');
  };
  const statistics = call(S.grid, 'GetCaseStatistics', { divisionPrefix: scope, ...dates });
  await Promise.all([
    add(t('casesOverview'), async () => {
      const { totals = {} } = await statistics;
      return el('div', { class: 'figures' },
        figure('figure-total', totals.total ?? 0, t('casesTotal'), () => navigate('cases', dates)),
        // Counted with the finished ones: the desk's overdue list, finished cases included.
        figure('figure-overdue', totals.overdue ?? 0, t('overdueCases'),
          () => navigate('cases', { overdue: true, includeFinished: true, ...dates })),
        // The rate's cases an official acts on: those resolved late.
        figure('figure-on-time', percent(totals.onTimeRate), t('onTime'), () => navigate('cases', { resolvedOnTime: 'false', ...dates })),
        figure('figure-satisfaction', (totals.meanSatisfaction || 0).toFixed(2), t('satisfaction'),
          () => navigate('cases', { status: 'CASE_STATUS_EVALUATED', ...dates })));
    }),
    add(t('kpi'), async () => kpiCard(scope, dates), true),
    add(t('casesByStatus'), async () => {
      const { totals = {} } = await statistics;
      return barChart('chart-case-status', (totals.byStatus || []).map((row) => ({
        label: E(row.status), value: Number(row.count), go: () => navigate('cases', { status: row.status, ...dates }) })));
    }),
    add(t('casesByLevel'), async () => {
      const { totals = {} } = await statistics;
      return barChart('chart-case-level', (totals.byLevel || []).map((row) => ({
        label: E(row.level), value: Number(row.count), go: () => navigate('cases', { level: row.level, ...dates }) })));
    }),
    add(t('coverage'), async () => {
      const { figures = {} } = await call(S.org, 'GetCoverage', { divisionPrefix: scope });
      return el('div', {}, el('div', { class: 'gauges' },
        gauge('chart-compound-coverage', t('compoundCoverage'), figures.compoundCoverage, () => navigate('gaps')),
        gauge('chart-company-coverage', t('companyCoverage'), figures.companyCoverage, () => navigate('companies')),
        gauge('chart-grid-coverage', t('gridCoverage'), figures.gridCoverage, () => navigate('grids'))),
      el('div', { class: 'figures' },
        figure('figure-formal', figures.formalMembers ?? 0, t('membersFormal'), () => navigate('members', { standing: 'MEMBER_STANDING_FORMAL' })),
        figure('figure-probationary', figures.probationaryMembers ?? 0, t('membersProbationary'),
          () => navigate('members', { standing: 'MEMBER_STANDING_PROBATIONARY' })),
        figure('figure-in-service', figures.inServiceRegistered ?? 0, t('inServiceRegistered'),
          () => navigate('members', { kind: 'MEMBER_KIND_IN_SERVICE' }))));
    }),
    add(t('groupVolunteers'), async () => {
      const totals = await call(S.vol, 'GetServiceTotals', { divisionPrefix: scope, ...dates });
      return el('div', {}, el('div', { class: 'figures' }, figure('volunteer-hours', (totals.hours || 0).toFixed(1), t('volunteerHours'), () => navigate('volunteers'))),
        barChart('chart-volunteers', [
          { label: t('registeredVolunteers'), value: Number(totals.registeredVolunteers || 0), go: () => navigate('volunteers') },
          { label: t('teams'), value: Number(totals.teams || 0), go: () => navigate('teams') },
          { label: t('confirmedWishes'), value: Number(totals.microWishesConfirmed || 0), go: () => navigate('wishes', { state: 'MICRO_WISH_STATE_CONFIRMED' }) }]));
    }),
    add(`${t('stars')} · ${t('lists')}`, async () => {
      const companies = await callAll(S.prop, 'ListCompanies', { divisionPrefix: scope }, 'companies', 3000);
      const stars = [5, 4, 3, 2, 1].map((star) => ({ label: '★'.repeat(star), value: companies.filter((c) => c.starRating === star).length,
        go: () => navigate('companies', { starRating: String(star) }) }));
      const lists = [['LIST_STATUS_RED', '#2e7d32'], ['LIST_STATUS_BLACK', '#263238']].map(([status, color]) => ({
        label: E(status), color, value: companies.filter((c) => c.listStatus === status).length,
        go: () => navigate('companies', { listStatus: status }) }));
      return el('div', {}, barChart('chart-stars', stars), barChart('chart-lists', lists));
    }),
  ]);
}

function figure(id, value, label, go) {
  const node = el(go ? 'button' : 'div', { type: go ? 'button' : null, class: `figure-box${go ? ' link' : ''}`, id },
    el('span', { class: 'figure', text: String(value) }), el('span', { class: 'legend', text: label }));
  if (go) node.addEventListener('click', go);
  return node;
}

/** The seeds' KPI: the shares of resolved cases kept in the grid, the community and the street, now and before. */
async function kpiCard(scope, dates) {
  const count = { month: 6, quarter: 4, year: 3 }[dashboardPeriod];
  const ranges = Array.from({ length: count }, (_, i) => periodRange(dashboardPeriod, count - 1 - i));
  const answers = await Promise.all(ranges.map((range) => call(S.grid, 'GetCaseStatistics', {
    divisionPrefix: scope, fromDate: isoDate(range.from), toDate: isoDate(range.to) })));
  const share = (answer, level) => (answer.totals?.resolvedByLevel || []).find((row) => row.level === level)?.share || 0;
  // Kept within a level: resolved there or below.
  const kept = (answer) => {
    const grid = share(answer, 'CASE_LEVEL_GRID');
    const community = grid + share(answer, 'CASE_LEVEL_COMMUNITY');
    return [grid, community, community + share(answer, 'CASE_LEVEL_STREET')];
  };
  const resolved = (answer) => (answer.totals?.resolvedByLevel || []).some((row) => row.share > 0);
  const now = kept(answers[answers.length - 1]);
  return el('div', { class: 'kpi' },
    el('div', { class: 'figures' },
      figure('kpi-grid', percent(now[0]), t('kpiGrid'), () => navigate('cases', { resolvedLevel: 'CASE_LEVEL_GRID', ...dates })),
      figure('kpi-community', percent(now[1]), t('kpiCommunity'), () => navigate('cases', { resolvedLevel: 'CASE_LEVEL_COMMUNITY', ...dates })),
      figure('kpi-street', percent(now[2]), t('kpiStreet'), () => navigate('cases', { resolvedLevel: 'CASE_LEVEL_STREET', ...dates }))),
    lineChart('chart-kpi-trend', ranges.map((r) => r.label), [
      { label: t('kpiGrid'), color: '#c62828', values: answers.map((a) => (resolved(a) ? kept(a)[0] : null)) },
      { label: t('kpiCommunity'), color: '#ef6c00', values: answers.map((a) => (resolved(a) ? kept(a)[1] : null)) },
      { label: t('kpiStreet'), color: '#1565c0', values: answers.map((a) => (resolved(a) ? kept(a)[2] : null)) }]));
}

// ---- The case desk ----

/** Who acted: a person's or system's name; the platform's own work (a service, a job, the loader) in words. */
const actorName = (actor) => {
  const text = String(actor || '');
  if (text.startsWith('service:') || text === 'system') return t('platform');
  if (text === 'user:operator') return t('operator');
  if (text.startsWith('resident:')) return t('residentActor');
  return text.replace(/^(user|apikey):/, '');
};

/** Roles that may read a reporter's whole contact (each read recorded in the audit trail). */
const REVEALING_ROLES = new Set(['city_admin', 'district', 'street', 'community', 'grid_worker']);

/** The reporter as listed (masked), with a button that reads the whole contact for the handling staff. */
function reporterCell(gridCase) {
  const reporter = gridCase.reporter;
  const text = [reporter?.name, reporter?.phone].filter(Boolean).join(' ');
  if (!text) return '';
  const cell = el('span', { id: 'case-reporter' }, text);
  if (reporter.masked && REVEALING_ROLES.has(session.role)) {
    cell.append(' ', el('button', { type: 'button', class: 'secondary small', id: 'reveal-reporter', text: t('reveal'), onclick: async (event) => {
      event.currentTarget.disabled = true;
      try {
        const whole = (await call(S.grid, 'GetCase', { id: gridCase.id, revealReporter: true })).reporter ?? {};
        cell.replaceChildren([whole.name, whole.phone].filter(Boolean).join(' '));
      } catch (error) {
        notice(`${t('failed')}：${errorText(error)}`);
        event.currentTarget.disabled = false;
      }
    } }));
  }
  return cell;
}

function casesPage(preset = {}) {
  const statusFilter = enumSelect('status', t('status'), enumValues('CASE_STATUS_'), { value: preset.status });
  const overdue = el('input', { type: 'checkbox', name: 'overdue', value: '1', checked: preset.overdue });
  const finished = el('input', { type: 'checkbox', name: 'includeFinished', value: '1', checked: preset.includeFinished });
  const list = listView({
    id: 'cases', service: S.grid, method: 'ListCases', key: 'cases', open: (row) => openCase(row.id),
    filters: [
      textFilter('caseNumber', t('caseNumber'), { placeholder: '20261130-00007', id: 'case-number-search', inputmode: 'numeric', title: t('searchNumber') }),
      statusFilter,
      enumSelect('level', t('level'), enumValues('CASE_LEVEL_'), { value: preset.level }),
      enumSelect('resolvedLevel', t('resolvedAt'), enumValues('CASE_LEVEL_'), { value: preset.resolvedLevel }),
      field(t('resolvedInTime'), el('select', { name: 'resolvedOnTime' }, el('option', { value: '', text: t('any') }),
        [['true', t('resolvedOnTime')], ['false', t('resolvedLate')]].map(([value, text]) =>
          el('option', { value, text, selected: value === preset.resolvedOnTime })))),
      enumSelect('source', t('source'), enumValues('CASE_SOURCE_')),
      placePicker({ name: 'place', label: t('place') }),
      textFilter('category', t('category')),
      field(t('reportedFrom'), el('input', { type: 'date', name: 'from', value: dateInput(preset.fromDate) })),
      field(t('reportedTo'), el('input', { type: 'date', name: 'to', value: dateInput(preset.toDate) })),
      field(t('order'), el('select', { name: 'orderBy' }, el('option', { value: 'create_time desc', text: t('sortNewest') }),
        el('option', { value: '', text: t('sortOldest') }))),
      el('div', { class: 'field checkbox' }, overdue, el('label', { for: (overdue.id = 'case-overdue'), text: t('overdueOnly') })),
      el('div', { class: 'field checkbox' }, finished, el('label', { for: (finished.id = 'case-overdue-finished'), text: t('includeFinished') })),
    ],
    request: (v) => ({
      orderBy: v.orderBy ?? '', caseNumber: (v.caseNumber ?? '').trim(), category: v.category, overdueOnly: Boolean(v.overdue),
      includeFinished: Boolean(v.overdue && v.includeFinished),
      statuses: v.status ? [v.status] : [], level: v.level, resolvedLevel: v.resolvedLevel, source: v.source,
      ...(v.resolvedOnTime ? { resolvedOnTime: v.resolvedOnTime === 'true' } : {}),
      ...(v.from ? { fromDate: dateValue(v.from) } : {}), ...(v.to ? { toDate: dateValue(v.to) } : {}),
      ...(v.place && v.place.length > 12 ? { gridCode: v.place } : { divisionPrefix: prefixOf(v.place) }),
    }),
    prepare: (rows) => places.ensure(rows.map((row) => row.location?.gridCode)),
    columns: [
      [t('caseNumber'), (row) => el('span', { class: 'number', title: row.id, text: row.caseNumber }), 'case_number'],
      [t('titleField'), (row) => row.title || row.category],
      [t('category'), (row) => row.category],
      [t('status'), (row) => badge(row.status)],
      [t('level'), (row) => E(row.handler?.level)],
      [t('source'), (row) => E(row.source)],
      [t('grid'), (row) => places.tag(row.location?.gridCode || row.divisionCode)],
      [t('reportTime'), (row) => formatTime(row.reportTime)],
      [t('deadline'), (row) => el('span', { class: row.overdue || row.missedDeadline ? 'late' : '', text: row.overdue ? t('overdue') : formatTime(row.deadline) }), 'deadline'],
    ],
  });
  const parts = [el('div', { class: 'page-head' }, el('h2', { text: t('cases') }),
    may('GridService/CreateCase') ? el('button', { type: 'button', id: 'new-case-open', text: t('newCase'), onclick: () => newCaseDialog() }) : null),
  card('', list.node)];
  show(...parts);
}

async function newCaseDialog() {
  const sources = ['CASE_SOURCE_RESIDENT', 'CASE_SOURCE_PATROL', 'CASE_SOURCE_OPINION_COLLECTION', 'CASE_SOURCE_CONSULTATION_MEETING'];
  const created = await ask(t('newCase'), [
    enumSelect('source', t('source'), sources, { any: false }),
    placePicker({ name: 'gridCode', label: t('grid'), pick: 'grid', required: true }),
    field(t('category'), el('input', { name: 'category', id: 'new-case-category', required: true, maxlength: 50 })),
    field(t('titleField'), el('input', { name: 'title', id: 'new-case-title', required: true, maxlength: 100 })),
    field(t('details'), el('textarea', { name: 'details', id: 'new-case-details', rows: 3, maxlength: 2000 })),
    enumSelect('priority', t('priority'), enumValues('CASE_PRIORITY_'), { any: false, value: 'CASE_PRIORITY_NORMAL' }),
    field(t('address'), el('input', { name: 'address', maxlength: 200 })),
    field(t('reporterName'), el('input', { name: 'reporterName', maxlength: 50 })),
    field(t('phone'), el('input', { name: 'reporterPhone', inputmode: 'tel', maxlength: 20 })),
  ], {
    confirmText: t('submit'),
    // A case without a grid is refused for its place: the grid picker is where to fix it.
    fieldFor: { 'grid_case.division_code': 'gridCode', 'grid_case.location.grid_code': 'gridCode' },
    run: (v, id) => call(S.grid, 'CreateCase', { requestId: id, gridCase: {
      source: v.source, category: v.category, title: v.title, details: v.details, priority: v.priority,
      location: { gridCode: v.gridCode, address: v.address },
      ...(v.reporterName ? { reporter: { name: v.reporterName, phone: v.reporterPhone } } : {}) } }),
  });
  if (created?.id) openCase(created.id);
}

/** What each state offers, and what each action asks for (the services check both again). */
const CASE_ACTIONS = [
  { key: 'accept', method: 'AcceptCase', from: ['CASE_STATUS_REPORTED', 'CASE_STATUS_REOPENED'] },
  { key: 'reject', method: 'RejectCase', from: ['CASE_STATUS_REPORTED'], needs: 'reason' },
  { key: 'assign', method: 'AssignCase', from: ['CASE_STATUS_ACCEPTED', 'CASE_STATUS_ASSIGNED'], needs: 'worker' },
  { key: 'start', method: 'StartCase', from: ['CASE_STATUS_ASSIGNED'] },
  { key: 'resolve', method: 'ResolveCase', from: ['CASE_STATUS_IN_PROGRESS'], needs: 'resolution' },
  { key: 'evaluate', method: 'EvaluateCase', from: ['CASE_STATUS_RESOLVED'], needs: 'satisfaction' },
  { key: 'closeCase', method: 'CloseCase', from: ['CASE_STATUS_RESOLVED', 'CASE_STATUS_EVALUATED'] },
  { key: 'reopen', method: 'ReopenCase', from: ['CASE_STATUS_RESOLVED', 'CASE_STATUS_EVALUATED', 'CASE_STATUS_CLOSED'], needs: 'reason' },
  { key: 'escalate', method: 'EscalateCase', from: ['CASE_STATUS_REPORTED', 'CASE_STATUS_ACCEPTED', 'CASE_STATUS_ASSIGNED', 'CASE_STATUS_IN_PROGRESS', 'CASE_STATUS_REOPENED'], needs: 'escalation' },
  { key: 'transfer', method: 'TransferCase', from: ['CASE_STATUS_REPORTED', 'CASE_STATUS_ACCEPTED', 'CASE_STATUS_REOPENED'], needs: 'grid' },
  // A line in the history, the state unchanged (a call made, what is awaited).
  { key: 'addNote', method: 'AddCaseNote', from: ['CASE_STATUS_REPORTED', 'CASE_STATUS_ACCEPTED', 'CASE_STATUS_ASSIGNED', 'CASE_STATUS_IN_PROGRESS',
    'CASE_STATUS_REOPENED', 'CASE_STATUS_RESOLVED', 'CASE_STATUS_EVALUATED'], needs: 'note' },
];

// The steps only the level holding a case (or one above) takes; the grid service refuses others.
const HANDLING_STEPS = new Set(['accept', 'reject', 'assign', 'start', 'resolve', 'escalate', 'transfer']);
const ROLE_LEVELS = { grid_worker: 1, community: 2, street: 3, district: 4 };
const CASE_LEVELS = { CASE_LEVEL_GRID: 1, CASE_LEVEL_COMMUNITY: 2, CASE_LEVEL_STREET: 3, CASE_LEVEL_DISTRICT_DEPARTMENT: 4 };
/** Whether the user's level works the level holding the case (city administrators work every level). */
const handles = (gridCase) => !(session.role in ROLE_LEVELS) || ROLE_LEVELS[session.role] >= (CASE_LEVELS[gridCase.handler?.level] ?? 0);

async function workerOptions(gridCode) {
  const [onDuty, all] = await Promise.all([
    call(S.grid, 'GetOnDuty', { gridCode }).catch(() => ({})),
    call(S.grid, 'ListGridWorkers', { gridCode, pageSize: 100 }).catch(() => ({})),
  ]);
  const duty = new Set((onDuty.workers || []).map((w) => w.id));
  const workers = [...(onDuty.workers || []), ...(all.workers || []).filter((w) => !duty.has(w.id))];
  return workers.map((w) => el('option', { value: w.id, text: `${w.name}${duty.has(w.id) ? `（${t('onDutyToday')}）` : ''} · ${E(w.kind)}` }));
}

async function caseAction(gridCase, action) {
  const fields = [];
  const body = { caseId: gridCase.id };
  if (action.needs === 'reason') fields.push(field(t('reason'), el('textarea', { name: 'reason', required: true, rows: 2, maxlength: 500 })));
  if (action.needs === 'resolution') fields.push(field(t('resolution'), el('textarea', { name: 'resolution', required: true, rows: 3, maxlength: 2000 })));
  if (action.needs === 'satisfaction') {
    fields.push(field(t('satisfactionScore'), el('select', { name: 'satisfaction' }, [5, 4, 3, 2, 1].map((n) => el('option', { value: n, text: '★'.repeat(n) })))),
      field(t('comment'), el('input', { name: 'comment', maxlength: 500 })));
  }
  if (action.needs === 'worker') {
    const options = await workerOptions(gridCase.location?.gridCode || gridCase.handler?.unitCode);
    fields.push(options.length ? field(t('worker'), el('select', { name: 'assigneeId', required: true }, options)) : message(t('noWorkers')));
  }
  if (action.needs === 'escalation' && gridCase.handler?.level === 'CASE_LEVEL_STREET') {
    fields.push(field(t('department'), el('input', { name: 'department', required: true, maxlength: 100 })));
  }
  if (action.needs === 'escalation' || action.needs === 'grid') fields.push(field(t('note'), el('input', { name: 'note', maxlength: 500 })));
  if (action.needs === 'note') fields.push(field(t('note'), el('textarea', { name: 'note', required: true, rows: 3, maxlength: 500 })));
  if (action.needs === 'grid') {
    // A transfer goes to another grid of the same community (CaseEscalation.transferTarget).
    const community = (gridCase.handler?.unitCode || gridCase.location?.gridCode || '').slice(0, 12);
    fields.unshift(placePicker({ name: 'unitCode', label: t('toGrid'), pick: 'grid', required: true, within: community, except: gridCase.handler?.unitCode }));
  }
  const run = (v, id) => {
    const request = { ...body, requestId: id };
    if (v.reason !== undefined) request.reason = v.reason;
    if (v.resolution !== undefined) request.resolution = v.resolution;
    if (v.satisfaction !== undefined) { request.satisfaction = Number(v.satisfaction); request.comment = v.comment; }
    if (v.assigneeId !== undefined) request.assigneeId = v.assigneeId;
    if (v.department !== undefined) request.department = v.department;
    if (v.note !== undefined) request.note = v.note;
    if (v.unitCode !== undefined) request.to = { level: 'CASE_LEVEL_GRID', unitCode: v.unitCode };
    return call(S.grid, action.method, request);
  };
  const done = await ask(`${t(action.key)} · ${gridCase.caseNumber}`, fields, { run });
  if (done) openCase(gridCase.id);
}

async function openCase(id) {
  remember('case', id);
  const [gridCase, events, files] = await Promise.all([
    call(S.grid, 'GetCase', { id }), callAll(S.grid, 'ListCaseEvents', { caseId: id }, 'events'),
    filesOf(S.grid, `cases/${id}`)]);
  await Promise.all([places.ensure([gridCase.location?.gridCode, ...events.map((e) => e.toUnit?.unitCode)]),
    places.ensureCompounds([gridCase.location?.compoundId])]);
  // The worker a case was dispatched to, by name (a staff assignee is named as they act).
  const worker = gridCase.assigneeId?.startsWith('wkr_') ? await call(S.grid, 'GetGridWorker', { id: gridCase.assigneeId }).catch(() => null) : null;
  const assignee = worker ? `${worker.name} · ${E(worker.kind)}` : actorName(gridCase.assigneeId ?? '');
  const offered = CASE_ACTIONS.filter((action) => action.from.includes(gridCase.status) && may(`GridService/${action.method}`)
    && (!HANDLING_STEPS.has(action.key) || handles(gridCase))
    && !(action.key === 'escalate' && gridCase.handler?.level === 'CASE_LEVEL_DISTRICT_DEPARTMENT'));
  // A unit above the user's jurisdiction has no name here: its level says enough.
  const unit = (u) => (u?.level === 'CASE_LEVEL_DISTRICT_DEPARTMENT' ? u.department : (u?.unitCode ? places.path(u.unitCode) : ''));
  const detail = el('dl', { class: 'detail' }, [
    [t('caseNumber'), gridCase.caseNumber], [t('source'), E(gridCase.source)],
    [t('category'), gridCase.category], [t('priority'), E(gridCase.priority)],
    [t('grid'), places.path(gridCase.location?.gridCode || gridCase.divisionCode)],
    [t('handler'), [E(gridCase.handler?.level), unit(gridCase.handler)].filter(Boolean).join(' · ')],
    [t('dispatchedTo'), assignee],
    [t('address'), gridCase.location?.address ?? ''], [t('compound'), places.compounds.get(gridCase.location?.compoundId) ?? ''],
    [t('reporter'), reporterCell(gridCase)],
    [t('position'), gridCase.location?.point ? `${Number(gridCase.location.point.latitude).toFixed(6)}, ${Number(gridCase.location.point.longitude).toFixed(6)}` : ''],
    [t('reportTime'), formatTime(gridCase.reportTime)],
    [t('deadline'), gridCase.overdue ? t('overdue') : formatTime(gridCase.deadline)],
    [t('details'), gridCase.details], [t('resolution'), gridCase.resolution],
    [t('evaluation'), gridCase.evaluation?.satisfaction ? `${'★'.repeat(gridCase.evaluation.satisfaction)} ${gridCase.evaluation.comment ?? ''}` : ''],
  ].filter(([, v]) => v !== '' && v !== undefined).flatMap(([k, v]) => [el('dt', { text: k }), el('dd', {}, v)]));
  const history = el('table', { id: 'case-history', class: 'list' },
    el('thead', {}, el('tr', {}, [t('time'), t('step'), t('fromStatus'), t('toStatus'), t('unit'), t('actor'), t('note'), t('attachments')].map((h) => el('th', { scope: 'col', text: h })))),
    el('tbody', {}, events.map((event) => el('tr', { 'data-event': event.id }, [formatTime(event.eventTime), E(event.kind), E(event.fromStatus), E(event.toStatus),
      `${E(event.toUnit?.level)} ${unit(event.toUnit)}`, actorName(event.actor), event.note ?? ''].map((v) => el('td', { text: v })),
    el('td', {}, attachmentLinks(files.filter((file) => file.eventId === event.id)))))));
  // Files go with the latest step: a photo of the scene with the report, of the result with the resolution.
  const latest = events[events.length - 1];
  const upload = latest && may('GridService/CreateAttachment')
    ? uploadForm(`cases/${encodeURIComponent(id)}`, { eventId: latest.id, done: () => openCase(id) }) : null;
  show(el('div', { class: 'page-head' }, el('h2', { text: `${gridCase.caseNumber} · ${gridCase.title || gridCase.category}` }),
    el('button', { type: 'button', class: 'secondary', id: 'back', text: t('back'), onclick: () => backTo('cases') })),
  card(t('caseDetail'), el('p', { id: 'case-status', class: 'status-line' }, badge(gridCase.status)), detail,
    el('div', { class: 'actions', id: 'case-actions', role: 'group', 'aria-label': t('actions') },
      offered.map((action) => el('button', { type: 'button', id: `action-${action.key}`, text: t(action.key), onclick: () => caseAction(gridCase, action) })))),
  card(t('history'), el('div', { class: 'table-wrap' }, history), upload));
}

/**
 * The files of a record (`parent`: cases/ID, patrols/ID, acceptances/ID, rectification_orders/ID)
 * from the service holding it, in upload order; none when it cannot say.
 */
const filesOf = (service, parent) => call(service, 'ListAttachments', { parent })
  .then((answer) => answer.attachments || []).catch(() => []);

/** A step's files: images as thumbnails opening the file, PDFs as a link (a download). */
function attachmentLinks(files) {
  if (!files.length) return null;
  return el('div', { class: 'attachments' }, files.map((file) => {
    const href = `/files/${encodeURIComponent(file.id)}`;
    if (file.mediaType === 'application/pdf') {
      return el('a', { href, class: 'file-link', 'data-attachment': file.id, text: `${t('pdfFile')}：${file.filename || ''}` });
    }
    return el('a', { href, target: '_blank', rel: 'noopener', title: file.filename || '', 'data-attachment': file.id },
      el('img', { src: href, alt: file.filename || t('attachments'), class: 'thumb', loading: 'lazy' }));
  }));
}

/**
 * The upload of a photo or PDF to a record (`parent`: cases/ID, patrols/ID, acceptances/ID or
 * rectification_orders/ID, the id URL-encoded) through the gateway's `/files/`
 * (multipart/form-data). The file goes with the step `eventId` (a case event), or with the one
 * chosen among `steps` ([event id, name] pairs, the last chosen at first: an acceptance's
 * decisions); `label` names the file field. Its controls are named `${id}-file`, `${id}-submit`,
 * `${id}-status`, so that several forms share a page. A refusal is shown in the console's words
 * (errors.json); `done` runs after an upload.
 */
function uploadForm(parent, { eventId = '', steps = [], id = 'upload', label = t('uploadFor'), done }) {
  const input = el('input', { type: 'file', name: 'file', id: `${id}-file`, accept: 'image/jpeg,image/png,image/webp,application/pdf' });
  const status = el('p', { class: 'form-status', id: `${id}-status`, role: 'status' });
  const button = el('button', { type: 'submit', id: `${id}-submit`, text: t('uploadFile') });
  const chooser = steps.length ? el('select', { name: 'event_id', id: `${id}-step` },
    steps.map(([value, text], index) => el('option', { value, text, selected: index === steps.length - 1 }))) : null;
  const form = el('form', { class: 'upload-form', id: `${id}-form` }, chooser ? field(t('uploadStep'), chooser) : null,
    field(label, input, t('uploadHint')), el('div', { class: 'actions' }, button), status);
  const refuse = (text) => { status.className = 'form-status error'; status.textContent = text; };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const file = input.files[0];
    if (!file) { refuse(t('chooseFile')); return; }
    if (file.size > 3 * 1024 * 1024) { refuse(t('fileTooLarge')); return; }
    const body = new FormData();
    body.append('request_id', requestID());
    const step = chooser ? chooser.value : eventId;
    if (step) body.append('event_id', step);
    body.append('file', file, file.name);
    button.disabled = true; status.className = 'form-status'; status.textContent = t('uploading');
    try {
      const response = await fetch(`/files/${parent}`, { method: 'POST', credentials: 'same-origin',
        headers: { 'X-CSRF-Token': session?.csrfToken ?? '' }, body });
      const answer = await response.json().catch(() => ({ code: 'internal', message: response.statusText }));
      if (!response.ok) throw new ServiceError(answer.code, answer.message, answer.details);
      status.className = 'form-status ok'; status.textContent = t('uploaded');
      await done?.();
    } catch (error) { refuse(errorText(error)); button.disabled = false; }
  });
  return form;
}

// ---- Party organisations: the tree with its counts ----

async function organisationsPage() {
  const scope = session.scope || '';
  show(card(t('organisations'), message(t('loading'), 'status')));
  const [organisations, coverage] = await Promise.all([
    callAll(S.org, 'ListOrganisations', { divisionPrefix: scope }, 'organisations', 20000),
    call(S.org, 'GetCoverage', { divisionPrefix: scope }).catch(() => ({})),
  ]);
  const byParent = new Map();
  const ids = new Set(organisations.map((o) => o.id));
  for (const organisation of organisations) {
    const parent = ids.has(organisation.parentId) ? organisation.parentId : '';
    byParent.set(parent, [...(byParent.get(parent) ?? []), organisation]);
  }
  for (const list of byParent.values()) list.sort((a, b) => a.divisionCode.localeCompare(b.divisionCode) || a.name.localeCompare(b.name));
  // Members of a node and everything below it.
  const totals = new Map();
  const sum = (organisation) => {
    if (totals.has(organisation.id)) return totals.get(organisation.id);
    const below = (byParent.get(organisation.id) ?? []).map(sum);
    const total = below.reduce((acc, x) => ({ formal: acc.formal + x.formal, probationary: acc.probationary + x.probationary, count: acc.count + x.count }),
      { formal: organisation.formalMemberCount || 0, probationary: organisation.probationaryMemberCount || 0, count: 1 });
    totals.set(organisation.id, total);
    return total;
  };
  const node = (organisation, depth) => {
    const total = sum(organisation);
    const children = byParent.get(organisation.id) ?? [];
    const li = el('li', { role: 'treeitem', 'aria-expanded': children.length ? String(depth < 2) : null });
    const group = el('ul', { role: 'group', hidden: depth >= 2 }, children.map((child) => node(child, depth + 1)));
    const toggle = children.length ? el('button', { type: 'button', class: 'toggle', 'aria-label': `${t('expand')} ${organisation.name}`, text: depth < 2 ? '▾' : '▸',
      onclick: () => { group.hidden = !group.hidden; li.setAttribute('aria-expanded', String(!group.hidden)); toggle.textContent = group.hidden ? '▸' : '▾'; } })
      : el('span', { class: 'toggle-space' });
    li.append(toggle, el('span', { class: 'org-name', title: organisation.divisionCode, text: organisation.name }),
      el('span', { class: 'org-level', text: E(organisation.branchKind || organisation.level) }),
      el('span', { class: 'counts', text: `${t('memberCount')} ${total.formal + total.probationary}（${t('formal')} ${total.formal} / ${t('probationary')} ${total.probationary}）` }),
      ...(organisation.status === 'ORGANISATION_STATUS_DISSOLVED' ? [badge(organisation.status)] : []), group);
    return li;
  };
  const roots = byParent.get('') ?? [];
  const figures = coverage.figures || {};
  const plan = el('div', { id: 'branch-plan' });
  const compoundPicker = placePicker({ name: 'community', label: t('community'), pick: 'community' });
  const planForm = el('form', { class: 'filters' }, compoundPicker, el('button', { type: 'submit', text: t('branchPlan') }));
  planForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const community = new FormData(planForm).get('community');
    if (!community) return;
    plan.replaceChildren(message(t('loading'), 'status'));
    try {
      const answer = await call(S.org, 'ProposeBranchPlan', { divisionCode: community });
      const items = answer.proposals || [];
      plan.replaceChildren(el('div', { class: 'table-wrap' }, el('table', { class: 'list', id: 'branch-plan-table' },
        el('thead', {}, el('tr', {}, [t('compound'), t('formal'), t('probationary'), t('branchPlan'), t('organisation'), t('note')]
          .map((h) => el('th', { scope: 'col', text: h })))),
        el('tbody', {}, items.map((p) => el('tr', {},
          el('td', { text: p.compoundName ?? '' }), el('td', { text: p.formalMemberCount ?? 0 }), el('td', { text: p.probationaryMemberCount ?? 0 }),
          el('td', { text: E(p.proposedKind) }),
          el('td', { text: p.existingOrganisationId ? `${E(p.existingBranchKind)}${p.existingConforms ? '' : `（${t('notConforming')}）`}` : t('none') }),
          el('td', { text: p.explanation ?? '' })))))));
      if (!items.length) plan.append(message(t('noData'), 'status'));
    } catch (error) { plan.replaceChildren(message(errorText(error))); }
  });
  show(el('div', { class: 'page-head' }, el('h2', { text: t('organisations') })),
    el('div', { class: 'figures' },
      figure('tree-formal', figures.formalMembers ?? 0, t('membersFormal')),
      figure('tree-probationary', figures.probationaryMembers ?? 0, t('membersProbationary')),
      figure('tree-in-service', figures.inServiceRegistered ?? 0, t('inServiceRegistered'))),
    card(t('tree'), el('ul', { role: 'tree', class: 'tree org-tree', id: 'organisation-tree', 'aria-label': t('organisations') }, roots.map((o) => node(o, 0)))),
    card(t('branchPlan'), planForm, plan));
}

// ---- Members: masked contacts, the audited reveal ----

function membersPage(preset = {}) {
  const list = listView({
    id: 'members', service: S.org, method: 'ListMembers', key: 'members',
    filters: [placePicker({ name: 'place', label: t('place') }), enumSelect('kind', t('kind'), enumValues('MEMBER_KIND_'), { value: preset.kind }),
      enumSelect('standing', t('standing'), enumValues('MEMBER_STANDING_'), { value: preset.standing }), orderSelect()],
    request: (v) => ({ divisionPrefix: prefixOf(v.place), kind: v.kind, standing: v.standing, orderBy: v.orderBy ?? '' }),
    columns: [[t('personName'), (m) => m.contact?.name], [t('phone'), (m) => m.contact?.phone], [t('kind'), (m) => E(m.kind)],
      [t('standing'), (m) => E(m.standing)], [t('community'), (m) => places.tag(m.divisionCode)], [t('joined'), (m) => m.joinedPartyDate ? `${m.joinedPartyDate.year}-${pad(m.joinedPartyDate.month)}` : ''],
      [t('reveal'), (m) => may('OrganisationService/RevealContact') ? el('button', { type: 'button', class: 'secondary small', text: t('reveal'),
        onclick: (event) => { event.stopPropagation(); revealMember(m); } }) : '']],
  });
  show(el('div', { class: 'page-head' }, el('h2', { text: t('members') })), card('', list.node));
}

async function revealMember(member) {
  const answer = await ask(`${t('reveal')} · ${member.contact?.name ?? ''}`, [
    field(t('revealReason'), el('textarea', { name: 'reason', required: true, rows: 2, maxlength: 200, id: 'reveal-reason' }))], {
    run: (v, id) => call(S.org, 'RevealContact', { requestId: id, subject: 'CONTACT_SUBJECT_PARTY_MEMBER', subjectId: member.id, reason: v.reason }),
  });
  if (answer?.contact) {
    await ask(t('revealed'), [el('dl', { class: 'detail', id: 'revealed-contact' }, el('dt', { text: t('name') }), el('dd', { text: answer.contact.name ?? '' }),
      el('dt', { text: t('phone') }), el('dd', { text: answer.contact.phone ?? '' }))], { confirmText: t('close'), cancel: false });
  }
}

// ---- Other registers: lists with names, labels and filters ----

const scopeRequest = (v) => ({ divisionPrefix: prefixOf(v.place) });
const scopePicker = () => placePicker({ name: 'place', label: t('place') });

// The lists whose service orders them by creation either way (order_by).
const ORDERED = new Set(['ListCompanies', 'ListCompounds', 'ListMicroWishes', 'ListVolunteers', 'ListTeams', 'ListServicePosts',
  'ListMembers', 'ListGovernanceBodies', 'ListPeriods', 'ListGridWorkers', 'ListGrids']);
const orderSelect = () => field(t('order'), el('select', { name: 'orderBy' },
  el('option', { value: '', text: t('sortOldest') }), el('option', { value: 'create_time desc', text: t('sortNewest') })));

function simpleList(id, title, spec) {
  const ordered = ORDERED.has(spec.method);
  const request = spec.request ?? scopeRequest;
  const list = listView({ id, ...spec, filters: [scopePicker(), ...(spec.filters || []), ...(ordered ? [orderSelect()] : [])],
    request: ordered ? (v) => ({ ...request(v), orderBy: v.orderBy ?? '' }) : request });
  const create = spec.create && may(spec.create.method) ? el('button', { type: 'button', id: `new-${id}`, text: spec.create.title,
    onclick: async () => {
      const [service, method] = spec.create.method.split('/');
      const created = await ask(spec.create.title, spec.create.fields(), {
        confirmText: t('save'), run: (v, id) => call(Object.values(S).find((name) => name.endsWith(`.${service}`)), method, { requestId: id, ...spec.create.build(v) }) });
      if (created) list.reload();
    } }) : null;
  show(el('div', { class: 'page-head' }, el('h2', { text: title }), create), card('', list.node));
}

const communityPicker = (name = 'divisionCode') => placePicker({ name, label: t('community'), pick: 'community', required: true });
const textField = (name, label, attrs = {}) => field(label, el('input', { name, required: true, maxlength: 200, ...attrs }));

const bodiesPage = () => simpleList('bodies', t('bodies'), {
  service: S.org, method: 'ListGovernanceBodies', key: 'bodies',
  prepare: (rows) => places.ensureCompounds(rows.flatMap((b) => b.compoundIds || [])),
  columns: [[t('name'), (b) => b.name], [t('bodyKind'), (b) => E(b.kind)],
    [t('compound'), (b) => (b.compoundIds || []).map((id) => places.compounds.get(id) ?? '').join('、')],
    [t('community'), (b) => places.tag(b.divisionCode)], [t('memberCount'), (b) => `${b.partyMemberCount ?? 0} / ${b.memberCount ?? 0}`],
    [t('partyShare'), (b) => el('span', { class: b.requiredPartyShare && (b.partyShare || 0) < 0.5 ? 'late' : '', text: percent(b.partyShare) })],
    [t('state'), (b) => badge(b.status)]],
});

function compoundsPage() {
  simpleList('compounds', t('compounds'), {
    service: S.prop, method: 'ListCompounds', key: 'compounds', open: openCompound,
    filters: [textFilter('nameContains', t('name'), { id: 'compound-name-search', maxlength: 100 }),
      enumSelect('managementMode', t('mode'), enumValues('MANAGEMENT_MODE_'))],
    request: (v) => ({ ...scopeRequest(v), managementMode: v.managementMode, nameContains: (v.nameContains ?? '').trim() }),
    create: { method: 'PropertyService/CreateCompound', title: joinWords(t('create'), t('compound')),
      fields: () => [textField('name', t('name')), communityPicker(), enumSelect('kind', t('kind'), enumValues('COMPOUND_KIND_'), { any: false }),
        field(t('households'), el('input', { name: 'householdCount', type: 'number', min: 0, required: true }))],
      build: (v) => ({ compound: { name: v.name, divisionCode: v.divisionCode, kind: v.kind, householdCount: Number(v.householdCount || 0) } }) },
    columns: [[t('name'), (c) => c.name, 'name'], [t('community'), (c) => places.tag(c.divisionCode)], [t('kind'), (c) => E(c.kind)],
      [t('mode'), (c) => E(c.managementMode)], [t('households'), (c) => c.householdCount ?? 0, 'household_count']],
  });
}

async function openCompound(compound) {
  remember('compound', compound.id);
  const [{ buildings = [] }, { contracts = [] }, { acceptances = [] }] = await Promise.all([
    call(S.prop, 'ListBuildings', { compoundId: compound.id, pageSize: 200 }).catch(() => ({})),
    call(S.prop, 'ListContracts', { compoundId: compound.id, pageSize: 50 }).catch(() => ({})),
    call(S.prop, 'ListAcceptances', { compoundId: compound.id, pageSize: 50 }).catch(() => ({}))]);
  const [files] = await Promise.all([Promise.all(acceptances.map((a) => filesOf(S.prop, `acceptances/${a.id}`))),
    places.ensureCompanies([...contracts, ...acceptances].map((x) => x.companyId))]);
  show(el('div', { class: 'page-head' }, el('h2', { text: compound.name }),
    el('button', { type: 'button', class: 'secondary', id: 'back', text: t('back'), onclick: () => backTo('compounds') })),
  card(t('compound'), el('dl', { class: 'detail' }, [[t('community'), places.path(compound.divisionCode)], [t('kind'), E(compound.kind)],
    [t('mode'), E(compound.managementMode)], [t('households'), compound.householdCount ?? 0]].flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: String(v) })]))),
  card(t('buildings'), table([t('name'), t('households'), t('buildingLeader')], buildings
    .sort((x, y) => x.name.localeCompare(y.name, 'zh-CN', { numeric: true })).map((b) => [b.name, b.householdCount ?? '', b.leaderName ?? '']))),
  card(t('contracts'), table([t('company'), t('selection'), t('state'), t('signed'), t('actions')], contracts.map((c) => [places.companies.get(c.companyId) ?? '',
    E(c.selectionMethod), badge(c.state), formatDate(c.signedDate), startAcceptanceButton(compound, c, acceptances)]))),
  card(t('acceptances'), table([t('company'), t('state'), t('currentStep'), t('steps'), t('actions')], acceptances.map((a, index) => [places.companies.get(a.companyId) ?? '',
    badge(a.state), E(a.currentStep), acceptanceSteps(compound, a, files[index]), recordStepButton(compound, a)]), 'compound-acceptances')));
}

/** A step decision by name, with its round when the step is taken again: 街道审核（第2轮）. */
const stepName = (decision) => `${E(decision.step)}${decision.round > 1 ? t('roundN', { n: decision.round }) : ''}`;

/**
 * An acceptance's step decisions, each with the photos and PDFs documenting it (an attachment's
 * `event_id` is `steps/{index}`), the files of no decision after them, and the upload of another
 * file to the latest decision or a chosen one.
 */
function acceptanceSteps(compound, acceptance, files) {
  const steps = acceptance.steps || [];
  const of = (index) => files.filter((file) => file.eventId === `steps/${index}`);
  const decided = new Set(steps.map((_, index) => `steps/${index}`));
  const loose = files.filter((file) => !decided.has(file.eventId ?? ''));
  const upload = may('PropertyService/CreateAttachment') ? uploadForm(`acceptances/${encodeURIComponent(acceptance.id)}`, {
    id: `upload-${acceptance.id}`, label: t('fileField'), steps: steps.map((x, index) => [`steps/${index}`, `${index + 1}. ${stepName(x)}：${E(x.outcome)}`]),
    done: () => openCompound(compound) }) : null;
  return el('div', { class: 'acceptance-steps', 'data-acceptance': acceptance.id },
    el('ol', { class: 'steps' }, steps.map((x, index) => el('li', { 'data-step': `steps/${index}` },
      el('span', { text: [`${stepName(x)}：${E(x.outcome)}`,
        `${x.decidedBy ?? ''}${x.decidingBody ? `（${x.decidingBody}）` : ''}`, formatTime(x.decidedTime),
        (x.reasons || []).length ? `${t('reasons')}：${x.reasons.join('；')}` : ''].filter(Boolean).join(' · ') }),
      attachmentLinks(of(index))))),
    loose.length ? el('div', { class: 'loose-files' }, el('span', { class: 'hint', text: t('filesOfNoStep') }), attachmentLinks(loose)) : null,
    upload);
}

/** The joint acceptance of a compound's trial or active contract, started when none is under way. */
function startAcceptanceButton(compound, contract, acceptances) {
  const underWay = acceptances.some((a) => a.contractId === contract.id && a.state === 'ACCEPTANCE_STATE_IN_PROGRESS');
  if (underWay || !['CONTRACT_STATE_TRIAL', 'CONTRACT_STATE_ACTIVE'].includes(contract.state) || !may('PropertyService/CreateAcceptance')) return '';
  return el('button', { type: 'button', class: 'secondary', id: `start-acceptance-${contract.id}`, text: t('startAcceptance'), onclick: async () => {
    const started = await ask(t('startAcceptance'), [el('p', { text: t('startAcceptanceHint') })], {
      run: (_, id) => call(S.prop, 'CreateAcceptance', { requestId: id, compoundId: compound.id, contractId: contract.id }) });
    if (started) openCompound(compound);
  } });
}

/** The seven haves (七有) a step checks, by their field in SevenHavesChecklist. */
const SEVEN_HAVES = ['gateStaff', 'surveillance', 'cleaning', 'facilityRepair', 'greening', 'security', 'parkingManagement'];

/**
 * The decision of an acceptance's current step (四级联审): passed or failed (a failure gives
 * its reasons and sends the acceptance back to the company's self-review), the seven haves
 * checked, who decided for which body.
 */
/** Who decides each step (JointAcceptance.decidingRole): the property service refuses anyone else. */
const STEP_ROLES = { ACCEPTANCE_STEP_COMPANY_SELF_REVIEW: 'community', ACCEPTANCE_STEP_COMMUNITY_REVIEW: 'community',
  ACCEPTANCE_STEP_STREET_SIGN_OFF: 'street', ACCEPTANCE_STEP_DISTRICT_JOINT_ACCEPTANCE: 'district' };

function recordStepButton(compound, acceptance) {
  if (acceptance.state !== 'ACCEPTANCE_STATE_IN_PROGRESS' || !may('PropertyService/RecordAcceptanceStep')) return '';
  if (session.role !== 'city_admin' && STEP_ROLES[acceptance.currentStep] !== session.role) return '';
  const title = `${t('recordStep')} · ${E(acceptance.currentStep)}`;
  return el('button', { type: 'button', id: `record-step-${acceptance.id}`, text: t('recordStep'), onclick: async () => {
    const checks = SEVEN_HAVES.map((name) => {
      const input = el('input', { type: 'checkbox', name, id: uid('have') });
      return el('div', { class: 'field checkbox' }, input, el('label', { for: input.id, text: t(`have_${name}`) }));
    });
    const reasons = el('textarea', { name: 'reasons', rows: 3, maxlength: 2000, placeholder: t('reasonsHint') });
    const recorded = await ask(title, [
      enumSelect('outcome', t('outcome'), enumValues('STEP_OUTCOME_'), { any: false }),
      el('fieldset', { class: 'haves' }, el('legend', { text: t('sevenHaves') }), checks),
      textField('decidedBy', t('decidedBy'), { value: session?.username ?? '', maxlength: 100 }),
      field(t('decidingBody'), el('input', { name: 'decidingBody', maxlength: 100 })),
      field(t('reasons'), reasons),
      field(t('notes'), el('textarea', { name: 'notes', rows: 2, maxlength: 2000 })),
    ], {
      confirmText: t('save'),
      run: (v, id) => call(S.prop, 'RecordAcceptanceStep', {
        requestId: id, acceptanceId: acceptance.id, step: acceptance.currentStep, outcome: v.outcome,
        checklist: Object.fromEntries(SEVEN_HAVES.map((name) => [name, { satisfied: v[name] === 'on' }])),
        decidedBy: v.decidedBy, decidingBody: v.decidingBody ?? '', notes: v.notes ?? '',
        reasons: (v.reasons ?? '').split('\n').map((line) => line.trim()).filter(Boolean),
      }),
    });
    if (recorded) openCompound(compound);
  } });
}

function companiesPage(preset = {}) {
  simpleList('companies', t('companies'), {
    service: S.prop, method: 'ListCompanies', key: 'companies', open: openCompany,
    filters: [enumSelect('listStatus', t('listStatus'), enumValues('LIST_STATUS_'), { value: preset.listStatus }),
      field(t('rating'), el('select', { name: 'starRating' }, el('option', { value: '', text: t('any') }),
        [5, 4, 3, 2, 1].map((star) => el('option', { value: star, text: '★'.repeat(star), selected: String(star) === preset.starRating }))))],
    request: (v) => ({ ...scopeRequest(v), listStatus: v.listStatus, ...(v.starRating ? { starRating: Number(v.starRating) } : {}) }),
    columns: [[t('name'), (c) => c.name], [t('rating'), (c) => (c.starRating ? '★'.repeat(c.starRating) : ''), 'star_rating'], [t('listStatus'), (c) => badge(c.listStatus)],
      [t('credit'), (c) => E(c.creditLevel)], [t('partyStatus'), (c) => E(c.partyStatus)], [t('managed'), (c) => c.managedCompoundCount ?? 0]],
  });
}

async function openCompany(company) {
  remember('company', company.id);
  const history = await call(S.eval, 'GetCompanyHistory', { companyId: company.id }).catch(() => ({}));
  const entries = history.periods || [];
  show(el('div', { class: 'page-head' }, el('h2', { text: company.name }),
    el('button', { type: 'button', class: 'secondary', id: 'back', text: t('back'), onclick: () => backTo('companies') })),
  card(t('company'), el('dl', { class: 'detail' }, [[t('rating'), company.starRating ? '★'.repeat(company.starRating) : ''], [t('listStatus'), E(company.listStatus)],
    [t('credit'), E(company.creditLevel)], [t('partyStatus'), E(company.partyStatus)], [t('staff'), company.staffCount ?? 0],
    [t('managed'), company.managedCompoundCount ?? 0]].flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: String(v) })]))),
  card(t('ratingHistory'), el('div', { class: 'table-wrap' }, el('table', { class: 'list', id: 'rating-history' },
    el('thead', {}, el('tr', {}, [t('period'), t('composite'), t('rating'), t('listStatus')].map((h) => el('th', { scope: 'col', text: h })))),
    el('tbody', {}, entries.map((e) => el('tr', {}, el('td', { text: e.period ? `${periodLabel(e.period)} · ${E(e.period.kind)}` : '' }),
      el('td', { text: e.composite ? Number(e.composite.total || 0).toFixed(1) : (e.fourPartyMean ? Number(e.fourPartyMean).toFixed(1) : '') }),
      el('td', { text: e.composite?.stars ? '★'.repeat(e.composite.stars) : '' }), el('td', {}, e.composite ? badge(e.composite.listStatus) : ''))))))));
}

function gridsPage() {
  simpleList('grids', t('grids'), {
    service: S.grid, method: 'ListGrids', key: 'grids', open: openGrid,
    columns: [[t('name'), (g) => el('span', { title: g.gridCode, text: g.name })], [t('community'), (g) => places.tag(g.divisionCode)],
      [t('gridKind'), (g) => E(g.kind)], [t('households'), (g) => g.households ?? 0]],
  });
}

async function openGrid(grid) {
  const [{ workers = [] }, onDuty] = await Promise.all([
    call(S.grid, 'ListGridWorkers', { gridCode: grid.gridCode, pageSize: 100 }).catch(() => ({})),
    call(S.grid, 'GetOnDuty', { gridCode: grid.gridCode }).catch(() => ({}))]);
  const duty = new Set((onDuty.workers || []).map((w) => w.id));
  show(el('div', { class: 'page-head' }, el('h2', { text: `${grid.name}` }),
    el('button', { type: 'button', class: 'secondary', id: 'back', text: t('back'), onclick: () => backTo('grids') })),
  card(t('grid'), el('dl', { class: 'detail' }, [[t('community'), places.path(grid.divisionCode)], [t('gridKind'), E(grid.kind)], [t('households'), grid.households ?? 0]]
    .flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: String(v) })]))),
  card(t('workersOfGrid'), el('table', { class: 'list', id: 'grid-workers' },
    el('thead', {}, el('tr', {}, [t('name'), t('phone'), t('kind'), t('roster')].map((h) => el('th', { scope: 'col', text: h })))),
    el('tbody', {}, workers.map((w) => el('tr', {}, el('td', { text: w.name }), el('td', { text: w.phone ?? '' }), el('td', { text: E(w.kind) }),
      el('td', { text: duty.has(w.id) ? t('onDutyToday') : '' })))))));
}

const workersPage = () => simpleList('workers', t('workers'), {
  service: S.grid, method: 'ListGridWorkers', key: 'workers', open: bindWorker,
  prepare: (rows) => places.ensure(rows.flatMap((w) => w.gridCodes || [])),
  columns: [[t('personName'), (w) => w.name], [t('phone'), (w) => w.phone], [t('kind'), (w) => E(w.kind)],
    [t('grid'), (w) => (w.gridCodes || []).map((code) => places.name(code)).join('、')],
    [t('phoneAccount'), (w) => (w.principalId || '').replace(/^user:/, '')]],
});

/** Binds a worker to the sign-in they use on the phone app (/m/): the grid_worker account's name. */
async function bindWorker(worker) {
  if (!may('GridService/UpdateGridWorker')) return;
  // Left empty, the worker is unbound from any sign-in.
  const input = el('input', { name: 'username', maxlength: 50, autocomplete: 'off',
    value: (worker.principalId || '').replace(/^user:/, '') });
  const bound = await ask(`${t('bindPhoneAccount')} · ${worker.name}`, [field(t('username'), input, t('bindPhoneAccountHint'))], {
    confirmText: t('save'),
    run: (v) => call(S.grid, 'UpdateGridWorker', {
      worker: { id: worker.id, principalId: v.username.trim() ? `user:${v.username.trim()}` : '' }, updateMask: 'principalId' }),
  });
  if (bound) navigate('workers');
}

const teamsPage = () => simpleList('teams', t('teams'), {
  service: S.vol, method: 'ListTeams', key: 'teams',
  create: { method: 'VolunteersService/CreateTeam', title: joinWords(t('create'), t('team')),
    fields: () => [textField('name', t('name')), communityPicker(), enumSelect('kind', t('kind'), enumValues('TEAM_KIND_'), { any: false })],
    build: (v) => ({ team: { name: v.name, divisionCode: v.divisionCode, kind: v.kind } }) },
  columns: [[t('name'), (x) => x.name, 'name'], [t('kind'), (x) => E(x.kind)], [t('community'), (x) => places.tag(x.divisionCode)], [t('memberCount'), (x) => x.memberCount ?? 0]],
});

const volunteersPage = () => simpleList('volunteers', t('volunteers'), {
  service: S.vol, method: 'ListVolunteers', key: 'volunteers',
  columns: [[t('personName'), (v) => v.contact?.name], [t('phone'), (v) => v.contact?.phone], [t('kind'), (v) => E(v.kind)],
    [t('community'), (v) => places.tag(v.divisionCode)], [t('skills'), (v) => (v.skills || []).map(skillName).join('、')],
    [t('registered'), (v) => formatDate(v.registerDate)]],
});

const postsPage = () => simpleList('posts', t('posts'), {
  service: S.vol, method: 'ListServicePosts', key: 'posts',
  columns: [[t('post'), (p) => p.title], [t('community'), (p) => places.tag(p.divisionCode)], [t('skills'), (p) => (p.skills || []).map(skillName).join('、')],
    [t('time'), (p) => formatTime(p.startTime)], [t('capacity'), (p) => `${p.claimedCount ?? 0} / ${p.capacity ?? 0}`], [t('state'), (p) => badge(p.state)]],
});

const wishesPage = (preset = {}) => simpleList('wishes', t('wishes'), {
  service: S.vol, method: 'ListMicroWishes', key: 'wishes', open: openWish,
  filters: [enumSelect('state', t('state'), enumValues('MICRO_WISH_STATE_'), { value: preset.state })],
  request: (v) => ({ ...scopeRequest(v), states: v.state ? [v.state] : [] }),
  create: { method: 'VolunteersService/CreateMicroWish', title: joinWords(t('create'), t('wish')),
    fields: () => [textField('title', t('wish')), textField('category', t('category')), communityPicker(),
      textField('residentName', t('resident')), textField('residentPhone', t('phone'), { inputmode: 'tel', maxlength: 20 })],
    build: (v) => ({ wish: { title: v.title, category: v.category, divisionCode: v.divisionCode, postedOnBehalf: true,
      resident: { name: v.residentName, phone: v.residentPhone } } }) },
  columns: [[t('wish'), (w) => w.title], [t('category'), (w) => w.category], [t('resident'), (w) => w.resident?.name], [t('community'), (w) => places.tag(w.divisionCode)],
    [t('state'), (w) => badge(w.state)], [t('claimant'), (w) => w.claimant?.name ?? ''], [t('expires'), (w) => formatDate(w.expireDate), 'expire_date']],
});

/** A micro-wish with the steps its state allows: claim by a volunteer of its community, fulfil, confirm, cancel. */
async function openWish(wish) {
  remember('wish', wish.id);
  const step = async (key, method, fields, build) => {
    const done = await ask(`${t(key)} · ${wish.title}`, fields, { run: (v, id) => call(S.vol, method, { requestId: id, wishId: wish.id, ...build(v) }) });
    if (done) openWish(await call(S.vol, 'GetMicroWish', { id: wish.id }));
  };
  const actions = [];
  if (wish.state === 'MICRO_WISH_STATE_OPEN' && may('VolunteersService/ClaimMicroWish')) {
    actions.push(['claim', async () => {
      const { volunteers = [] } = await call(S.vol, 'ListVolunteers', { divisionPrefix: wish.divisionCode, pageSize: 100 }).catch(() => ({}));
      step('claim', 'ClaimMicroWish', [field(t('volunteers'), el('select', { name: 'volunteer', required: true },
        volunteers.map((v) => el('option', { value: v.id, text: `${v.contact?.name ?? ''} · ${E(v.kind)}` }))))],
      (v) => ({ claimant: { kind: 'CLAIMANT_KIND_VOLUNTEER', id: v.volunteer } }));
    }]);
  }
  if (wish.state === 'MICRO_WISH_STATE_CLAIMED' && may('VolunteersService/FulfilMicroWish')) {
    actions.push(['fulfil', () => step('fulfil', 'FulfilMicroWish', [field(t('note'), el('textarea', { name: 'note', required: true, rows: 2 }))], (v) => ({ note: v.note }))]);
  }
  if (wish.state === 'MICRO_WISH_STATE_FULFILLED' && may('VolunteersService/ConfirmMicroWish')) {
    actions.push(['confirmWish', () => step('confirmWish', 'ConfirmMicroWish', [field(t('comment'), el('input', { name: 'comment' }))], (v) => ({ comment: v.comment }))]);
  }
  if (['MICRO_WISH_STATE_OPEN', 'MICRO_WISH_STATE_CLAIMED'].includes(wish.state) && may('VolunteersService/CancelMicroWish')) {
    actions.push(['cancelWish', () => step('cancelWish', 'CancelMicroWish', [field(t('reason'), el('textarea', { name: 'reason', required: true, rows: 2 }))], (v) => ({ reason: v.reason }))]);
  }
  show(el('div', { class: 'page-head' }, el('h2', { text: wish.title }),
    el('button', { type: 'button', class: 'secondary', id: 'back', text: t('back'), onclick: () => backTo('wishes') })),
  card(t('wish'), el('p', { id: 'wish-state' }, badge(wish.state)), el('dl', { class: 'detail' }, [[t('category'), wish.category], [t('resident'), `${wish.resident?.name ?? ''} ${wish.resident?.phone ?? ''}`],
    [t('community'), places.path(wish.divisionCode)], [t('claimant'), wish.claimant?.name ?? ''], [t('note'), wish.fulfilNote ?? ''], [t('details'), wish.details ?? '']]
    .filter(([, v]) => v).flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })])),
  el('div', { class: 'actions' }, actions.map(([key, run]) => el('button', { type: 'button', id: `wish-${key}`, text: t(key), onclick: run })))));
}

// ---- Evaluation: periods, panels, scores, rectification, compute and publish ----

const periodLabel = (p) => p.label || `${p.year}${lang === 'zh' ? '年' : ' '}${p.kind === 'PERIOD_KIND_QUARTERLY' ? `Q${p.number}` : `${p.number}${lang === 'zh' ? '月' : ''}`}`;

const periodsPage = () => simpleList('periods', t('periods'), {
  service: S.eval, method: 'ListPeriods', key: 'periods', open: openPeriod,
  create: { method: 'EvaluationService/CreatePeriod', title: joinWords(t('create'), t('evaluationPeriod')),
    fields: () => [placePicker({ name: 'divisionCode', label: t('division'), required: true }), enumSelect('kind', t('kind'), enumValues('PERIOD_KIND_'), { any: false }),
      field(t('year'), el('input', { name: 'year', type: 'number', min: 2000, max: 2100, required: true, value: new Date().getFullYear() })),
      field(t('number'), el('input', { name: 'number', type: 'number', min: 1, max: 12, required: true }))],
    build: (v) => ({ period: { divisionCode: v.divisionCode, kind: v.kind, year: Number(v.year), number: Number(v.number) } }) },
  filters: [enumSelect('kind', t('kind'), enumValues('PERIOD_KIND_'))],
  request: (v) => ({ ...scopeRequest(v), kind: v.kind }),
  prepare: (rows) => places.ensure(rows.map((row) => row.divisionCode)),
  columns: [[t('label'), periodLabel], [t('division'), (p) => places.tag(p.divisionCode)], [t('kind'), (p) => E(p.kind)], [t('state'), (p) => badge(p.state)]],
});

async function openPeriod(period) {
  remember('period', period.id);
  const [{ panels = [] }, { orders = [] }, { scores: composites = [] }] = await Promise.all([
    call(S.eval, 'ListPanels', { periodId: period.id, pageSize: 100 }).catch(() => ({})),
    call(S.eval, 'ListRectificationOrders', { periodId: period.id, pageSize: 100 }).catch(() => ({})),
    call(S.eval, 'ListCompositeScores', { periodId: period.id, pageSize: 100 }).catch(() => ({}))]);
  const [files] = await Promise.all([Promise.all(orders.map((o) => filesOf(S.eval, `rectification_orders/${o.id}`))),
    places.ensureCompounds([...panels, ...orders].map((p) => p.compoundId)),
    places.ensureCompanies([...panels, ...orders].map((p) => p.companyId)), places.ensure([period.divisionCode])]);
  const status = el('p', { id: 'period-result', role: 'status' });
  const act = (key, method, confirmKey) => (may(`EvaluationService/${method}`) ? el('button', { type: 'button', id: `period-${key}`, text: t(key),
    onclick: async () => {
      const ok = await ask(t(key), [el('p', { text: t(confirmKey) })], { run: (v, id) => call(S.eval, method, { requestId: id, periodId: period.id }) });
      if (ok) { status.textContent = t('done'); openPeriod(await call(S.eval, 'GetPeriod', { id: period.id })); }
    } }) : null);
  const scoreForm = may('EvaluationService/SubmitScore') && period.state === 'PERIOD_STATE_OPEN' && panels.length ? await scoreEntry(period, panels) : null;
  show(el('div', { class: 'page-head' }, el('h2', { text: `${periodLabel(period)} · ${places.name(period.divisionCode)}` }),
    el('button', { type: 'button', class: 'secondary', id: 'back', text: t('back'), onclick: () => backTo('periods') })),
  card(t('periods'), el('p', { id: 'period-state' }, badge(period.state)), el('div', { class: 'actions' },
    period.state === 'PERIOD_STATE_OPEN' ? act('closePeriod', 'ClosePeriod', 'closeConfirm') : null,
    period.state === 'PERIOD_STATE_CLOSED' ? act('computeScores', 'ComputeCompositeScores', 'computeConfirm') : null,
    period.state === 'PERIOD_STATE_CLOSED' && composites.length ? act('publish', 'PublishLists', 'publishConfirm') : null), status),
  card(t('panels'), el('table', { class: 'list', id: 'period-panels' },
    el('thead', {}, el('tr', {}, [t('kind'), t('compound'), t('company'), t('panelMembers')].map((h) => el('th', { scope: 'col', text: h })))),
    el('tbody', {}, panels.map((p) => el('tr', {}, el('td', { text: E(p.kind) }),
      el('td', { text: p.compoundId ? places.compounds.get(p.compoundId) ?? '' : `${places.name(p.divisionCode)}${t('allContracted')}` }),
      el('td', { text: p.companyId ? places.companies.get(p.companyId) ?? '' : t('allCompanies') }),
      el('td', { text: (p.members || []).map((m) => `${m.name ?? ''}（${E(m.role)}）`).join('、') })))))),
  scoreForm ? card(t('scoreEntry'), scoreForm) : null,
  card(t('composites'), el('table', { class: 'list', id: 'period-composites' },
    el('thead', {}, el('tr', {}, [t('rank'), t('company'), t('composite'), t('rating'), t('listStatus')].map((h) => el('th', { scope: 'col', text: h })))),
    el('tbody', {}, composites.map((c) => el('tr', {}, el('td', { text: c.rank ?? '' }), el('td', { text: c.companyName ?? '' }),
      el('td', { text: Number(c.total || 0).toFixed(1) }), el('td', { text: c.stars ? '★'.repeat(c.stars) : '' }), el('td', {}, badge(c.listStatus))))))),
  card(t('rectifications'), el('div', { class: 'table-wrap' }, el('table', { class: 'list', id: 'period-orders' },
    el('thead', {}, el('tr', {}, [t('company'), t('compound'), t('problem'), t('state'), t('deadline'), t('attachments')].map((h) => el('th', { scope: 'col', text: h })))),
    el('tbody', {}, orders.map((o, index) => el('tr', { 'data-order': o.id }, el('td', { text: places.companies.get(o.companyId) ?? '' }),
      el('td', { text: places.compounds.get(o.compoundId) ?? '' }), el('td', { text: o.problem ?? '' }), el('td', {}, badge(o.state)),
      el('td', { text: formatDate(o.deadline) }), el('td', {}, orderFiles(period, o, files[index])))))))));
}

/** A rectification order's photos and PDFs (the company's work, what the evaluators found), and the upload of another. */
function orderFiles(period, order, files) {
  const upload = may('EvaluationService/CreateAttachment') ? uploadForm(`rectification_orders/${encodeURIComponent(order.id)}`, {
    id: `upload-${order.id}`, label: t('fileField'), done: () => openPeriod(period) }) : null;
  return el('div', { class: 'order-files' }, attachmentLinks(files), upload);
}

/**
 * Score entry for a panel's member, as the paper form is typed in: a four-party panel scores its
 * own compound and company; a five-party panel any contracted compound of its division.
 */
async function scoreEntry(period, panels) {
  const use = period.kind === 'PERIOD_KIND_QUARTERLY' ? 'ITEM_USE_QUARTERLY_ASSESSMENT' : 'ITEM_USE_MONTHLY_SATISFACTION';
  const [{ items = [] }, contracts] = await Promise.all([
    call(S.eval, 'ListScoringItems', { divisionCode: period.divisionCode, use, pageSize: 100 }).catch(() => ({})),
    callAll(S.prop, 'ListContracts', { divisionPrefix: prefixOf(period.divisionCode) }, 'contracts', 1000).catch(() => [])]);
  const live = contracts.filter((c) => ['CONTRACT_STATE_ACTIVE', 'CONTRACT_STATE_TRIAL'].includes(c.state));
  await Promise.all([places.ensureCompounds(live.map((c) => c.compoundId)), places.ensureCompanies(live.map((c) => c.companyId))]);
  const form = el('form', { class: 'filters', id: 'score-form' });
  const panelSelect = el('select', { name: 'panelId', required: true }, panels.map((p) => el('option', { value: p.id,
    text: p.compoundId ? `${places.compounds.get(p.compoundId) ?? ''} · ${E(p.kind)}` : `${places.name(p.divisionCode)} · ${E(p.kind)}` })));
  const memberSelect = el('select', { name: 'evaluatorId', required: true });
  const subjectSelect = el('select', { name: 'subject', required: true });
  const fill = () => {
    const panel = panels.find((p) => p.id === panelSelect.value);
    memberSelect.replaceChildren(...(panel?.members || []).map((m) => el('option', { value: m.evaluatorId, text: `${m.name ?? ''}（${E(m.role)}）` })));
    const subjects = panel?.compoundId ? [{ compoundId: panel.compoundId, companyId: panel.companyId }]
      : live.filter((c) => c.divisionCode.startsWith(prefixOf(panel?.divisionCode)));
    subjectSelect.replaceChildren(...subjects.map((c) => el('option', { value: `${c.companyId}|${c.compoundId}`,
      text: `${places.companies.get(c.companyId) ?? ''} · ${places.compounds.get(c.compoundId) ?? ''}` })));
  };
  panelSelect.addEventListener('change', fill);
  fill();
  form.append(field(t('panels'), panelSelect), field(t('evaluator'), memberSelect), field(t('scoredSubject'), subjectSelect),
    field(t('item'), el('select', { name: 'itemId', required: true }, items.map((i) => el('option', { value: i.id, text: `${i.name}（${t('fullMarks')} ${i.fullMarks}）` })))),
    field(t('value'), el('input', { name: 'value', type: 'number', step: '0.5', min: 0, required: true })),
    el('button', { type: 'submit', id: 'score-submit', text: t('submit') }), el('p', { class: 'form-status', role: 'status' }));
  let id = requestID();
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const v = Object.fromEntries(new FormData(form).entries());
    const [companyId, compoundId] = v.subject.split('|');
    const status = form.querySelector('.form-status');
    try {
      await call(S.eval, 'SubmitScore', { requestId: id, panelId: v.panelId, itemId: v.itemId, periodId: period.id,
        companyId, compoundId, evaluatorId: v.evaluatorId, value: Number(v.value) });
      for (const node of form.querySelectorAll('.field-error')) node.textContent = '';
      status.className = 'form-status ok'; status.textContent = t('saved');
      id = requestID();
    } catch (error) { status.textContent = ''; showError(form, error); }
  });
  return form;
}

const compositesPage = () => simpleList('composites', t('composites'), {
  service: S.eval, method: 'ListCompositeScores', key: 'scores',
  columns: [[t('rank'), (c) => c.rank], [t('company'), (c) => c.companyName], [t('composite'), (c) => Number(c.total || 0).toFixed(1)],
    [t('rating'), (c) => (c.stars ? '★'.repeat(c.stars) : '')], [t('listStatus'), (c) => badge(c.listStatus)], [t('state'), (c) => E(c.state)]],
});

const periodsByID = new Map();
async function ensurePeriods(ids) {
  await Promise.all([...new Set(ids)].filter((id) => id && !periodsByID.has(id)).map(async (id) => {
    periodsByID.set(id, await call(S.eval, 'GetPeriod', { id }).catch(() => null));
  }));
}

const publicationsPage = () => simpleList('publications', t('publications'), {
  service: S.eval, method: 'ListPublications', key: 'publications',
  prepare: (rows) => ensurePeriods(rows.map((p) => p.periodId)),
  columns: [[t('period'), (p) => (periodsByID.get(p.periodId) ? `${periodLabel(periodsByID.get(p.periodId))} · ${places.name(p.divisionCode)}` : '')], [t('state'), (p) => badge(p.state)], [t('companyCount'), (p) => p.companyCount ?? 0],
    [t('red'), (p) => p.redCount ?? 0], [t('black'), (p) => p.blackCount ?? 0], [t('time'), (p) => formatTime(p.publishTime || p.audit?.createTime)]],
});

const itemsPage = () => simpleList('items', t('items'), {
  service: S.eval, method: 'ListScoringItems', key: 'items',
  request: (v) => ({ divisionCode: v.place || '' }),
  columns: [[t('code'), (i) => i.code], [t('name'), (i) => i.name], [t('use'), (i) => E(i.use)], [t('weight'), (i) => i.weight], [t('fullMarks'), (i) => i.fullMarks]],
});

// ---- Coverage gaps and the audit trail ----

async function gaps() {
  const scope = session.scope || '';
  const now = new Date();
  const parts = [el('div', { class: 'page-head' }, el('h2', { text: t('gaps') }))];
  try {
    const [compounds, organisations] = await Promise.all([
      callAll(S.prop, 'ListCompounds', { divisionPrefix: scope }, 'compounds', 5000),
      callAll(S.org, 'ListOrganisations', { divisionPrefix: scope }, 'organisations', 20000)]);
    const covered = new Set(organisations.flatMap((o) => [o.compoundId, ...(o.coveredCompoundIds || [])]).filter(Boolean));
    const missing = compounds.filter((c) => !covered.has(c.id));
    parts.push(card(`${t('compoundsWithoutBranch')}（${missing.length}）`, el('table', { id: 'gap-compounds', class: 'list' },
      el('thead', {}, el('tr', {}, [t('compound'), t('community'), t('households')].map((h) => el('th', { scope: 'col', text: h })))),
      el('tbody', {}, missing.map((c) => el('tr', {}, el('td', { text: c.name }), el('td', {}, places.tag(c.divisionCode)), el('td', { text: c.householdCount ?? '' })))))));
  } catch (error) { parts.push(card(t('compoundsWithoutBranch'), message(errorText(error)))); }
  try {
    const { gaps: missing = [] } = await call(S.org, 'ListConferenceGaps', {
      divisionPrefix: scope, year: now.getFullYear(), quarter: Math.floor(now.getMonth() / 3) + 1, pageSize: 500 });
    parts.push(card(`${t('communitiesWithoutConference')}（${missing.length}）`, el('table', { id: 'gap-conferences', class: 'list' },
      el('tbody', {}, missing.map((g) => el('tr', {}, el('td', { text: g.organisationName }), el('td', {}, places.tag(g.divisionCode))))))));
  } catch (error) { parts.push(card(t('communitiesWithoutConference'), message(errorText(error)))); }
  show(...parts);
}

async function auditTrail() {
  const form = el('form', { class: 'filters', role: 'search' },
    field(t('subject'), el('input', { name: 'subject' })), field(t('action'), el('input', { name: 'action' })),
    field(t('since'), el('input', { name: 'since', type: 'date' })), el('div', { class: 'filter-buttons' }, el('button', { type: 'submit', text: t('search') })));
  const table = el('table', { id: 'audit-table', class: 'list' });
  const load = async () => {
    const values = Object.fromEntries([...new FormData(form).entries()].filter(([, v]) => v));
    // The day starts at midnight in the city (UTC+8), as case numbers and times are shown.
    if (values.since) values.since = new Date(`${values.since}T00:00:00+08:00`).toISOString();
    const response = await fetch(`/audit?${new URLSearchParams(values)}`, { credentials: 'same-origin' });
    const answer = await response.json();
    if (!response.ok) { table.replaceChildren(el('tr', {}, el('td', { text: new ServiceError(answer.code, answer.message, answer.details).text }))); return; }
    table.replaceChildren(el('thead', {}, el('tr', {}, [t('time'), t('subject'), t('scope'), t('action'), t('target'), t('remote'), t('result')].map((h) => el('th', { scope: 'col', text: h })))),
      el('tbody', {}, (answer.entries || []).map((e) => el('tr', {}, [formatTime(e.at), actorName(e.subject), roleName(e.role), e.action, e.target, e.remote, e.result].map((v) => el('td', { text: v ?? '' }))))));
  };
  form.addEventListener('submit', (event) => { event.preventDefault(); load(); });
  show(el('div', { class: 'page-head' }, el('h2', { text: t('audit') })), card('', form, el('div', { class: 'table-wrap' }, table)));
  await load();
}

// ---- Map: boundaries, compounds, open cases, case heat per grid, new alarms ----

/** Leaflet, served by the gateway at /vendor/leaflet/ when installed (docs/MAP.md); resolves false without it. */
let leafletLoading = null;
function loadLeaflet() {
  if (window.L) return Promise.resolve(true);
  leafletLoading ??= new Promise((resolve) => {
    const loaded = (node) => new Promise((done) => {
      node.addEventListener('load', () => done(true));
      node.addEventListener('error', () => done(false));
    });
    const css = el('link', { rel: 'stylesheet', href: '/vendor/leaflet/leaflet.css' });
    const script = el('script', { src: '/vendor/leaflet/leaflet.js' });
    const both = Promise.all([loaded(css), loaded(script)]);
    document.head.append(css, script);
    both.then(([style, code]) => {
      if (!(style && code && window.L)) { css.remove(); script.remove(); leafletLoading = null; }
      resolve(Boolean(style && code && window.L));
    });
  });
  return leafletLoading;
}

// Case markers by level (the handling unit now), overdue ones red whatever their level.
const LEVEL_COLOURS = { CASE_LEVEL_GRID: '#1e88e5', CASE_LEVEL_COMMUNITY: '#00897b', CASE_LEVEL_STREET: '#f9a825',
  CASE_LEVEL_DISTRICT_DEPARTMENT: '#8e24aa' };
const OVERDUE_COLOUR = '#d50000';
// The heat layer's classes, few to many cases in the period (a choropleth of the grids).
const HEAT_COLOURS = ['#fff5f0', '#fcbba1', '#fc9272', '#fb6a4a', '#de2d26', '#a50f15'];
const OPEN_STATUSES = ['CASE_STATUS_REPORTED', 'CASE_STATUS_ACCEPTED', 'CASE_STATUS_ASSIGNED', 'CASE_STATUS_IN_PROGRESS', 'CASE_STATUS_REOPENED'];
/** How often the map asks for new sensor alarms, in milliseconds, while the map page is shown. */
const ALARM_POLL = 5000;
let mapAlarmTimer = null;
/** Leaves the map page: its alarm polling stops and its map is taken down (navigate calls it). */
let leaveMap = () => {};

/** A legend's colour sample, coloured through the style object (the console's CSP takes no style attribute). */
function swatch(className, colour) {
  const node = el('i', { class: className, 'aria-hidden': 'true' });
  node.style.background = colour;
  return node;
}
const caseColour = (properties) => (properties.overdue ? OVERDUE_COLOUR : LEVEL_COLOURS[properties.level] ?? '#546e7a');
function heatColour(count, most) {
  if (!count) return HEAT_COLOURS[0];
  return HEAT_COLOURS[Math.min(HEAT_COLOURS.length - 1, 1 + Math.floor(((count - 1) / Math.max(1, most)) * (HEAT_COLOURS.length - 1)))];
}

async function mapPage() {
  leaveMap();
  const status = el('p', { id: 'map-status', class: 'list-status', role: 'status', 'aria-live': 'polite' });
  const head = el('div', { class: 'page-head' }, el('h2', { text: t('map') }));
  const [config, ready] = await Promise.all([fetch('/map/config', { credentials: 'same-origin' }).then((r) => (r.ok ? r.json() : {})).catch(() => ({})),
    loadLeaflet()]);
  if (!ready) {
    show(head, card('', el('p', { id: 'map-missing', class: 'error', role: 'alert', text: t('mapNoLibrary') })));
    return;
  }
  const month = new Date(Date.now() - 29 * 86400000);
  const today = Object.fromEntries(cityClock.formatToParts(new Date()).map((part) => [part.type, part.value]));
  const from = el('input', { type: 'date', name: 'from', id: 'map-from', value: dateInput(isoDate(month)) });
  const to = el('input', { type: 'date', name: 'to', id: 'map-to', value: `${today.year}-${today.month}-${today.day}` });
  const toggles = Object.fromEntries(['community', 'grid', 'compound', 'case', 'heat'].map((layer) => [layer,
    el('input', { type: 'checkbox', id: `layer-${layer}`, checked: layer !== 'heat' })]));
  const toggleFields = Object.entries(toggles).map(([layer, box]) => el('div', { class: 'field checkbox' }, box,
    el('label', { for: box.id, text: t(`layer${layer[0].toUpperCase()}${layer.slice(1)}`) })));
  const refresh = el('button', { type: 'button', id: 'map-refresh', text: t('mapRefresh') });
  const mapNode = el('div', { id: 'map', class: 'map', role: 'region', 'aria-label': t('map') });
  const panel = el('aside', { id: 'map-panel', class: 'map-panel', 'aria-live': 'polite' }, el('p', { class: 'hint', text: t('mapGridHint') }));
  const legend = el('div', { class: 'map-legend', id: 'map-legend' }, el('strong', { text: t('legend') }),
    ...Object.entries(LEVEL_COLOURS).map(([level, colour]) => el('span', { class: 'legend-item' }, swatch('dot', colour), E(level))),
    el('span', { class: 'legend-item' }, swatch('dot', OVERDUE_COLOUR), t('legendOverdue')),
    el('span', { class: 'legend-item' }, swatch('dot pulse-dot', OVERDUE_COLOUR), t('legendAlarm')),
    el('span', { class: 'legend-item heat-scale' }, t('heatLow'), ...HEAT_COLOURS.map((colour) => swatch('swatch', colour)), t('heatHigh')));
  show(head, card('', el('div', { class: 'filters map-controls', id: 'map-controls', role: 'group', 'aria-label': t('mapLayers') },
    ...toggleFields, field(t('mapFrom'), from), field(t('mapTo'), to), el('div', { class: 'filter-buttons' }, refresh)), legend, status),
  el('div', { class: 'map-layout' }, mapNode, panel));

  // Tiles when configured (their datum decides the layers'), else a plain background.
  const datum = config.tile_url ? config.tile_datum || 'wgs84' : 'wgs84';
  const map = L.map(mapNode, { preferCanvas: false, zoomControl: true, attributionControl: true }).setView([32.06, 118.79], 11);
  if (config.tile_url) {
    L.tileLayer(config.tile_url, { attribution: config.tile_attribution || '', subdomains: config.tile_subdomains || 'abc', maxZoom: 18 }).addTo(map);
  }
  const groups = Object.fromEntries(['community', 'grid', 'compound', 'case'].map((layer) => [layer, L.featureGroup()]));
  const shown = () => {
    for (const [layer, group] of Object.entries(groups)) {
      if (toggles[layer].checked || (layer === 'grid' && toggles.heat.checked)) group.addTo(map); else group.remove();
    }
  };
  let pulsing = new Set();
  let fitted = false;

  async function gridPanel(properties) {
    panel.replaceChildren(el('h3', { id: 'map-panel-title', title: properties.grid_code, text: properties.name || t('grid') }),
      el('p', { class: 'hint', text: places.path(properties.division_code) }),
      el('dl', { class: 'detail', id: 'map-panel-figures' }, [[t('caseCount'), properties.case_count], [t('openCount'), properties.open],
        [t('overdueCount'), properties.overdue]].flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: String(v ?? 0) })])),
      el('h3', { text: t('onDutyNow') }), el('p', { class: 'list-status', text: t('loading') }));
    const onDuty = await call(S.grid, 'GetOnDuty', { gridCode: properties.grid_code }).catch((error) => ({ error }));
    const list = onDuty.error ? message(errorText(onDuty.error))
      : (onDuty.workers || []).length ? el('ul', { id: 'map-on-duty', class: 'plain' }, onDuty.workers.map((w) => el('li', { text: `${w.name} · ${E(w.kind)}` })))
        : el('p', { id: 'map-on-duty', class: 'hint', text: t('noOneOnDuty') });
    panel.lastChild.replaceWith(list);
  }

  async function load() {
    status.className = 'list-status'; status.textContent = t('loading');
    const query = new URLSearchParams({ datum, from: from.value, to: to.value });
    const response = await fetch(`/map/layers?${query}`, { credentials: 'same-origin' });
    const answer = await response.json().catch(() => ({ code: 'internal', message: response.statusText }));
    if (!response.ok) throw new ServiceError(answer.code, answer.message, answer.details);
    for (const group of Object.values(groups)) group.clearLayers();
    const features = answer.features || [];
    await places.ensure(features.filter((f) => f.properties.layer === 'grid').map((f) => f.properties.grid_code));
    const most = Math.max(1, ...features.filter((f) => f.properties.layer === 'grid').map((f) => f.properties.case_count || 0));
    for (const feature of features) {
      const p = feature.properties;
      if (p.layer === 'community') {
        L.geoJSON(feature, { interactive: false, style: { className: 'map-community', color: '#b71c1c', weight: 2, dashArray: '6 4', fill: false } })
          .bindTooltip(p.name).addTo(groups.community);
      } else if (p.layer === 'grid') {
        const heat = toggles.heat.checked;
        const shape = L.geoJSON(feature, { style: { className: 'map-grid', color: '#37474f', weight: 1.5,
          fillColor: heat ? heatColour(p.case_count, most) : '#90a4ae', fillOpacity: heat ? 0.7 : 0.08 } });
        shape.bindTooltip(`${p.name}${heat ? ` · ${t('caseCount')} ${p.case_count}` : ''}`, { sticky: true });
        shape.on('click', () => gridPanel(p));
        shape.addTo(groups.grid);
      } else if (p.layer === 'compound') {
        const [lon, lat] = feature.geometry.coordinates;
        L.circleMarker([lat, lon], { className: 'map-compound', radius: 4, color: '#5d4037', weight: 1, fillColor: '#a1887f', fillOpacity: 0.9 })
          .bindTooltip(p.name).addTo(groups.compound);
      } else if (p.layer === 'case') {
        const [lon, lat] = feature.geometry.coordinates;
        const colour = caseColour(p);
        const marker = L.circleMarker([lat, lon], { className: `map-case${pulsing.has(p.id) ? ' map-alarm' : ''}`, radius: p.priority === 'CASE_PRIORITY_URGENT' ? 9 : 7,
          color: '#fff', weight: 1.5, fillColor: colour, fillOpacity: 0.9 });
        marker.bindTooltip(`${p.case_number} · ${p.title} · ${E(p.status)}${p.overdue ? ` · ${t('overdue')}` : ''}`);
        marker.on('click', () => navigate(`case/${encodeURIComponent(p.id)}`));
        marker.addTo(groups.case);
      }
    }
    shown();
    const all = L.featureGroup([groups.community, groups.grid, groups.compound, groups.case].flatMap((g) => g.getLayers()));
    if (!fitted && all.getLayers().length) { map.fitBounds(all.getBounds(), { padding: [20, 20], maxZoom: 17 }); fitted = true; }
    const grids = features.filter((f) => f.properties.layer === 'grid').length;
    const cases = features.filter((f) => f.properties.layer === 'case').length;
    status.textContent = [grids || features.some((f) => f.properties.layer === 'community') ? t('mapLoaded', { grids, cases }) : t('mapNoBoundaries'),
      (answer.truncated || []).length ? t('mapCut') : ''].filter(Boolean).join('；');
  }
  const reload = () => load().catch((error) => { status.className = 'list-status error'; status.textContent = errorText(error); });
  for (const box of Object.values(toggles)) box.addEventListener('change', () => (box === toggles.heat ? reload() : shown()));
  for (const input of [from, to]) input.addEventListener('change', reload);
  refresh.addEventListener('click', reload);
  await reload();

  // New sensor alarms: the latest open alarm cases are asked for now and then; one not seen before
  // reloads the layers and pulses on the map.
  const prefix = prefixOf(session.scope);
  const alarms = () => call(S.grid, 'ListCases', { divisionPrefix: prefix, source: 'CASE_SOURCE_SENSOR_ALARM', statuses: OPEN_STATUSES,
    orderBy: 'create_time desc', pageSize: 20 }).then((answer) => answer.cases || []);
  let known = new Set((await alarms().catch(() => [])).map((c) => c.id));
  // Left while loading: no polling for a page no longer shown.
  if (!mapNode.isConnected) { map.remove(); return; }
  const stop = () => {
    clearInterval(timer);
    if (mapAlarmTimer === timer) mapAlarmTimer = null;
    if (leaveMap === stop) leaveMap = () => {};
    map.remove();
  };
  const timer = setInterval(async () => {
    if (!mapNode.isConnected) { stop(); return; }
    // A tab in the background shows nothing: it asks again once shown.
    if (document.hidden) return;
    const latest = await alarms().catch(() => null);
    if (!latest || !mapNode.isConnected) return;
    const fresh = latest.filter((c) => !known.has(c.id));
    known = new Set([...known, ...latest.map((c) => c.id)]);
    if (!fresh.length) return;
    pulsing = new Set([...pulsing, ...fresh.map((c) => c.id)]);
    notice(fresh.map((c) => t('newAlarm', { title: `${c.caseNumber} ${c.title || E(c.alarm?.kind)}` })).join('；'));
    await reload();
  }, ALARM_POLL);
  // Only this map is shown now: one that loaded meanwhile and was replaced stops too.
  leaveMap();
  mapAlarmTimer = timer;
  leaveMap = stop;
}

// ---- The bell, and deliveries for city administrators (docs/MESSAGES.md) ----

/**
 * A call to one of the gateway's own JSON endpoints (the bell, webhooks, deliveries, routes):
 * GET, or POST and DELETE with the session's CSRF token, as the Connect calls send it. A refusal
 * is a ServiceError, shown in the console's words as any other.
 */
async function rest(method, path, body) {
  const headers = method === 'GET' ? {} : { 'X-CSRF-Token': session?.csrfToken ?? '' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, { method, credentials: 'same-origin', headers,
    body: body === undefined ? undefined : JSON.stringify(body) });
  const answer = await response.json().catch(() => ({ code: 'internal', message: response.statusText }));
  if (!response.ok) throw new ServiceError(answer.code, answer.message, answer.details);
  return answer;
}

/** A word of one of labels.json's own tables (eventKinds, channels, deliveryStates, subscriptionStates). */
const word = (table, key) => labels[table]?.[key]?.[lang] ?? key;
const kindName = (kind) => word('eventKinds', kind);

/** The bell asks for news every 30 s, when the window comes back into view, and when opened. */
const BELL_POLL = 30000;
const bell = { unread: 0, items: [], timer: null, asking: null };

/**
 * The console page a notification's link opens. The gateway writes links as `#/cases/<id>`,
 * `#/wishes`, `#/statistics`, …; the console's addresses are `#case/<id>` and `#<page>` (DETAILS,
 * PAGES), so both forms are read. An address the user may not see opens nothing ('').
 */
const LINK_DETAILS = { cases: 'case', case: 'case', wishes: 'wish', wish: 'wish', periods: 'period', period: 'period',
  compounds: 'compound', compound: 'compound', companies: 'company', company: 'company' };
const LINK_PAGES = { statistics: 'dashboard', rectification: 'periods', rectifications: 'periods', evaluation: 'publications' };
const KIND_PAGES = { 'conference.gap': 'gaps' };
function bellRoute(item) {
  const match = /^#\/?([a-z_-]+)(?:\/([^/?#]+))?\/?$/.exec(item.link || '');
  if (!match) return '';
  const [, section, id] = match;
  const detail = id && LINK_DETAILS[section];
  if (detail) return pageAllowed(DETAILS[detail].list) ? `${detail}/${id}` : '';
  const page = KIND_PAGES[item.kind] ?? LINK_PAGES[section] ?? section;
  return pageTable[page] && pageAllowed(page) ? page : '';
}

function showBellCount() {
  const count = document.getElementById('bell-count');
  count.hidden = !bell.unread;
  count.textContent = bell.unread > 99 ? '99+' : String(bell.unread);
  const button = document.getElementById('bell');
  const label = bell.unread ? t('bellUnread', { n: bell.unread }) : t('bell');
  button.setAttribute('aria-label', label);
  button.title = label;
}

/** Asks for the bell's items and unread count; a failure leaves the count as it was, for the next turn. */
async function refreshBell() {
  if (!session) return;
  bell.asking ??= rest('GET', '/notifications').then((answer) => {
    bell.items = answer.items || [];
    bell.unread = answer.unread || 0;
    showBellCount();
  }).catch(() => {}).finally(() => { bell.asking = null; });
  await bell.asking;
}

const bellOpen = () => !document.getElementById('bell-panel').hidden;

function closeBell(focusBell = true) {
  const panel = document.getElementById('bell-panel');
  if (panel.hidden) return;
  panel.hidden = true;
  document.getElementById('bell').setAttribute('aria-expanded', 'false');
  if (focusBell) document.getElementById('bell').focus();
}

/** A notification: its title, its text, its time in the city; unread ones marked; a link when it leads somewhere. */
function bellItem(item) {
  const route = bellRoute(item);
  const content = [el('span', { class: 'bell-dot', 'aria-hidden': 'true' }),
    el('span', { class: 'bell-text' },
      el('span', { class: 'bell-line' }, item.read ? null : el('span', { class: 'bell-new', text: t('unreadMark') }),
        el('strong', { class: 'bell-title', text: item.title })),
      item.body ? el('span', { class: 'bell-body', text: item.kind === 'webhook.paused' ? pausedWords(item.body) : item.body }) : null,
      el('time', { class: 'bell-time', datetime: new Date(item.createdAt).toISOString(), text: formatTime(item.createdAt) }))];
  const attrs = { class: `bell-item${item.read ? '' : ' unread'}`, 'data-seq': item.seq, 'data-kind': item.kind };
  const node = route
    ? el('a', { ...attrs, href: `#${route}`, onclick: (event) => { event.preventDefault(); closeBell(false); navigate(route); } }, content)
    : el('div', attrs, content);
  return el('li', {}, node);
}

/**
 * Opens the panel with the newest items, and marks those shown read (up to the highest shown):
 * the count goes to 0, while this opening still marks which were new.
 */
async function openBell() {
  const panel = document.getElementById('bell-panel');
  const button = document.getElementById('bell');
  const head = el('div', { class: 'bell-head' }, el('h2', { id: 'bell-heading', tabindex: '-1', text: t('bell') }),
    el('button', { type: 'button', class: 'bell-close', id: 'bell-close', 'aria-label': t('bellClose'), title: t('bellClose'), text: '×',
      onclick: () => closeBell() }));
  // The heading stays while the list below it is drawn, so the focus put on it stays too.
  const content = el('div', { class: 'bell-content' }, el('p', { class: 'bell-summary', role: 'status', text: t('loading') }));
  panel.replaceChildren(head, content);
  panel.style.top = `${Math.max(0, Math.round(document.querySelector('header').getBoundingClientRect().bottom)) + 4}px`;
  panel.hidden = false;
  button.setAttribute('aria-expanded', 'true');
  document.getElementById('bell-heading').focus();
  await refreshBell();
  if (!bellOpen()) return;
  const items = bell.items;
  const unreadShown = items.filter((item) => !item.read).length;
  content.replaceChildren(
    el('p', { class: 'bell-summary', role: 'status', text: items.length ? t('bellSummary', { shown: items.length, unread: unreadShown }) : t('bellEmpty') }),
    el('ul', { class: 'bell-list', id: 'bell-list' }, items.map(bellItem)));
  if (unreadShown) {
    const through = Math.max(...items.map((item) => Number(item.seq)));
    try {
      await rest('POST', '/notifications/read', { through });
      for (const item of items) item.read = true;
      await refreshBell();
    } catch (error) {
      panel.querySelector('.bell-summary').textContent = `${t('failed')}：${errorText(error)}`;
    }
  }
}

function setUpBell() {
  const button = document.getElementById('bell');
  const wrap = document.getElementById('bell-wrap');
  button.addEventListener('click', () => (bellOpen() ? closeBell() : openBell()));
  // Escape closes the panel and returns to the bell; so do a click and a Tab that leave it.
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && bellOpen() && !document.querySelector('dialog[open]')) { event.preventDefault(); closeBell(); }
  });
  document.addEventListener('click', (event) => { if (bellOpen() && !wrap.contains(event.target)) closeBell(false); });
  wrap.addEventListener('focusout', (event) => {
    if (bellOpen() && event.relatedTarget && !wrap.contains(event.relatedTarget)) closeBell(false);
  });
  window.addEventListener('focus', () => refreshBell());
  document.addEventListener('visibilitychange', () => { if (!document.hidden) refreshBell(); });
}

function startBell() {
  document.getElementById('bell-wrap').hidden = false;
  showBellCount();
  bell.timer ??= setInterval(() => { if (!document.hidden) refreshBell(); }, BELL_POLL);
  refreshBell();
}

// -- The deliveries page: webhook subscriptions, deliveries and dead letters, message routes --

/** The event kinds a route or subscription names: families first, then each kind (WebhookTarget.kinds). */
const KIND_FAMILIES = ['*', 'case.*', 'rectification.*'];
const EVENT_KINDS = ['case.reported', 'case.accepted', 'case.assigned', 'case.started', 'case.resolved', 'case.evaluated',
  'case.closed', 'case.rejected', 'case.reopened', 'case.escalated', 'case.transferred', 'case.reassigned',
  'case.acknowledged', 'case.noted', 'case.duplicate_intake', 'case.deadline_approaching', 'case.overdue',
  'digest.daily', 'micro_wish.created', 'rectification.deadline_approaching', 'rectification.overdue',
  'list.published', 'conference.gap'];
const ROUTE_ROLES = ['community', 'street', 'district', 'grid_worker', 'city_admin', 'property', 'evaluator', 'auditor', 'recipient'];
const CHANNELS = ['bell', 'sms', 'email', 'wecom'];

/** A delivery's failure in the console's words; the receiver's own text stays on hover. */
const FAILURES = [
  [/^no answer from the receiver/, 'fail_noAnswer'], [/^the receiver answered (\d+)/, 'fail_status'],
  [/^the \w+ channel is not configured/, 'fail_notConfigured'],
  [/^Tencent Cloud SMS did not answer/, 'fail_smsNoAnswer'], [/^Tencent Cloud SMS refused it: ([\w.]+)/, 'fail_smsRefused'],
  [/^Tencent Cloud SMS answered HTTP (\d+)/, 'fail_smsHTTP'], [/^Tencent Cloud SMS/, 'fail_smsOther'],
  [/is not a mobile number/, 'fail_phone'], [/^no SMS template id/, 'fail_template'], [/^the SMS endpoint/, 'fail_smsEndpoint'],
  [/^the sender .* is not an ASCII e-mail address/, 'fail_sender'], [/is not an ASCII e-mail address/, 'fail_email'],
  [/^the relay .* did not finish/, 'fail_relayTimeout'], [/^cannot reach the relay/, 'fail_relayUnreachable'],
  [/^the exchange with the relay|^the relay .* closed the connection/, 'fail_relayBroken'],
  [/^the relay .* refused/, 'fail_relayRefused'], [/^the relay /, 'fail_relayOther'],
  [/^the WeChat Work robot did not answer/, 'fail_wecomNoAnswer'], [/^the WeChat Work robot answered HTTP (\d+)/, 'fail_wecomHTTP'],
  [/^the WeChat Work robot refused it: errcode (-?\d+)/, 'fail_wecomRefused'], [/^the WeChat Work robot/, 'fail_wecomOther'],
  [/is not a group robot's webhook URL/, 'fail_wecomAddress'], [/secret is not whsec_/, 'fail_secret'],
];
function failureWords(text) {
  if (!text) return '';
  if (lang !== 'zh') return text;
  for (const [pattern, key] of FAILURES) {
    const match = pattern.exec(text);
    if (match) return t(key, { code: match[1] ?? '' });
  }
  return t('fail_other');
}
function failureCell(text) {
  return text ? el('span', { class: 'failure', title: text, text: failureWords(text) }) : '';
}
/** Why a subscription was paused (`10 consecutive failures; last: …`), in words. */
function pausedWords(reason) {
  const match = /^(\d+) consecutive failures; last: (.*)$/s.exec(reason || '');
  if (!match) return failureWords(reason);
  return t('pausedBecause', { n: match[1], last: failureWords(match[2]) });
}

/** A WeChat Work robot's URL carries its key: it is shown with the key hidden. */
const maskKey = (address) => String(address || '').replace(/([?&]key=)[^&]+/i, '$1****');
const minutesText = (minutes) => `${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
/** Minutes after midnight from a time typed as 22:00, 2200, 7:30 or 22：00; 0 for none, null when it is no time. */
function minutesOf(text) {
  const typed = String(text ?? '').trim();
  if (!typed) return 0;
  const match = /^([01]?\d|2[0-3])[:：]?([0-5]\d)$/.exec(typed);
  return match ? Number(match[1]) * 60 + Number(match[2]) : null;
}
const timeCell = (value) => (value ? el('span', { class: 'nowrap', text: formatTime(value) }) : '');
const stateBadge = (table, state) => el('span', { class: `badge state-${state}`, text: word(table, state) });

/** A table whose rows carry attributes (`data-…`) for the row's record; an empty one says `empty`. */
function recordTable(id, headers, rows, empty = t('noData')) {
  return el('div', { class: 'table-wrap' }, el('table', { class: 'list', id },
    el('thead', {}, el('tr', {}, headers.map((h) => el('th', { scope: 'col', text: h })))),
    el('tbody', {}, rows.length ? rows.map(({ attrs, cells }) => el('tr', attrs, cells.map((c) => el('td', {}, c ?? ''))))
      : el('tr', {}, el('td', { colspan: headers.length, class: 'list-status', text: empty })))));
}

function statusLine(id) { return el('p', { class: 'form-status', id, role: 'status' }); }
function say(status, text, kind = 'ok') { status.className = `form-status ${kind}`; status.textContent = text; }

/** Removes a subscription or route after asking; the refusal, if any, shows in the dialog. */
async function confirmDelete(title, question, path) {
  return ask(title, [el('p', { text: question })], { confirmText: t('remove'), run: () => rest('DELETE', path) });
}

function subscriptionsPart(shared) {
  const holder = el('div', { 'aria-busy': 'true' });
  const status = statusLine('subscriptions-status');
  const load = async () => {
    holder.setAttribute('aria-busy', 'true');
    try {
      const { subscriptions = [] } = await rest('GET', '/webhooks/subscriptions');
      shared.subscriptions = new Map(subscriptions.map((s) => [s.id, s]));
      holder.replaceChildren(recordTable('subscriptions-table',
        [t('receiverSystem'), t('receiverURL'), t('eventKinds'), t('routeScope'), t('state'), t('consecutiveFailures'), t('action')],
        subscriptions.map((s) => ({ attrs: { 'data-subscription': s.id, title: s.id }, cells: [
          s.apiKey, el('span', { class: 'url', text: s.url }), (s.kinds || []).map(kindName).join('、'), places.scopeName(s.divisionPrefix),
          el('span', {}, stateBadge('subscriptionStates', s.state),
            s.state === 'paused' && s.pausedReason ? el('small', { class: 'paused-reason', title: s.pausedReason, text: pausedWords(s.pausedReason) }) : null),
          t('timesN', { n: s.failures ?? 0 }),
          el('div', { class: 'row-actions' },
            s.state === 'paused' ? el('button', { type: 'button', id: `resume-${s.id}`, text: t('resume'), onclick: async (event) => {
              event.currentTarget.disabled = true;
              try {
                await rest('POST', `/webhooks/subscriptions/${encodeURIComponent(s.id)}/resume`);
                say(status, t('resumed'));
              } catch (error) { say(status, errorText(error), 'error'); }
              await Promise.all([load(), shared.reloadDeliveries?.()]);
            } }) : null,
            el('button', { type: 'button', class: 'secondary', id: `subscription-delete-${s.id}`, text: t('remove'), onclick: async () => {
              const done = await confirmDelete(t('remove'), `${t('deleteSubscriptionConfirm')}（${s.apiKey} · ${s.url}）`,
                `/webhooks/subscriptions/${encodeURIComponent(s.id)}`);
              if (!done) return;
              say(status, t('deleted'));
              await Promise.all([load(), shared.reloadDeliveries?.()]);
            } })),
        ] })), t('noSubscriptions')));
    } catch (error) { holder.replaceChildren(message(errorText(error))); }
    holder.removeAttribute('aria-busy');
  };
  return { node: el('section', { class: 'card', id: 'subscriptions' }, el('h3', { text: t('subscriptions') }),
    el('p', { class: 'hint', text: t('subscriptionsHint') }), holder, status), load };
}

function deliveriesPart(shared) {
  let state = 'dead';
  const holder = el('div', { 'aria-busy': 'true' });
  const status = statusLine('deliveries-status');
  const count = el('span', { class: 'list-status', id: 'deliveries-count', role: 'status' });
  const caseNumbers = new Map();
  const switcher = el('div', { class: 'segmented', role: 'group', 'aria-label': t('deliveryState') },
    ['dead', 'pending', 'delivered'].map((value) => el('button', { type: 'button', id: `deliveries-${value}`, 'data-state': value,
      class: value === state ? 'active' : 'secondary', 'aria-pressed': value === state ? 'true' : 'false', text: word('deliveryStates', value),
      onclick: () => { state = value; status.textContent = ''; load(); } })));
  const record = (d) => {
    if (d.record.startsWith('case_')) {
      const number = caseNumbers.get(d.record);
      return el('a', { href: `#case/${encodeURIComponent(d.record)}`, class: 'number', title: d.record, text: number ?? t('openRecord'),
        onclick: (event) => { event.preventDefault(); navigate(`case/${d.record}`); } });
    }
    if (d.record.startsWith('wish_')) {
      return el('a', { href: `#wish/${encodeURIComponent(d.record)}`, title: d.record, text: t('wishRecord'),
        onclick: (event) => { event.preventDefault(); navigate(`wish/${d.record}`); } });
    }
    const digest = /^(\d{12})@(.+)$/.exec(d.record);
    if (digest) return el('span', {}, places.tag(digest[1]), ` ${digest[2]}`);
    return el('span', { title: d.record, text: '' });
  };
  const receiver = (d) => {
    if (d.channel === 'webhook') {
      const subscription = shared.subscriptions?.get(d.target);
      return el('span', { title: d.target }, subscription ? `${subscription.apiKey} · ` : '', el('span', { class: 'url', text: d.address }));
    }
    const person = d.target.includes('/') ? d.target.slice(d.target.indexOf('/') + 1) : '';
    if (d.channel === 'wecom') return el('span', { class: 'url', text: maskKey(d.address) });
    return [person, d.address].filter(Boolean).join(' · ');
  };
  const load = async () => {
    for (const button of switcher.querySelectorAll('button')) {
      const on = button.dataset.state === state;
      button.className = on ? 'active' : 'secondary';
      button.setAttribute('aria-pressed', on ? 'true' : 'false');
    }
    holder.setAttribute('aria-busy', 'true');
    try {
      const { deliveries = [] } = await rest('GET', `/deliveries?state=${state}`);
      const cases = [...new Set(deliveries.map((d) => d.record).filter((r) => r.startsWith('case_') && !caseNumbers.has(r)))].slice(0, 50);
      await Promise.all([...cases.map(async (id) => {
        const found = await call(S.grid, 'GetCase', { id }).catch(() => null);
        if (found?.caseNumber) caseNumbers.set(id, found.caseNumber);
      }), places.ensure(deliveries.map((d) => /^(\d{12})@/.exec(d.record)?.[1]).filter(Boolean))]);
      const when = state === 'pending' ? [t('nextAttempt')] : state === 'delivered' ? [t('deliveredAt')] : [];
      const headers = [t('eventKinds'), t('relatedRecord'), t('channel'), t('receiver'), t('state'), t('attemptsCol'),
        t('lastError'), t('occurredAt'), ...when, state === 'dead' ? t('action') : null].filter(Boolean);
      holder.replaceChildren(recordTable('deliveries-table', headers, deliveries.map((d) => {
        const badgeCell = el('span', { class: 'delivery-state' }, stateBadge('deliveryStates', d.state));
        const cells = [kindName(d.kind), record(d), el('span', { class: 'nowrap', text: word('channels', d.channel) }), receiver(d), badgeCell, String(d.attempts ?? 0),
          failureCell(d.lastError), timeCell(d.occurredAt)];
        if (state === 'pending') cells.push(timeCell(d.nextAttemptAt));
        if (state === 'delivered') cells.push(timeCell(d.deliveredAt));
        if (state === 'dead') {
          cells.push(el('button', { type: 'button', id: `replay-${d.id}`, class: 'replay', text: t('replay'), onclick: async (event) => {
            const button = event.currentTarget;
            button.disabled = true;
            try {
              await rest('POST', `/deliveries/${encodeURIComponent(d.id)}/replay`);
              // It is queued again: the row says so until the list is refreshed.
              badgeCell.replaceChildren(stateBadge('deliveryStates', 'pending'));
              button.remove();
              say(status, t('replayed'));
            } catch (error) { button.disabled = false; say(status, errorText(error), 'error'); }
          } }));
        }
        return { attrs: { 'data-delivery': d.id, 'data-state': d.state }, cells };
      })));
      count.textContent = t('shownN', { n: deliveries.length });
    } catch (error) { holder.replaceChildren(message(errorText(error))); count.textContent = ''; }
    holder.removeAttribute('aria-busy');
  };
  shared.reloadDeliveries = load;
  return { node: el('section', { class: 'card', id: 'deliveries' }, el('h3', { text: t('deliveryList') }),
    el('div', { class: 'toolbar' }, switcher, el('button', { type: 'button', class: 'secondary', id: 'deliveries-refresh', text: t('refresh'),
      onclick: () => { status.textContent = ''; load(); } }), count),
    holder, status), load };
}

function routesPart() {
  const holder = el('div', { 'aria-busy': 'true' });
  const listStatus = statusLine('routes-status');
  const load = async () => {
    holder.setAttribute('aria-busy', 'true');
    try {
      const { routes = [] } = await rest('GET', '/message-routes');
      holder.replaceChildren(recordTable('routes-table',
        [t('eventKinds'), t('routeRole'), t('routeScope'), t('channel'), t('address'), t('quietHours'), t('action')],
        routes.map((r) => ({ attrs: { 'data-route': r.id }, cells: [
          (r.kinds || []).map(kindName).join('、'), roleName(r.role), places.scopeName(r.divisionPrefix), word('channels', r.channel),
          r.channel === 'wecom' ? el('span', { class: 'url', text: maskKey(r.address) }) : '',
          r.quietStart === r.quietEnd ? t('quietNone') : `${minutesText(r.quietStart)}–${minutesText(r.quietEnd)}`,
          el('button', { type: 'button', class: 'secondary', id: `route-delete-${r.id}`, text: t('remove'), onclick: async () => {
            const done = await confirmDelete(t('remove'), t('deleteRouteConfirm'), `/message-routes/${encodeURIComponent(r.id)}`);
            if (!done) return;
            say(listStatus, t('deleted'));
            await load();
          } }),
        ] })), t('noRoutes')));
    } catch (error) { holder.replaceChildren(message(errorText(error))); }
    holder.removeAttribute('aria-busy');
  };

  // The form: kinds (families, or single kinds under a disclosure), who, where, how, quiet hours.
  const kindsError = el('span', { class: 'field-error', id: 'route-kinds-error', role: 'alert' });
  const box = (kind) => {
    const input = el('input', { type: 'checkbox', name: 'kinds', value: kind, id: uid('route-kind'), 'data-error-slot': kindsError.id });
    return el('div', { class: 'kind-option' }, input, el('label', { for: input.id, text: kindName(kind) }));
  };
  const address = field(t('robotAddress'), el('input', { name: 'address', id: 'route-address', type: 'url', maxlength: 2000, inputmode: 'url',
    placeholder: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…' }));
  address.hidden = true;
  const channel = el('select', { name: 'channel', id: 'route-channel' }, CHANNELS.map((c) => el('option', { value: c, text: word('channels', c) })));
  channel.addEventListener('change', () => { address.hidden = channel.value !== 'wecom'; });
  // Quiet hours are typed as the clock reads (22:00), the same in every browser's language.
  const clock = (name, id) => {
    const input = el('input', { name, id, inputmode: 'numeric', maxlength: 5, placeholder: '22:00', autocomplete: 'off' });
    input.addEventListener('change', () => {
      const minutes = minutesOf(input.value);
      if (minutes !== null && input.value.trim()) input.value = minutesText(minutes);
    });
    return field(t(name), input, t('clockHint'));
  };
  const picker = placePicker({ name: 'place', label: t('routeScope') });
  const submit = el('button', { type: 'submit', id: 'route-add', text: t('add') });
  const status = el('p', { class: 'form-status', role: 'status', id: 'route-form-status' });
  // The form checks nothing itself (novalidate): the gateway's refusals, in Chinese, say what is wrong.
  const form = el('form', { id: 'route-form', class: 'route-form', novalidate: true },
    el('fieldset', { class: 'kinds', id: 'route-kinds' }, el('legend', { text: t('eventKinds') }),
      el('div', { class: 'kind-grid' }, KIND_FAMILIES.map(box)),
      el('details', { class: 'more-kinds' }, el('summary', { text: t('moreKinds', { n: EVENT_KINDS.length }) }),
        el('div', { class: 'kind-grid' }, EVENT_KINDS.map(box))),
      el('div', {}, kindsError)),
    el('div', { class: 'route-fields' },
      field(t('routeRole'), el('select', { name: 'role', id: 'route-role' }, ROUTE_ROLES.map((r) => el('option', { value: r, text: roleName(r) })))),
      picker,
      field(t('channel'), channel),
      clock('quietStart', 'route-quiet-start'),
      clock('quietEnd', 'route-quiet-end')),
    address,
    el('p', { class: 'hint', text: t('quietHint') }),
    el('div', { class: 'actions' }, submit), status);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const values = Object.fromEntries(data.entries());
    for (const node of form.querySelectorAll('.field-error')) node.textContent = '';
    for (const node of form.querySelectorAll('[aria-invalid]')) node.removeAttribute('aria-invalid');
    const quiet = [['quietStart', 'route-quiet-start'], ['quietEnd', 'route-quiet-end']].map(([name, id]) => {
      const minutes = minutesOf(values[name]);
      if (minutes === null) {
        const input = document.getElementById(id);
        input.setAttribute('aria-invalid', 'true');
        document.getElementById(`${id}-error`).textContent = t('clockWrong');
      }
      return minutes;
    });
    if (quiet.includes(null)) { status.textContent = ''; return; }
    submit.disabled = true; status.className = 'form-status'; status.textContent = t('working');
    try {
      await rest('POST', '/message-routes', {
        // No division chosen: the administrator's whole jurisdiction.
        kinds: data.getAll('kinds'), role: values.role, divisionPrefix: prefixOf(values.place) || session.scope || '', channel: values.channel,
        address: values.channel === 'wecom' ? (values.address ?? '').trim() : '',
        quietStart: quiet[0], quietEnd: quiet[1] });
      form.reset();
      picker.setPicked('');
      address.hidden = true;
      say(status, t('added'));
      await load();
    } catch (error) {
      status.textContent = '';
      showError(form, error, { division_prefix: 'place', quiet_start: 'quietStart', quiet_end: 'quietEnd' });
    }
    submit.disabled = false;
  });
  return { node: el('section', { class: 'card', id: 'routes' }, el('h3', { text: t('routes') }),
    el('p', { class: 'hint', text: t('routesHint') }), holder, listStatus,
    el('h3', { class: 'form-title', text: t('addRoute') }), form), load };
}

/** 消息投递: what reaches systems and people, what failed, and who gets what (city administrators). */
async function deliveriesPage() {
  const shared = {};
  const subscriptions = subscriptionsPart(shared);
  const deliveries = deliveriesPart(shared);
  const routes = routesPart();
  show(el('div', { class: 'page-head' }, el('h2', { text: t('deliveries') })),
    el('div', { class: 'deliveries-page' }, subscriptions.node, deliveries.node, routes.node));
  // The receivers of webhook deliveries are named by their subscriptions, so those come first.
  await Promise.all([subscriptions.load().then(() => deliveries.load()), routes.load()]);
}

// ---- The monthly report (月度报表): a district's or street's figures for a month or quarter ----

/** Who may make a report: a caller whose jurisdiction holds a district or a street. */
const reportAllowed = () => (session?.scope ?? '').length <= 9 && !['resident', 'recipient'].includes(session?.role);
/** The periods offered: months or quarters of the city's calendar up to the current one, newest first. */
function reportPeriods(kind) {
  const today = Object.fromEntries(cityClock.formatToParts(new Date()).map((part) => [part.type, Number(part.value)]));
  const periods = [];
  if (kind === 'month') {
    for (let back = 0; back < 24; back += 1) {
      const index = today.year * 12 + today.month - 1 - back;
      const year = Math.floor(index / 12), month = index % 12 + 1;
      periods.push({ value: `${year}-${pad(month)}`, text: lang === 'zh' ? `${year}年${month}月` : `${year}-${pad(month)}` });
    }
  } else {
    for (let back = 0; back < 8; back += 1) {
      const index = today.year * 4 + Math.floor((today.month - 1) / 3) - back;
      const year = Math.floor(index / 4), quarter = index % 4 + 1;
      periods.push({ value: `${year}-Q${quarter}`, text: lang === 'zh' ? `${year}年第${quarter}季度` : `${year} Q${quarter}` });
    }
  }
  return periods;
}

/** The report's figure as the page shows it: shares as percentages, their change in points. */
function reportValue(value, unit) {
  if (value === null || value === undefined) return '—';
  if (unit === 'share') return percent(value);
  if (unit === 'score') return value.toFixed(2);
  if (unit === 'hours') return value.toFixed(1);
  return String(Math.round(value));
}
function reportChange(figure) {
  if (figure.change === null || figure.change === undefined) return '—';
  const points = figure.unit === 'share';
  const amount = points ? figure.change * 100 : figure.change;
  const text = points ? amount.toFixed(1) : reportValue(Math.abs(amount), figure.unit);
  if (Number(text) === 0 || Math.round(Math.abs(amount) * 100) === 0) return points ? t('reportPoints', { n: '0.0' }) : '0';
  const signed = `${amount > 0 ? '+' : '−'}${points ? Math.abs(amount).toFixed(1) : text}`;
  return points ? t('reportPoints', { n: signed }) : signed;
}

let reportChoice = null;

async function reportPage() {
  if (!reportAllowed()) { show(message(t('reportNoDivision'))); return; }
  const scope = session.scope || '';
  // The caller's own district or street first; a city's administrator starts at its first district.
  const own = scope.length === 6 || scope.length === 9 ? scope.padEnd(12, '0') : '';
  const first = places.roots().find((node) => ['DIVISION_LEVEL_DISTRICT', 'DIVISION_LEVEL_STREET'].includes(node.level));
  const choice = reportChoice ?? { division: own || first?.code || '', kind: 'month', period: reportPeriods('month')[1].value };
  const picker = placePicker({ name: 'division', label: t('reportDivision'), pick: 'division', required: true, value: choice.division });
  const kind = el('select', { name: 'kind', id: 'report-kind' }, ['month', 'quarter'].map((k) => el('option', {
    value: k, text: t(`reportKind_${k}`), selected: k === choice.kind })));
  const period = el('select', { name: 'period', id: 'report-period' });
  const fillPeriods = (selected) => period.replaceChildren(...reportPeriods(kind.value).map((p) => el('option', {
    value: p.value, text: p.text, selected: p.value === selected })));
  fillPeriods(choice.period);
  kind.addEventListener('change', () => fillPeriods(reportPeriods(kind.value)[1].value));
  const download = el('a', { id: 'report-download', class: 'button secondary', download: '', text: t('reportDownload') });
  const status = statusLine('report-status');
  const output = el('div', { id: 'report-output', class: 'report-sheet' });
  const form = el('form', { id: 'report-form', class: 'filters report-controls no-print' }, picker, field(t('reportKind'), kind),
    field(t('reportPeriod'), period),
    el('div', { class: 'filter-buttons full-row' }, el('button', { type: 'submit', id: 'report-show', text: t('reportShow') }),
      el('button', { type: 'button', class: 'secondary', id: 'report-print', text: t('reportPrint'), onclick: () => window.print() }),
      download));
  const query = (format) => new URLSearchParams({ division: prefixOf(form.division.value), period: period.value, format });
  const load = async () => {
    reportChoice = { division: form.division.value, kind: kind.value, period: period.value };
    download.href = `/reports/monthly?${query('xlsx')}`;
    if (!form.division.value) { say(status, t('reportPickDivision'), 'error'); return; }
    say(status, t('loading'));
    output.setAttribute('aria-busy', 'true');
    try {
      const response = await fetch(`/reports/monthly?${query('json')}`, { credentials: 'same-origin' });
      const answer = await response.json().catch(() => ({ code: 'internal', message: response.statusText }));
      if (!response.ok) throw new ServiceError(answer.code, answer.message, answer.details);
      output.replaceChildren(...reportView(answer));
      say(status, '');
    } catch (error) {
      output.replaceChildren();
      // A refused parameter is named with its rule, in the console's words.
      const rule = error instanceof ServiceError ? UI[lang][`reportRule_${error.field}_${error.code}`] : undefined;
      say(status, rule ? `${ERROR_CODES[lang][error.code] ?? error.code}${lang === 'zh' ? '：' : ': '}${rule}` : errorText(error), 'error');
    } finally {
      output.removeAttribute('aria-busy');
    }
  };
  form.addEventListener('submit', (event) => { event.preventDefault(); load(); });
  show(el('div', { class: 'page-head no-print' }, el('h2', { text: t('reports') })), el('div', { class: 'card no-print' }, form, status), output);
  await load();
}

/** The report as the page shows and prints it: a title, then a table per topic. */
function reportView(report) {
  const name = places.names.get(report.division.code) ?? report.division.name;
  const title = lang === 'zh' ? report.title
    : `${name} · ${t(`reportKind_${report.period.kind}`)} · ${report.period.label}`;
  const [colon, open, close, gap] = lang === 'zh' ? ['：', '（', '）', '　'] : [': ', ' (', ')', '; '];
  const span = (period) => `${period.label}${open}${period.from} ${t('reportTo')} ${period.to}${period.under_way ? t('reportUnderWay') : ''}${close}`;
  const head = el('div', { class: 'report-head' }, el('h2', { id: 'report-title', text: title }),
    el('p', { class: 'report-meta' }, `${t('reportCurrent')}${colon}${span(report.period)}${gap}${t('reportPrevious')}${colon}${span(report.previous)}`),
    el('p', { class: 'report-meta' }, `${t('reportGenerated')}${colon}${formatTime(report.generated_time)}`));
  const topics = report.topics.map((topic) => el('section', { class: 'report-topic', id: `report-${topic.key}` },
    el('h3', { text: t(`reportTopic_${topic.key}`) }),
    el('table', { class: 'list report-table' },
      el('thead', {}, el('tr', {}, [t('reportFigure'), t('reportCurrent'), t('reportPrevious'), t('reportChange')].map((h) => el('th', { scope: 'col', text: h })))),
      el('tbody', {}, topic.figures.map((figure) => el('tr', { 'data-key': figure.key },
        el('th', { scope: 'row', text: `${lang === 'zh' ? figure.name : REPORT_FIGURES_EN[figure.key] ?? figure.name}${figure.snapshot ? t('reportSnapshot') : ''}` }),
        el('td', { class: 'number', text: reportValue(figure.current, figure.unit) }),
        el('td', { class: 'number', text: reportValue(figure.previous, figure.unit) }),
        el('td', { class: 'number', text: reportChange(figure) }))))),
    el('ul', { class: 'report-notes' }, (lang === 'zh' ? topic.notes : [t(`reportNote_${topic.key}`)]).map((note) => el('li', { text: note })))));
  return [head, ...topics];
}

// ---- Navigation ----

// ---- Register imports (台账导入): template, dry run, import, problems ----

const IMPORT_POLL = 2000;

async function importsPage() {
  const registers = await rest('GET', '/import-templates');
  const select = el('select', { name: 'register', id: 'import-register' },
    registers.map((r) => el('option', { value: r.register, text: r.title })));
  const columns = el('div', { id: 'import-columns' });
  const template = el('a', { id: 'import-template', class: 'button secondary', text: t('importTemplate'), download: '' });
  const describe = () => {
    const chosen = registers.find((r) => r.register === select.value);
    template.href = `/import-templates/${chosen.register}`;
    columns.replaceChildren(el('p', { class: 'hint', text: `${t('importKey')}：${chosen.key}` }),
      recordTable('import-columns-table', [t('importColumns'), t('required'), t('note')],
        // The examples (codes, numbers) are in the template's 填写说明 sheet; the page says what each column holds.
        chosen.columns.map((c) => ({ cells: [c.header, c.required ? '✓' : '', c.note] }))));
  };
  select.addEventListener('change', describe);
  describe();
  const file = el('input', { type: 'file', name: 'file', id: 'import-file', accept: '.xlsx,.csv', required: true });
  const status = statusLine('import-status');
  const jobs = el('div', { id: 'import-jobs' });
  const form = el('form', { id: 'import-form', class: 'stack' },
    field(t('importRegister'), select), el('div', {}, template), columns, field(t('importFile'), file),
    el('button', { type: 'submit', id: 'import-check', text: t('importCheck') }), status);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const chosen = file.files[0];
    if (!chosen) { say(status, t('chooseFile'), 'error'); return; }
    say(status, t('working'));
    const response = await fetch(`/imports/${select.value}?${new URLSearchParams({ dryRun: 'true', filename: chosen.name })}`, {
      method: 'POST', credentials: 'same-origin', body: chosen,
      headers: { 'X-CSRF-Token': session?.csrfToken ?? '', 'Content-Type': 'application/octet-stream' } });
    const answer = await response.json().catch(() => ({ message: response.statusText }));
    if (!response.ok) {
      say(status, answer.zh && lang === 'zh' ? answer.zh : errorText(new ServiceError(answer.code, answer.message, answer.details)), 'error');
      return;
    }
    say(status, t('importQueued'));
    form.reset(); describe();
    load();
  });
  let timer = null;
  const act = async (job, action) => {
    if (action === 'commit' && !window.confirm(t('importCommitConfirm'))) return;
    try { await rest('POST', `/imports/${job.id}/${action}`); } catch (error) { say(status, errorText(error), 'error'); }
    load();
  };
  const titles = Object.fromEntries(registers.map((r) => [r.register, r.title]));
  async function load() {
    clearTimeout(timer);
    // The page was left: no more polling.
    if (timer !== null && !jobs.isConnected) return;
    let list;
    try { list = await rest('GET', '/imports'); } catch (error) { jobs.replaceChildren(message(errorText(error))); return; }
    jobs.replaceChildren(recordTable('import-jobs-table',
      [t('time'), t('importRegister'), t('importFileName'), t('importKind'), t('state'), t('importProgress'), t('importCreated'),
        t('importUpdated'), t('importUnchanged'), t('importFailed'), t('actions')],
      list.map((job) => {
        const share = job.rowsTotal ? Math.round((job.rowsDone / job.rowsTotal) * 100) : 100;
        const buttons = el('span', { class: 'row-actions' },
          job.failed ? el('a', { href: `/imports/${job.id}/problems?format=xlsx`, download: '', class: 'problems', text: t('importProblems') }) : null,
          job.dryRun && job.state === 'done' ? el('button', { type: 'button', class: 'small commit', text: t('importCommit'), onclick: () => act(job, 'commit') }) : null,
          ['queued', 'running'].includes(job.state) ? el('button', { type: 'button', class: 'secondary small', text: t('importStop'), onclick: () => act(job, 'stop') }) : null,
          ['stopped', 'failed'].includes(job.state) ? el('button', { type: 'button', class: 'secondary small', text: t('importResume'), onclick: () => act(job, 'resume') }) : null);
        return { attrs: { 'data-job': job.id }, cells: [formatTime(job.createdAt), titles[job.register] ?? job.register, job.filename, job.dryRun ? t('importDry') : t('importReal'),
          el('span', { class: `badge ${job.state}`, title: job.error || '', text: t(`importState_${job.state}`) + (job.error ? `：${job.error}` : '') }),
          el('span', {}, el('progress', { max: 100, value: share }), ` ${job.rowsDone} / ${job.rowsTotal}`),
          String(job.created), String(job.updated), String(job.unchanged), String(job.failed), buttons] };
      })));
    if (list.some((job) => ['queued', 'running'].includes(job.state)) && jobs.isConnected) timer = setTimeout(load, IMPORT_POLL);
  }
  show(el('div', { class: 'page-head' }, el('h2', { text: t('imports') })),
    card('', el('p', { class: 'hint', text: t('importHint') }), form), card(t('importJobs'), jobs));
  load();
}

const PAGES = [
  ['groupWork', [['dashboard', dashboard], ['cases', casesPage], ['map', mapPage], ['reports', reportPage]]],
  ['groupParty', [['organisations', organisationsPage], ['members', membersPage], ['bodies', bodiesPage], ['gaps', gaps]]],
  ['groupProperty', [['compounds', compoundsPage], ['companies', companiesPage]]],
  ['groupGrid', [['grids', gridsPage], ['workers', workersPage]]],
  ['groupVolunteers', [['teams', teamsPage], ['volunteers', volunteersPage], ['posts', postsPage], ['wishes', wishesPage]]],
  ['groupEvaluation', [['periods', periodsPage], ['composites', compositesPage], ['publications', publicationsPage], ['items', itemsPage]]],
  ['groupSystem', [['imports', importsPage], ['audit', auditTrail], ['deliveries', deliveriesPage]]],
];
// The audit trail is read by auditors and city administrators only, deliveries and message routes
// are kept by city administrators only (the gateway refuses others).
const pageAllowed = (page) => (page === 'reports' ? reportAllowed() : page === 'audit' ? ['auditor', 'city_admin'].includes(session?.role)
  : page === 'deliveries' ? session?.role === 'city_admin'
    : page === 'imports' ? ['city_admin', 'district', 'street', 'community'].includes(session?.role) : true);
const pageTable = Object.fromEntries(PAGES.flatMap(([, pages]) => pages));

/** Detail pages by their address (`#case/ID`), so Back and Forward reach them and a link opens one. */
const DETAILS = {
  case: { list: 'cases', open: (id) => openCase(id) },
  compound: { list: 'compounds', open: async (id) => openCompound(await call(S.prop, 'GetCompound', { id })) },
  company: { list: 'companies', open: async (id) => openCompany(await call(S.prop, 'GetCompany', { id })) },
  wish: { list: 'wishes', open: async (id) => openWish(await call(S.vol, 'GetMicroWish', { id })) },
  period: { list: 'periods', open: async (id) => openPeriod(await call(S.eval, 'GetPeriod', { id })) },
};

/** Records an opened detail page in the browser's history, once, with the page it came from. */
function remember(kind, id) {
  const hash = `#${kind}/${encodeURIComponent(id)}`;
  if (location.hash !== hash) history.pushState({ back: location.hash }, '', hash);
}

/** Back to a list: the very page it was left on (its search and page) when the detail came from it. */
function backTo(page) {
  if (history.state?.back === `#${page}`) history.back(); else navigate(page);
}

async function navigate(page, preset) {
  notice('');
  // The map asks for alarms only while it is shown.
  leaveMap();
  const [kind, id] = page.split('/');
  const detail = id && DETAILS[kind];
  if (detail && pageAllowed(detail.list)) {
    markActive(detail.list);
    try { await detail.open(decodeURIComponent(id)); } catch (error) { show(message(errorText(error))); }
    return;
  }
  const asked = page;
  if (!pageTable[page] || !pageAllowed(page)) page = 'dashboard';
  markActive(page);
  // An address that was not a page (none, or one the user may not see) is replaced, not added
  // to, so Back never returns to it.
  if (asked !== page && location.hash.slice(1) === asked) history.replaceState(null, '', `#${page}`);
  else if (location.hash.slice(1) !== page) history.pushState(null, '', `#${page}`);
  try { await pageTable[page](preset); } catch (error) { show(message(errorText(error))); }
}

function markActive(page) {
  for (const link of document.querySelectorAll('nav a')) {
    link.classList.toggle('active', link.dataset.page === page);
    if (link.dataset.page === page) link.setAttribute('aria-current', 'page'); else link.removeAttribute('aria-current');
  }
}

function renderShell() {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.title = t('title');
  document.getElementById('lang').textContent = t('language');
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  const nav = document.getElementById('nav');
  nav.setAttribute('aria-label', t('menu'));
  document.body.classList.toggle('signed-in', Boolean(session));
  document.getElementById('bell-wrap').hidden = !session;
  if (!session) { nav.hidden = true; return; }
  nav.hidden = false;
  document.getElementById('logout').hidden = false;
  const scopeName = places.scopeName(session.scope);
  document.getElementById('who').textContent = `${session.username ?? actorName(session.subject)} · ${roleName(session.role)} · ${scopeName}`;
  nav.replaceChildren(...PAGES.map(([group, pages]) => [group, pages.filter(([page]) => pageAllowed(page))])
    .filter(([, pages]) => pages.length).map(([group, pages]) => el('div', { class: 'nav-group' }, el('h2', { text: t(group) }),
    pages.map(([page]) => el('a', { href: `#${page}`, 'data-page': page, text: t(page),
      onclick: (event) => { event.preventDefault(); navigate(page); } })))));
}

async function signedIn(who) {
  session = who;
  await places.load().catch((error) => notice(`${t('failed')}：${errorText(error)}`));
  renderShell();
  startBell();
  await navigate(location.hash.slice(1) || 'dashboard');
}

/** A failure no page handled (a row that could not open, a reload that failed) is shown, not lost. */
function notice(text) {
  const bar = document.getElementById('notice');
  bar.textContent = text;
  bar.hidden = !text;
}
window.addEventListener('unhandledrejection', (event) => notice(`${t('failed')}：${errorText(event.reason)}`));

document.addEventListener('DOMContentLoaded', async () => {
  [labels, errorWords] = await Promise.all(['labels', 'errors'].map((name) => fetch(`/console/${name}.json`).then((r) => r.json())));
  renderShell();
  // Back and Forward (and a hash typed by hand) move between the console's pages.
  window.addEventListener('popstate', () => { if (session) navigate(location.hash.slice(1)); });
  setUpBell();
  document.getElementById('lang').addEventListener('click', () => {
    lang = lang === 'zh' ? 'en' : 'zh';
    localStorage.setItem('lang', lang);
    closeBell(false);
    renderShell();
    if (session) showBellCount();
    if (session) navigate(location.hash.slice(1) || 'dashboard');
  });
  document.getElementById('logout').addEventListener('click', async () => {
    await fetch('/auth/logout', { method: 'POST', credentials: 'same-origin', headers: { 'X-CSRF-Token': session?.csrfToken ?? '' } });
    // The next user starts at the dashboard, not on the page the last one left open.
    location.replace(location.pathname);
  });
  document.getElementById('login').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = event.target;
    const error = document.getElementById('login-error');
    error.textContent = '';
    const response = await fetch('/auth/login', {
      method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: form.username.value, password: form.password.value, otp: form.otp.value }),
    });
    const answer = await response.json();
    if (!response.ok) {
      error.textContent = answer.code === 'unauthenticated' ? t('loginRefused') : new ServiceError(answer.code, answer.message, answer.details).text;
      return;
    }
    await signedIn(answer);
  });
  const me = await fetch('/auth/me', { credentials: 'same-origin' });
  if (me.ok) await signedIn(await me.json());
});
