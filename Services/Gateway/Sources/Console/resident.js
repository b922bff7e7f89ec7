'use strict';
// The residents' public page (/r/), made for a phone: verify one's mobile number, report a problem
// with photos and a place, follow one's reports, evaluate or reopen them, and post or claim
// micro-wishes (微心愿). Plain DOM; what anybody typed is put on the page as text (textContent),
// never as markup. Enum values are shown by their labels (labels.json), refusals in Chinese
// (errors.json, and the rules of the resident API below). No record id and no division code is
// shown: reports go by their tracking number, places by their names.

/** The language chosen before, where the browser keeps it (some in-app browsers refuse storage). */
const stored = { get: (key) => { try { return localStorage.getItem(key); } catch { return null; } },
  set: (key, value) => { try { localStorage.setItem(key, value); } catch { /* kept for this page only */ } } };
let lang = stored.get('resident-lang') === 'en' ? 'en' : 'zh';
let labels = { enums: {} };
let errorWords = { rules: {}, fields: {}, resources: {} };
/** The verified phone: `{phone: "138****5678", csrfToken}`, or null. */
let session = null;
/** The case categories residents report under: `[{code, name, description}]`. */
let categories = null;
/** The name the resident typed last, offered again in the next form (kept in this page only). */
let lastName = '';

const UI = {
  zh: {
    title: '居民服务', lang: 'English', signOut: '退出', loading: '加载中…', tabReport: '上报问题', tabMine: '办理进度', tabWishes: '微心愿',
    verifyTitle: '验证手机号', verifyWhy: '为便于工作人员联系您、反馈办理结果，请先验证手机号。号码仅向处理人员显示。',
    verifyFor: { report: '上报问题前，请先验证手机号。', mine: '验证手机号后可查看您的上报。', wishes: '发布或认领心愿前，请先验证手机号。' },
    phone: '手机号', phonePlaceholder: '11 位手机号', phoneInvalid: '请输入 11 位内地手机号，以 13 至 19 开头',
    getCode: '获取验证码', resendIn: '{s}后可重新获取', resend: '重新获取', codeSent: '验证码已发送至 {phone}，{m} 分钟内有效。',
    code: '验证码', codePlaceholder: '6 位数字', codeInvalid: '请输入短信中的 6 位数字验证码', verify: '验证并继续', verifying: '验证中…',
    signedIn: '已验证：{phone}', sending: '发送中…',
    reportTitle: '上报问题', category: '问题类别', chooseCategory: '请选择', categoryMissing: '请选择问题类别',
    description: '问题描述', descriptionHint: '请写明具体位置和情况，如“3 栋 2 单元楼道堆放纸箱”', descriptionMissing: '请描述问题',
    name: '您的姓名', nameHint: '对外显示时会隐去姓名', nameMissing: '请填写您的姓名',
    place: '问题位置', useLocation: '使用当前位置', pickCompound: '选择小区', locating: '正在定位…',
    located: '已获取当前位置（精度约 {m} 米）', locatedNoAccuracy: '已获取当前位置', placeMissing: '请使用当前位置，或选择问题所在的小区',
    locationDenied: '无法获取位置：未允许定位。请在手机设置中允许定位，或改为选择小区。',
    locationFailed: '暂时无法获取位置，请稍后重试，或改为选择小区。', locationUnsupported: '此浏览器不支持定位，请选择小区。',
    compoundSearch: '搜索小区', compoundSearchHint: '输入小区名称中的字，如“翠竹”', searching: '搜索中…', noCompound: '没有找到小区，请换个关键词',
    change: '更换', building: '楼栋（可选）', anyBuilding: '不指定楼栋',
    photos: '照片（可选，最多 3 张）', takePhoto: '拍照', choosePhoto: '从相册选择', removePhoto: '删除照片 {n}',
    photoTooBig: '照片“{name}”有 {size}，压缩后仍超过 3 MB 的上限，无法上传。请重新拍摄或选择其他照片。',
    photoType: '“{name}”不是 JPEG、PNG 或 WebP 格式的照片。', photoLimit: '最多上传 3 张照片。',
    submitReport: '提交上报', submitting: '提交中…', submitted: '上报成功',
    trackingNumber: '查询编号', keepNumber: '请保存此编号，可随时凭编号查询办理进度。', copy: '复制编号', copied: '已复制', copyFailed: '请长按编号手动复制',
    viewProgress: '查看办理进度', reportAnother: '继续上报',
    lookupTitle: '按编号查询', lookupLabel: '查询编号', lookupPlaceholder: '如 20261201-00003', lookup: '查询',
    lookupInvalid: '请输入完整的查询编号，如 20261201-00003',
    mineTitle: '我的上报', mineEmpty: '您还没有上报过问题。', mineSignIn: '验证手机号后可查看您上报过的问题。', verifyNow: '验证手机号',
    notFound: '没有找到编号为 {n} 的上报，请核对编号。', refresh: '刷新', detailTitle: '办理进度',
    reportedAt: '上报时间', placeLabel: '地点', reporter: '上报人', resolution: '处理结果', timeline: '办理记录', yourReport: '我的上报',
    evaluation: '我的评价', residentEvaluation: '上报人的评价', evaluateTitle: '评价办理结果', satisfaction: '满意度', comment: '评价意见（可选）',
    satisfactionMissing: '请选择 1 至 5 星', submitEvaluation: '提交评价', evaluated: '感谢您的评价！', stars: '{n} 星',
    reopenTitle: '对结果不满意？', reopenHint: '可在 {time} 前申请重新处理。', reopenReason: '不满意的原因', reopenMissing: '请写明原因',
    reopen: '申请重新处理', reopened: '已申请重新处理，工作人员会尽快跟进。',
    wishesTitle: '微心愿', wishesIntro: '邻里互助：为身边有需要的居民实现一个小心愿。', wishesEmpty: '暂时没有待认领的心愿。',
    postWish: '发布心愿', wishTitle: '心愿', wishTitleHint: '如“帮忙修理漏水的水龙头”', wishDetails: '详细说明', wishCategory: '类别',
    compound: '所在小区', compoundMissing: '请选择所在小区', titleMissing: '请写下您的心愿', wishPosted: '心愿已发布，等待志愿者认领。',
    expires: '有效期至 {date}', claim: '认领', claimConfirm: '确认认领', claimName: '您的姓名', claimNote: '认领后，您将以此姓名登记为志愿者，社区会与您联系。',
    claimed: '认领成功！请按约定帮助完成心愿。', mine: '我发布的', claimedByMe: '我已认领', cancel: '取消', forResident: '心愿人', onlyOpen: '待认领',
    wishCategories: ['生活用品', '维修', '陪伴', '学习辅导', '出行', '上门服务', '政策咨询', '其他'],
    satisfactionWords: ['', '非常不满意', '不满意', '一般', '满意', '非常满意'],
    required: '必填', offline: '网络连接失败，请检查网络后重试。', tooLarge: '上传内容过大，照片每张不能超过 3 MB。', retryIn: '请 {s}后再试',
    sessionEnded: '验证已过期，请重新验证手机号。',
  },
  en: {
    title: 'Resident services', lang: '中文', signOut: 'Sign out', loading: 'Loading…', tabReport: 'Report', tabMine: 'Progress', tabWishes: 'Micro-wishes',
    verifyTitle: 'Verify your phone', verifyWhy: 'So that the staff can reach you and tell you the outcome, verify your mobile number first. Only the staff handling your report see it.',
    verifyFor: { report: 'Verify your phone before reporting.', mine: 'Verify your phone to see your reports.', wishes: 'Verify your phone to post or claim a wish.' },
    phone: 'Mobile number', phonePlaceholder: '11 digits', phoneInvalid: 'Enter an 11-digit mainland mobile number starting with 13 to 19',
    getCode: 'Get a code', resendIn: 'Resend in {s}', resend: 'Send again', codeSent: 'A code was sent to {phone}; it is valid for {m} minutes.',
    code: 'Code', codePlaceholder: '6 digits', codeInvalid: 'Enter the 6-digit code from the text message', verify: 'Verify and continue', verifying: 'Verifying…',
    signedIn: 'Verified: {phone}', sending: 'Sending…',
    reportTitle: 'Report a problem', category: 'Category', chooseCategory: 'Choose', categoryMissing: 'Choose a category',
    description: 'What is wrong', descriptionHint: 'Say where exactly and what you see', descriptionMissing: 'Describe the problem',
    name: 'Your name', nameHint: 'Shown to others only masked', nameMissing: 'Enter your name',
    place: 'Where', useLocation: 'Use my location', pickCompound: 'Choose a compound', locating: 'Locating…',
    located: 'Location found (within about {m} m)', locatedNoAccuracy: 'Location found', placeMissing: 'Use your location or choose the compound',
    locationDenied: 'No location: permission was refused. Allow it in the settings or choose a compound.',
    locationFailed: 'The location could not be found; try again or choose a compound.', locationUnsupported: 'This browser cannot locate you; choose a compound.',
    compoundSearch: 'Search compounds', compoundSearchHint: 'Part of the compound\'s name', searching: 'Searching…', noCompound: 'No compound found; try other words',
    change: 'Change', building: 'Building (optional)', anyBuilding: 'No particular building',
    photos: 'Photos (optional, up to 3)', takePhoto: 'Take a photo', choosePhoto: 'From the album', removePhoto: 'Remove photo {n}',
    photoTooBig: '"{name}" is {size} and still over the 3 MB limit once shrunk. Take or choose another photo.',
    photoType: '"{name}" is not a JPEG, PNG or WebP photo.', photoLimit: 'At most 3 photos.',
    submitReport: 'Submit', submitting: 'Submitting…', submitted: 'Reported',
    trackingNumber: 'Tracking number', keepNumber: 'Keep this number to follow your report at any time.', copy: 'Copy', copied: 'Copied', copyFailed: 'Press and hold the number to copy it',
    viewProgress: 'See its progress', reportAnother: 'Report another',
    lookupTitle: 'Look up a number', lookupLabel: 'Tracking number', lookupPlaceholder: 'e.g. 20261201-00003', lookup: 'Look up',
    lookupInvalid: 'Enter a whole tracking number such as 20261201-00003',
    mineTitle: 'My reports', mineEmpty: 'You have not reported anything yet.', mineSignIn: 'Verify your phone to see the problems you reported.', verifyNow: 'Verify my phone',
    notFound: 'No report numbered {n}; check the number.', refresh: 'Refresh', detailTitle: 'Progress',
    reportedAt: 'Reported', placeLabel: 'Place', reporter: 'Reported by', resolution: 'What was done', timeline: 'Progress', yourReport: 'My report',
    evaluation: 'My evaluation', residentEvaluation: "The reporter's evaluation", evaluateTitle: 'Rate the outcome', satisfaction: 'Satisfaction', comment: 'Comment (optional)',
    satisfactionMissing: 'Choose 1 to 5 stars', submitEvaluation: 'Send', evaluated: 'Thank you for your evaluation!', stars: '{n} stars',
    reopenTitle: 'Not satisfied?', reopenHint: 'You may ask for it to be handled again until {time}.', reopenReason: 'Why not', reopenMissing: 'Say why',
    reopen: 'Ask to handle it again', reopened: 'Asked to handle it again; the staff will follow up.',
    wishesTitle: 'Micro-wishes', wishesIntro: 'Neighbours helping neighbours: make a small wish come true.', wishesEmpty: 'No open wishes at the moment.',
    postWish: 'Post a wish', wishTitle: 'Wish', wishTitleHint: 'e.g. Fix a leaking tap', wishDetails: 'Details', wishCategory: 'Kind',
    compound: 'Compound', compoundMissing: 'Choose your compound', titleMissing: 'Write your wish', wishPosted: 'Posted; waiting for a volunteer.',
    expires: 'Until {date}', claim: 'Claim', claimConfirm: 'Confirm', claimName: 'Your name', claimNote: 'Claiming registers you as a volunteer under this name; the community will contact you.',
    claimed: 'Claimed! Please help as agreed.', mine: 'Mine', claimedByMe: 'Claimed by me', cancel: 'Cancel', forResident: 'For', onlyOpen: 'Open',
    wishCategories: ['生活用品', '维修', '陪伴', '学习辅导', '出行', '上门服务', '政策咨询', '其他'],
    wishCategoryWords: { 生活用品: 'Daily goods', 维修: 'Repairs', 陪伴: 'Company', 学习辅导: 'Tutoring', 出行: 'Getting about', 上门服务: 'Home visits', 政策咨询: 'Advice', 其他: 'Other' },
    satisfactionWords: ['', 'Very dissatisfied', 'Dissatisfied', 'Neutral', 'Satisfied', 'Very satisfied'],
    required: 'required', offline: 'No connection; check the network and try again.', tooLarge: 'Too large to upload: each photo at most 3 MB.', retryIn: 'try again in {s}',
    sessionEnded: 'Your verification expired; verify your phone again.',
  },
};

