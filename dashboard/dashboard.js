// The ringkv dashboard: reads the server's event stream (GET /events, Server-Sent Events) and
// draws the workers, the ring, repair and handoff, throughput and latency; explains a key
// (GET /explain) and injects faults (POST /admin/…) when the server allows it. Plain browser
// JavaScript with no build step; charts by uPlot (a global from uPlot.iife.min.js).
//
// The stream is read with fetch rather than EventSource, because EventSource cannot send an
// Authorization header: when the server answers 401, the page asks for the password and sends
// it on every request, in the scheme the server's WWW-Authenticate names (Bearer by default;
// Basic with an empty user name, which is the default user).

const HISTORY_POINTS = 300; // five minutes of one-a-second samples
const RECONNECT_MS = 2000;
const ACTIONS = ['kill', 'pause', 'isolate', 'heal'];
const AUTH_STORE = 'ringkv-authorization';

const $ = (selector) => document.querySelector(selector);

const state = {
  hello: null,
  authorization: sessionStorage.getItem(AUTH_STORE),
  authScheme: 'Bearer',
  times: [],
  commandHistory: new Map(), // command → { perS: [], p50: [], p99: [] }
  repairHistory: { pending: [], delivered: [], repaired: [] },
  last: null,
  charts: {},
  chartKeys: {},
  latencyPicked: false,
};

function request(url, init = {}) {
  const headers = new Headers(init.headers);
  if (state.authorization) headers.set('Authorization', state.authorization);
  return fetch(url, { ...init, headers });
}

function showMessage(text) {
  $('#message').textContent = text;
}

function setConnection(text, health) {
  const badge = $('#connection');
  badge.textContent = text;
  badge.className = `badge badge-${health}`;
}

// ---- authentication ----

function askPassword(response) {
  const challenge = response.headers.get('WWW-Authenticate') ?? '';
  state.authScheme = /^\s*basic\b/i.test(challenge) ? 'Basic' : 'Bearer';
  $('#auth-form').hidden = false;
  $('#auth-error').textContent = state.authorization ? 'that password was refused' : '';
  setConnection('needs password', 'suspect');
}

$('#auth-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const password = event.target.elements.password.value;
  state.authorization =
    state.authScheme === 'Basic'
      ? `Basic ${btoa(String.fromCharCode(...new TextEncoder().encode(`:${password}`)))}`
      : `Bearer ${password}`;
  sessionStorage.setItem(AUTH_STORE, state.authorization);
  $('#auth-form').hidden = true;
  connect();
});

// ---- the event stream ----

async function connect() {
  let response;
  try {
    response = await request('/events', { headers: { Accept: 'text/event-stream' } });
  } catch {
    return retry('server unreachable');
  }
  if (response.status === 401) return askPassword(response);
  if (!response.ok || response.body === null) return retry(`/events answered ${response.status}`);
  setConnection('live', 'up');
  showMessage('');
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        handleEvent(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf('\n\n');
      }
    }
  } catch {
    // The connection broke: reconnect below.
  }
  retry('stream ended');
}

function retry(reason) {
  setConnection(`offline (${reason}); retrying`, 'down');
  setTimeout(connect, RECONNECT_MS);
}

function handleEvent(block) {
  let event = 'message';
  let data = '';
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data += line.slice(5).trimStart();
  }
  if (data === '') return;
  const message = JSON.parse(data);
  if (event === 'hello') onHello(message);
  else if (event === 'tick') onTick(message);
}

// ---- workers ----

function workerColor(worker) {
  return `hsl(${(worker * 137.508) % 360} 62% 48%)`;
}

function swatch(worker) {
  const span = document.createElement('span');
  span.className = 'swatch';
  span.style.background = workerColor(worker);
  return span;
}

function onHello(hello) {
  state.hello = hello;
  $('#summary').textContent =
    `v${hello.version} · ${hello.workers} workers · Q=${hello.partitions} partitions · default bucket n=${hello.n} r=${hello.r} w=${hello.w}`;
  for (const cell of document.querySelectorAll('.fault-col')) cell.hidden = !hello.faultInjection;
  $('#fault-note').hidden = hello.faultInjection;
  buildWorkerRows(hello);
  drawRing(hello.owners);
}

