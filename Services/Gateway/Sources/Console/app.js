'use strict';
// The admin console: a page of plain DOM built from the gateway's own API. Everything a user
// typed is put on the page as text (textContent), never as markup.

const S = {
  org: 'governance.organisation.v1.OrganisationService',
  prop: 'governance.property.v1.PropertyService',
  grid: 'governance.grid.v1.GridService',
  vol: 'governance.volunteers.v1.VolunteersService',
  eval: 'governance.evaluation.v1.EvaluationService',
};

const I18N = {
  zh: {
    title: '党建引领基层治理平台', signIn: '登录', username: '用户名', password: '密码', otp: '动态口令（管理员、审计员）',
    logout: '退出', dashboard: '总览', cases: '事件办理', organisations: '党组织', compounds: '小区', companies: '物业企业',
    grids: '网格', workers: '网格员', teams: '志愿队伍', volunteers: '志愿者', wishes: '微心愿', periods: '考评周期',
    composites: '综合评分', publications: '红黑榜发布', items: '考评项目', gaps: '覆盖缺口', audit: '审计日志',
    coverage: '党组织覆盖', compoundCoverage: '小区党组织覆盖率', companyCoverage: '物业企业党建覆盖率', gridCoverage: '网格党支部覆盖率',
    casesByStatus: '事件状态分布', casesByLevel: '事件办理层级', resolvedWhere: '就地解决（网格/社区/街道）', onTime: '按时办结率',
    satisfaction: '群众满意度', volunteerHours: '志愿服务时长（小时）', stars: '物业星级分布', lists: '红黑榜',
    red: '红榜', black: '黑榜', total: '合计', search: '查询', next: '下一页', first: '首页', create: '新建', save: '保存',
    newCase: '上报事件', category: '类别', titleField: '标题', details: '详情', gridCode: '网格编码', divisionCode: '社区编码',
    source: '来源', history: '流转记录', parameter: '参数（指派人/办理结果/原因/部门/网格编码）', satisfactionScore: '满意度 1-5',
    noData: '暂无数据', failed: '失败', done: '已完成', compoundsWithoutBranch: '未建党组织的小区', communitiesWithoutConference: '本季度未召开联席会议',
    year: '年', quarter: '季度', role: '角色', scope: '辖区', close: '关闭', compute: '计算综合评分', publish: '发布红黑榜',
    subject: '人员', action: '操作', since: '起始（ISO 时间）', back: '返回列表',
  },
  en: {
    title: 'Community Governance Platform', signIn: 'Sign in', username: 'Username', password: 'Password',
    otp: 'One-time code (administrators, auditors)', logout: 'Sign out', dashboard: 'Dashboard', cases: 'Cases',
    organisations: 'Party organisations', compounds: 'Compounds', companies: 'Property companies', grids: 'Grids',
    workers: 'Grid workers', teams: 'Volunteer teams', volunteers: 'Volunteers', wishes: 'Micro-wishes', periods: 'Periods',
    composites: 'Composite scores', publications: 'Red/black lists', items: 'Scoring items', gaps: 'Coverage gaps', audit: 'Audit trail',
    coverage: 'Party coverage', compoundCoverage: 'Compounds with a party organisation', companyCoverage: 'Companies covered',
    gridCoverage: 'Grids with a branch', casesByStatus: 'Cases by status', casesByLevel: 'Cases by level',
    resolvedWhere: 'Resolved in grid / community / street', onTime: 'On-time rate', satisfaction: 'Satisfaction',
    volunteerHours: 'Volunteer hours', stars: 'Star ratings', lists: 'Red/black lists', red: 'Red list', black: 'Black list',
    total: 'Total', search: 'Search', next: 'Next page', first: 'First page', create: 'New', save: 'Save', newCase: 'Report a case',
    category: 'Category', titleField: 'Title', details: 'Details', gridCode: 'Grid code', divisionCode: 'Community code',
    source: 'Source', history: 'History', parameter: 'Parameter (assignee / resolution / reason / department / grid code)',
    satisfactionScore: 'Satisfaction 1-5', noData: 'No data', failed: 'Failed', done: 'Done',
    compoundsWithoutBranch: 'Compounds without a party organisation', communitiesWithoutConference: 'No joint conference this quarter',
    year: 'Year', quarter: 'Quarter', role: 'Role', scope: 'Jurisdiction', close: 'Close', compute: 'Compute composites',
    publish: 'Publish lists', subject: 'Subject', action: 'Action', since: 'Since (ISO time)', back: 'Back to the list',
  },
};