/** The kinds of refusal, as i18n.js words them for the console. */
const ERROR_KINDS = {
  zh: {
    invalid_argument: '输入有误', failed_precondition: '当前状态不允许此操作', permission_denied: '无权进行此操作', not_found: '未找到该记录',
    already_exists: '记录已存在', unauthenticated: '未验证或验证已过期', unavailable: '服务暂不可用，请稍后重试',
    resource_exhausted: '操作过于频繁', internal: '系统错误，请稍后重试', deadline_exceeded: '处理超时，请重试', aborted: '操作冲突，请重试',
    unknown: '未知错误', canceled: '已取消', out_of_range: '超出范围', unimplemented: '暂不支持', data_loss: '数据错误',
  },
  en: {
    invalid_argument: 'Invalid input', failed_precondition: 'Not allowed now', permission_denied: 'Not permitted', not_found: 'Not found',
    already_exists: 'Already exists', unauthenticated: 'Not verified', unavailable: 'Service unavailable, try again',
    resource_exhausted: 'Too many requests', internal: 'Internal error', deadline_exceeded: 'Timed out', aborted: 'Conflict, try again',
    unknown: 'Unknown error', canceled: 'Cancelled', out_of_range: 'Out of range', unimplemented: 'Not supported', data_loss: 'Data error',
  },
};

/**
 * The resident API's refusals in Chinese, by template (as errors.json keys the services' rules),
 * for the templates errors.json does not hold; errors.json's words win where both do.
 */
const RESIDENT_WORDS = {
  'a mainland mobile (11 digits from 13 to 19) that can receive a text message': '应为能接收短信的 11 位内地手机号（以 13 至 19 开头）',
  'the code is wrong, expired (after 5 minutes) or used up (after 5 tries); ask for a new one':
    '验证码错误、已过期（5 分钟内有效）或已失效（最多尝试 5 次），请重新获取',
  'verify your phone number with a one-time code first': '请先验证手机号',
  'missing or wrong X-CSRF-Token for this session': '页面已过期，请刷新页面后重试',
  "1 to 64 ASCII letters, digits, '-' or '_', the same on every retry": '格式不正确，请刷新页面后重试',
  "is the date and the day's number, e.g. 20261201-00003": '应为上报日期加当日序号，如 20261201-00003',
  'says what is wrong in 1 to {0} characters': '应为 1 至 {0} 个字',
  "send the phone's position (longitude, latitude) or choose a compound": '请使用当前位置或选择小区',
  'longitude and latitude are decimal degrees': '位置格式不正确，请重新定位',
  'is a building of the compound chosen': '应为所选小区的楼栋',
  'is a decimal number of metres': '应为以米为单位的数字',
  'a wish is met by someone else': '不能认领自己发布的心愿',
  'the body is at most {0} bytes of JSON': '内容过长，请删减后重试',
  'at most {0} photos with a report': '每次最多上传 {0} 张照片',
  'is at most {0} bytes (3 MiB)': '每张不能超过 3 MB',
  'is at most {0} bytes (3 MiB) each, at most {1}, in a form of at most {2} bytes': '每张不能超过 3 MB，最多 {1} 张',
  'is a JPEG, PNG or WebP photo, judged by its first bytes': '应为 JPEG、PNG 或 WebP 格式的照片',
  "1 to 50 characters of a compound's name": '请输入小区名称中的 1 至 50 个字',
  'the one-time code cannot be sent now; try again in a minute': '暂时无法发送验证码，请 1 分钟后再试',
  'case {0} was not reported by {1}; a resident acts only on their own': '只有上报人本人可以评价或申请重新处理',
  '{0} claims a wish only as the volunteer registered to them': '只能以本人登记的志愿者身份认领心愿',
};
/** Templates that say all there is without the kind of refusal before them. */
const RESIDENT_WHOLE = new Set([
  'the code is wrong, expired (after 5 minutes) or used up (after 5 tries); ask for a new one',
  'verify your phone number with a one-time code first', 'missing or wrong X-CSRF-Token for this session',
  'the one-time code cannot be sent now; try again in a minute',
]);
const RESIDENT_RESOURCES = { report: '上报', photo: '照片', 'micro-wish': '心愿' };
const RESIDENT_FIELDS = {
  phone: '手机号', code: '验证码', description: '问题描述', name: '姓名', category: '问题类别', photo: '照片', compound_id: '小区',
  building_id: '楼栋', position: '位置', longitude: '位置', latitude: '位置', accuracy: '定位精度', satisfaction: '满意度',
  comment: '评价意见', reason: '原因', title: '心愿', details: '详细说明', tracking_number: '查询编号', q: '搜索内容',
};
/** The rate limits (ResidentAccess): who is counted and what, with `{n}` the number allowed. */
const LIMIT_WORDS = {
  'one-time codes per phone': ['同一手机号', '最多获取 {n} 次验证码'],
  'one-time codes per address': ['同一网络', '最多获取 {n} 次验证码'],
  'reports per phone': ['同一手机号', '最多上报 {n} 次'],
  'reports per address': ['同一网络', '最多上报 {n} 次'],
  'wishes and claims per phone': ['同一手机号', '最多发布或认领 {n} 次心愿'],
  'code checks per address': ['同一网络', '最多验证 {n} 次'],
};

