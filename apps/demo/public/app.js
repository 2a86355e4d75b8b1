/* global document, window, WebSocket, fetch, setTimeout */
// The dashboard page: draws the state the server pushes over /ws, and posts actions to /api/action.
// Plain browser JavaScript, no build step and no library: every asset comes from the demo's own server.
'use strict';

const COLORS = [
  '#4e79a7',
  '#f28e2b',
  '#59a14f',
  '#e15759',
  '#b07aa1',
  '#76b7b2',
  '#edc948',
  '#ff9da7',
  '#9c755f',
];
const $ = (id) => document.getElementById(id);
const esc = (s) =>
  String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );
const short = (address) => (address ? address.replace(/^troupe:\/\/[^@]*@/, '') : '');

function connect() {
  const ws = new WebSocket(`ws://${window.location.host}/ws`);
  ws.onopen = () => setConnection(true);
  ws.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.type === 'state') render(message.state);
  };
  ws.onclose = () => {
    setConnection(false);
    setTimeout(connect, 1000);
  };
}

function setConnection(ok) {
  const el = $('connection');
  el.textContent = ok ? 'connected' : 'disconnected';
  el.className = `value ${ok ? 'good' : 'bad'}`;
}

function nodeIndexOf(s, address) {
  const n = s.nodes.find((x) => x.address === address);
  return n ? n.index : undefined;
}

function render(s) {
  renderSummary(s);
  renderNodes(s);
  renderMembers(s);
  renderCacheNodes(s);
  renderKeys(s);
  renderRates(s);
  renderLinks(s);
  renderTrees(s);
  renderRecent(s);
  renderEvents(s);
}

function renderSummary(s) {
  $('member-count').textContent = String(s.upMembers);
  const leader = $('leader');
  if (s.leader) {
    leader.textContent = `node ${s.leader.index} (${short(s.leader.address)})`;
    leader.dataset.index = String(s.leader.index);
    leader.dataset.address = s.leader.address;
  } else {
    leader.textContent = 'none';
    delete leader.dataset.index;
    delete leader.dataset.address;
  }
  leader.title = s.leader
    ? `by ${s.leader.source === 'election' ? 'leader election' : 'cluster membership'}`
    : '';
  $('term').textContent = s.leader && s.leader.term !== undefined ? String(s.leader.term) : '–';
  $('singleton').textContent = s.singletonOn.length ? s.singletonOn.map((i) => `node ${i}`).join(', ') : '–';
}

const ACTIONS = [
  ['kill', 'kill -9'],
  ['restart', 'restart'],
  ['partition', 'partition'],
  ['crash-worker', 'crash a worker'],
];

/** A node's card is made once and then updated in place, so that a button is never replaced under the mouse. */
function nodeCard(index) {
  let card = document.querySelector(`article.node[data-node="${index}"]`);
  if (card) return card;
  card = document.createElement('article');
  card.dataset.node = String(index);
  card.style.setProperty('--color', COLORS[index % COLORS.length]);
  card.innerHTML = `<h3><span class="swatch"></span>node ${index} <span class="dim port"></span><span class="badges"></span></h3>
    <dl></dl>
    <div class="buttons">${ACTIONS.map(
      ([action, label]) => `<button data-action="${action}" data-node="${index}">${label}</button>`,
    ).join('')}</div>`;
  $('nodes').appendChild(card);
  return card;
}

function renderNodes(s) {
  for (const n of s.nodes) {
    const st = n.status;
    const isLeader = s.leader && s.leader.index === n.index;
    const role = st && st.election.available ? st.election.value.role : isLeader ? 'leader' : '';
    const keys = st && st.cache.available ? st.cache.value.keys : undefined;
    const running = n.state === 'running' || n.state === 'starting';
    const rows = [
      ['process', running ? `pid ${n.pid ?? '…'}` : `${n.state}${n.lastExit ? ` (${n.lastExit})` : ''}`],
      ['member', st ? st.cluster.selfStatus : '–'],
      ['role', role || '–'],
      ['msgs/s', running ? n.rate.toFixed(0) : '–'],
      ['keys', keys !== undefined ? String(keys) : st && !st.cache.available ? 'n/a' : '–'],
      ['dead letters', st ? String(st.counters.deadLetters) : '–'],
      ['incarnation', st ? st.incarnation.slice(0, 8) : '–'],
    ];
    const ticker = st && st.election.available ? st.election.value.singleton : undefined;
    if (ticker) rows.push(['singleton', `token ${ticker.token}, ${ticker.ticks} ticks`]);
    if (st && st.blocked.length) rows.push(['blocked', st.blocked.map((b) => b.split(':')[1]).join(' ')]);
    const card = nodeCard(n.index);
    card.className = `node ${n.state} ${isLeader ? 'leader' : ''} ${n.partitioned ? 'partitioned' : ''}`;
    card.dataset.state = n.state;
    card.querySelector('.port').textContent = `:${n.port}`;
    card.querySelector('.badges').innerHTML =
      (isLeader ? '<span class="badge">leader</span>' : '') +
      (n.partitioned ? '<span class="badge warn">partitioned</span>' : '') +
      (s.singletonOn.includes(n.index) ? '<span class="badge alt">singleton</span>' : '');
    let dl = rows.map(([k, v]) => `<dt>${k}</dt><dd>${esc(v)}</dd>`).join('');
    if (st && st.metrics.available)
      dl += `<dt>metrics</dt><dd><a href="${esc(st.metrics.value.url)}" target="_blank">/metrics</a></dd>`;
    const list = card.querySelector('dl');
    if (list.innerHTML !== dl) list.innerHTML = dl;
    const enabled = {
      kill: running,
      restart: !running,
      partition: running && !n.partitioned,
      'crash-worker': n.state === 'running',
    };
    for (const button of card.querySelectorAll('button[data-action]')) {
      if (button.dataset.pending !== 'true') button.disabled = !enabled[button.dataset.action];
    }
  }
}

