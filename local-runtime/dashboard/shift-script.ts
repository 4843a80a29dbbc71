/**
 * The dashboard's traffic shift view: a second function in the page's one inline script (under its CSP
 * nonce, plain ES2017 like the rest) that reads `GET /api/shifts` every second and draws, for each stage's running shift and its
 * last finished one, green's weight moving step by step and the two series the steps are judged on (error
 * rate and p95, green against blue, per window), the verdict and the cause. Charts are SVG elements it
 * creates itself (createElementNS, setAttribute, textContent); each has a title and an aria-label, and the
 * table of windows under them carries every number the charts draw, for screen readers and for copying.
 */
export const SHIFT_STYLE = `
.shift{border-top:1px solid #d0d7de;padding:8px 0}
.shift h3{font-size:1rem;margin:8px 0 2px}
.shift .verdict{margin:4px 0}
.shift-failed .verdict,.shift-stopped .verdict{color:#cf222e}
.shift-shifted .verdict{color:#1a7f37}
ol.shift-steps{list-style:none;padding:0;margin:4px 0;display:flex;flex-wrap:wrap}
.step-passed{background:#dafbe1}.step-failed,.step-stopped{background:#ffebe9}.step-judging{background:#ddf4ff}
.step-pending,.step-not-reached{background:#eaeef2;color:#59636e}
svg.chart .series-blue{stroke:#0969da;fill:none;stroke-width:1.5}
svg.chart .series-green{stroke:#1a7f37;fill:none;stroke-width:1.5}
svg.chart circle.series-blue{fill:#0969da}
svg.chart circle.series-green{fill:#1a7f37}
svg.chart .weight{stroke:#1a7f37;fill:none;stroke-width:2}
svg.chart .limit{stroke:#cf222e;stroke-dasharray:4 3;fill:none}
svg.chart circle.outcome-pass{fill:#1a7f37}svg.chart circle.outcome-fail{fill:#cf222e}
svg.chart circle.outcome-inconclusive{fill:#bf8700}
svg.chart .legend-blue{fill:#0969da}svg.chart .legend-green{fill:#1a7f37}
table.windows{border-collapse:collapse;font-size:.8rem;margin:6px 0}
.windows caption{text-align:left;color:#59636e}
.windows th,.windows td{border:1px solid #d0d7de;padding:2px 6px;text-align:right}
.windows td.reason,.windows th.reason{text-align:left}
.windows tr.outcome-fail{color:#cf222e}
`;