let lang = localStorage.getItem('lang') || 'zh';
let session = null;
const t = (key) => (I18N[lang][key] ?? I18N.zh[key] ?? key);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

async function call(service, method, body = {}) {
  const response = await fetch(`/${service}/${method}`, {
    method: 'POST', credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': session?.csrfToken ?? '' },
    body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({ code: 'internal', message: response.statusText }));
  if (!response.ok) throw new Error(`${answer.code}: ${answer.message}`);
  return answer;
}

const main = () => document.getElementById('main');
function show(...nodes) { main().replaceChildren(...nodes); }
function card(title, ...content) { return el('section', { class: 'card' }, el('h2', { text: title }), ...content); }
function message(text, kind = 'error') { return el('p', { class: kind, text }); }

// ---- Charts, drawn as SVG on the page ----

function barChart(id, rows) {
  const width = 400, barHeight = 20, gap = 6, labelWidth = 130;
  const max = Math.max(1, ...rows.map((row) => row.value));
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('class', 'chart');
  svg.setAttribute('id', id);
  svg.setAttribute('width', width);
  svg.setAttribute('height', Math.max(1, rows.length) * (barHeight + gap));
  rows.forEach((row, index) => {
    const y = index * (barHeight + gap);
    const label = document.createElementNS(ns, 'text');
    label.setAttribute('x', 0); label.setAttribute('y', y + 14); label.textContent = row.label;
    const bar = document.createElementNS(ns, 'rect');
    bar.setAttribute('x', labelWidth); bar.setAttribute('y', y);
    bar.setAttribute('width', Math.max(1, (width - labelWidth - 70) * row.value / max)); bar.setAttribute('height', barHeight);
    bar.setAttribute('fill', row.color || '#c62828');
    const value = document.createElementNS(ns, 'text');
    value.setAttribute('x', labelWidth + (width - labelWidth - 70) * row.value / max + 4); value.setAttribute('y', y + 14);
    value.textContent = row.text ?? String(row.value);
    svg.append(label, bar, value);
  });
  if (!rows.length) {
    svg.setAttribute('height', 24);
    const empty = document.createElementNS(ns, 'text');
    empty.setAttribute('x', 0); empty.setAttribute('y', 16); empty.textContent = t('noData');
    svg.append(empty);
  }
  return svg;
}

function gauge(id, label, share) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('class', 'chart'); svg.setAttribute('id', id); svg.setAttribute('width', 150); svg.setAttribute('height', 150);
  const radius = 55, length = 2 * Math.PI * radius, value = Math.max(0, Math.min(1, share || 0));
  for (const [stroke, dash] of [['#eceff1', length], ['#c62828', length * value]]) {
    const circle = document.createElementNS(ns, 'circle');
    circle.setAttribute('cx', 75); circle.setAttribute('cy', 75); circle.setAttribute('r', radius);
    circle.setAttribute('fill', 'none'); circle.setAttribute('stroke', stroke); circle.setAttribute('stroke-width', 14);
    circle.setAttribute('stroke-dasharray', `${dash} ${length}`); circle.setAttribute('transform', 'rotate(-90 75 75)');
    svg.append(circle);
  }
  const text = document.createElementNS(ns, 'text');
  text.setAttribute('x', 75); text.setAttribute('y', 80); text.setAttribute('text-anchor', 'middle');
  text.setAttribute('style', 'font-size:20px;font-weight:bold'); text.textContent = `${(value * 100).toFixed(1)}%`;
  svg.append(text);
  return el('div', {}, svg, el('div', { class: 'legend', text: label }));
}