const t = (key, values = {}) => String(UI[lang][key] ?? UI.zh[key] ?? key).replace(/\{(\w+)\}/g, (_, k) => values[k] ?? '');
/** The label of a contract's enum value (labels.json). */
const E = (value) => (value ? labels.enums[value]?.[lang] ?? labels.enums[value]?.zh ?? '' : '');

/** Puts `children` in `node` in place of what it held; null, undefined and false stand for nothing. */
function fill(node, ...children) {
  node.replaceChildren(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
  return node;
}

let uniqueCounter = 0;
const uid = (prefix) => `${prefix}-${++uniqueCounter}`;

/** A labelled control with a slot for its error (and a count for a text area's limit). */
function field(label, input, hint) {
  if (!input.id) input.id = uid('field');
  const error = el('p', { class: 'field-error', id: `${input.id}-error`, role: 'alert' });
  input.setAttribute('aria-describedby', error.id);
  const limit = input.tagName === 'TEXTAREA' && input.maxLength > 0 ? input.maxLength : 0;
  const count = limit ? el('small', { class: 'count', 'aria-live': 'polite', text: `${input.value.length} / ${limit}` }) : null;
  if (count) input.addEventListener('input', () => { count.textContent = `${input.value.length} / ${limit}`; });
  return el('div', { class: 'field' }, el('label', { for: input.id, text: label }), input,
    hint ? el('small', { class: 'hint', text: hint }) : null, count, error);
}

function setFieldError(input, text) {
  const slot = document.getElementById(`${input.id}-error`);
  if (slot) slot.textContent = text || '';
  if (text) {
    input.setAttribute('aria-invalid', 'true');
    // The message goes once the field is changed, not only at the next submit.
    const clear = () => setFieldError(input, '');
    input.addEventListener('input', clear, { once: true });
    input.addEventListener('change', clear, { once: true });
  } else input.removeAttribute('aria-invalid');
}

function clearErrors(form) {
  for (const node of form.querySelectorAll('.field-error')) node.textContent = '';
  for (const node of form.querySelectorAll('[aria-invalid]')) node.removeAttribute('aria-invalid');
  const status = form.querySelector('.form-status');
  if (status) { status.textContent = ''; status.className = 'form-status'; }
}

function setStatus(node, text, kind = 'error') {
  if (!node) return;
  node.className = `form-status ${text ? kind : ''}`;
  node.textContent = text || '';
}

// ---- Calls and their refusals ----

const CODE_OF_STATUS = { 400: 'invalid_argument', 401: 'unauthenticated', 403: 'permission_denied', 404: 'not_found', 409: 'already_exists',
  413: 'invalid_argument', 429: 'resource_exhausted', 503: 'unavailable', 504: 'deadline_exceeded' };

/** A length of time in words: 60 → "1 分钟", 3600 → "1 小时". */
function duration(seconds) {
  const s = Number(seconds);
  const [day, hour, minute] = lang === 'zh' ? [' 天', ' 小时', ' 分钟'] : [' d', ' h', ' min'];
  if (s >= 86400 && s % 86400 === 0) return `${s / 86400}${day}`;
  if (s >= 3600 && s % 3600 === 0) return `${s / 3600}${hour}`;
  if (s >= 60 && s % 60 === 0) return `${s / 60}${minute}`;
  return lang === 'zh' ? `${s} 秒` : `${s} s`;
}
/** How long to wait, in words: seconds up to two minutes, minutes (rounded up) beyond. */
const waitWords = (seconds) => (seconds > 120 ? duration(Math.ceil(seconds / 60) * 60) : duration(seconds));

/** A refusal of the API: its code, the English message, its details and when one may try again. */
class ServiceError extends Error {
  constructor(code, message, details = [], retryAfter = 0, httpStatus = 0) {
    super(message || '');
    this.code = code || 'unknown';
    this.details = Array.isArray(details) ? details : [];
    this.retryAfter = retryAfter;
    this.httpStatus = httpStatus;
    this.info = this.details.find((detail) => detail?.type === 'google.rpc.ErrorInfo')?.debug?.metadata ?? null;
    const split = /^([a-z_][a-z0-9_.[\]]*): /.exec(this.message);
    this.field = this.info?.field ?? split?.[1] ?? '';
  }

  /** The refusal in the page's language; in Chinese never an English word from the service. */
  get text() {
    if (this.code === 'offline') return t('offline');
    const kind = ERROR_KINDS[lang][this.code] ?? ERROR_KINDS[lang].unknown;
    const wait = this.retryAfter > 0 ? t('retryIn', { s: waitWords(this.retryAfter) }) : '';
    if (lang !== 'zh') return [this.message ? `${kind}: ${this.message}` : kind, wait].filter(Boolean).join('; ');
    const whole = this.whole();
    if (whole) return whole;
    const last = this.field.split('.').pop().replace(/\[[^\]]*\]$/, '');
    const name = last ? RESIDENT_FIELDS[last] ?? errorWords.fields[last] ?? '' : '';
    const said = this.said();
    if (said) return `${kind}：${name}${said}`;
    if (this.httpStatus === 413) return t('tooLarge');
    return wait ? `${kind}，${wait}` : kind;
  }

  /** A refusal that reads alone: a rate limit, a wrong code, a missing verification. */
  whole() {
    const limit = /^at most (\d+) (.+?) in (\d+) s; try again in (\d+) s$/.exec(this.message);
    if (limit && LIMIT_WORDS[limit[2]]) {
      const [who, what] = LIMIT_WORDS[limit[2]];
      return `${ERROR_KINDS.zh.resource_exhausted}：${who} ${duration(limit[3])}内${what.replace('{n}', limit[1])}，${t('retryIn', { s: waitWords(limit[4]) })}`;
    }
    const template = this.info?.reason ?? this.info?.rule ?? this.message;
    return RESIDENT_WHOLE.has(template) ? RESIDENT_WORDS[template] : null;
  }

  /** What the service said, in Chinese: from its ErrorInfo's templates, else from its message's rule. */
  said() {
    if (this.info) {
      const parts = [];
      const resource = this.info.resource;
      const thing = resource === undefined ? undefined : RESIDENT_RESOURCES[resource] ?? errorWords.resources[resource];
      if (thing) parts.push(`${thing}${this.code === 'already_exists' ? '已存在' : '不存在'}`);
      for (const key of ['rule', 'reason', 'detail']) {
        const template = this.info[key];
        const words = template === undefined ? undefined : errorWords.rules[template] ?? RESIDENT_WORDS[template];
        if (words !== undefined) parts.push(words.replace(/\{(\d+)\}/g, (_, i) => valueWords(this.info[`${key}_${i}`] ?? '')));
      }
      if (parts.length) return parts.join('：');
    }
    const rule = this.message.replace(/^[a-z_][a-z0-9_.[\]]*: /, '').trim();
    const one = rule ? translateRule(rule) : null;
    if (one !== null) return one;
    // A message may hold several rules ("a; b"): each must be known, or none is shown.
    const said = rule.split(/;\s+/).map(translateRule);
    return rule && said.every((text) => text !== null) ? said.join('；') : null;
  }
}

let ruleTable = null;
/** The Chinese of one English rule, matched against the templates (errors.json's, then the page's). */
function translateRule(rule) {
  if (!ruleTable) {
    const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    ruleTable = Object.entries({ ...RESIDENT_WORDS, ...errorWords.rules }).map(([english, chinese]) =>
      [new RegExp(`^${escape(english).replace(/\\\{\d+\\\}/g, '(.+?)')}$`), chinese]);
  }
  for (const [pattern, chinese] of ruleTable) {
    const found = pattern.exec(rule);
    if (found) return chinese.replace(/\{(\d+)\}/g, (_, i) => valueWords(found[Number(i) + 1] ?? ''));
  }
  return null;
}

/** A value put in a refusal, in words: no division code, an enum value by its label. */
function valueWords(value) {
  const text = String(value).replace(/^'(.*)'$/, '$1');
  if (/^\d{12}(\d{3})?$/.test(text)) return lang === 'zh' ? '所在地区' : 'the area';
  // A record's id means nothing to a resident and is not shown.
  if (/^[a-z]+_[0-9A-Za-z]{6,}$/.test(text) || /^resident:/.test(text)) return '';
  if (labels.enums[text]) return E(text);
  return text;
}

