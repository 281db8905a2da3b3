/**
 * The run page's script, served as `/assets/run-page.js`. It is kept as a string here because
 * the repository lints every `.js` file with type information it cannot have for browser code;
 * it uses no build step and no framework. Every value from the server is set as text
 * (`textContent`), never as HTML.
 */
export const runPageScript = String.raw`'use strict';
(function () {
  var root = document.getElementById('run');
  if (!root) return;
  var labels = {
    queued: 'Queued', preparing: 'Preparing', running: 'Running', publishing: 'Publishing',
    succeeded: 'Succeeded', failed: 'Failed', cancelled: 'Cancelled', timed_out: 'Timed out'
  };
  var marks = { pending: '○', active: '◐', done: '✓', failed: '✗' };
  var ended = ['succeeded', 'failed', 'cancelled', 'timed_out'];
  var log = document.getElementById('log');
  var badge = document.getElementById('status');
  var live = document.getElementById('live');

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function clock(iso) {
    return typeof iso === 'string' ? iso.slice(11, 19) : '';
  }
  function say(text) {
    if (live) live.textContent = text;
  }

  function addLine(entry) {
    if (!log) return;
    var stick = log.scrollTop + log.clientHeight >= log.scrollHeight - 8;
    var stream = entry.stream === 'stderr' || entry.stream === 'system' ? entry.stream : 'stdout';
    var line = el('div', 'line stream-' + stream);
    line.append(el('span', 't', clock(entry.t)), ' ', el('span', 'x', String(entry.text)));
    log.append(line);
    // The page keeps the newest lines only; the whole log is a link away.
    while (log.childElementCount > 5000) log.firstElementChild.remove();
    if (stick) log.scrollTop = log.scrollHeight;
  }

  function setStatus(status) {
    if (!Object.prototype.hasOwnProperty.call(labels, status)) return;
    root.dataset.status = status;
    if (badge) {
      badge.textContent = labels[status];
      badge.className = 'badge badge-' + status;
    }
    if (ended.indexOf(status) >= 0) {
      var cancel = document.getElementById('cancel');
      if (cancel) cancel.hidden = true;
    }
  }

  function addStep(step) {
    var list = document.getElementById('timeline');
    if (!list || !labels[step.to]) return;
    var item = el('li');
    var time = el('time', '', clock(step.at));
    time.setAttribute('datetime', String(step.at));
    item.append(time, ' ', el('strong', '', labels[step.to]), ' ', el('span', 'muted', String(step.reason)));
    list.append(item);
  }

  function setProgress(step) {
    var list = document.getElementById('progress');
    var state = Object.prototype.hasOwnProperty.call(marks, step.state) ? step.state : 'pending';
    if (!list) return;
    var empty = document.getElementById('progress-empty');
    if (empty) empty.remove();
    var item = null;
    for (var i = 0; i < list.children.length; i += 1) {
      if (list.children[i].dataset.id === String(step.id)) item = list.children[i];
    }
    if (!item) {
      item = el('li');
      item.dataset.id = String(step.id);
      list.append(item);
    }
    item.className = 'state-' + state;
    item.replaceChildren(
      el('span', 'mark', marks[state]), ' ', el('span', 'title', String(step.title)), ' ',
      el('span', 'state', '(' + state + ')')
    );
    item.firstChild.setAttribute('aria-hidden', 'true');
  }

  function showResult(end) {
    var body = document.getElementById('result-body');
    if (!body) return;
    var parts = [el('p', '', labels[end.outcome] || 'Finished')];
    if (typeof end.summary === 'string') parts.push(el('p', 'summary', end.summary));
    if (typeof end.resultUrl === 'string' && /^https?:\/\//.test(end.resultUrl)) {
      var a = el('a', 'result-link', 'Open the result in GitLab');
      a.href = end.resultUrl;
      var p = el('p');
      p.append(a);
      parts.push(p);
    }
    if (typeof end.exitCode === 'number') parts.push(el('p', 'muted', 'Exit code ' + end.exitCode));
    body.replaceChildren.apply(body, parts);
  }

  function read(event) {
    try {
      return JSON.parse(event.data);
    } catch (error) {
      return null;
    }
  }

  var url = root.dataset.eventsUrl;
  if (url && ended.indexOf(root.dataset.status) < 0 && typeof EventSource === 'function') {
    var source = new EventSource(url);
    source.addEventListener('open', function () { say('Live'); });
    source.addEventListener('error', function () { say('Reconnecting…'); });
    source.addEventListener('log', function (event) {
      var entry = read(event);
      if (entry) addLine(entry);
    });
    source.addEventListener('status', function (event) {
      var step = read(event);
      if (!step) return;
      setStatus(step.to);
      addStep(step);
    });
    source.addEventListener('progress', function (event) {
      var step = read(event);
      if (step) setProgress(step);
    });
    source.addEventListener('finished', function (event) {
      source.close();
      var end = read(event);
      if (!end) return;
      setStatus(end.outcome);
      showResult(end);
      say('Finished');
    });
  }

  var form = document.getElementById('cancel-form');
  if (form) {
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var message = document.getElementById('cancel-message');
      var token = form.elements.namedItem('token').value;
      fetch(form.dataset.api, { method: 'POST', headers: { authorization: 'Bearer ' + token } })
        .then(function (response) {
          return response.json().then(function (body) {
            if (response.ok) {
              setStatus(body.status);
              return 'Cancellation requested: ' + (labels[body.status] || body.status) + '.';
            }
            return (body && body.error && body.error.message) || 'Not cancelled.';
          });
        })
        .catch(function () { return 'Baton could not be reached.'; })
        .then(function (text) { if (message) message.textContent = text; });
    });
  }
})();
`;