const shortEnum = (value) => String(value ?? '').replace(/^[A-Z_]*?(STATUS|LEVEL|SOURCE|KIND|STATE|PRIORITY|ROLE)_/, '');

// ---- Dashboard ----

async function dashboard() {
  const scope = session.scope || '';
  const cards = el('div', { class: 'grid' });
  show(el('h2', { text: `${t('dashboard')} · ${t('scope')} ${scope || '*'}` }), cards);
  const add = async (title, build) => {
    const holder = card(title);
    cards.append(holder);
    try { holder.append(await build()); } catch (error) { holder.append(message(`${t('failed')}: ${error.message}`)); }
  };
  await Promise.all([
    add(t('coverage'), async () => {
      const { figures = {} } = await call(S.org, 'GetCoverage', { divisionPrefix: scope });
      return el('div', { class: 'grid' },
        gauge('chart-compound-coverage', t('compoundCoverage'), figures.compoundCoverage),
        gauge('chart-company-coverage', t('companyCoverage'), figures.companyCoverage),
        gauge('chart-grid-coverage', t('gridCoverage'), figures.gridCoverage));
    }),
    add(t('casesByStatus'), async () => {
      const { totals = {} } = await call(S.grid, 'GetCaseStatistics', { divisionPrefix: scope });
      return el('div', {}, el('div', { class: 'figure', text: `${t('total')} ${totals.total ?? 0}` }),
        barChart('chart-case-status', (totals.byStatus || []).map((row) => ({ label: shortEnum(row.status), value: Number(row.count) }))));
    }),
    add(t('casesByLevel'), async () => {
      const { totals = {} } = await call(S.grid, 'GetCaseStatistics', { divisionPrefix: scope });
      return el('div', {},
        barChart('chart-case-level', (totals.byLevel || []).map((row) => ({ label: shortEnum(row.level), value: Number(row.count) }))),
        el('h3', { text: t('resolvedWhere') }),
        barChart('chart-resolved-level', (totals.resolvedByLevel || []).map((row) => ({
          label: shortEnum(row.level), value: row.share || 0, text: `${((row.share || 0) * 100).toFixed(1)}%` }))),
        el('div', { class: 'grid' }, gauge('chart-on-time', t('onTime'), totals.onTimeRate),
          el('div', {}, el('div', { class: 'figure', text: (totals.meanSatisfaction || 0).toFixed(2) }),
            el('div', { class: 'legend', text: t('satisfaction') }))));
    }),
    add(t('volunteerHours'), async () => {
      const totals = await call(S.vol, 'GetServiceTotals', { divisionPrefix: scope });
      return el('div', {}, el('div', { class: 'figure', id: 'volunteer-hours', text: (totals.hours || 0).toFixed(1) }),
        barChart('chart-volunteers', [
          { label: t('volunteers'), value: Number(totals.registeredVolunteers || 0) },
          { label: t('teams'), value: Number(totals.teams || 0) },
          { label: t('wishes'), value: Number(totals.microWishesConfirmed || 0) }]));
    }),
    add(`${t('stars')} · ${t('lists')}`, async () => {
      const { companies = [] } = await call(S.prop, 'ListCompanies', { divisionPrefix: scope, pageSize: 500 });
      const stars = [1, 2, 3, 4, 5].map((star) => ({ label: '★'.repeat(star), value: companies.filter((c) => c.starRating === star).length }));
      const lists = [['LIST_STATUS_RED', t('red'), '#2e7d32'], ['LIST_STATUS_BLACK', t('black'), '#263238']]
        .map(([status, label, color]) => ({ label, color, value: companies.filter((c) => c.listStatus === status).length }));
      return el('div', {}, barChart('chart-stars', stars), barChart('chart-lists', lists));
    }),
  ]);
}

// ---- Generic lists with filters, paging and detail ----

function pick(object, path) { return path.split('.').reduce((value, key) => (value == null ? value : value[key]), object); }

function detailList(record) {
  const list = el('dl', { class: 'detail' });
  for (const [key, value] of Object.entries(record)) {
    list.append(el('dt', { text: key }), el('dd', { text: typeof value === 'object' ? JSON.stringify(value) : String(value) }));
  }
  return list;
}