const errorText = (error) => (error instanceof ServiceError ? error.text : t('offline'));

/** One call of the resident API: JSON or a form in, JSON out; a refusal is thrown as a ServiceError. */
async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  let payload;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) { headers['Content-Type'] = 'application/json'; payload = JSON.stringify(body); }
  if (method !== 'GET' && session?.csrfToken) headers['X-CSRF-Token'] = session.csrfToken;
  let response;
  try {
    response = await fetch(path, { method, headers, body: payload, credentials: 'same-origin', cache: 'no-store' });
  } catch {
    throw new ServiceError('offline', '');
  }
  const text = await response.text();
  let answer = {};
  try { answer = text ? JSON.parse(text) : {}; } catch { answer = {}; }
  if (!response.ok) {
    const retry = Number.parseInt(response.headers.get('Retry-After') ?? '', 10);
    throw new ServiceError(answer.code || CODE_OF_STATUS[response.status] || 'unknown', answer.message, answer.details,
      Number.isFinite(retry) ? retry : 0, response.status);
  }
  return answer;
}

/** A fresh idempotency key: a random UUID (also where crypto.randomUUID is missing, on plain HTTP). */
function requestID() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40; bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A call refused for want of a session ends the one the page held: the resident verifies again. */
function sessionLost(error) {
  if (!(error instanceof ServiceError) || error.code !== 'unauthenticated') return false;
  session = null;
  drawHeader();
  notice(t('sessionEnded'));
  route();
  return true;
}

// ---- Time ----

