/**
 * The dashboard's browser script, inlined in the page under a CSP nonce. Plain ES2017 so that it runs as
 * written. It polls `/api/state` and `/api/executions` every second and rebuilds the grid and the list with
 * createElement and textContent only: nothing the API returns is ever parsed as HTML.
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
})();
`;