function listPage(spec) {
  return async () => {
    const filters = el('form', { class: 'filters' });
    for (const filter of spec.filters || []) {
      filters.append(el('label', {}, el('span', { text: filter.label }), el('input', { name: filter.name, value: filter.value?.() ?? '' })));
    }
    filters.append(el('button', { type: 'submit', text: t('search') }));
    const table = el('table', { id: `${spec.id}-table` });
    const pager = el('div', { class: 'actions' });
    const status = el('div');
    const tokens = [''];
    const load = async (token) => {
      const request = { pageSize: 20, pageToken: token };
      for (const input of filters.querySelectorAll('input')) if (input.value) request[input.name] = input.value;
      try {
        const answer = await call(spec.service, spec.method, request);
        const rows = answer[spec.field] || [];
        table.replaceChildren(el('tr', {}, spec.columns.map(([label]) => el('th', { text: label }))));
        for (const row of rows) {
          table.append(el('tr', { class: 'row', onclick: () => (spec.open ? spec.open(row) : show(card(spec.title, detailList(row), backButton(spec)))) },
            spec.columns.map(([, path, format]) => el('td', { text: format ? format(pick(row, path), row) : String(pick(row, path) ?? '') }))));
        }
        if (!rows.length) table.append(el('tr', {}, el('td', { text: t('noData') })));
        pager.replaceChildren(el('button', { class: 'secondary', type: 'button', text: t('first'), onclick: () => load('') }));
        if (answer.nextPageToken) pager.append(el('button', { type: 'button', text: t('next'), onclick: () => load(answer.nextPageToken) }));
        status.replaceChildren();
      } catch (error) { status.replaceChildren(message(error.message)); }
    };
    filters.addEventListener('submit', (event) => { event.preventDefault(); load(tokens[0]); });
    const parts = [card(spec.title, filters, status, table, pager)];
    if (spec.create) parts.unshift(createForm(spec.create, () => load('')));
    show(...parts);
    await load('');
  };
}

const backButton = (spec) => el('button', { class: 'secondary', type: 'button', text: t('back'), onclick: () => navigate(spec.page) });

function createForm(spec, reload) {
  const form = el('form', { id: spec.id });
  const result = el('div');
  for (const field of spec.fields) {
    const input = field.options
      ? el('select', { name: field.name, id: `${spec.id}-${field.name}` }, field.options.map(([value, label]) => el('option', { value, text: label })))
      : el('input', { name: field.name, id: `${spec.id}-${field.name}`, value: field.value ?? '' });
    form.append(el('label', {}, el('span', { text: field.label }), input));
  }
  form.append(el('button', { type: 'submit', id: `${spec.id}-submit`, text: spec.button || t('create') }), result);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const values = Object.fromEntries(new FormData(form).entries());
    try {
      const created = await call(spec.service, spec.method, spec.build(values));
      result.replaceChildren(message(`${t('done')}: ${created.id ?? ''}`, 'ok'));
      if (spec.opened) spec.opened(created); else reload();
    } catch (error) { result.replaceChildren(message(error.message)); }
  });
  return card(spec.title, form);
}

// ---- Cases: the workflow with its history ----

const caseActions = [
  ['AcceptCase', (id) => ({ caseId: id })],
  ['AssignCase', (id, p) => ({ caseId: id, assigneeId: p })],
  ['StartCase', (id) => ({ caseId: id })],
  ['ResolveCase', (id, p) => ({ caseId: id, resolution: p })],
  ['EvaluateCase', (id, p, score) => ({ caseId: id, satisfaction: Number(score), comment: p })],
  ['CloseCase', (id) => ({ caseId: id })],
  ['RejectCase', (id, p) => ({ caseId: id, reason: p })],
  ['ReopenCase', (id, p) => ({ caseId: id, reason: p })],
  ['EscalateCase', (id, p) => ({ caseId: id, department: p, note: '' })],
  ['TransferCase', (id, p) => ({ caseId: id, to: { level: 'CASE_LEVEL_GRID', unitCode: p } })],
];

