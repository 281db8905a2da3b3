import type { RunStatus } from '../db/schema.ts';
import type { ProgressItem } from '../runs/run-events.ts';
import type { StoredLogEntry } from '../runs/run-log.ts';
import { escapeHtml as e } from './escape-html.ts';
import type { RunView } from './run-view.ts';

export interface RunPageInput {
  run: RunView;
  log: { entries: StoredLogEntry[]; complete: boolean; nextOffset: number };
  /** Paths with the caller's view token, built by the route. */
  urls: { events: string; log: string; cancelApi: string; cancelForm: string };
  /** A message after a cancel attempt without JavaScript. */
  notice?: string;
}

const statusLabels: Record<RunStatus, string> = {
  queued: 'Queued',
  preparing: 'Preparing',
  running: 'Running',
  publishing: 'Publishing',
  succeeded: 'Succeeded',
  failed: 'Failed',
  cancelled: 'Cancelled',
  timed_out: 'Timed out',
};

const progressMarks: Record<ProgressItem['state'], string> = {
  pending: '○',
  active: '◐',
  done: '✓',
  failed: '✗',
};

function time(iso: string, withDate = false): string {
  const text = withDate ? `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC` : iso.slice(11, 19);
  return `<time datetime="${e(iso)}">${e(text)}</time>`;
}

function link(url: string | undefined, text: string): string {
  return url === undefined ? e(text) : `<a href="${e(url)}">${e(text)}</a>`;
}

function facts(run: RunView): string {
  const noteable = `${run.noteable.type === 'issue' ? 'Issue' : 'Merge request'} ${
    run.noteable.type === 'issue' ? '#' : '!'
  }${run.noteable.iid}`;
  const flow = run.flow.agent === undefined ? run.flow.image : `agent ${run.flow.agent}`;
  const rows: [string, string][] = [
    ['Project', link(run.links.project, run.projectPath)],
    ['Request', link(run.links.noteable, noteable)],
    [
      'Asked by',
      `${e(run.requestedBy.name)} <span class="muted">@${e(run.requestedBy.username)}</span>`,
    ],
    ['Event', e(run.eventType)],
    [
      'Flow',
      `<code>${e(run.flowSource)}</code>${flow === undefined ? '' : ` <span class="muted">(${e(flow)})</span>`}`,
    ],
    ['Created', time(run.createdAt, true)],
  ];
  return `<dl class="facts">${rows.map(([k, v]) => `<div><dt>${k}</dt><dd>${v}</dd></div>`).join('')}</dl>`;
}

function result(run: RunView): string {
  const parts: string[] = [];
  if (run.active) parts.push('<p class="muted">The agent is still working.</p>');
  const end = run.result;
  if (!run.active && end === null && run.failure === null) {
    parts.push(`<p>${e(statusLabels[run.status])}.</p>`);
  }
  if (run.failure !== null) parts.push(`<p class="failure">${e(run.failure)}</p>`);
  if (end?.summary !== undefined) parts.push(`<p class="summary">${e(end.summary)}</p>`);
  if (end?.resultUrl !== undefined) {
    parts.push(
      `<p><a class="result-link" href="${e(end.resultUrl)}">Open the result in GitLab</a></p>`,
    );
  }
  if (end?.exitCode !== undefined) {
    parts.push(`<p class="muted">Exit code ${e(end.exitCode)}</p>`);
  }
  return `<div id="result-body">${parts.join('')}</div>`;
}

function progress(items: ProgressItem[]): string {
  const li = items.map(
    (item) =>
      `<li class="state-${item.state}" data-id="${e(item.id)}"><span class="mark" aria-hidden="true">${progressMarks[item.state]}</span> <span class="title">${e(item.title)}</span> <span class="state">(${item.state})</span></li>`,
  );
  const empty =
    items.length === 0 ? '<p class="muted" id="progress-empty">No steps reported yet.</p>' : '';
  return `${empty}<ol id="progress" class="checklist">${li.join('')}</ol>`;
}

function timeline(run: RunView): string {
  const li = run.timeline.map(
    (step) =>
      `<li>${time(step.at)} <strong>${e(statusLabels[step.to])}</strong> <span class="muted">${e(step.reason)}</span></li>`,
  );
  return `<ol id="timeline" class="timeline">${li.join('')}</ol>`;
}

function logLines(log: RunPageInput['log']): string {
  const lines = log.entries.map(
    (entry) =>
      `<div class="line stream-${entry.stream}"><span class="t">${e(entry.t.slice(11, 19))}</span> <span class="x">${e(entry.text)}</span></div>`,
  );
  return lines.join('');
}

function cancel(input: RunPageInput): string {
  if (!input.run.active) return '';
  return `<section aria-labelledby="cancel-h" id="cancel" class="card">
<h2 id="cancel-h">Cancel</h2>
<form method="post" action="${e(input.urls.cancelForm)}" id="cancel-form" data-api="${e(input.urls.cancelApi)}">
<label for="cancel-token">Admin token</label>
<input id="cancel-token" name="token" type="password" autocomplete="off" required>
<button type="submit">Cancel run</button>
</form>
<p class="muted">Without the admin token, write <code>stop</code> to the agent in the GitLab thread.</p>
<p id="cancel-message" role="status"></p>
</section>`;
}

/** The run page: complete without JavaScript; the script only makes it live. */
export function renderRunPage(input: RunPageInput): string {
  const { run, log } = input;
  const status = statusLabels[run.status];
  const older = log.complete
    ? ''
    : `<p class="muted">Earlier lines are not shown; <a href="${e(input.urls.log)}">the whole log as JSON</a>.</p>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Run ${e(run.id)} · ${e(status)} · Baton</title>
<link rel="icon" href="/assets/baton-icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/run-page.css">
<script src="/assets/run-page.js" defer></script>
</head>
<body>
<header class="top"><span class="brand">Baton</span></header>
<main id="run" data-run-id="${e(run.id)}" data-status="${e(run.status)}" data-events-url="${e(input.urls.events)}">
<div class="heading">
<h1>Run <code>${e(run.id)}</code></h1>
<span id="status" class="badge badge-${e(run.status)}" role="status">${e(status)}</span>
</div>
${input.notice === undefined ? '' : `<p class="notice" role="alert">${e(input.notice)}</p>`}
${facts(run)}
<section aria-labelledby="result-h" class="card"><h2 id="result-h">Result</h2>${result(run)}</section>
${cancel(input)}
<div class="columns">
<section aria-labelledby="progress-h" class="card"><h2 id="progress-h">Progress</h2>${progress(run.progress)}</section>
<section aria-labelledby="timeline-h" class="card"><h2 id="timeline-h">Timeline</h2>${timeline(run)}</section>
</div>
<section aria-labelledby="log-h" class="card">
<h2 id="log-h">Log</h2>
${older}
<div id="log" class="log" role="log" tabindex="0" aria-label="Run log">${logLines(log)}</div>
<p id="live" class="muted" role="status">${run.active ? 'Reload the page for newer lines.' : ''}</p>
</section>
</main>
<footer class="foot muted">Baton · times in UTC</footer>
</body>
</html>
`;
}

/** A page for links that do not open a run; the same for a wrong token and a missing run. */
export function renderRunRefusal(title: string, message: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${e(title)} · Baton</title>
<link rel="icon" href="/assets/baton-icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/run-page.css"></head>
<body><header class="top"><span class="brand">Baton</span></header>
<main id="refusal"><h1>${e(title)}</h1><p>${e(message)}</p></main></body>
</html>
`;
}
