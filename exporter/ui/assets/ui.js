// The live page of evonic-sandbox-exporter. It only reads the REST endpoints (every 5 s; the
// history every minute) and draws them: the pool at /ui/, one agent at /ui/agents/<agent_id>.
// Everything from an answer goes into the page as text (textContent), never parsed as HTML.
// Figures are the answers' own strings where they have them, so they read as the REST API does.
'use strict';

(function main() {
  const REFRESH_MS = 5000;
  const HISTORY_REFRESH_MS = 60000;
  const HOUR_S = 3600;
  const STALE_MS = 3 * REFRESH_MS; // no new figures for this long: the banner says so
  const TOOLS = ['bash', 'python', 'other'];

  const $ = (id) => document.getElementById(id);
  const agentMatch = location.pathname.match(/\/ui\/agents\/([^/]+)$/);
  const agentId = agentMatch ? decodeURIComponent(agentMatch[1]) : null;
  const enc = encodeURIComponent;
  // Relative to <base> (/ui/), so that a proxy's path prefix is kept.
  // Credentials in the address (user:pass@host/ui/) would make fetch() refuse the URL; the
  // browser sends them anyway once the page is open.
  const api = (path) => {
    const url = new URL('../api/' + path, document.baseURI);
    url.username = '';
    url.password = '';
    return url.toString();
  };
  const liveUrl = agentId ? api(`agents/${enc(agentId)}/sandbox/stats`) : api('sandbox/stats');

  const state = {
    data: null, // the last 200 answer
    lastOk: 0, // when it came (Date.now())
    problem: null, // what went wrong with the last request, as a sentence
    history: null, // {points} | {off: message} | {error: message}
  };

  // --- small DOM helpers ------------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined) continue;
      if (k === 'class') e.className = v;
      else e.setAttribute(k, v);
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c);
    return e;
  }

  const svgNs = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs) {
    const e = document.createElementNS(svgNs, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    return e;
  }

  function clockTime(ms) {
    return new Date(ms).toLocaleTimeString([], { hour12: false });
  }

  // --- figures ----------------------------------------------------------------------------
  const cpuText = (p) => (p === null || p === undefined ? '--' : `${p.toFixed(2)}%`);
  // measured: false says the entry's figures are stand-ins (0) until the sandbox's first sample.
  const unmeasured = (c) => c.measured === false;
  const cores = (n) => `${+n.toFixed(2)} ${n === 1 ? 'core' : 'cores'}`;

  function cpuFraction(c) {
    if (unmeasured(c) || c.cpu_percent === null || c.cpu_percent === undefined) return null;
    return c.cpu_percent / (100 * (c.cpu_limit_cores || 1));
  }
  function memoryFraction(c) {
    const p = c.memory && c.memory.percent_value;
    return unmeasured(c) || p === null || p === undefined ? null : p / 100;
  }
  function pidsFraction(c) {
    return !unmeasured(c) && c.pids_current !== null && c.pids_limit
      ? c.pids_current / c.pids_limit : null;
  }
  // How hot a sandbox is: its fullest resource against its limit; an OOM kill puts it first.
  function heat(c) {
    const parts = [cpuFraction(c), memoryFraction(c), pidsFraction(c)].filter((x) => x !== null);
    return (c.oom_kills > 0 ? 10 : 0) + Math.max(0, ...parts);
  }
  const hottestFirst = (a, b) => heat(b) - heat(a) || a.session_id.localeCompare(b.session_id);

  // A labelled bar of `fraction` (0..1; null: unknown), its figures written beside it.
  function bar(label, field, text, fraction) {
    const fill = el('span', { class: 'fill' });
    const track = el('span', {
      class: 'track', role: 'meter', 'aria-label': label, 'aria-valuemin': '0',
      'aria-valuemax': '100', 'aria-valuetext': text,
    }, fill);
    if (fraction !== null) {
      const pct = Math.max(0, Math.min(1, fraction)) * 100;
      fill.style.width = `${pct.toFixed(1)}%`; // CSSOM, which the CSP allows (style="" it does not)
      track.setAttribute('aria-valuenow', pct.toFixed(0));
      if (fraction >= 0.9) track.classList.add('high');
      else if (fraction >= 0.7) track.classList.add('warn');
    }
    return el('div', { class: 'metric' },
      el('span', { class: 'label' }, label),
      el('span', { class: 'value', 'data-field': field }, text), track);
  }

  function facts(pairs) {
    const dl = el('dl', { class: 'facts' });
    for (const [term, field, text, cls] of pairs) {
      dl.append(el('dt', null, term), el('dd', { 'data-field': field, class: cls }, text));
    }
    return dl;
  }

  function toolsText(tools) {
    return TOOLS.map((t) => {
      const x = (tools && tools[t]) || { runs: 0, failures: 0 };
      return x.failures > 0 ? `${t} ${x.runs} (${x.failures} failed)` : `${t} ${x.runs}`;
    }).join(' · ');
  }

  function sandboxCard(c, withUser) {
    const limit = c.cpu_limit_cores;
    const cpu = cpuText(unmeasured(c) ? null : c.cpu_percent) +
      (limit ? ` of ${cores(limit)}` : ' (no limit)');
    const m = c.memory || {};
    const n = c.network || {};
    const b = c.block_io || {};
    const pidsLimit = c.pids_limit === null || c.pids_limit === undefined ? 'no limit' : c.pids_limit;
    const card = el('article', {
      class: c.oom_kills > 0 ? 'card oom' : 'card',
      'data-session': c.session_id, 'data-agent': c.agent_id,
    },
    el('h3', null, c.session_id),
    el('p', { class: 'sub' }, `${c.container_name} · ${c.container_id}` +
      (withUser && c.external_user_id ? ` · ${c.external_user_id}` : '') +
      (unmeasured(c) ? ' · not measured yet' : '')),
    bar('CPU', 'cpu', cpu, cpuFraction(c)),
    bar('Memory', 'memory', `${m.used} / ${m.limit} (${m.percent})`, memoryFraction(c)),
    bar('PIDs', 'pids', `${c.pids} / ${pidsLimit}`, pidsFraction(c)),
    facts([
      ['Network', 'network', `${n.input} in / ${n.output} out`],
      ['Block I/O', 'block_io', `${b.read} read / ${b.write} written`],
      ['Tool runs', 'tools', toolsText(c.tools)],
      ['OOM kills', 'oom_kills', String(c.oom_kills), c.oom_kills > 0 ? 'alert' : null],
    ]));
    if (agentId) card.append(el('div', { class: 'charts', 'data-charts': c.session_id }));
    return card;
  }

  // --- views ------------------------------------------------------------------------------
  function renderPool(d) {
    const a = d.aggregate || {};
    const summary = el('section', { class: 'summary', 'aria-label': 'Pool' },
      bar('Pool', 'pool', `${d.pool_size} of ${d.max_containers} sandboxes`,
        d.max_containers ? d.pool_size / d.max_containers : null),
      facts([
        ['CPU', 'total_cpu', cpuText(a.total_cpu_percent)],
        ['Memory', 'total_memory', a.memory_used],
        ['Network', 'total_network', `${a.network_input} in / ${a.network_output} out`],
        ['Block I/O', 'total_block_io', `${a.block_read} read / ${a.block_write} written`],
        ['PIDs', 'total_pids', String(a.pids)],
        ['Order', 'order', 'hottest first'],
      ]));
    const byAgent = new Map();
    for (const c of d.containers) {
      if (!byAgent.has(c.agent_id)) byAgent.set(c.agent_id, []);
      byAgent.get(c.agent_id).push(c);
    }
    const agents = [...byAgent.entries()].map(([id, list]) => [id, list.sort(hottestFirst)]);
    agents.sort((x, y) => heat(y[1][0]) - heat(x[1][0]) || x[0].localeCompare(y[0]));
    // An agent with one sandbox takes one column of the grid, one with more the whole width.
    const sections = agents.map(([id, list]) => el('section', {
      class: list.length > 1 ? 'agent wide' : 'agent', 'data-agent': id,
    },
      el('h2', null, el('a', { href: `agents/${enc(id)}`, 'data-focus': `agent:${id}` }, id), ' ',
        el('span', { class: 'count' }, list.length === 1 ? '1 sandbox' : `${list.length} sandboxes`)),
      el('div', { class: 'cards' }, ...list.map((c) => sandboxCard(c, false)))));
    if (sections.length === 0) sections.push(el('p', { class: 'note' }, 'No sandbox is running.'));
    return [summary, el('div', { class: 'agents' }, ...sections)];
  }

  function renderAgent(d) {
    const list = [...d.containers].sort(hottestFirst);
    const summary = el('section', { class: 'summary', 'aria-label': 'Agent' },
      facts([
        ['Sandboxes', 'active', String(d.active_containers)],
        ['Sandbox', 'enabled', d.sandbox_enabled ? 'enabled' : 'disabled'],
        ['Order', 'order', 'hottest first'],
      ]),
      el('p', { class: 'note', id: 'history-note' }));
    const cards = el('div', { class: 'cards sessions' }, ...list.map((c) => sandboxCard(c, true)));
    if (list.length === 0) cards.append(el('p', { class: 'note' }, 'This agent has no sandbox now.'));
    return [summary, cards];
  }

  function render() {
    const d = state.data;
    if (!d) return;
    // Rebuilt whole; the focused link is focused again, so keyboard users keep their place.
    const focused = document.activeElement && document.activeElement.getAttribute('data-focus');
    if (agentId) {
      const name = d.agent_name && d.agent_name !== d.agent_id ? `${d.agent_name} (${d.agent_id})` : d.agent_id;
      $('title').textContent = name;
    }
    $('main').replaceChildren(...(agentId ? renderAgent(d) : renderPool(d)));
    if (agentId) drawCharts();
    if (focused) {
      const again = [...document.querySelectorAll('[data-focus]')]
        .find((e) => e.getAttribute('data-focus') === focused);
      if (again) again.focus();
    }
  }

  // --- the last hour (agent view) ---------------------------------------------------------
  // A line of value(point) from 0 to `ceiling` over the time since `start` (unix seconds).
  function chart(caption, points, value, ceiling, start) {
    const span = Math.max(60, Date.now() / 1000 - start);
    const svgEl = svg('svg', {
      viewBox: `0 0 ${span.toFixed(0)} 100`, preserveAspectRatio: 'none', role: 'img',
      'aria-label': caption,
    });
    const xy = points.filter((p) => value(p) !== null)
      // Kept 2 units inside the box, so that a line at 0 or at the limit stays visible.
      .map((p) => [p.timestamp - start, 98 - Math.min(96, (96 * value(p)) / ceiling)]);
    if (xy.length >= 1) {
      if (xy.length === 1) xy.push([xy[0][0] + 1, xy[0][1]]);
      svgEl.append(svg('polyline', {
        points: xy.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' '),
        'vector-effect': 'non-scaling-stroke',
      }));
    }
    return el('figure', { class: 'chart' }, el('figcaption', null, caption), svgEl);
  }

  function drawCharts() {
    const h = state.history;
    const note = $('history-note');
    if (note) {
      if (h && h.off) note.textContent = `No charts of the last hour: ${h.off}`;
      else if (h && h.error) note.textContent = `The last hour could not be read: ${h.error}`;
      else note.textContent = h ? 'Charts: the last hour, from the history.' : 'Reading the last hour…';
    }
    if (!h || !h.points) return;
    // The last hour, or less when the history is younger: a few minutes stay readable.
    const hourAgo = Date.now() / 1000 - HOUR_S;
    const first = h.points.length ? Math.min(...h.points.map((p) => p.timestamp)) : hourAgo;
    const start = Math.max(hourAgo, first);
    const since = start > hourAgo + 60 ? `since ${clockTime(start * 1000)}` : 'last hour';
    for (const box of document.querySelectorAll('[data-charts]')) {
      const session = box.getAttribute('data-charts');
      const points = h.points.filter((p) => p.session_id === session);
      const c = state.data.containers.find((x) => x.session_id === session) || {};
      const limit = c.cpu_limit_cores || 1;
      box.replaceChildren(
        chart(`CPU, ${since} (0 to ${cores(limit)})`, points,
          (p) => (unmeasured(p) || p.cpu_percent === null ? null : p.cpu_percent), 100 * limit,
          start),
        chart(`Memory, ${since} (0 to limit)`, points,
          (p) => (unmeasured(p) || p.memory.percent_value === null ? null
            : p.memory.percent_value), 100, start));
    }
  }

  async function refreshHistory() {
    const since = Math.floor(Date.now() / 1000) - HOUR_S;
    const base = api(`agents/${enc(agentId)}/sandbox/stats/history?since=${since}`);
    const points = [];
    let url = base;
    try {
      for (let page = 0; url && page < 10; page++) {
        const r = await fetch(url, { cache: 'no-store', headers: { Accept: 'application/json' } });
        const body = await r.json().catch(() => null);
        if (r.status === 404 && body && /^history is off/.test(body.error || '')) {
          state.history = { off: body.error }; // said once; asking again would not change it
          drawCharts();
          return;
        }
        if (!r.ok || !body) throw new Error((body && body.error) || `HTTP ${r.status}`);
        points.push(...body.points);
        url = body.next ? `${base}&cursor=${enc(body.next)}` : null;
      }
      state.history = { points };
    } catch (e) {
      state.history = { error: e.message };
    }
    drawCharts();
    setTimeout(refreshHistory, HISTORY_REFRESH_MS);
  }

  // --- freshness --------------------------------------------------------------------------
  function problemOf(status, body) {
    const why = (body && body.error) || `HTTP ${status}`;
    if (status === 503) return `Stale figures: ${why.replace(/;.*$/, '')}.`;
    if (status === 401) return 'Credentials are needed: reload the page to sign in.';
    return `The exporter answered ${status}: ${why}.`;
  }

  function showStatus() {
    const d = state.data;
    const now = Date.now();
    if (d) {
      const at = Date.parse(d.collected_at);
      const age = Math.max(0, Math.round((now - at) / 1000));
      $('status').textContent = `Figures of ${clockTime(at)} (${age} s ago), refreshed every 5 s.`;
    }
    let problem = state.problem;
    if (!problem && d && now - state.lastOk > STALE_MS) {
      problem = `No new figures for ${Math.round((now - state.lastOk) / 1000)} s.`;
    }
    const banner = $('banner');
    if (problem) {
      const shown = d ? ` Showing the figures of ${clockTime(Date.parse(d.collected_at))}.` : '';
      banner.textContent = problem + shown;
      banner.hidden = false;
    } else {
      banner.hidden = true;
    }
    document.body.classList.toggle('stale', Boolean(problem));
  }

  async function refresh() {
    const started = Date.now();
    try {
      const r = await fetch(liveUrl, { cache: 'no-store', headers: { Accept: 'application/json' } });
      const body = await r.json().catch(() => null);
      if (r.ok && body) {
        state.data = body;
        state.lastOk = Date.now();
        state.problem = null;
        render();
      } else {
        state.problem = problemOf(r.status, body);
        if (!state.data && (r.status === 404 || r.status === 400)) {
          $('main').replaceChildren(el('p', { class: 'note' }, state.problem));
        }
      }
    } catch (e) {
      state.problem = `The exporter cannot be reached (${e.message}).`;
    }
    showStatus();
    setTimeout(refresh, Math.max(0, REFRESH_MS - (Date.now() - started)));
  }

  if (agentId) {
    $('nav').append(el('a', { href: './', 'data-focus': 'pool' }, '← Pool'));
    $('title').textContent = agentId;
    document.title = `${agentId} · Evonic sandboxes`;
    refreshHistory();
  }
  setInterval(showStatus, 1000); // the age, and the banner when answers stop coming
  refresh();
}());