async function openCase(record) {
  const gridCase = await call(S.grid, 'GetCase', { id: record.id });
  const { events = [] } = await call(S.grid, 'ListCaseEvents', { caseId: record.id, pageSize: 200 });
  const parameter = el('input', { id: 'case-parameter' });
  const score = el('select', { id: 'case-satisfaction' }, [5, 4, 3, 2, 1].map((n) => el('option', { value: n, text: n })));
  const status = el('div', { id: 'case-result' });
  const actions = el('div', { class: 'actions' }, caseActions.map(([method, build]) => el('button', {
    type: 'button', id: `action-${method}`, text: method.replace('Case', ''),
    onclick: async () => {
      try { await call(S.grid, method, build(record.id, parameter.value, score.value)); await openCase(record); }
      catch (error) { status.replaceChildren(message(error.message)); }
    },
  })));
  const history = el('table', { id: 'case-history' }, el('tr', {}, ['time', 'kind', 'from', 'to', 'unit', 'actor', 'note'].map((h) => el('th', { text: h }))),
    events.map((event) => el('tr', {}, [event.eventTime, shortEnum(event.kind), shortEnum(event.fromStatus), shortEnum(event.toStatus),
      `${shortEnum(event.toUnit?.level)} ${event.toUnit?.unitCode ?? ''}`, event.actor, event.note].map((v) => el('td', { text: v ?? '' })))));
  show(card(`${gridCase.title} · ${shortEnum(gridCase.status)}`, el('p', { id: 'case-status', text: shortEnum(gridCase.status) }),
    detailList(gridCase), el('label', {}, el('span', { text: t('parameter') }), parameter),
    el('label', {}, el('span', { text: t('satisfactionScore') }), score), actions, status),
    card(t('history'), history), backButton({ page: 'cases' }));
}

const casesPage = () => listPage({
  id: 'cases', page: 'cases', title: t('cases'), service: S.grid, method: 'ListCases', field: 'cases', open: openCase,
  filters: [{ name: 'divisionPrefix', label: t('scope') }, { name: 'category', label: t('category') }],
  columns: [['id', 'id'], [t('titleField'), 'title'], [t('category'), 'category'], ['status', 'status', shortEnum],
    ['level', 'handler.level', shortEnum], [t('source'), 'source', shortEnum], ['reporter', 'reporter.name']],
  create: {
    id: 'new-case', title: t('newCase'), service: S.grid, method: 'CreateCase', opened: openCase,
    fields: [
      { name: 'source', label: t('source'), options: [['CASE_SOURCE_RESIDENT', '居民上报'], ['CASE_SOURCE_PATROL', '网格巡查'],
        ['CASE_SOURCE_OPINION_COLLECTION', '民意收集'], ['CASE_SOURCE_CONSULTATION_MEETING', '协商议事']] },
      { name: 'category', label: t('category') }, { name: 'title', label: t('titleField') }, { name: 'details', label: t('details') },
      { name: 'gridCode', label: t('gridCode') }, { name: 'divisionCode', label: t('divisionCode') },
    ],
    build: (v) => ({ gridCase: { source: v.source, category: v.category, title: v.title, details: v.details,
      divisionCode: v.divisionCode, location: { gridCode: v.gridCode } } }),
  },
});

// ---- Micro-wishes, evaluation, gaps and audit ----

async function wishAction(row, method, extra) {
  try { await call(S.vol, method, { wishId: row.id, ...extra }); navigate('wishes'); } catch (error) { alert(error.message); }
}

function evaluationPeriods() {
  return listPage({
    id: 'periods', page: 'periods', title: t('periods'), service: S.eval, method: 'ListPeriods', field: 'periods',
    filters: [{ name: 'divisionPrefix', label: t('scope') }],
    columns: [['label', 'label'], ['division', 'divisionCode'], ['kind', 'kind', shortEnum], ['state', 'state', shortEnum]],
    open: (row) => show(card(row.label, detailList(row), el('div', { class: 'actions' },
      ['ClosePeriod', 'ComputeCompositeScores', 'PublishLists'].map((method) => el('button', { type: 'button', text: method,
        onclick: async () => { try { const answer = await call(S.eval, method, { periodId: row.id }); alert(JSON.stringify(answer)); } catch (error) { alert(error.message); } } })))),
      backButton({ page: 'periods' })),
  });
}