const pad = (n) => String(n).padStart(2, '0');
// Times in the city's clock (Beijing time), as tracking numbers are dated.
const cityClock = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
function formatTime(value) {
  if (!value) return '';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return '';
  const parts = Object.fromEntries(cityClock.formatToParts(date).map((part) => [part.type, part.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}
/** A date as the API sends it: "2026-12-31" or {year, month, day}. */
function formatDate(value) {
  if (!value) return '';
  if (typeof value === 'object') return value.year ? `${value.year}-${pad(value.month)}-${pad(value.day)}` : '';
  return String(value).slice(0, 10);
}
const megabytes = (bytes) => `${(bytes / 1048576).toFixed(1)} MB`;

// ---- The frame: header, tabs, notice ----

const main = () => document.getElementById('main');

function show(...nodes) {
  const node = main();
  fill(node, ...nodes);
  node.removeAttribute('aria-busy');
  window.scrollTo(0, 0);
}

function loading() {
  main().setAttribute('aria-busy', 'true');
  main().replaceChildren(el('p', { class: 'loading', text: t('loading') }));
}

function notice(text) {
  const node = document.getElementById('notice');
  node.textContent = text || '';
  node.hidden = !text;
}

function drawHeader() {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.title = t('title');
  document.getElementById('title').textContent = t('title');
  const toggle = document.getElementById('lang');
  toggle.textContent = t('lang');
  toggle.setAttribute('lang', lang === 'zh' ? 'en' : 'zh-CN');
  const signOut = document.getElementById('signout');
  signOut.textContent = t('signOut');
  signOut.hidden = !session;
  for (const node of document.querySelectorAll('[data-t]')) node.textContent = t(node.dataset.t);
}

function markTab(name) {
  for (const link of document.querySelectorAll('#tabs a')) {
    if (link.dataset.tab === name) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

function heading(text, extra) {
  return el('div', { class: 'page-head' }, el('h2', { tabindex: '-1', text }), extra ?? null);
}

// ---- Routes ----

async function route() {
  notice('');
  const hash = decodeURIComponent(location.hash.replace(/^#\/?/, ''));
  const [name, ...rest] = hash.split('/');
  const arg = rest.join('/');
  try {
    switch (name) {
      case 'mine': markTab('mine'); await drawMine(); break;
      case 'track': markTab('mine'); await drawTrack(arg); break;
      case 'done': markTab('report'); await drawDone(arg); break;
      case 'wishes': markTab('wishes'); await drawWishes(); break;
      default: markTab('report'); await drawReport(); break;
    }
  } catch (error) {
    if (sessionLost(error)) return;
    show(el('p', { class: 'form-status error', role: 'alert', text: errorText(error) }),
      el('button', { type: 'button', class: 'secondary', text: t('refresh'), onclick: () => route() }));
  }
}

// ---- Verifying the phone ----

/** The code last asked for: the masked phone it went to and when it may be asked again. */
const codeState = { phone: '', sentTo: '', resendAt: 0, expiresAt: 0 };
let countdownTimer = null;

function tickCountdown() {
  const button = document.getElementById('get-code');
  const left = Math.ceil((codeState.resendAt - Date.now()) / 1000);
  if (button) {
    if (left > 0) { button.disabled = true; button.textContent = t('resendIn', { s: waitWords(left) }); }
    else { button.disabled = false; button.textContent = codeState.sentTo ? t('resend') : t('getCode'); }
  }
  if (left <= 0 && countdownTimer) { clearInterval(countdownTimer); countdownTimer = null; }
}

function startCountdown(seconds) {
  codeState.resendAt = Date.now() + seconds * 1000;
  if (!countdownTimer) countdownTimer = setInterval(tickCountdown, 1000);
  tickCountdown();
}

/** A mainland mobile number from what was typed: spaces, dashes and +86 dropped; null when none. */
function mobileNumber(text) {
  const digits = String(text).replace(/[\s-]/g, '').replace(/^(\+?86)(?=1\d{10}$)/, '')
    .replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0));
  return /^1[3-9]\d{9}$/.test(digits) ? digits : null;
}

/** The verification form, drawn in place of a page that needs it; `then` runs once verified. */
function verifyForm(purpose, then) {
  const phone = el('input', { type: 'tel', name: 'phone', id: 'phone', inputmode: 'numeric', autocomplete: 'tel', maxlength: 16,
    placeholder: t('phonePlaceholder'), required: true });
  phone.value = codeState.phone;
  const code = el('input', { type: 'text', name: 'code', id: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 6,
    pattern: '[0-9]{6}', placeholder: t('codePlaceholder'), required: true });
  const getCode = el('button', { type: 'button', id: 'get-code', class: 'secondary', text: t('getCode') });
  const sent = el('p', { class: 'hint', id: 'code-sent', 'aria-live': 'polite',
    text: codeState.sentTo ? t('codeSent', { phone: codeState.sentTo, m: Math.max(1, Math.round((codeState.expiresAt - Date.now()) / 60000)) }) : '' });
  const status = el('p', { class: 'form-status', id: 'verify-status', role: 'alert' });
  const submit = el('button', { type: 'submit', id: 'verify', class: 'primary', text: t('verify') });
  const form = el('form', { id: 'verify-form', class: 'card', novalidate: true },
    el('p', { class: 'lead', text: UI[lang].verifyFor[purpose] ?? '' }),
    el('p', { class: 'hint', text: t('verifyWhy') }),
    field(t('phone'), phone),
    el('div', { class: 'code-row' }, field(t('code'), code), getCode),
    sent, status, submit);

  getCode.addEventListener('click', async () => {
    clearErrors(form);
    const number = mobileNumber(phone.value);
    if (!number) { setFieldError(phone, t('phoneInvalid')); phone.focus(); return; }
    codeState.phone = phone.value;
    getCode.disabled = true;
    getCode.textContent = t('sending');
    try {
      const answer = await api('POST', '/resident/code', { phone: number });
      codeState.sentTo = answer.phone || '';
      codeState.expiresAt = Date.now() + (answer.expiresInSeconds || 300) * 1000;
      sent.textContent = t('codeSent', { phone: codeState.sentTo, m: Math.round((answer.expiresInSeconds || 300) / 60) });
      startCountdown(answer.resendAfterSeconds || 60);
      code.focus();
    } catch (error) {
      setStatus(status, errorText(error));
      if (error instanceof ServiceError && error.retryAfter > 0) startCountdown(error.retryAfter);
      else { getCode.disabled = false; tickCountdown(); }
    }
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const number = mobileNumber(phone.value);
    if (!number) { setFieldError(phone, t('phoneInvalid')); phone.focus(); return; }
    const digits = code.value.trim().replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0));
    if (!/^\d{6}$/.test(digits)) { setFieldError(code, t('codeInvalid')); code.focus(); return; }
    submit.disabled = true;
    submit.textContent = t('verifying');
    try {
      session = await api('POST', '/resident/session', { phone: number, code: digits });
      codeState.sentTo = '';
      codeState.resendAt = 0;
      drawHeader();
      await then();
    } catch (error) {
      submit.disabled = false;
      submit.textContent = t('verify');
      setStatus(status, errorText(error));
      code.select();
    }
  });
  setTimeout(tickCountdown, 0);
  return el('section', { 'aria-labelledby': 'verify-heading' },
    el('div', { class: 'page-head' }, el('h2', { id: 'verify-heading', tabindex: '-1', text: t('verifyTitle') })), form);
}

// ---- Places: the compound search and the phone's position ----

/**
 * A compound picker: a search box whose answers are buttons; once one is picked, its name with a
 * button to change it and, when `withBuilding`, a choice of its buildings. `state` holds
 * `{compound: {id, name, community}, building}` across redraws.
 */
function compoundPicker(state, { withBuilding = false, idPrefix = 'compound', label = t('compoundSearch'), title = '', onChange = () => {} } = {}) {
  const holder = el('div', { class: 'picker', id: `${idPrefix}-picker` });
  const draw = () => {
    if (state.compound) {
      const chosen = el('div', { class: 'chosen' },
        el('div', { class: 'chosen-text' }, el('strong', { id: `${idPrefix}-chosen`, text: state.compound.name }),
          state.compound.community ? el('small', { text: state.compound.community }) : null),
        el('button', { type: 'button', class: 'secondary small', id: `${idPrefix}-change`, text: t('change'),
          onclick: () => { state.compound = null; state.building = ''; state.buildings = null; draw(); onChange(); document.getElementById(`${idPrefix}-search`)?.focus(); } }));
      fill(holder, title ? el('p', { class: 'picker-title', text: title }) : null, chosen);
      if (withBuilding) {
        const select = el('select', { id: `${idPrefix}-building`, name: 'building_id' }, el('option', { value: '', text: t('anyBuilding') }));
        const fill = () => {
          for (const building of state.buildings ?? []) {
            select.append(el('option', { value: building.id, text: building.name, selected: building.id === state.building }));
          }
        };
        select.addEventListener('change', () => { state.building = select.value; });
        holder.append(field(t('building'), select));
        if (state.buildings) fill();
        else {
          const forCompound = state.compound.id;
          api('GET', `/resident/compounds/${encodeURIComponent(forCompound)}/buildings`).then((answer) => {
            if (state.compound?.id !== forCompound) return;
            state.buildings = answer.buildings ?? [];
            fill();
          }).catch(() => { state.buildings = []; });
        }
      }
      return;
    }
    const search = el('input', { type: 'search', id: `${idPrefix}-search`, name: 'compound_search', autocomplete: 'off',
      enterkeyhint: 'search', placeholder: t('compoundSearchHint') });
    const results = el('ul', { class: 'results', id: `${idPrefix}-results`, 'aria-live': 'polite' });
    let timer = null;
    let asked = '';
    const find = async () => {
      const q = search.value.trim();
      if (!q) { results.replaceChildren(); return; }
      asked = q;
      results.replaceChildren(el('li', { class: 'hint', text: t('searching') }));
      try {
        const answer = await api('GET', `/resident/compounds?q=${encodeURIComponent(q)}`);
        if (asked !== q) return;
        const compounds = answer.compounds ?? [];
        results.replaceChildren(...(compounds.length ? compounds.map((compound) => el('li', {},
          el('button', { type: 'button', class: 'result', onclick: () => { state.compound = compound; state.building = ''; state.buildings = null; draw(); onChange(); } },
            el('strong', { text: compound.name }), compound.community ? el('small', { text: compound.community }) : null)))
          : [el('li', { class: 'hint', text: t('noCompound') })]));
      } catch (error) {
        if (asked === q) results.replaceChildren(el('li', { class: 'form-status error', text: errorText(error) }));
      }
    };
    search.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(find, 300); });
    // On a phone the keyboard takes the lower half: the box goes to the top, its answers below it.
    search.addEventListener('focus', () => search.scrollIntoView({ block: 'start', behavior: 'smooth' }));
    search.addEventListener('keydown', (event) => { if (event.key === 'Enter') { event.preventDefault(); clearTimeout(timer); find(); } });
    holder.replaceChildren(field(label, search), results);
  };
  draw();
  return holder;
}

// ---- Reporting a problem ----

/** The report being written, kept while the resident verifies or moves between tabs. */
const draft = {
  category: '', description: '', name: '', mode: '', position: null, locating: false, place: { compound: null, building: '', buildings: null },
  photos: [], requestId: null,
};

async function ensureCategories() {
  if (!categories) categories = (await api('GET', '/resident/categories')).categories ?? [];
  return categories;
}

async function drawReport() {
  if (!session) { show(verifyForm('report', drawReport)); return; }
  loading();
  await ensureCategories();
  if (!draft.name) draft.name = lastName;
  const category = el('select', { name: 'category', id: 'category', required: true },
    el('option', { value: '', text: t('chooseCategory') }),
    categories.map((c) => el('option', { value: c.code, text: c.name, selected: c.code === draft.category })));
  const categoryHint = el('small', { class: 'hint', id: 'category-hint', text: categories.find((c) => c.code === draft.category)?.description ?? '' });
  category.addEventListener('change', () => {
    draft.category = category.value;
    categoryHint.textContent = categories.find((c) => c.code === category.value)?.description ?? '';
  });
  const description = el('textarea', { name: 'description', id: 'description', rows: 4, maxlength: 2000, required: true,
    placeholder: t('descriptionHint') });
  description.value = draft.description;
  description.addEventListener('input', () => { draft.description = description.value; });
  const name = el('input', { name: 'name', id: 'reporter-name', maxlength: 50, autocomplete: 'name', required: true });
  name.value = draft.name;
  name.addEventListener('input', () => { draft.name = name.value; });

  const categoryField = field(t('category'), category);
  categoryField.insertBefore(categoryHint, categoryField.querySelector('.field-error'));
  const status = el('p', { class: 'form-status', id: 'report-status', role: 'alert' });
  const submit = el('button', { type: 'submit', id: 'submit-report', class: 'primary', text: t('submitReport') });
  const form = el('form', { id: 'report-form', class: 'card', novalidate: true },
    categoryField,
    field(t('description'), description),
    placeChooser(),
    photoChooser(),
    field(t('name'), name, t('nameHint')),
    status, submit);
  form.addEventListener('submit', (event) => { event.preventDefault(); submitReport(form, submit, status); });
  show(heading(t('reportTitle'), el('span', { class: 'who', text: t('signedIn', { phone: session.phone }) })), form);
}

/** 问题位置: the phone's position, or a compound (and building) picked by name. */
function placeChooser() {
  const box = el('fieldset', { class: 'place', id: 'place' });
  const draw = () => {
    const useHere = el('button', { type: 'button', id: 'use-location', class: draft.mode === 'position' ? 'choice on' : 'choice',
      'aria-pressed': String(draft.mode === 'position'), text: t('useLocation'), onclick: locate });
    const pick = el('button', { type: 'button', id: 'pick-compound', class: draft.mode === 'compound' ? 'choice on' : 'choice',
      'aria-pressed': String(draft.mode === 'compound'), text: t('pickCompound'),
      onclick: () => { draft.mode = 'compound'; draw(); document.getElementById('place-search')?.focus(); } });
    const status = el('p', { class: 'place-status', id: 'location-status', 'aria-live': 'polite' });
    if (draft.mode === 'position') {
      if (draft.locating) status.textContent = t('locating');
      else if (draft.position) {
        status.className = 'place-status ok';
        status.textContent = draft.position.accuracy ? t('located', { m: Math.round(draft.position.accuracy) }) : t('locatedNoAccuracy');
      } else if (draft.locationError) { status.className = 'place-status error'; status.textContent = draft.locationError; }
    }
    fill(box, el('legend', { text: t('place') }), el('div', { class: 'choices' }, useHere, pick), status,
      draft.mode === 'compound' ? compoundPicker(draft.place, { withBuilding: true, idPrefix: 'place' }) : null,
      el('p', { class: 'field-error', id: 'place-error', role: 'alert' }));
  };
  const locate = () => {
    draft.mode = 'position';
    draft.locationError = '';
    if (!navigator.geolocation) { draft.locationError = t('locationUnsupported'); draw(); return; }
    draft.locating = true;
    draw();
    navigator.geolocation.getCurrentPosition((position) => {
      draft.locating = false;
      draft.position = { longitude: position.coords.longitude, latitude: position.coords.latitude, accuracy: position.coords.accuracy };
      draw();
    }, (error) => {
      draft.locating = false;
      draft.position = null;
      draft.locationError = error.code === 1 ? t('locationDenied') : t('locationFailed');
      draw();
    }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
  };
  draw();
  return box;
}

const PHOTO_TYPES = ['image/jpeg', 'image/png', 'image/webp'];
const PHOTO_LIMIT = 3 * 1024 * 1024;
/** The longest side a photo is sent with: enough to see a crack or a number plate. */
const PHOTO_SIDE = 2048;

/**
 * A phone camera's photo is often larger than the 3 MB the platform takes: such a photo (or one
 * over 2048 px) is redrawn at most 2048 px on its longest side as a JPEG, which also leaves its
 * metadata behind. Resolves to the file to send, or null when it cannot be made small enough.
 */
async function shrink(file) {
  let bitmap;
  try { bitmap = await createImageBitmap(file); } catch { return file.size <= PHOTO_LIMIT ? file : null; }
  const scale = Math.min(1, PHOTO_SIDE / Math.max(bitmap.width, bitmap.height));
  if (scale === 1 && file.size <= PHOTO_LIMIT) { bitmap.close(); return file; }
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(bitmap.width * scale));
  canvas.height = Math.max(1, Math.round(bitmap.height * scale));
  canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.85));
  if (!blob || blob.size > PHOTO_LIMIT) return null;
  return new File([blob], file.name.replace(/\.[^.]*$/, '') + '.jpg', { type: 'image/jpeg' });
}