function renderMembers(s) {
  const from = s.viewFrom !== undefined ? s.nodes[s.viewFrom] : undefined;
  $('members-from').textContent = from ? `as node ${from.index} sees them` : '';
  const members = from && from.status ? from.status.cluster.members : [];
  $('members').innerHTML = members
    .map((m) => {
      const i = nodeIndexOf(s, m.address);
      return `<tr class="${m.reachable ? '' : 'unreachable'}">
        <td><span class="swatch" style="--color:${COLORS[i % COLORS.length]}"></span>node ${i} ${esc(short(m.address))}</td>
        <td>${esc(m.status)}</td><td>${m.reachable ? 'yes' : 'no'}</td><td>${m.upNumber || ''}</td></tr>`;
    })
    .join('');
}

function renderCacheNodes(s) {
  const select = $('cache-node');
  const wanted = s.nodes.map((n) => `${n.index}`).join(',');
  if (select.dataset.nodes !== wanted) {
    const selected = select.value;
    select.innerHTML = s.nodes.map((n) => `<option value="${n.index}">node ${n.index}</option>`).join('');
    if (selected) select.value = selected;
    select.dataset.nodes = wanted;
  }
}

function renderKeys(s) {
  const svg = $('keys-chart');
  const values = s.nodes.map((n) =>
    n.status && n.status.cache.available ? n.status.cache.value.keys : null,
  );
  if (values.every((v) => v === null)) {
    const reason = s.nodes
      .map((n) => n.status && !n.status.cache.available && n.status.cache.reason)
      .find(Boolean);
    svg.innerHTML = `<text x="200" y="60" text-anchor="middle" class="na">not available${reason ? `: ${esc(reason)}` : ''}</text>`;
    return;
  }
  const max = Math.max(1, ...values.map((v) => v || 0));
  const w = 400 / values.length;
  svg.innerHTML = values
    .map((v, i) => {
      const h = v === null ? 0 : (v / max) * 78;
      return `<rect x="${i * w + 8}" y="${100 - h}" width="${w - 16}" height="${h}" fill="${COLORS[i % COLORS.length]}"/>
        <text x="${i * w + w / 2}" y="${96 - h}" text-anchor="middle">${v === null ? '–' : v}</text>
        <text x="${i * w + w / 2}" y="115" text-anchor="middle" class="dim">node ${i}</text>`;
    })
    .join('');
}