async function gaps() {
  const scope = session.scope || '';
  const now = new Date();
  const parts = [];
  try {
    const [{ compounds = [] }, { organisations = [] }] = await Promise.all([
      call(S.prop, 'ListCompounds', { divisionPrefix: scope, pageSize: 500 }),
      call(S.org, 'ListOrganisations', { divisionPrefix: scope, pageSize: 500 })]);
    const covered = new Set(organisations.flatMap((o) => [o.compoundId, ...(o.coveredCompoundIds || [])]).filter(Boolean));
    const missing = compounds.filter((c) => !covered.has(c.id));
    parts.push(card(t('compoundsWithoutBranch'), el('table', { id: 'gap-compounds' },
      missing.map((c) => el('tr', {}, el('td', { text: c.name }), el('td', { text: c.divisionCode }))))));
  } catch (error) { parts.push(card(t('compoundsWithoutBranch'), message(error.message))); }
  try {
    const { gaps = [] } = await call(S.org, 'ListConferenceGaps', {
      divisionPrefix: scope, year: now.getFullYear(), quarter: Math.floor(now.getMonth() / 3) + 1, pageSize: 500 });
    parts.push(card(t('communitiesWithoutConference'), el('table', { id: 'gap-conferences' },
      gaps.map((g) => el('tr', {}, el('td', { text: g.organisationName }), el('td', { text: g.divisionCode }))))));
  } catch (error) { parts.push(card(t('communitiesWithoutConference'), message(error.message))); }
  show(...parts);
}

async function auditTrail() {
  const form = el('form', { class: 'filters' },
    el('label', {}, el('span', { text: t('subject') }), el('input', { name: 'subject' })),
    el('label', {}, el('span', { text: t('action') }), el('input', { name: 'action' })),
    el('label', {}, el('span', { text: t('since') }), el('input', { name: 'since' })),
    el('button', { type: 'submit', text: t('search') }));
  const table = el('table', { id: 'audit-table' });
  const load = async () => {
    const query = new URLSearchParams([...new FormData(form).entries()].filter(([, v]) => v));
    const response = await fetch(`/audit?${query}`, { credentials: 'same-origin' });
    const answer = await response.json();
    if (!response.ok) { table.replaceChildren(el('tr', {}, el('td', { text: `${answer.code}: ${answer.message}` }))); return; }
    table.replaceChildren(el('tr', {}, ['at', 'subject', 'role', 'action', 'target', 'remote', 'result'].map((h) => el('th', { text: h }))),
      answer.entries.map((e) => el('tr', {}, [e.at, e.subject, e.role, e.action, e.target, e.remote, e.result].map((v) => el('td', { text: v })))));
  };
  form.addEventListener('submit', (event) => { event.preventDefault(); load(); });
  show(card(t('audit'), form, table));
  await load();
}

