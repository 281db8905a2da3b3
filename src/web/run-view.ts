import type { RunStatus } from '../db/schema.ts';
import { isRunOutcome, type ProgressItem, type RunEnd } from '../runs/run-events.ts';
import type { RunLogSnapshot } from '../runs/run-log.ts';
import type { Run } from '../runs/run-store.ts';

/**
 * Environment values a viewer may see. Everything else is listed by name only: the rest holds
 * the thread's text (AI_FLOW_CONTEXT, AI_FLOW_INPUT), people's e-mail addresses and, once the
 * executor adds them, project variables, whose values may be secrets. An allow-list, so that a
 * variable added later is hidden until someone decides otherwise.
 */
export const visibleEnvironmentValues: readonly string[] = [
  'AI_FLOW_EVENT',
  'AI_FLOW_PROJECT_PATH',
];

export interface TimelineStep {
  from: RunStatus | null;
  to: RunStatus;
  reason: string;
  at: string;
}

export interface RunSummaryView {
  id: string;
  status: RunStatus;
  projectPath: string;
  noteable: { type: 'issue' | 'merge_request'; iid: number };
  eventType: string;
  requestedBy: { username: string; name: string };
  createdAt: string;
  failure: string | null;
}

export interface RunView extends RunSummaryView {
  active: boolean;
  projectId: number;
  /** Links back to GitLab, when the connection's address is known. */
  links: { project?: string; noteable?: string };
  flowSource: string;
  flow: { format: 'gitlab' | 'native'; agent?: string; image?: string };
  environment: { names: string[]; values: Record<string, string> };
  timeline: TimelineStep[];
  progress: ProgressItem[];
  result: RunEnd | null;
}

/** Only http(s) URLs become links: a `javascript:` URL in a result must stay text. */
export function safeHttpUrl(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

function forgeLinks(run: Run, baseUrl: string | undefined): RunView['links'] {
  const base = safeHttpUrl(baseUrl)?.replace(/\/+$/, '');
  if (base === undefined) return {};
  const project = `${base}/${run.projectPath.split('/').map(encodeURIComponent).join('/')}`;
  const kind = run.noteable.type === 'issue' ? 'issues' : 'merge_requests';
  const note = run.ackNoteId === null ? '' : `#note_${run.ackNoteId}`;
  return { project, noteable: `${project}/-/${kind}/${run.noteable.iid}${note}` };
}

export function toRunSummaryView(run: Run): RunSummaryView {
  return {
    id: run.id,
    status: run.status,
    projectPath: run.projectPath,
    noteable: { type: run.noteable.type, iid: run.noteable.iid },
    eventType: run.eventType,
    // No e-mail address: GitLab itself hides it from most viewers.
    requestedBy: { username: run.requestedBy.username, name: run.requestedBy.name },
    createdAt: run.createdAt.toISOString(),
    failure: run.failure,
  };
}

export function toRunView(input: {
  run: Run;
  transitions: { from: RunStatus | null; to: RunStatus; reason: string; at: Date }[];
  snapshot: RunLogSnapshot;
  forgeBaseUrl: string | undefined;
}): RunView {
  const { run, snapshot } = input;
  const values: Record<string, string> = {};
  for (const name of visibleEnvironmentValues) {
    const value = run.environment[name];
    if (value !== undefined) values[name] = value;
  }
  const flow: RunView['flow'] =
    run.flow.format === 'native'
      ? { format: 'native', agent: run.flow.agent }
      : { format: 'gitlab', image: run.flow.image };
  const result = snapshot.end === undefined ? null : { ...snapshot.end };
  if (result !== null) {
    const url = safeHttpUrl(result.resultUrl);
    if (url === undefined) delete result.resultUrl;
    else result.resultUrl = url;
  }
  return {
    ...toRunSummaryView(run),
    active: !isRunOutcome(run.status),
    projectId: run.projectId,
    links: forgeLinks(run, input.forgeBaseUrl),
    flowSource: run.flowSource,
    flow,
    environment: { names: Object.keys(run.environment).sort(), values },
    timeline: input.transitions.map((t) => ({ ...t, at: t.at.toISOString() })),
    progress: snapshot.progress,
    result,
  };
}