export const SHIFT_SCRIPT = String.raw`
(function () {
  'use strict';
  var SVG = 'http://www.w3.org/2000/svg';
  var W = 360, H = 130, LEFT = 34, TOP = 16, BOTTOM = 18;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function svg(tag, attributes, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, String(attributes[name])); });
    if (text !== undefined) node.textContent = String(text);
    return node;
  }
  function slug(text) {
    return String(text || '').toLowerCase().replace(/[^a-z0-9]+/g, '-');
  }
  function shortVersion(version) {
    if (!version) return '?';
    return /^sha-[0-9a-f]{12,}$/.test(version) ? version.slice(0, 16) : version;
  }
  function minutes(ms) {
    if (ms < 60000) return Math.round(ms / 1000) + ' s';
    var m = ms / 60000;
    if (m < 60) return (m >= 10 || m === Math.round(m) ? String(Math.round(m)) : m.toFixed(1)) + ' min';
    var h = Math.floor(Math.round(m) / 60), rest = Math.round(m) % 60;
    return h + ' h' + (rest ? ' ' + rest + ' min' : '');
  }
  function percent(rate) {
    return (rate * 100).toFixed(1) + '%';
  }
  function rateOf(sample) {
    return sample.requests > 0 ? sample.errors / sample.requests : null;
  }
  function count(n) {
    return Number(n).toLocaleString('en-US');
  }

  // A chart: an SVG image with its title, an aria-label saying what it shows, and a y axis scale.
  function chart(className, title, label) {
    var box = svg('svg', { class: 'chart ' + className, viewBox: '0 0 ' + W + ' ' + H, width: W, height: H, role: 'img', 'aria-label': label });
    box.appendChild(svg('title', {}, title));
    box.appendChild(svg('text', { x: 0, y: 10 }, title));
    box.appendChild(svg('line', { class: 'axis', x1: LEFT, y1: H - BOTTOM, x2: W, y2: H - BOTTOM }));
    box.appendChild(svg('line', { class: 'axis', x1: LEFT, y1: TOP, x2: LEFT, y2: H - BOTTOM }));
    return box;
  }
  function scale(from, to, lo, hi) {
    var span = Math.max(to - from, 1);
    return function (value) { return lo + (hi - lo) * (value - from) / span; };
  }
  function pointList(points) {
    return points.map(function (p) { return p[0].toFixed(1) + ',' + p[1].toFixed(1); }).join(' ');
  }
  function timeAxis(box, from, to) {
    box.appendChild(svg('text', { x: LEFT, y: H - 4 }, '0'));
    box.appendChild(svg('text', { x: W, y: H - 4, 'text-anchor': 'end' }, minutes(to - from)));
  }

  // Green's share of production traffic over time: a step line through each step's windows, down to 0 at a
  // failure, up to 100 once every judged step passed; a dot at each verdict.
  function weightChart(view, range, now) {
    var x = scale(range.from, range.to, LEFT, W - 2);
    var y = scale(0, 100, H - BOTTOM, TOP);
    var label = 'Green\u2019s share of traffic: ' + view.stepViews.map(function (s) { return s.percent + '% ' + s.status; }).join(', ') +
      '; now ' + view.greenPercent + '%';
    var box = chart('weights', 'Green\u2019s share of traffic, %', label);
    box.appendChild(svg('text', { x: LEFT - 4, y: TOP + 4, 'text-anchor': 'end' }, '100'));
    box.appendChild(svg('text', { x: LEFT - 4, y: H - BOTTOM, 'text-anchor': 'end' }, '0'));
    var points = [];
    var last = null;
    view.stepViews.forEach(function (step, index) {
      var start = step.windows.length > 0 ? step.windows[0].from : step.status === 'judging' ? view.stepStartedAt : null;
      if (start === null) return;
      var end = step.windows.length > 0 ? step.windows[step.windows.length - 1].to : start;
      if (step.status === 'judging') end = Math.max(end, now);
      points.push([x(start), y(step.percent)], [x(end), y(step.percent)]);
      last = end;
      step.windows.forEach(function (w, i) {
        var dot = svg('circle', { class: 'step-verdict outcome-' + w.outcome, cx: x(w.to).toFixed(1), cy: y(step.percent).toFixed(1), r: 3.5,
          'data-step': index, 'data-percent': step.percent, 'data-outcome': w.outcome });
        dot.appendChild(svg('title', {}, step.percent + '%, window ' + (i + 1) + ': ' + w.outcome + ' \u2014 ' + w.reason));
        box.appendChild(dot);
      });
    });
    if (last !== null && (view.status === 'failed' || view.status === 'stopped')) points.push([x(last), y(view.greenPercent)]);
    if (last !== null && view.status === 'shifted') points.push([x(last), y(100)], [x(range.to), y(100)]);
    if (points.length > 0)
      box.insertBefore(svg('polyline', { class: 'weight', points: pointList(points), 'data-green-now': view.greenPercent }), box.firstChild.nextSibling);
    timeAxis(box, range.from, range.to);
    return box;
  }

  // One judged number per window, blue against green, at the window's end; a dashed line for the limit.
  function seriesChart(className, title, windows, valueOf, format, limitOf, range) {
    var values = [];
    windows.forEach(function (w) {
      ['blue', 'green'].forEach(function (side) {
        var v = valueOf(w[side]);
        if (v !== null && v !== undefined) values.push(v);
      });
      var limit = limitOf(w);
      if (limit !== null) values.push(limit);
    });
    var max = Math.max.apply(null, values.concat([0])) * 1.1 || 1;
    var x = scale(range.from, range.to, LEFT, W - 2);
    var y = scale(0, max, H - BOTTOM, TOP);
    var said = windows.map(function (w) {
      return 'blue ' + format(valueOf(w.blue)) + ', green ' + format(valueOf(w.green));
    }).join('; ');
    var box = chart(className, title, title + ' per window: ' + (said || 'no window judged yet'));
    box.appendChild(svg('text', { x: LEFT - 4, y: TOP + 4, 'text-anchor': 'end' }, format(max)));
    var limits = windows.map(function (w) { var l = limitOf(w); return l === null ? null : [x(w.to), y(l)]; }).filter(Boolean);
    if (limits.length > 0)
      box.appendChild(svg('polyline', { class: 'limit', points: pointList(limits.length === 1 ? [[LEFT, limits[0][1]], limits[0]] : limits) }));
    ['blue', 'green'].forEach(function (side) {
      var points = [];
      windows.forEach(function (w, i) {
        var v = valueOf(w[side]);
        if (v === null || v === undefined) return;
        points.push([x(w.to), y(v)]);
        var dot = svg('circle', { class: 'series-' + side, cx: x(w.to).toFixed(1), cy: y(v).toFixed(1), r: 2.5,
          'data-series': side, 'data-window': i, 'data-value': v });
        dot.appendChild(svg('title', {}, side + ', ' + w.percent + '% window: ' + format(v)));
        box.appendChild(dot);
      });
      if (points.length > 1) box.appendChild(svg('polyline', { class: 'series-' + side, points: pointList(points), 'data-series': side }));
    });
    box.appendChild(svg('text', { class: 'legend-blue', x: W - 90, y: 10 }, 'blue'));
    box.appendChild(svg('text', { class: 'legend-green', x: W - 50, y: 10 }, 'green'));
    timeAxis(box, range.from, range.to);
    return box;
  }

  function windowsTable(view) {
    var table = el('table', 'windows');
    table.appendChild(el('caption', '', 'Windows judged: the numbers the charts draw'));
    var head = el('tr');
    ['step', 'window', 'blue requests', 'blue errors', 'blue p95', 'green requests', 'green errors', 'green p95', 'verdict', 'reason']
      .forEach(function (name) {
        var th = el('th', name === 'reason' ? 'reason' : '', name);
        th.setAttribute('scope', 'col');
        head.appendChild(th);
      });
    var thead = el('thead');
    thead.appendChild(head);
    table.appendChild(thead);
    var body = el('tbody');
    view.windows.forEach(function (w) {
      var row = el('tr', 'outcome-' + w.outcome);
      row.setAttribute('data-outcome', w.outcome);
      [w.percent + '%' + (w.extension > 0 ? ' (extension ' + w.extension + ')' : ''), minutes(w.to - w.from),
        count(w.blue.requests), count(w.blue.errors), w.blue.p95Ms === undefined ? '\u2013' : Math.round(w.blue.p95Ms) + ' ms',
        count(w.green.requests), count(w.green.errors), w.green.p95Ms === undefined ? '\u2013' : Math.round(w.green.p95Ms) + ' ms',
        w.outcome].forEach(function (text) { row.appendChild(el('td', '', text)); });
      row.appendChild(el('td', 'reason', w.reason));
      body.appendChild(row);
    });
    table.appendChild(body);
    return table;
  }

  function verdictText(view) {
    if (view.status === 'failed') return 'Switched back to blue: ' + view.cause;
    if (view.status === 'stopped') return 'Stopped: ' + view.cause;
    if (view.status === 'shifted')
      return (view.stepViews.length === 0 ? 'Green got all the traffic at once' : 'Every judged step passed: green has 100% of the traffic') +
        '; blue is kept ' + view.keepBlueMinutes + ' min.';
    if (view.status === 'not started') return 'Not started: green has no traffic yet.';
    var index = view.stepViews.findIndex(function (s) { return s.status === 'judging'; });
    var step = view.stepViews[index];
    return 'Green has ' + view.greenPercent + '%: step ' + (index + 1) + ' of ' + view.stepViews.length + ' is being judged' +
      (step && step.extensions > 0 ? ', extended ' + step.extensions + '\u00d7 for too little traffic' : '') + '.';
  }

  function renderShift(stage, now) {
    var view = stage.shift;
    var section = el('section', 'shift shift-' + slug(view.status));
    section.setAttribute('data-shift', stage.service + ' ' + stage.environment + ' ' + stage.region + ' ' + stage.execution);
    section.setAttribute('data-status', view.status);
    var running = stage.outcome === 'in progress';
    var heading = el('h3', '', stage.service + ' / ' + stage.environment + ' / ' + stage.region + ': ' + view.strategy + ' of ' +
      shortVersion(stage.version) + (running ? ' (running)' : ' (last finished, stage ' + stage.outcome + ')'));
    heading.id = 'shift-' + slug(stage.execution + '-' + stage.environment + '-' + stage.region);
    section.setAttribute('aria-labelledby', heading.id);
    section.appendChild(heading);
    section.appendChild(el('p', 'meta', stage.execution + ' \u00b7 up to ' + view.maxExtensions + ' extensions a step, at most ' +
      minutes(view.longestShiftMs) + ' in all'));
    section.appendChild(el('p', 'verdict', verdictText(view)));
    var steps = el('ol', 'shift-steps');
    steps.setAttribute('aria-label', 'steps');
    view.stepViews.forEach(function (s) {
      var item = el('li', 'badge step-' + slug(s.status), s.percent + '% \u00b7 ' + minutes(s.pauseMinutes * 60000) + ' \u00b7 ' + s.status +
        (s.extensions > 0 ? ' (extended ' + s.extensions + '\u00d7)' : ''));
      item.setAttribute('data-percent', s.percent);
      item.setAttribute('data-status', s.status);
      steps.appendChild(item);
    });
    steps.appendChild(el('li', 'badge step-' + (view.status === 'shifted' ? 'passed' : 'pending'), '100%'));
    section.appendChild(steps);
    if (view.windows.length > 0 || view.status === 'shifting') {
      var from = view.windows.length > 0 ? view.windows[0].from : view.stepStartedAt;
      var to = view.windows.length > 0 ? view.windows[view.windows.length - 1].to : from;
      if (view.status === 'shifting') to = Math.max(to, now);
      if (view.status === 'shifted') to = to + (to - from) / 10;
      var range = { from: from, to: Math.max(to, from + 1) };
      var charts = el('div', 'charts');
      charts.appendChild(weightChart(view, range, now));
      charts.appendChild(seriesChart('error-rate', 'Error rate', view.windows, rateOf, function (v) { return v === null ? '\u2013' : percent(v); },
        function () { return view.thresholds.maxErrorRate; }, range));
      charts.appendChild(seriesChart('p95', 'p95 latency, ms', view.windows,
        function (s) { return s.p95Ms === undefined ? null : s.p95Ms; },
        function (v) { return v === null || v === undefined ? '\u2013' : Math.round(v) + ' ms'; },
        function (w) { return w.blue.p95Ms === undefined ? null : w.blue.p95Ms * view.thresholds.maxP95Ratio; }, range));
      section.appendChild(charts);
      section.appendChild(windowsTable(view));
    }
    return section;
  }

  function render(answer) {
    var box = el('div', 'shifts');
    var now = Date.parse(answer.now);
    if (!answer.logged) box.appendChild(el('p', 'meta', 'This stack keeps no traffic shift log: each shift shows its plan only.'));
    if (answer.shifts.length === 0)
      box.appendChild(el('p', 'empty', 'No traffic shift yet: stages deployed blue-green, canary or linear show here while they run, and after.'));
    answer.shifts.forEach(function (stage) { box.appendChild(renderShift(stage, now)); });
    var old = document.getElementById('shifts');
    box.id = 'shifts';
    old.parentNode.replaceChild(box, old);
  }

  var timer;
  function tick() {
    clearTimeout(timer);
    fetch('/api/shifts', { headers: { accept: 'application/json' } })
      .then(function (r) {
        if (!r.ok) throw new Error('/api/shifts: ' + r.status);
        return r.json();
      })
      .then(render, function () {})
      .then(function () { timer = setTimeout(tick, 1000); });
  }
  tick();
})();
`;