function buildWorkerRows(hello) {
  const body = $('#workers tbody');
  body.replaceChildren();
  for (let worker = 0; worker < hello.workers; worker++) {
    const row = document.createElement('tr');
    row.dataset.worker = String(worker);
    const name = document.createElement('td');
    name.append(swatch(worker), String(worker));
    row.append(name);
    for (const field of [
      'health',
      'partitionsOwned',
      'partitionsReplicated',
      'keys',
      'putsPerS',
      'getsPerS',
      'hintsPending',
      'respawns',
    ]) {
      const cell = document.createElement('td');
      cell.dataset.field = field;
      cell.textContent = '–';
      row.append(cell);
    }
    if (hello.faultInjection) row.append(faultButtons(worker));
    body.append(row);
  }
}

function faultButtons(worker) {
  const cell = document.createElement('td');
  const group = document.createElement('div');
  group.className = 'faults';
  for (const action of ACTIONS) {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = action;
    button.dataset.action = action;
    button.dataset.worker = String(worker);
    button.addEventListener('click', () => injectFault(worker, action));
    group.append(button);
  }
  cell.append(group);
  return cell;
}

async function injectFault(worker, action) {
  try {
    const response = await request(`/admin/workers/${worker}/${action}`, { method: 'POST' });
    if (response.status === 401) return askPassword(response);
    if (!response.ok) {
      const body = await response.json().catch(() => null);
      showMessage(`${action} worker ${worker}: ${body?.error?.message ?? response.status}`);
      return;
    }
    // Read the (empty) body: Chromium reports a response left unread as an aborted request.
    await response.text();
    showMessage('');
  } catch (error) {
    showMessage(`${action} worker ${worker}: ${error.message}`);
  }
}

const formatRate = (value) => (value >= 100 ? Math.round(value).toString() : value.toFixed(1));
const formatMs = (value) => (value === null ? '–' : value >= 10 ? value.toFixed(1) : value.toFixed(3));

function updateWorkers(workers) {
  for (const sample of workers) {
    const row = document.querySelector(`#workers tr[data-worker="${sample.worker}"]`);
    if (row === null) continue;
    const cell = (field) => row.querySelector(`[data-field="${field}"]`);
    const health = cell('health');
    health.replaceChildren();
    const badge = document.createElement('span');
    badge.className = `badge badge-${sample.health}`;
    badge.textContent = sample.storage === 'failed' ? `${sample.health}, storage failed` : sample.health;
    health.append(badge);
    cell('partitionsOwned').textContent = sample.partitionsOwned;
    cell('partitionsReplicated').textContent = sample.partitionsReplicated;
    cell('keys').textContent = sample.keys ?? '–';
    cell('putsPerS').textContent = formatRate(sample.putsPerS);
    cell('getsPerS').textContent = formatRate(sample.getsPerS);
    cell('hintsPending').textContent = sample.hintsPending ?? '–';
    cell('respawns').textContent = sample.respawns;
    row.title =
      sample.reportAgeMs !== null && sample.reportAgeMs > 3000
        ? `figures from ${Math.round(sample.reportAgeMs / 1000)} s ago: the worker has not answered since`
        : '';
  }
  for (const [worker, sample] of workers.entries()) {
    for (const wedge of document.querySelectorAll(`#ring path[data-owner="${worker}"]`)) {
      wedge.classList.toggle('not-up', sample.health !== 'up');
    }
  }
}

// ---- the ring ----

const SVG = 'http://www.w3.org/2000/svg';

function drawRing(owners) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '-1.05 -1.05 2.1 2.1');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `ring of ${owners.length} partitions coloured by owner`);
  const step = (2 * Math.PI) / owners.length;
  const point = (radius, angle) =>
    `${(radius * Math.sin(angle)).toFixed(4)} ${(-radius * Math.cos(angle)).toFixed(4)}`;
  owners.forEach((owner, partition) => {
    const from = partition * step;
    const to = from + step;
    const path = document.createElementNS(SVG, 'path');
    path.setAttribute(
      'd',
      `M ${point(1, from)} A 1 1 0 0 1 ${point(1, to)} L ${point(0.62, to)} A 0.62 0.62 0 0 0 ${point(0.62, from)} Z`,
    );
    path.setAttribute('fill', workerColor(owner));
    path.dataset.owner = String(owner);
    const title = document.createElementNS(SVG, 'title');
    title.textContent = `partition ${partition}: owner worker ${owner}`;
    path.append(title);
    svg.append(path);
  });
  const label = document.createElementNS(SVG, 'text');
  label.setAttribute('text-anchor', 'middle');
  label.setAttribute('dominant-baseline', 'middle');
  label.setAttribute('font-size', '0.16');
  label.textContent = `Q = ${owners.length}`;
  svg.append(label);
  $('#ring').replaceChildren(svg);
  const legend = $('#ring-legend');
  legend.replaceChildren();
  const workers = state.hello?.workers ?? 0;
  for (let worker = 0; worker < workers; worker++) {
    const item = document.createElement('span');
    item.append(swatch(worker), `worker ${worker}: ${owners.filter((o) => o === worker).length}`);
    legend.append(item);
  }
}