function renderRates(s) {
  const svg = $('rate-chart');
  const series = s.history.perNode;
  const n = s.history.t.length;
  const max = Math.max(10, ...series.flat().filter((v) => v !== null));
  const x = (i) => (n <= 1 ? 0 : (i / (n - 1)) * 380) + 10;
  const y = (v) => 150 - (v / max) * 135;
  const lines = series.map((values, node) => {
    let d = '';
    values.forEach((v, i) => {
      if (v === null) return;
      d += `${d && values[i - 1] !== null ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
    });
    return `<path d="${d}" fill="none" stroke="${COLORS[node % COLORS.length]}" stroke-width="1.5"/>`;
  });
  svg.innerHTML =
    `<line x1="10" y1="150" x2="390" y2="150" class="axis"/>` +
    `<text x="12" y="12" class="dim">${Math.round(max)}/s</text>` +
    `<text x="388" y="158" text-anchor="end" class="dim">last ${Math.round((n * 0.5) | 0)} s</text>` +
    lines.join('');
  $('rate-legend').innerHTML = s.nodes
    .map(
      (node) =>
        `<span><span class="swatch" style="--color:${COLORS[node.index % COLORS.length]}"></span>node ${node.index}: ${
          node.state === 'running' ? node.rate.toFixed(0) : node.state
        }</span>`,
    )
    .join('');
}

function renderLinks(s) {
  const svg = $('links-chart');
  const count = s.nodes.length;
  const pos = s.nodes.map((_, i) => {
    const a = (i / count) * 2 * Math.PI - Math.PI / 2;
    return [130 + 95 * Math.cos(a), 130 + 95 * Math.sin(a)];
  });
  const max = Math.max(1, ...s.links.map((l) => l.rate));
  const edges = s.links.map((l) => {
    const [x1, y1] = pos[l.from];
    const [x2, y2] = pos[l.to];
    // Offset each direction a little so that both are visible.
    const dx = y2 - y1;
    const dy = x1 - x2;
    const len = Math.hypot(dx, dy) || 1;
    const o = 4;
    return `<line x1="${x1 + (dx / len) * o}" y1="${y1 + (dy / len) * o}" x2="${x2 + (dx / len) * o}" y2="${y2 + (dy / len) * o}"
      stroke="${COLORS[l.from % COLORS.length]}" stroke-opacity="0.75" stroke-width="${(1 + (l.rate / max) * 6).toFixed(1)}">
      <title>node ${l.from} → node ${l.to}: ${l.rate.toFixed(1)} msgs/s</title></line>`;
  });
  const nodes = s.nodes.map((n, i) => {
    const [cx, cy] = pos[i];
    const up = n.state === 'running';
    return `<g class="${up ? '' : 'down'}"><circle cx="${cx}" cy="${cy}" r="16" fill="${up ? COLORS[i % COLORS.length] : '#bbb'}"/>
      <text x="${cx}" y="${cy + 4}" text-anchor="middle" class="on-dark">${i}</text></g>`;
  });
  svg.innerHTML = edges.join('') + nodes.join('');
}

function renderTree(node, depth) {
  const mailbox = ` <span class="mailbox${node.mailbox > 0 ? ' full' : ''}">[${node.mailbox}]</span>`;
  const status = node.status !== 'alive' ? ` <span class="actor-status">${esc(node.status)}</span>` : '';
  const self =
    depth === 0
      ? ''
      : `<li style="padding-left:${(depth - 1) * 12}px">${esc(node.name)}${mailbox}${status}</li>`;
  return self + node.children.map((c) => renderTree(c, depth + 1)).join('');
}

function renderTrees(s) {
  $('trees').innerHTML = s.nodes
    .map(
      (
        n,
      ) => `<div class="tree"><h3><span class="swatch" style="--color:${COLORS[n.index % COLORS.length]}"></span>node ${n.index}</h3>
      ${n.status ? `<ul>${renderTree(n.status.actorTree, 0)}</ul>` : `<p class="dim">${esc(n.state)}</p>`}</div>`,
    )
    .join('');
}

function time(t) {
  return new Date(t).toLocaleTimeString([], { hour12: false });
}

function renderRecent(s) {
  const all = [];
  for (const n of s.nodes) if (n.status) for (const e of n.status.recent) all.push({ ...e, node: n.index });
  all.sort((a, b) => b.t - a.t);
  $('recent').innerHTML =
    all
      .slice(0, 40)
      .map(
        (e) =>
          `<li class="${e.kind}"><span class="dim">${time(e.t)}</span> node ${e.node} <b>${esc(e.kind)}</b> ${esc(e.text)}</li>`,
      )
      .join('') || '<li class="dim">none yet: try “crash a worker”, or kill a node</li>';
}

function renderEvents(s) {
  $('events').innerHTML = [...s.events]
    .reverse()
    .map((e) => `<li><span class="dim">${time(e.t)}</span> ${esc(e.text)}</li>`)
    .join('');
}

async function act(body) {
  $('action-error').textContent = '';
  const res = await fetch('/api/action', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = await res.json();
  if (!answer.ok) throw new Error(`${answer.code}: ${answer.error}`);
  return answer.result;
}

document.addEventListener('click', (event) => {
  const button = event.target.closest('button[data-action]');
  if (!button) return;
  const body = { action: button.dataset.action };
  if (button.dataset.node !== undefined) body.node = Number(button.dataset.node);
  button.disabled = true;
  button.dataset.pending = 'true';
  act(body)
    .catch((e) => ($('action-error').textContent = e.message))
    .finally(() => delete button.dataset.pending);
});

function cacheAction(action) {
  const body = {
    action,
    node: Number($('cache-node').value || 0),
    key: $('cache-key').value,
    consistency: $('cache-consistency').value,
  };
  if (action === 'put') body.value = $('cache-value').value;
  const out = $('cache-result');
  out.textContent = `${action} ${body.key}…`;
  out.className = 'result';
  delete out.dataset.ok;
  delete out.dataset.value;
  act(body).then(
    (r) => {
      out.className = `result ${r.ok ? 'good' : 'bad'}`;
      const what =
        action === 'put'
          ? `put ${r.key} = ${JSON.stringify(body.value)}`
          : r.found
            ? `get ${r.key} → ${JSON.stringify(r.value)}`
            : `get ${r.key} → not found`;
      out.textContent = r.ok
        ? `${what} via node ${r.node}, ${body.consistency}, ${r.ms} ms`
        : `${action} failed via node ${r.node}: ${r.error}`;
      out.dataset.value = r.value ?? '';
      out.dataset.ok = String(r.ok);
    },
    (e) => {
      out.className = 'result bad';
      out.textContent = e.message;
      out.dataset.ok = 'false';
    },
  );
}

$('cache-put').addEventListener('click', () => cacheAction('put'));
$('cache-get').addEventListener('click', () => cacheAction('get'));
$('cache-form').addEventListener('submit', (e) => e.preventDefault());

connect();