/** Up to three photos: taken with the camera or chosen from the album, each shown small with a remove button. */
function photoChooser() {
  const box = el('fieldset', { class: 'photos', id: 'photos' });
  const draw = (message = '') => {
    const camera = el('input', { type: 'file', id: 'photo-camera', name: 'photo', accept: 'image/*', capture: 'environment', class: 'file-input' });
    const album = el('input', { type: 'file', id: 'photo-album', name: 'photo_album', accept: 'image/jpeg,image/png,image/webp', multiple: true, class: 'file-input' });
    const full = draft.photos.length >= 3;
    const add = async (input) => {
      const refused = [];
      for (const chosen of [...input.files]) {
        if (draft.photos.length >= 3) { refused.push(t('photoLimit')); break; }
        if (chosen.type && !PHOTO_TYPES.includes(chosen.type)) { refused.push(t('photoType', { name: chosen.name })); continue; }
        const file = await shrink(chosen);
        if (!file) { refused.push(t('photoTooBig', { name: chosen.name, size: megabytes(chosen.size) })); continue; }
        const photo = { file, preview: '' };
        draft.photos.push(photo);
        const reader = new FileReader();
        reader.addEventListener('load', () => {
          photo.preview = String(reader.result);
          const img = document.querySelector(`img[data-photo="${draft.photos.indexOf(photo)}"]`);
          if (img) img.src = photo.preview;
        });
        reader.readAsDataURL(file);
      }
      draw(refused.join(' '));
    };
    camera.addEventListener('change', () => add(camera));
    album.addEventListener('change', () => add(album));
    const list = el('ul', { class: 'thumbs', id: 'photo-list' }, draft.photos.map((photo, index) => el('li', {},
      el('img', { src: photo.preview || null, alt: photo.file.name, 'data-photo': index }),
      el('button', { type: 'button', class: 'remove', 'aria-label': t('removePhoto', { n: index + 1 }), text: '×',
        onclick: () => { draft.photos.splice(index, 1); draw(); } }))));
    fill(box, el('legend', { text: t('photos') }),
      draft.photos.length ? list : null,
      full ? null : el('div', { class: 'choices' },
        el('label', { class: 'choice file', for: camera.id }, camera, el('span', { text: t('takePhoto') })),
        el('label', { class: 'choice file', for: album.id }, album, el('span', { text: t('choosePhoto') }))),
      el('p', { class: 'field-error', id: 'photo-error', role: 'alert', text: message }));
  };
  draw();
  return box;
}

async function submitReport(form, submit, status) {
  clearErrors(form);
  document.getElementById('place-error').textContent = '';
  let first = null;
  const need = (ok, input, text) => { if (!ok) { setFieldError(input, text); first ??= input; } };
  need(draft.category, form.querySelector('#category'), t('categoryMissing'));
  need(draft.description.trim(), form.querySelector('#description'), t('descriptionMissing'));
  const placeOK = (draft.mode === 'position' && draft.position) || (draft.mode === 'compound' && draft.place.compound);
  if (!placeOK) { document.getElementById('place-error').textContent = t('placeMissing'); first ??= document.getElementById('use-location'); }
  need(draft.name.trim(), form.querySelector('#reporter-name'), t('nameMissing'));
  if (first) { first.focus(); return; }

  draft.requestId ??= requestID();
  const body = new FormData();
  body.append('request_id', draft.requestId);
  body.append('category', draft.category);
  body.append('description', draft.description.trim());
  body.append('name', draft.name.trim());
  if (draft.mode === 'position') {
    body.append('longitude', String(draft.position.longitude));
    body.append('latitude', String(draft.position.latitude));
    if (draft.position.accuracy) body.append('accuracy', String(Math.round(draft.position.accuracy)));
  } else {
    body.append('compound_id', draft.place.compound.id);
    if (draft.place.building) body.append('building_id', draft.place.building);
  }
  for (const photo of draft.photos) body.append('photo', photo.file, photo.file.name);
  submit.disabled = true;
  submit.textContent = t('submitting');
  try {
    const report = await api('POST', '/resident/reports', body);
    lastName = draft.name.trim();
    Object.assign(draft, { category: '', description: '', mode: '', position: null, photos: [], requestId: null,
      place: { compound: null, building: '', buildings: null } });
    shownReport = report;
    location.hash = `#done/${report.trackingNumber}`;
  } catch (error) {
    submit.disabled = false;
    submit.textContent = t('submitReport');
    if (sessionLost(error)) return;
    const input = { category: '#category', description: '#description', name: '#reporter-name' }[error.field];
    if (input && lang === 'zh' && error.said()) setFieldError(form.querySelector(input), error.text);
    else if (['photo', 'photos'].includes(error.field.replace(/\[.*$/, ''))) document.getElementById('photo-error').textContent = error.text;
    else if (['longitude', 'latitude', 'compound_id', 'building_id'].includes(error.field)) document.getElementById('place-error').textContent = error.text;
    setStatus(status, error.text);
  }
}

/** The report the last answer brought, so the next page need not ask for it again. */
let shownReport = null;

async function drawDone(number) {
  const report = shownReport?.trackingNumber === number ? shownReport : null;
  const copied = el('p', { class: 'hint', id: 'copy-status', 'aria-live': 'polite' });
  const copy = el('button', { type: 'button', id: 'copy-number', class: 'secondary', text: t('copy'),
    onclick: () => copyText(number, copied) });
  show(el('section', { class: 'card done' },
    el('div', { class: 'done-mark', 'aria-hidden': 'true', text: '✓' }),
    el('h2', { tabindex: '-1', text: t('submitted') }),
    el('p', { class: 'label', text: t('trackingNumber') }),
    el('p', { class: 'tracking', id: 'tracking-number', text: number }),
    copy, copied,
    el('p', { class: 'hint', text: t('keepNumber') }),
    report?.status ? el('p', { class: 'status-line' }, statusBadge(report.status)) : null,
    el('a', { class: 'button primary', id: 'view-progress', href: `#track/${number}`, text: t('viewProgress') }),
    el('a', { class: 'button secondary', href: '#report', text: t('reportAnother') })));
}

async function copyText(text, status) {
  try {
    await navigator.clipboard.writeText(text);
    status.textContent = t('copied');
  } catch {
    // Without the clipboard API (plain HTTP), the old way; failing that, the resident copies by hand.
    const area = el('textarea', { readonly: true, 'aria-hidden': 'true', class: 'offscreen', tabindex: '-1' });
    area.value = text;
    document.body.append(area);
    area.select();
    let done = false;
    try { done = document.execCommand('copy'); } catch { done = false; }
    area.remove();
    window.getSelection()?.removeAllRanges();
    status.textContent = done ? t('copied') : t('copyFailed');
  }
}

// ---- Following reports ----

const OPEN_STATUSES = ['CASE_STATUS_REPORTED', 'CASE_STATUS_ACCEPTED', 'CASE_STATUS_ASSIGNED', 'CASE_STATUS_IN_PROGRESS', 'CASE_STATUS_REOPENED'];
function statusBadge(status) {
  const kind = OPEN_STATUSES.includes(status) ? 'open' : status === 'CASE_STATUS_REJECTED' ? 'closed' : 'done';
  return el('span', { class: `badge ${kind}`, id: 'report-status-badge', text: E(status) });
}

const TRACKING = /^\d{8}-\d{5}$/;
/** A tracking number from what was typed: full-width digits and dashes made plain, spaces dropped. */
function trackingNumber(text) {
  const plain = String(text).replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0))
    .replace(/[－—–]/g, '-').replace(/\s/g, '');
  const withDash = /^\d{13}$/.test(plain) ? `${plain.slice(0, 8)}-${plain.slice(8)}` : plain;
  return TRACKING.test(withDash) ? withDash : null;
}