// ---- history and charts ----

function push(array, value) {
  array.push(value);
  if (array.length > HISTORY_POINTS) array.shift();
}

function onTick(tick) {
  const previous = state.last;
  state.last = tick;
  updateWorkers(tick.workers);
  if (tick.owners) drawRing(tick.owners);
  $('#hints-pending').textContent = tick.handoff.hintsPending;
  $('#hints-stored').textContent = tick.handoff.hintsStored;
  $('#hints-delivered').textContent = tick.handoff.hintsDelivered;
  $('#ae-exchanges').textContent = tick.antiEntropy.exchanges;
  $('#ae-repaired').textContent = tick.antiEntropy.keysRepaired;

  push(state.times, tick.t / 1000);
  const seconds = previous === null ? 1 : Math.max(0.001, (tick.t - previous.t) / 1000);
  const delta = (now, before) => (previous === null ? 0 : Math.max(0, now - before) / seconds);
  push(state.repairHistory.pending, tick.handoff.hintsPending);
  push(
    state.repairHistory.delivered,
    delta(tick.handoff.hintsDelivered, previous?.handoff.hintsDelivered ?? 0),
  );
  push(
    state.repairHistory.repaired,
    delta(tick.antiEntropy.keysRepaired, previous?.antiEntropy.keysRepaired ?? 0),
  );

  const seen = new Set();
  for (const { command, perS, p50Ms, p99Ms } of tick.commands) {
    seen.add(command);
    let history = state.commandHistory.get(command);
    if (history === undefined) {
      const padding = () => new Array(state.times.length - 1).fill(null);
      history = { perS: padding().fill(0), p50: padding(), p99: padding() };
      state.commandHistory.set(command, history);
    }
    push(history.perS, perS);
    push(history.p50, p50Ms);
    push(history.p99, p99Ms);
  }
  for (const [command, history] of state.commandHistory) {
    if (seen.has(command)) continue;
    // Idle: no requests, and no latency to show.
    push(history.perS, 0);
    push(history.p50, null);
    push(history.p99, null);
    // A command idle over the whole window leaves the charts.
    if (history.perS.every((value) => !value)) state.commandHistory.delete(command);
  }
  updateCommandTable(tick.commands);
  drawCharts();
}

function updateCommandTable(commands) {
  const active = commands.filter((c) => c.perS > 0).sort((a, b) => b.perS - a.perS);
  const body = $('#commands tbody');
  body.replaceChildren();
  for (const { command, perS, p50Ms, p99Ms } of active) {
    const row = document.createElement('tr');
    for (const text of [command, formatRate(perS), formatMs(p50Ms), formatMs(p99Ms)]) {
      const cell = document.createElement('td');
      cell.textContent = text;
      row.append(cell);
    }
    body.append(row);
  }
  const select = $('#latency-command');
  const names = [...state.commandHistory.keys()].sort();
  // Until the viewer picks a command, the latency chart follows the busiest one.
  const chosen =
    (state.latencyPicked && names.includes(select.value) ? select.value : active[0]?.command) ?? select.value;
  if (select.options.length !== names.length || names.some((name, i) => select.options[i].value !== name)) {
    select.replaceChildren(...names.map((name) => new Option(name, name)));
  }
  if (chosen) select.value = chosen;
}

$('#latency-command').addEventListener('change', () => {
  state.latencyPicked = true;
  drawCharts();
});

function chartWidth(element) {
  return Math.max(200, element.clientWidth);
}

