import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';

/** Tokens the development forge's default fixture seeds (devforge/fixtures/default.json). */
export const tokens = {
  root: 'glpat-root-admin-token-0001',
  alice: 'glpat-alice-api-token-0001',
  'claude-agent': 'glpat-claude-agent-token-0001',
} as const;
export type ForgeUser = keyof typeof tokens;

export const projectPath = 'demo/app';
export const project = encodeURIComponent(projectPath);
export const flowPath = '.gitlab/duo/flows/claude.yaml';
const flow = `image: node:22-slim
commands:
  - echo "$AI_FLOW_INPUT"
variables:
  - GITLAB_HOST
`;

/** A Note Hook body exactly as the forge sent it, and the thread Baton will reply in. */
export interface CapturedNoteHook {
  discussionId: string;
  body: string;
}

const noteHookShape = z.object({
  object_kind: z.literal('note'),
  object_attributes: z.object({ discussion_id: z.string() }),
});

/** Calls the forge's REST API (setup only; nothing here is timed). */
export async function rest(
  forgeUrl: string,
  as: ForgeUser,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  const response = await fetch(`${forgeUrl}/api/v4${path}`, {
    method,
    headers: {
      'PRIVATE-TOKEN': tokens[as],
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} as ${as}: ${response.status} ${text}`);
  return text === '' ? null : (JSON.parse(text) as unknown);
}

export async function commitFlow(forgeUrl: string): Promise<void> {
  await rest(forgeUrl, 'root', 'POST', `/projects/${project}/repository/commits`, {
    branch: 'main',
    commit_message: `Add ${flowPath}`,
    actions: [{ action: 'create', file_path: flowPath, content: flow }],
  });
}

export async function createIssue(forgeUrl: string, title: string): Promise<number> {
  const issue = (await rest(forgeUrl, 'alice', 'POST', `/projects/${project}/issues`, {
    title,
  })) as { iid: number };
  return issue.iid;
}

export async function addProjectHook(
  forgeUrl: string,
  url: string,
  token: string | undefined,
): Promise<number> {
  const hook = (await rest(forgeUrl, 'root', 'POST', `/projects/${project}/hooks`, {
    url,
    ...(token === undefined ? {} : { token }),
    note_events: true,
    issues_events: true,
    merge_requests_events: true,
    push_events: false,
  })) as { id: number };
  return hook.id;
}

export async function removeProjectHook(forgeUrl: string, id: number): Promise<void> {
  await rest(forgeUrl, 'root', 'DELETE', `/projects/${project}/hooks/${id}`);
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    request.on('error', reject);
  });
}

/**
 * Has alice (a Developer) open `count` threads mentioning the service account, spread over
 * `issues`, and keeps the Note Hook bodies the forge sends for them to a throwaway hook: real
 * payloads with real ids, to replay to Baton at a controlled rate.
 */
export async function captureMentions(options: {
  forgeUrl: string;
  count: number;
  issues: readonly number[];
  mention: string;
  timeoutMs: number;
}): Promise<CapturedNoteHook[]> {
  const { forgeUrl, count, issues, mention, timeoutMs } = options;
  const captured: CapturedNoteHook[] = [];
  let notify: () => void = () => undefined;
  const server = createServer((request, response) => {
    void readBody(request).then((text) => {
      response.writeHead(200).end();
      if (request.headers['x-gitlab-event'] !== 'Note Hook') return;
      const parsed = noteHookShape.safeParse(JSON.parse(text) as unknown);
      if (!parsed.success) return;
      captured.push({ discussionId: parsed.data.object_attributes.discussion_id, body: text });
      if (captured.length >= count) notify();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const hookId = await addProjectHook(forgeUrl, `http://127.0.0.1:${port}/capture`, undefined);
  try {
    const all = new Promise<void>((resolve) => (notify = resolve));
    let next = 0;
    const open = async () => {
      while (next < count) {
        const index = next;
        next += 1;
        const iid = issues[index % issues.length] ?? 1;
        await rest(forgeUrl, 'alice', 'POST', `/projects/${project}/issues/${iid}/discussions`, {
          body: `${mention} could you look into this? (bench thread ${index})`,
        });
      }
    };
    await Promise.all(Array.from({ length: 8 }, open));
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref());
    await Promise.race([all, timeout]);
    if (captured.length < count)
      throw new Error(`captured ${captured.length} of ${count} Note Hooks from the forge`);
    return captured;
  } finally {
    await removeProjectHook(forgeUrl, hookId);
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}
