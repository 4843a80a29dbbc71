/**
 * The dashboard's browser script, inlined in the page under a CSP nonce. Plain ES2017 so that it runs as
 * written. It polls `/api/state` and `/api/executions` every second and rebuilds the grid and the list with
 * createElement and textContent only: nothing the API returns is ever parsed as HTML. Every 10 seconds it
 * also reads `/api/metrics` (for the service, environment and window the picker above the view says, and at
 * once when the picker changes) and draws the metrics charts as SVG elements it creates itself (createElementNS
 * and setAttribute: no style attributes, no markup), so the page's CSP needs nothing more.
 */
export const DASHBOARD_SCRIPT = String.raw`
(function () {
  'use strict';
  var open = {};
  var details = {};

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function slug(text) {
    return String(text || '').toLowerCase().replace(/[^a-z0-9]+/g, '-');
  }
  function shortVersion(version) {
    if (!version) return '';
    return /^sha-[0-9a-f]{12,}$/.test(version) ? version.slice(0, 16) : version;
  }
  function shortDigest(digest) {
    return digest ? digest.replace('sha256:', '').slice(0, 12) : '';
  }
  function duration(ms) {
    if (ms === null || ms === undefined) return '…';
    var s = Math.round(ms / 1000);
    if (s < 60) return s + 's';
    var m = Math.floor(s / 60);
    if (m < 60) return m + 'm ' + String(s % 60).padStart(2, '0') + 's';
    return Math.floor(m / 60) + 'h ' + String(m % 60).padStart(2, '0') + 'm';
  }
  function time(iso) {
    return iso ? iso.replace('T', ' ').slice(0, 19) : '';
  }
  function replace(id, node) {
    var old = document.getElementById(id);
    node.id = id;
    old.parentNode.replaceChild(node, old);
  }

  function cell(target) {
    var td = el('td', 'cell');
    td.setAttribute('data-target', target.service + ' ' + target.environment + ' ' + target.region);
    var version = el('div', 'version', target.serving.version ? shortVersion(target.serving.version) : 'not deployed');
    version.title = target.serving.version || 'the bootstrap image';
    td.appendChild(version);
    if (target.serving.commit || target.serving.digest)
      td.appendChild(
        el('div', 'meta', 'commit ' + (target.serving.commit || '').slice(0, 7) + ' · ' + shortDigest(target.serving.digest)),
      );
    if (target.inProgress) {
      var busy = el('div', 'badge activity-' + slug(target.inProgress.activity), target.inProgress.activity);
      busy.title = target.inProgress.execution + ': ' + target.inProgress.state;
      td.appendChild(busy);
      td.appendChild(el('div', 'meta', shortVersion(target.inProgress.version) + ' · ' + target.inProgress.state));
    } else if (target.last) {
      var last = el('div', 'badge outcome-' + slug(target.last.outcome), target.last.outcome);
      last.title = target.last.execution;
      td.appendChild(last);
      if (target.last.outcome !== 'deployed') td.appendChild(el('div', 'meta', shortVersion(target.last.version)));
    }
    return td;
  }

  function renderGrid(state) {
    var table = el('table', 'grid');
    var head = el('tr');
    head.appendChild(el('th', '', 'service'));
    var columns = [];
    state.environments.forEach(function (env) {
      env.regions.forEach(function (region) {
        columns.push(env.name + ' ' + region);
        head.appendChild(el('th', '', env.name + ' / ' + region));
      });
    });
    var thead = el('thead');
    thead.appendChild(head);
    table.appendChild(thead);
    var body = el('tbody');
    state.services.forEach(function (service) {
      var row = el('tr');
      row.appendChild(el('th', 'service', service));
      columns.forEach(function (column) {
        var target = state.targets.find(function (t) {
          return t.service === service && t.environment + ' ' + t.region === column;
        });
        row.appendChild(target ? cell(target) : el('td', 'cell empty', '—'));
      });
      body.appendChild(row);
    });
    table.appendChild(body);
    replace('grid', table);
    document.getElementById('now').textContent = 'pipeline time ' + time(state.now);
  }

  function stateRows(states) {
    var table = el('table', 'states');
    states.forEach(function (s) {
      var row = el('tr', s.error ? 'failed' : '');
      row.appendChild(el('td', '', s.state));
      row.appendChild(el('td', '', s.error ? 'failed: ' + s.error : s.exitedAt ? 'ok' : 'running'));
      row.appendChild(el('td', 'num', duration(s.durationMs)));
      table.appendChild(row);
    });
    return table;
  }

  function renderDetail(item, detail) {
    var box = el('div', 'detail');
    if (detail.error) {
      box.appendChild(el('p', 'error', detail.error + ': ' + (detail.cause || '')));
    }
    if (detail.digest) box.appendChild(el('p', 'meta', 'image ' + detail.digest));
    if (detail.states.length > 0) box.appendChild(stateRows(detail.states));
    detail.detailedStages.forEach(function (stage) {
      if (stage.states.length === 0) return;
      box.appendChild(el('h4', '', stage.environment + ' / ' + stage.region + ': ' + stage.outcome));
      box.appendChild(stateRows(stage.states));
    });
    item.appendChild(box);
  }

  function renderExecutions(executions) {
    var list = el('ol', 'executions');
    if (executions.length === 0) list.appendChild(el('li', 'empty', 'No executions yet: POST an event to /events.'));
    executions.forEach(function (e) {
      var item = el('li', 'execution status-' + slug(e.status));
      var head = el('div', 'head');
      var toggle = el('button', 'name', e.name);
      toggle.type = 'button';
      toggle.setAttribute('aria-expanded', open[e.name] ? 'true' : 'false');
      toggle.addEventListener('click', function () {
        open[e.name] = !open[e.name];
        tick();
      });
      head.appendChild(toggle);
      head.appendChild(el('span', 'badge status', e.status));
      head.appendChild(
        el('span', 'meta', e.stateMachine + ' · ' + (e.service || '') + ' ' + shortVersion(e.version) + ' · ' +
          e.transitions + ' transitions · started ' + time(e.startDate)),
      );
      item.appendChild(head);
      var timeline = el('ol', 'timeline');
      e.stages.forEach(function (stage) {
        var step = el('li', 'badge outcome-' + slug(stage.outcome), stage.environment + '/' + stage.region + ' ');
        var now = e.currentStage && e.currentStage.environment === stage.environment && e.currentStage.region === stage.region;
        step.appendChild(
          el('span', 'what', stage.outcome === 'in progress' && now ? e.currentStage.state : stage.outcome),
        );
        timeline.appendChild(step);
      });
      item.appendChild(timeline);
      if (open[e.name] && details[e.name]) renderDetail(item, details[e.name]);
      list.appendChild(item);
    });
    replace('executions', list);
  }

  function getJson(path) {
    return fetch(path, { headers: { accept: 'application/json' } }).then(function (r) {
      if (!r.ok) throw new Error(path + ': ' + r.status);
      return r.json();
    });
  }

  // ------------------------------------------------------------------ metrics (inline SVG, no library)
  var SVG = 'http://www.w3.org/2000/svg';
  var PARTS = ['beforePipeline', 'queued', 'approval', 'frozen', 'deploying', 'smoke', 'bake', 'other'];
  var PART_NAMES = {
    beforePipeline: 'before the pipeline', queued: 'queued', approval: 'approval', frozen: 'frozen',
    deploying: 'deploying', smoke: 'smoke', bake: 'bake', other: 'other',
  };
  function svg(tag, attributes, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, String(attributes[name])); });
    if (text !== undefined) node.textContent = String(text);
    return node;
  }
  function chart(className, title, width, height) {
    var box = svg('svg', { class: 'chart ' + className, viewBox: '0 0 ' + width + ' ' + height, width: width, height: height, role: 'img' });
    box.appendChild(svg('title', {}, title));
    return box;
  }
  function hours(ms) {
    return (ms / 3600000).toFixed(ms < 36000000 ? 1 : 0) + 'h';
  }
  // Successful deployments per UTC day: one bar a day, the highest day filling the height.
  function perDayChart(days) {
    var w = 360, h = 120, top = 14, bottom = 16;
    var box = chart('per-day', 'Deployments per day', w, h);
    var max = Math.max.apply(null, days.map(function (d) { return d.count; }).concat([1]));
    var step = w / Math.max(days.length, 1);
    days.forEach(function (d, i) {
      var bar = (h - top - bottom) * d.count / max;
      var rect = svg('rect', { class: 'bar', x: (i * step + 1).toFixed(1), y: (h - bottom - bar).toFixed(1), width: Math.max(step - 2, 1).toFixed(1), height: bar.toFixed(1), 'data-day': d.day, 'data-count': d.count });
      rect.appendChild(svg('title', {}, d.day + ': ' + d.count));
      box.appendChild(rect);
    });
    box.appendChild(svg('line', { class: 'axis', x1: 0, y1: h - bottom, x2: w, y2: h - bottom }));
    if (days.length > 0) {
      box.appendChild(svg('text', { x: 0, y: h - 3 }, days[0].day.slice(5)));
      box.appendChild(svg('text', { x: w, y: h - 3, 'text-anchor': 'end' }, days[days.length - 1].day.slice(5)));
    }
    box.appendChild(svg('text', { x: 0, y: 10 }, 'max ' + max + ' a day'));
    return box;
  }
  // Each successful deployment's lead time at the time it went out: a point each, joined by a line.
  function leadTimeChart(samples, range) {
    var w = 360, h = 120, top = 14, bottom = 16;
    var box = chart('lead-time', 'Lead time of each deployment over time', w, h);
    var max = Math.max.apply(null, samples.map(function (s) { return s.leadTimeMs; }).concat([1]));
    var from = range.from, span = Math.max(range.to - from, 1);
    var points = samples.slice().sort(function (a, b) { return a.deployedAt - b.deployedAt; }).map(function (s) {
      return { s: s, x: w * (s.deployedAt - from) / span, y: h - bottom - (h - top - bottom) * s.leadTimeMs / max };
    });
    if (points.length > 1)
      box.appendChild(svg('polyline', { class: 'line', points: points.map(function (p) { return p.x.toFixed(1) + ',' + p.y.toFixed(1); }).join(' ') }));
    points.forEach(function (p) {
      var dot = svg('circle', { class: 'point', cx: p.x.toFixed(1), cy: p.y.toFixed(1), r: 3, 'data-version': p.s.version, 'data-ms': p.s.leadTimeMs });
      dot.appendChild(svg('title', {}, shortVersion(p.s.version) + ': ' + hours(p.s.leadTimeMs) + ' (from its ' + p.s.from + ')'));
      box.appendChild(dot);
    });
    box.appendChild(svg('line', { class: 'axis', x1: 0, y1: h - bottom, x2: w, y2: h - bottom }));
    box.appendChild(svg('text', { x: 0, y: h - 3 }, new Date(range.from).toISOString().slice(5, 10)));
    box.appendChild(svg('text', { x: w, y: h - 3, 'text-anchor': 'end' }, new Date(range.to).toISOString().slice(5, 10)));
    box.appendChild(svg('text', { x: 0, y: 10 }, 'max ' + hours(max)));
    return box;
  }
  // Where the lead time went, summed over the deployments: one horizontal bar per part.
  function breakdownChart(total) {
    var w = 360, row = 16, label = 130, h = row * PARTS.length;
    var box = chart('breakdown', 'Where the lead time went (sum over the deployments)', w, h);
    var max = Math.max.apply(null, PARTS.map(function (p) { return total[p] || 0; }).concat([1]));
    PARTS.forEach(function (part, i) {
      var ms = total[part] || 0;
      box.appendChild(svg('text', { x: 0, y: i * row + 12 }, PART_NAMES[part]));
      var rect = svg('rect', { class: 'bar part-' + slug(part), x: label, y: i * row + 3, width: ((w - label - 50) * ms / max).toFixed(1), height: row - 5, 'data-part': part, 'data-ms': ms });
      rect.appendChild(svg('title', {}, PART_NAMES[part] + ': ' + hours(ms)));
      box.appendChild(rect);
      box.appendChild(svg('text', { x: w, y: i * row + 12, 'text-anchor': 'end' }, hours(ms)));
    });
    return box;
  }
  function percentText(rate) {
    return rate === null || rate === undefined ? '–' : Math.round(rate * 100) + '%';
  }
  function renderMetrics(answer) {
    var section = el('div', 'metrics');
    var shown = answer.metrics.filter(function (m) { return m.deployments.total > 0 || m.leadTime.samples.length > 0; });
    section.appendChild(el('p', 'meta', 'From ' + time(answer.since) + ' to ' + time(answer.until) + ' (definitions: docs/metrics.md, JSON: /api/metrics).'));
    if (shown.length === 0) section.appendChild(el('p', 'empty', 'No deployments from ' + time(answer.since) + ' to ' + time(answer.until) + '.'));
    shown.forEach(function (m) {
      var pair = el('section', 'metrics-pair');
      pair.setAttribute('data-metrics', m.service + ' ' + m.environment);
      pair.appendChild(el('h3', '', m.service + ' / ' + m.environment));
      pair.appendChild(el('p', 'meta summary',
        m.deployments.successful + ' deployed, ' + m.deployments.failed + ' failed · lead time median ' +
        (m.leadTime.median === null ? '–' : hours(m.leadTime.median)) + ', p90 ' +
        (m.leadTime.p90 === null ? '–' : hours(m.leadTime.p90)) + ' · change fail rate ' + percentText(m.changeFailRate)));
      var charts = el('div', 'charts');
      charts.appendChild(perDayChart(m.deployments.byDay));
      charts.appendChild(leadTimeChart(m.leadTime.samples, m.window));
      charts.appendChild(breakdownChart(m.breakdown.total));
      pair.appendChild(charts);
      section.appendChild(pair);
    });
    replace('metrics', section);
  }
  // The picker's choices go in the query string, encoded (URLSearchParams), never into markup.
  function metricsQuery() {
    var query = new URLSearchParams();
    ['service', 'environment', 'since'].forEach(function (name) {
      var value = document.getElementById('metrics-' + name).value;
      if (value) query.set(name, value);
    });
    return '/api/metrics?' + query.toString();
  }
  var metricsTimer;
  var metricsAsked = 0;
  function metricsTick() {
    clearTimeout(metricsTimer);
    var asked = ++metricsAsked;
    getJson(metricsQuery())
      .then(function (answer) {
        // A slower answer to an older choice must not replace the newer one's.
        if (asked === metricsAsked) renderMetrics(answer);
      }, function () {})
      .then(function () {
        if (asked === metricsAsked) metricsTimer = setTimeout(metricsTick, 10000);
      });
  }
  document.getElementById('metrics-picker').addEventListener('change', metricsTick);
  document.getElementById('metrics-picker').addEventListener('submit', function (event) {
    event.preventDefault();
  });

  var timer;
  function tick() {
    clearTimeout(timer);
    var names = Object.keys(open).filter(function (n) { return open[n]; });
    Promise.all([
      getJson('/api/state'),
      getJson('/api/executions'),
      Promise.all(names.map(function (n) {
        return getJson('/api/executions/' + encodeURIComponent(n)).then(function (d) { details[n] = d; }, function () {});
      })),
    ])
      .then(function (answers) {
        renderGrid(answers[0]);
        renderExecutions(answers[1].executions);
        document.getElementById('status').textContent = 'live';
      })
      .catch(function () {
        document.getElementById('status').textContent = 'the local stack does not answer';
      })
      .then(function () {
        timer = setTimeout(tick, 1000);
      });
  }
  tick();
  metricsTick();
})();
`;