function lookupForm() {
  const input = el('input', { type: 'text', id: 'lookup-number', name: 'tracking_number', inputmode: 'numeric', autocomplete: 'off',
    placeholder: t('lookupPlaceholder'), maxlength: 20 });
  const form = el('form', { id: 'lookup-form', class: 'card lookup', novalidate: true },
    el('div', { class: 'inline' }, field(t('lookupLabel'), input), el('button', { type: 'submit', id: 'lookup', class: 'primary', text: t('lookup') })));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    const number = trackingNumber(input.value);
    if (!number) { setFieldError(input, t('lookupInvalid')); input.focus(); return; }
    location.hash = `#track/${number}`;
  });
  return el('section', { 'aria-labelledby': 'lookup-heading' }, el('h2', { id: 'lookup-heading', class: 'sub', text: t('lookupTitle') }), form);
}

async function drawMine() {
  const lookup = lookupForm();
  if (!session) {
    show(lookup, el('section', { class: 'card' }, el('h2', { class: 'sub', text: t('mineTitle') }),
      el('p', { class: 'hint', text: t('mineSignIn') }),
      el('button', { type: 'button', id: 'verify-for-mine', class: 'primary', text: t('verifyNow'),
        onclick: () => show(verifyForm('mine', () => route())) })));
    return;
  }
  loading();
  const { reports = [] } = await api('GET', '/resident/reports');
  const list = el('ul', { class: 'reports', id: 'my-reports' }, reports.map((report) => el('li', {},
    el('a', { href: `#track/${report.trackingNumber}`, class: 'report-row' },
      el('span', { class: 'row-top' }, el('strong', { text: report.categoryName || report.title || '' }), statusBadge(report.status)),
      el('span', { class: 'row-text', text: report.description || report.title || '' }),
      el('small', { text: `${report.trackingNumber} · ${formatTime(report.reportTime)}` })))));
  show(lookup, el('section', {}, el('h2', { class: 'sub', text: t('mineTitle') }),
    reports.length ? list : el('p', { class: 'card hint', text: t('mineEmpty') })));
}

async function drawTrack(number) {
  const plain = trackingNumber(number);
  if (!plain) { location.hash = '#mine'; return; }
  loading();
  let report;
  try {
    report = await api('GET', `/resident/reports/${encodeURIComponent(plain)}`);
  } catch (error) {
    if (error instanceof ServiceError && error.code === 'not_found') {
      show(lookupForm(), el('p', { class: 'card form-status error', role: 'alert', id: 'not-found', text: t('notFound', { n: plain }) }));
      return;
    }
    throw error;
  }
  shownReport = report;
  drawReportDetail(report);
}

/** Where a case stands, in the four steps residents know: reported, accepted, handled, resolved. */
function progressSteps(status) {
  const steps = ['CASE_STATUS_REPORTED', 'CASE_STATUS_ACCEPTED', 'CASE_STATUS_IN_PROGRESS', 'CASE_STATUS_RESOLVED'];
  const at = { CASE_STATUS_REPORTED: 0, CASE_STATUS_REOPENED: 0, CASE_STATUS_ACCEPTED: 1, CASE_STATUS_ASSIGNED: 1, CASE_STATUS_IN_PROGRESS: 2,
    CASE_STATUS_RESOLVED: 3, CASE_STATUS_EVALUATED: 3, CASE_STATUS_CLOSED: 3 }[status];
  if (at === undefined) return null;
  return el('ol', { class: 'steps', 'aria-label': t('timeline') }, steps.map((step, index) =>
    el('li', { class: index < at ? 'past' : index === at ? 'now' : '', 'aria-current': index === at ? 'step' : null, text: E(step) })));
}

function stars(n) {
  return el('span', { class: 'stars', 'aria-label': t('stars', { n }) },
    el('span', { class: 'on', 'aria-hidden': 'true', text: '★'.repeat(n) }), el('span', { class: 'off', 'aria-hidden': 'true', text: '★'.repeat(5 - n) }));
}

function drawReportDetail(report) {
  const refresh = el('button', { type: 'button', class: 'secondary small', id: 'refresh', text: t('refresh'), onclick: () => route() });
  const facts = el('dl', { class: 'facts' },
    el('dt', { text: t('trackingNumber') }), el('dd', { id: 'report-number', text: report.trackingNumber }),
    el('dt', { text: t('reportedAt') }), el('dd', { text: formatTime(report.reportTime) }),
    report.place ? [el('dt', { text: t('placeLabel') }), el('dd', { id: 'report-place', text: report.place })] : null,
    el('dt', { text: t('reporter') }), el('dd', { id: 'report-reporter', text: [report.reporter?.name, report.reporter?.phone].filter(Boolean).join(' ') }));
  const photos = (report.photos ?? []).length ? el('ul', { class: 'thumbs', id: 'report-photos' }, report.photos.map((photo) =>
    el('li', {}, el('a', { href: photo.url, target: '_blank', rel: 'noopener' }, el('img', { src: photo.url, alt: photo.name || '', loading: 'lazy' }))))) : null;
  const summary = el('section', { class: 'card' },
    el('div', { class: 'row-top' }, el('h2', { tabindex: '-1', id: 'report-title', text: report.categoryName || report.title || '' }), statusBadge(report.status)),
    report.mine ? el('p', { class: 'tag', text: t('yourReport') }) : null,
    progressSteps(report.status),
    el('p', { class: 'description', id: 'report-description', text: report.description || '' }),
    photos, facts);
  const resolution = report.resolution ? el('section', { class: 'card' }, el('h3', { text: t('resolution') }),
    el('p', { class: 'description', id: 'report-resolution', text: report.resolution })) : null;
  const evaluation = report.evaluation?.satisfaction ? el('section', { class: 'card', id: 'report-evaluation' }, el('h3', { text: report.mine ? t('evaluation') : t('residentEvaluation') }),
    el('p', {}, stars(report.evaluation.satisfaction), ' ', el('span', { text: UI[lang].satisfactionWords[report.evaluation.satisfaction] ?? '' })),
    report.evaluation.comment ? el('p', { class: 'description', text: report.evaluation.comment }) : null) : null;
  const timeline = [...(report.timeline ?? [])].reverse();
  const history = el('section', { class: 'card' }, el('h3', { text: t('timeline') }),
    el('ol', { class: 'timeline', id: 'report-timeline' }, timeline.map((step) => el('li', {},
      el('span', { class: 'when', text: formatTime(step.time) }),
      el('strong', { text: E(step.kind) || E(step.status) }),
      step.note ? el('span', { class: 'note', text: step.note }) : null))));
  show(heading(t('detailTitle'), refresh), summary, resolution, evaluation, report.mayEvaluate ? evaluationForm(report) : null,
    report.mayReopen ? reopenForm(report) : null, history, lookupForm());
}

function evaluationForm(report) {
  let chosen = 0;
  const requestId = requestID();
  const status = el('p', { class: 'form-status', id: 'evaluation-status', role: 'alert' });
  const words = el('p', { class: 'hint', id: 'satisfaction-words', 'aria-live': 'polite' });
  const group = el('div', { class: 'star-pick', role: 'radiogroup', 'aria-labelledby': 'satisfaction-legend' });
  for (let n = 1; n <= 5; n++) {
    const input = el('input', { type: 'radio', name: 'satisfaction', value: n, id: `star-${n}`, class: 'star-input' });
    input.addEventListener('change', () => {
      chosen = n;
      setStatus(status, '');
      words.textContent = `${t('stars', { n })} · ${UI[lang].satisfactionWords[n]}`;
      for (const label of group.querySelectorAll('label')) label.classList.toggle('on', Number(label.dataset.n) <= n);
    });
    group.append(input, el('label', { for: input.id, 'data-n': n, title: UI[lang].satisfactionWords[n] },
      el('span', { 'aria-hidden': 'true', text: '★' }), el('span', { class: 'offscreen', text: t('stars', { n }) })));
  }
  const comment = el('textarea', { name: 'comment', id: 'evaluation-comment', rows: 3, maxlength: 500 });
  const submit = el('button', { type: 'submit', id: 'submit-evaluation', class: 'primary', text: t('submitEvaluation') });
  const form = el('form', { class: 'card', id: 'evaluation-form', novalidate: true },
    el('h3', { text: t('evaluateTitle') }),
    el('fieldset', { class: 'plain' }, el('legend', { id: 'satisfaction-legend', text: t('satisfaction') }), group, words),
    field(t('comment'), comment), status, submit);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    if (!chosen) { setStatus(status, t('satisfactionMissing')); return; }
    submit.disabled = true;
    try {
      const updated = await api('POST', `/resident/reports/${encodeURIComponent(report.trackingNumber)}/evaluation`,
        { request_id: requestId, satisfaction: chosen, comment: comment.value.trim() });
      shownReport = updated;
      drawReportDetail(updated);
      notice('');
      main().prepend(el('p', { class: 'card form-status ok', role: 'status', id: 'evaluated', text: t('evaluated') }));
    } catch (error) {
      submit.disabled = false;
      if (!sessionLost(error)) setStatus(status, errorText(error));
    }
  });
  return form;
}