const scopeFilter = () => [{ name: 'divisionPrefix', label: t('scope') }];
// Built on each visit, so that a change of language reaches every label.
const pageList = () => ({
  dashboard,
  cases: casesPage(),
  organisations: listPage({ id: 'organisations', page: 'organisations', title: t('organisations'), service: S.org, method: 'ListOrganisations',
    field: 'organisations', filters: scopeFilter(), columns: [['name', 'name'], ['level', 'level', shortEnum], ['division', 'divisionCode'],
      ['members', 'formalMemberCount']] }),
  compounds: listPage({ id: 'compounds', page: 'compounds', title: t('compounds'), service: S.prop, method: 'ListCompounds', field: 'compounds',
    filters: scopeFilter(), columns: [['name', 'name'], ['division', 'divisionCode'], ['mode', 'managementMode', shortEnum], ['households', 'householdCount']],
    create: { id: 'new-compound', title: `${t('create')} · ${t('compounds')}`, service: S.prop, method: 'CreateCompound',
      fields: [{ name: 'name', label: 'name' }, { name: 'divisionCode', label: t('divisionCode') },
        { name: 'kind', label: 'kind', options: [['COMPOUND_KIND_COMMERCIAL_HOUSING', '商品房'], ['COMPOUND_KIND_OLD', '老旧小区'],
          ['COMPOUND_KIND_RESETTLEMENT', '安置房'], ['COMPOUND_KIND_WORK_UNIT_FAMILY', '单位宿舍']] },
        { name: 'householdCount', label: 'households' }],
      build: (v) => ({ compound: { name: v.name, divisionCode: v.divisionCode, kind: v.kind, householdCount: Number(v.householdCount || 0) } }) } }),
  companies: listPage({ id: 'companies', page: 'companies', title: t('companies'), service: S.prop, method: 'ListCompanies', field: 'companies',
    filters: scopeFilter(), columns: [['name', 'name'], ['★', 'starRating'], ['list', 'listStatus', shortEnum], ['compounds', 'managedCompoundCount']] }),
  grids: listPage({ id: 'grids', page: 'grids', title: t('grids'), service: S.grid, method: 'ListGrids', field: 'grids',
    filters: scopeFilter(), columns: [['code', 'gridCode'], ['name', 'name'], ['kind', 'kind', shortEnum], ['branch', 'branchOrganisationId']] }),
  workers: listPage({ id: 'workers', page: 'workers', title: t('workers'), service: S.grid, method: 'ListGridWorkers', field: 'workers',
    filters: scopeFilter(), columns: [['name', 'name'], ['phone', 'phone'], ['kind', 'kind', shortEnum], ['grids', 'gridCodes', (v) => (v || []).join(' ')]] }),
  teams: listPage({ id: 'teams', page: 'teams', title: t('teams'), service: S.vol, method: 'ListTeams', field: 'teams',
    filters: scopeFilter(), columns: [['name', 'name'], ['kind', 'kind', shortEnum], ['division', 'divisionCode'], ['members', 'memberCount']],
    create: { id: 'new-team', title: `${t('create')} · ${t('teams')}`, service: S.vol, method: 'CreateTeam',
      fields: [{ name: 'name', label: 'name' }, { name: 'divisionCode', label: t('divisionCode') },
        { name: 'kind', label: 'kind', options: [['TEAM_KIND_PARTY_VANGUARD', '党员先锋队'], ['TEAM_KIND_VOLUNTEER_SERVICE', '志愿服务队'],
          ['TEAM_KIND_RED_BUTLER_SQUAD', '红管家先锋突击队'], ['TEAM_KIND_WOMEN', '巾帼'], ['TEAM_KIND_OTHER', '其他']] }],
      build: (v) => ({ team: { name: v.name, divisionCode: v.divisionCode, kind: v.kind } }) } }),
  volunteers: listPage({ id: 'volunteers', page: 'volunteers', title: t('volunteers'), service: S.vol, method: 'ListVolunteers', field: 'volunteers',
    filters: scopeFilter(), columns: [['name', 'contact.name'], ['phone', 'contact.phone'], ['kind', 'kind', shortEnum], ['skills', 'skills', (v) => (v || []).join(' ')]] }),
  wishes: listPage({ id: 'wishes', page: 'wishes', title: t('wishes'), service: S.vol, method: 'ListMicroWishes', field: 'wishes',
    filters: scopeFilter(), columns: [['title', 'title'], ['resident', 'resident.name'], ['state', 'state', shortEnum], ['claimant', 'claimant.name']],
    create: { id: 'new-wish', title: `${t('create')} · ${t('wishes')}`, service: S.vol, method: 'CreateMicroWish',
      fields: [{ name: 'title', label: t('titleField') }, { name: 'category', label: t('category') },
        { name: 'residentName', label: 'resident' }, { name: 'residentPhone', label: 'phone' }, { name: 'divisionCode', label: t('divisionCode') }],
      build: (v) => ({ wish: { title: v.title, category: v.category, divisionCode: v.divisionCode, postedOnBehalf: true,
        resident: { name: v.residentName, phone: v.residentPhone } } }) },
    open: (row) => show(card(row.title, detailList(row), el('div', { class: 'actions' },
      el('button', { type: 'button', text: 'Claim', onclick: () => wishAction(row, 'ClaimMicroWish', {
        claimant: { kind: 'CLAIMANT_KIND_VOLUNTEER', id: prompt('volunteer id') || '' } }) }),
      el('button', { type: 'button', text: 'Fulfil', onclick: () => wishAction(row, 'FulfilMicroWish', { note: prompt('note') || '' }) }),
      el('button', { type: 'button', text: 'Confirm', onclick: () => wishAction(row, 'ConfirmMicroWish', {}) }),
      el('button', { type: 'button', text: 'Cancel', onclick: () => wishAction(row, 'CancelMicroWish', { reason: prompt('reason') || '' }) }))),
      backButton({ page: 'wishes' })) }),
  items: listPage({ id: 'items', page: 'items', title: t('items'), service: S.eval, method: 'ListScoringItems', field: 'items',
    columns: [['code', 'code'], ['name', 'name'], ['use', 'use', shortEnum], ['weight', 'weight'], ['full marks', 'fullMarks']] }),
  periods: evaluationPeriods(),
  composites: listPage({ id: 'composites', page: 'composites', title: t('composites'), service: S.eval, method: 'ListCompositeScores', field: 'scores',
    filters: [{ name: 'periodId', label: 'period id' }], columns: [['rank', 'rank'], ['company', 'companyName'], ['total', 'total'], ['★', 'stars'], ['list', 'listStatus', shortEnum]] }),
  publications: listPage({ id: 'publications', page: 'publications', title: t('publications'), service: S.eval, method: 'ListPublications', field: 'publications',
    columns: [['period', 'periodId'], ['state', 'state', shortEnum], ['companies', 'companyCount'], [t('red'), 'redCount'], [t('black'), 'blackCount']] }),
  gaps,
  audit: auditTrail,
});
const pageNames = Object.keys(pageList());

