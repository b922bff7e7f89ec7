'use strict';
// What the console (/console/), the grid worker's app (/m/) and the residents' page (/r/) share,
// loaded before each page's own script: pages built from data with everything a user typed put
// on the page as text (textContent), never as markup; and the words for a refusal's kind.

/**
 * An element: `attrs` are attributes (`text` sets the text, `on<event>` a listener, true an empty
 * attribute; null, undefined and false leave it out); `children` are nodes or text, in any nesting
 * of arrays, null, undefined and false skipped.
 */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === 'text') node.textContent = value;
    else if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** What a refusal means, by its gRPC code (the Connect error's `code`), in Chinese and English. */
const ERROR_CODES = {
  zh: {
    invalid_argument: '输入有误', failed_precondition: '当前状态不允许此操作', permission_denied: '无权进行此操作', not_found: '未找到该记录',
    already_exists: '记录已存在', unauthenticated: '未登录或登录已过期', unavailable: '服务暂不可用，请稍后重试',
    resource_exhausted: '请求过于频繁，请稍后重试', internal: '系统错误', deadline_exceeded: '处理超时', aborted: '操作冲突，请重试',
    unknown: '未知错误', canceled: '已取消', out_of_range: '超出范围', unimplemented: '暂不支持', data_loss: '数据错误',
  },
  en: {
    invalid_argument: 'Invalid input', failed_precondition: 'Not allowed in the current state', permission_denied: 'Not permitted',
    not_found: 'Not found', already_exists: 'Already exists', unauthenticated: 'Not signed in', unavailable: 'Service unavailable, try again',
    resource_exhausted: 'Too many requests', internal: 'Internal error', deadline_exceeded: 'Timed out', aborted: 'Conflict, try again',
    unknown: 'Unknown error', canceled: 'Cancelled', out_of_range: 'Out of range', unimplemented: 'Not supported', data_loss: 'Data error',
  },
};