function reopenForm(report) {
  const requestId = requestID();
  const reason = el('textarea', { name: 'reason', id: 'reopen-reason', rows: 3, maxlength: 500 });
  const status = el('p', { class: 'form-status', id: 'reopen-status', role: 'alert' });
  const submit = el('button', { type: 'submit', id: 'submit-reopen', class: 'secondary', text: t('reopen') });
  const form = el('form', { class: 'card', id: 'reopen-form', novalidate: true },
    el('h3', { text: t('reopenTitle') }),
    report.reopenUntil ? el('p', { class: 'hint', text: t('reopenHint', { time: formatTime(report.reopenUntil) }) }) : null,
    field(t('reopenReason'), reason), status, submit);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    if (!reason.value.trim()) { setFieldError(reason, t('reopenMissing')); reason.focus(); return; }
    submit.disabled = true;
    try {
      const updated = await api('POST', `/resident/reports/${encodeURIComponent(report.trackingNumber)}/reopen`,
        { request_id: requestId, reason: reason.value.trim() });
      shownReport = updated;
      drawReportDetail(updated);
      main().prepend(el('p', { class: 'card form-status ok', role: 'status', id: 'reopened', text: t('reopened') }));
    } catch (error) {
      submit.disabled = false;
      if (!sessionLost(error)) setStatus(status, errorText(error));
    }
  });
  return form;
}

// ---- Micro-wishes ----

const wishCategory = (category) => (lang === 'en' ? UI.en.wishCategoryWords[category] ?? category : category);

async function drawWishes(message = '') {
  loading();
  const { wishes = [] } = await api('GET', '/resident/wishes');
  const open = wishes.filter((wish) => wish.state === 'MICRO_WISH_STATE_OPEN' || wish.mine || wish.claimedByMe);
  const post = el('button', { type: 'button', id: 'post-wish', class: 'primary', text: t('postWish'),
    onclick: () => {
      if (!session) { show(verifyForm('wishes', () => drawWishForm())); return; }
      drawWishForm();
    } });
  show(heading(t('wishesTitle')), el('p', { class: 'hint', text: t('wishesIntro') }),
    message ? el('p', { class: 'card form-status ok', role: 'status', id: 'wish-message', text: message }) : null,
    post,
    open.length ? el('ul', { class: 'wishes', id: 'wish-list' }, open.map(wishCard)) : el('p', { class: 'card hint', text: t('wishesEmpty') }));
}

function wishCard(wish) {
  const state = wish.state === 'MICRO_WISH_STATE_OPEN' ? 'open' : 'done';
  const item = el('li', { class: 'card wish', 'data-wish': wish.id },
    el('div', { class: 'row-top' }, el('strong', { class: 'wish-title', text: wish.title }),
      el('span', { class: `badge ${state}`, text: E(wish.state) })),
    el('p', { class: 'meta' }, wish.category ? el('span', { class: 'tag', text: wishCategory(wish.category) }) : null,
      wish.compound ? el('span', { text: wish.compound }) : null,
      wish.resident?.name ? el('span', { text: `${t('forResident')}：${wish.resident.name}` }) : null),
    wish.details ? el('p', { class: 'description', text: wish.details }) : null,
    wish.expireDate ? el('small', { class: 'hint', text: t('expires', { date: formatDate(wish.expireDate) }) }) : null);
  const actions = el('div', { class: 'actions' });
  if (wish.mine) actions.append(el('span', { class: 'tag', text: t('mine') }));
  if (wish.claimedByMe) actions.append(el('span', { class: 'tag ok', text: t('claimedByMe') }));
  if (!wish.mine && !wish.claimedByMe && wish.state === 'MICRO_WISH_STATE_OPEN') {
    actions.append(el('button', { type: 'button', class: 'primary claim', text: t('claim'),
      onclick: () => {
        if (!session) { show(verifyForm('wishes', () => drawWishes())); return; }
        actions.replaceChildren(claimForm(wish, actions));
      } }));
  }
  item.append(actions);
  return item;
}

function claimForm(wish, actions) {
  const requestId = requestID();
  const name = el('input', { name: 'name', id: uid('claim-name'), maxlength: 50, autocomplete: 'name', required: true });
  name.value = lastName;
  const status = el('p', { class: 'form-status', role: 'alert' });
  const submit = el('button', { type: 'submit', class: 'primary', text: t('claimConfirm') });
  const form = el('form', { class: 'claim-form', novalidate: true }, field(t('claimName'), name, t('claimNote')), status,
    el('div', { class: 'pair' }, el('button', { type: 'button', class: 'secondary', text: t('cancel'),
      onclick: () => actions.parentElement.replaceWith(wishCard(wish)) }), submit));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    if (!name.value.trim()) { setFieldError(name, t('nameMissing')); name.focus(); return; }
    submit.disabled = true;
    try {
      await api('POST', `/resident/wishes/${encodeURIComponent(wish.id)}/claim`, { request_id: requestId, name: name.value.trim() });
      lastName = name.value.trim();
      await drawWishes(t('claimed'));
    } catch (error) {
      submit.disabled = false;
      if (!sessionLost(error)) setStatus(status, errorText(error));
    }
  });
  setTimeout(() => name.focus(), 0);
  return form;
}

function drawWishForm() {
  const requestId = requestID();
  const place = { compound: null, building: '', buildings: null };
  const title = el('input', { name: 'title', id: 'wish-title', maxlength: 50, required: true, placeholder: t('wishTitleHint') });
  const details = el('textarea', { name: 'details', id: 'wish-details', rows: 3, maxlength: 500 });
  const category = el('select', { name: 'category', id: 'wish-category' },
    UI.zh.wishCategories.map((word) => el('option', { value: word, text: wishCategory(word) })));
  const name = el('input', { name: 'name', id: 'wish-name', maxlength: 50, autocomplete: 'name', required: true });
  name.value = lastName;
  const compoundBox = el('div', { id: 'wish-compound' }, compoundPicker(place, { idPrefix: 'wish-compound', label: t('compound'), title: t('compound') }),
    el('p', { class: 'field-error', id: 'wish-compound-error', role: 'alert' }));
  const status = el('p', { class: 'form-status', id: 'wish-status', role: 'alert' });
  const submit = el('button', { type: 'submit', id: 'submit-wish', class: 'primary', text: t('postWish') });
  const form = el('form', { class: 'card', id: 'wish-form', novalidate: true },
    field(t('wishTitle'), title), field(t('wishCategory'), category), field(t('wishDetails'), details), compoundBox,
    field(t('name'), name, t('nameHint')), status,
    el('div', { class: 'pair' }, el('a', { class: 'button secondary', href: '#wishes', text: t('cancel'), onclick: (event) => { event.preventDefault(); drawWishes(); } }), submit));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    document.getElementById('wish-compound-error').textContent = '';
    let first = null;
    if (!title.value.trim()) { setFieldError(title, t('titleMissing')); first ??= title; }
    if (!place.compound) { document.getElementById('wish-compound-error').textContent = t('compoundMissing'); first ??= document.getElementById('wish-compound-search'); }
    if (!name.value.trim()) { setFieldError(name, t('nameMissing')); first ??= name; }
    if (first) { first.focus(); return; }
    submit.disabled = true;
    try {
      await api('POST', '/resident/wishes', { request_id: requestId, title: title.value.trim(), details: details.value.trim(),
        category: category.value, name: name.value.trim(), compound_id: place.compound.id });
      lastName = name.value.trim();
      await drawWishes(t('wishPosted'));
    } catch (error) {
      submit.disabled = false;
      if (!sessionLost(error)) setStatus(status, errorText(error));
    }
  });
  show(heading(t('postWish')), form);
  title.focus();
}

// ---- Start ----

async function start() {
  document.getElementById('lang').addEventListener('click', () => {
    lang = lang === 'zh' ? 'en' : 'zh';
    stored.set('resident-lang', lang);
    drawHeader();
    route();
  });
  document.getElementById('signout').addEventListener('click', async () => {
    await api('POST', '/resident/session/end', {}).catch(() => null);
    session = null;
    drawHeader();
    route();
  });
  const [labelFile, errorFile, current] = await Promise.all([
    fetch('/r/labels.json').then((r) => r.json()).catch(() => null),
    fetch('/r/errors.json').then((r) => r.json()).catch(() => null),
    api('GET', '/resident/session').catch(() => null),
  ]);
  if (labelFile?.enums) labels = labelFile;
  if (errorFile?.rules) errorWords = errorFile;
  session = current?.csrfToken ? current : null;
  drawHeader();
  window.addEventListener('hashchange', route);
  // A tab tapped again draws its page afresh (the hash does not change, so no hashchange comes).
  for (const link of document.querySelectorAll('#tabs a')) {
    link.addEventListener('click', (event) => {
      if (link.getAttribute('href') === location.hash) { event.preventDefault(); route(); }
    });
  }
  await route();
}

document.addEventListener('DOMContentLoaded', start);