async function navigate(page) {
  for (const link of document.querySelectorAll('nav a')) link.classList.toggle('active', link.dataset.page === page);
  location.hash = page;
  try { await pageList()[page](); } catch (error) { show(message(error.message)); }
}

function renderShell() {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.getElementById('lang').textContent = lang === 'zh' ? 'English' : '中文';
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  const nav = document.getElementById('nav');
  if (!session) { nav.hidden = true; return; }
  nav.hidden = false;
  document.getElementById('logout').hidden = false;
  document.getElementById('who').textContent = `${session.username ?? session.subject} · ${session.role} · ${session.scope || '*'}`;
  nav.replaceChildren(...pageNames.map((page) => el('a', { href: `#${page}`, 'data-page': page, text: t(page),
    onclick: (event) => { event.preventDefault(); navigate(page); } })));
}

async function signedIn(who) {
  session = who;
  renderShell();
  await navigate(pageNames.includes(location.hash.slice(1)) ? location.hash.slice(1) : 'dashboard');
}

document.addEventListener('DOMContentLoaded', async () => {
  renderShell();
  document.getElementById('lang').addEventListener('click', () => {
    lang = lang === 'zh' ? 'en' : 'zh';
    localStorage.setItem('lang', lang);
    renderShell();
    if (session) navigate(location.hash.slice(1) || 'dashboard');
  });
  document.getElementById('logout').addEventListener('click', async () => {
    await fetch('/auth/logout', { method: 'POST', credentials: 'same-origin', headers: { 'X-CSRF-Token': session?.csrfToken ?? '' } });
    location.reload();
  });
  document.getElementById('login').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = event.target;
    const response = await fetch('/auth/login', {
      method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: form.username.value, password: form.password.value, otp: form.otp.value }),
    });
    const answer = await response.json();
    if (!response.ok) { document.getElementById('login-error').textContent = answer.message; return; }
    await signedIn(answer);
  });
  const me = await fetch('/auth/me', { credentials: 'same-origin' });
  if (me.ok) await signedIn(await me.json());
});