/** Draws into one chart, making it anew when its series changed (uPlot's series are fixed). */
function plot(id, seriesNames, data, yLabel) {
  const element = $(`#${id}`);
  const key = seriesNames.join('\u0000');
  let chart = state.charts[id];
  if (chart === undefined || state.chartKeys[id] !== key) {
    chart?.destroy();
    const series = [
      {},
      ...seriesNames.map((label, i) => ({ label, stroke: seriesColor(i), width: 1.5, spanGaps: false })),
    ];
    chart = new uPlot(
      {
        width: chartWidth(element),
        height: 200,
        series,
        axes: [{}, { label: yLabel, size: 60 }],
        scales: { x: { time: true } },
        legend: { live: false },
      },
      data,
      element,
    );
    state.charts[id] = chart;
    state.chartKeys[id] = key;
  } else {
    chart.setData(data);
  }
}

function seriesColor(index) {
  const palette = ['#2f6fdf', '#d9480f', '#2b8a3e', '#862e9c', '#c2255c', '#0b7285', '#e67700', '#5c940d'];
  return palette[index % palette.length];
}

function drawCharts() {
  const times = state.times;
  const commands = [...state.commandHistory.keys()].sort();
  plot(
    'chart-throughput',
    commands,
    [times, ...commands.map((c) => state.commandHistory.get(c).perS)],
    'requests/s',
  );
  const chosen = $('#latency-command').value;
  const history = state.commandHistory.get(chosen);
  if (history !== undefined) {
    plot('chart-latency', [`${chosen} p50`, `${chosen} p99`], [times, history.p50, history.p99], 'ms');
  }
  const repair = state.repairHistory;
  plot(
    'chart-repair',
    ['hints pending', 'hints delivered/s', 'keys repaired/s'],
    [times, repair.pending, repair.delivered, repair.repaired],
    '',
  );
}

new ResizeObserver(() => {
  for (const [id, chart] of Object.entries(state.charts)) {
    chart.setSize({ width: chartWidth($(`#${id}`)), height: 200 });
  }
}).observe($('main'));

// ---- explain a key ----

function decodeValue(base64) {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), binary: false };
  } catch {
    return { text: [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' '), binary: true };
  }
}

function formatClock(clock) {
  return clock.map(({ node, counter }) => `${node}:${counter}`).join(', ') || '(empty)';
}

$('#explain-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.target.elements;
  const bucket = form.bucket.value || 'default';
  const key = form.key.value;
  const result = $('#explain-result');
  result.textContent = 'asking…';
  try {
    const response = await request(`/explain/${encodeURIComponent(bucket)}/${encodeURIComponent(key)}`);
    if (response.status === 401) return askPassword(response);
    const body = await response.json();
    if (!response.ok) {
      result.textContent = body.error?.message ?? `answered ${response.status}`;
      return;
    }
    renderExplanation(result, body);
  } catch (error) {
    result.textContent = error.message;
  }
});

function renderExplanation(result, { partition, preferenceList, replicas }) {
  const head = document.createElement('p');
  head.append(`partition ${partition} · preference list: `);
  for (const [i, worker] of preferenceList.entries()) {
    head.append(swatch(worker), `${worker}${i < preferenceList.length - 1 ? ' → ' : ''}`);
  }
  result.replaceChildren(head);
  for (const { worker, workerId, versions } of replicas) {
    const block = document.createElement('div');
    block.className = 'replica';
    block.dataset.worker = String(worker);
    const live = versions.filter((v) => v.value !== null).length;
    const title = document.createElement('div');
    title.append(
      swatch(worker),
      `worker ${worker} (id ${workerId}): ${versions.length === 0 ? 'no record' : `${versions.length} version${versions.length === 1 ? '' : 's'}`}`,
    );
    if (live > 1) title.append(tag(`${live} siblings`));
    block.append(title);
    for (const version of versions) block.append(renderVersion(version));
    result.append(block);
  }
}

function tag(text) {
  const span = document.createElement('span');
  span.className = 'tag';
  span.textContent = text;
  return span;
}

function renderVersion({ value, clock, ts }) {
  const line = document.createElement('div');
  line.className = 'version';
  if (value === null) {
    line.append(tag('tombstone'));
  } else {
    const decoded = decodeValue(value);
    const code = document.createElement('code');
    code.className = 'value';
    code.textContent = decoded.text.length > 200 ? `${decoded.text.slice(0, 200)}…` : decoded.text;
    line.append(code);
    if (decoded.binary) line.append(tag('bytes, hex'));
  }
  line.append(` · clock [${formatClock(clock)}] · ${new Date(ts).toISOString()}`);
  return line;
}

connect();
