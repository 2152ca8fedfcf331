// The one DOM builder of both pages. Text always goes through text nodes / textContent, never HTML.
// null, undefined and false are skipped everywhere (attributes and children), so `cond ? h(…) : null`
// can be passed straight in; arrays of children are flattened.

/** Children worth appending: nested arrays flattened, null/undefined/false dropped, the rest as Nodes. */
function nodes(children) {
  const out = [];
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    out.push(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return out;
}

/** h('span', {class: 'x', text: 'y', dataset: {id: 1}, onclick: fn}, child…) */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  el.append(...nodes(children));
  return el;
}

/** Replace the children of `el` (same skipping rules as h). */
export function fill(el, ...children) {
  el.replaceChildren(...nodes(children));
  return el;
}
