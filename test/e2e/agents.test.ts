/**
 * The four agent CLIs from npm, end to end: a mention on the development forge → acknowledgement
 * → the real CLI in the bubblewrap sandbox, reaching the scripted provider only through Baton's
 * gateway with its per-run token → a merge request with its change → one final note with the
 * link and the token usage. Each CLI runs under strace, so every connection it attempts is on
 * record; the Claude Code run also searches its own sandbox for the provider key and the forge
 * token.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import type { AgentName } from '../../src/flows/flow-definition.ts';
import type { Run } from '../../src/runs/run-store.ts';
import { sandboxApiPort } from '../../src/runs/prepare-run.ts';
import { registryEnvironmentFrom } from '../../src/config/load-config.ts';
import { ensureTestTools, testToolCacheDir } from '../helpers/agent-tools.ts';
import { BatonHarness, projectPath } from '../helpers/baton-harness.ts';
import { describeEachDatabase } from '../helpers/database.ts';
import {
  loadScenario,
  startScriptedProvider,
  type Scenario,
  type ScriptedProvider,
} from '../providers/scripted-provider.ts';

interface AgentCase {
  agent: AgentName;
  model: string;
}

const cases: AgentCase[] = [
  { agent: 'claude', model: 'claude-sonnet-4-5' },
  { agent: 'codex', model: 'gpt-5.5' },
  { agent: 'opencode', model: 'claude-sonnet-4-5' },
  { agent: 'gemini', model: 'gemini-2.5-flash' },
];

/** Generous: the first run of a CLI on a machine installs it from npm (up to a few minutes). */
const agentTimeout = 600_000;

/**
 * strace in a shell of its own: the sandbox's first process also parents the port forwarders,
 * and strace in its place would wait for them for ever.
 */
const tracer = (command: string[]): string[] => [
  '/bin/sh',
  '-c',
  'strace -f -qq -e trace=connect,sendto,sendmsg,sendmmsg -e signal=none -- "$@"',
  'traced',
  ...command,
];

/** Every IPv4/IPv6 address:port the CLI tried to reach, from strace's lines in the run log. */
function attemptedHosts(log: string): string[] {
  const hosts = new Set<string>();
  const v4 = /sin_port=htons\((\d+)\), sin_addr=inet_addr\("([^"]+)"\)/g;
  const v6 = /sin6_port=htons\((\d+)\),.*?inet_pton\(AF_INET6, "([^"]+)"/g;
  for (const match of log.matchAll(v4)) hosts.add(`${match[2] ?? ''}:${match[1] ?? ''}`);
  for (const match of log.matchAll(v6)) hosts.add(`[${match[2] ?? ''}]:${match[1] ?? ''}`);
  return [...hosts];
}

/** A regex for `secret` that does not match its own text, so the search never finds itself. */
function selfBlindPattern(secret: string): string {
  return `[${secret.slice(0, 1)}]${secret.slice(1).replace(/[^A-Za-z0-9_-]/g, '.')}`;
}

/**
 * A shell line (its markers split in two, so that the command's own text never reads as its
 * output) that searches the sandbox for the secrets: every process's environment and arguments,
 * and every readable file outside the operating system's own directories. Each hit prints
 * `FOUND <label>: <where>`.
 */
function leakSearch(label: string, secrets: string[]): string {
  const pattern = secrets.map(selfBlindPattern).join('|');
  return [
    `p='${pattern}'`,
    `for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline; do tr "\\0" "\\n" < "$f" 2>/dev/null | grep -E -q "$p" && echo "FOU""ND ${label}: $f"; done`,
    `grep -r -l -E "$p" / --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev --exclude-dir=usr --exclude-dir=lib --exclude-dir=lib64 --exclude-dir=bin --exclude-dir=sbin --exclude-dir=boot 2>/dev/null | head -5 | sed "s/^/FOU""ND ${label}: /"`,
  ].join('; ');
}

describeEachDatabase(
  'agent CLIs from npm, end to end',
  (getDatabase) => {
    let harness: BatonHarness | undefined;
    let provider: ScriptedProvider | undefined;
    const providerKey = `sk-baton-e2e-${randomBytes(12).toString('hex')}`;

    afterEach(async () => {
      await harness?.close();
      await provider?.close();
      harness = undefined;
      provider = undefined;
    });

    async function start(agent: AgentCase, scenario: Scenario, flowOptions = '') {
      await ensureTestTools([agent.agent]);
      provider = await startScriptedProvider({
        keys: { anthropic: providerKey, openai: providerKey, google: providerKey },
        scenario,
      });
      harness = await BatonHarness.start(getDatabase(), {
        config: {
          gateway: {
            providers: {
              anthropic: { baseUrl: provider.url, apiKey: providerKey },
              openai: { baseUrl: provider.url, apiKey: providerKey },
              google: { baseUrl: provider.url, apiKey: providerKey },
            },
          },
          agents: {
            toolCacheDir: testToolCacheDir(),
            registryEnvironment: registryEnvironmentFrom(process.env),
          },
        },
        wrapAgentCommand: tracer,
      });
      // A token of its own, so that no file anywhere holds it by chance (the search is global).
      const accountToken = await harness.newServiceAccountToken('claude-agent');
      const flowPath = `.gitlab/duo/flows/native-${agent.agent}.yaml`;
      await harness.commitFile(
        flowPath,
        `agent: ${agent.agent}\nmodel: ${agent.model}\n${flowOptions}`,
      );
      await harness.addTrigger({ flow: { kind: 'config_path', path: flowPath } });
      return { harness, provider, accountToken };
    }

    async function mention(
      h: BatonHarness,
      text: string,
    ): Promise<{ run: Run; discussionId: string }> {
      const { discussionId } = await h.commentOnIssue('alice', `@claude-agent ${text}`);
      await h.processed();
      const queued = await h.onlyRun();
      return { run: await h.waitForRun(queued.id), discussionId };
    }

    async function runLog(h: BatonHarness, runId: string, stream?: 'stderr'): Promise<string> {
      return (await h.services.logs.read(runId)).entries
        .filter((e) => stream === undefined || e.stream === stream)
        .map((e) => e.text)
        .join('');
    }

    it.each(cases)(
      '$agent edits a file through its own tools and ends in a merge request',
      async (agentCase) => {
        const scenario = loadScenario('write-hello');
        const { harness: h, provider: p } = await start(agentCase, scenario);
        const { run, discussionId } = await mention(h, 'please add hello.txt');
        const log = await runLog(h, run.id);
        expect(run.status, `${run.failure ?? ''}\n${log.slice(-3000)}`).toBe('succeeded');

        // The change, published by Baton as a merge request from the run's branch.
        const file = (await h.rest(
          'root',
          'GET',
          `/projects/${encodeURIComponent(projectPath)}/repository/files/hello.txt?ref=workloads/${run.id}`,
        )) as { content: string };
        expect(Buffer.from(file.content, 'base64').toString('utf8').trim()).toBe('hi from agent');
        const mrs = (await h.rest(
          'root',
          'GET',
          `/projects/${encodeURIComponent(projectPath)}/merge_requests?source_branch=workloads/${run.id}`,
        )) as { web_url: string }[];
        expect(mrs).toHaveLength(1);

        // One final note: the acknowledgement, edited into the MR link with the token usage.
        const replies = (await h.discussionNotes(discussionId)).slice(1);
        expect(replies).toHaveLength(1);
        expect(replies[0]?.body).toContain(mrs[0]?.web_url ?? 'missing');
        expect(replies[0]?.body).toMatch(/\d[\d,]* input \/ \d[\d,]* output tokens/);

        // The provider saw Baton's key, never the run's token; every model call went through.
        expect(p.requests.length).toBeGreaterThanOrEqual(2);
        for (const request of p.requests) {
          expect(JSON.stringify(request.headers)).toContain(providerKey);
        }

        // Nothing but the gateway's forwarded port was ever dialled from inside.
        // strace writes to the CLI's stderr.
        const hosts = attemptedHosts(await runLog(h, run.id, 'stderr'));
        expect(
          hosts.length,
          `strace recorded no connection at all:\n${log.slice(-4000)}`,
        ).toBeGreaterThan(0);
        expect(hosts).toEqual([`127.0.0.1:${sandboxApiPort}`]);
      },
      agentTimeout,
    );

    it(
      'leaves no provider key and no forge token anywhere inside the sandbox',
      async () => {
        const probe: Scenario = { name: 'leak-search', turns: [{ shell: '' }, { text: 'done' }] };
        // Claude Code runs no shell command in -p mode unless the flow allows its Bash tool. The
        // flow also lists a variable: the canary the search must find, or it proves nothing.
        const {
          harness: h,
          provider: p,
          accountToken,
        } = await start(
          cases[0] as AgentCase,
          probe,
          'allowed_tools:\n  - Bash\nvariables:\n  - BATON_CANARY\n',
        );
        const canary = `canary-${randomBytes(12).toString('hex')}`;
        await h.services.variables.set({
          connectionId: 'devforge',
          scope: { type: 'project', path: projectPath },
          key: 'BATON_CANARY',
          value: canary,
        });
        p.setScenario({
          name: 'leak-search',
          turns: [
            {
              shell: [
                leakSearch('secret', [providerKey, accountToken, h.webhookSecret]),
                leakSearch('canary', [canary]),
                'echo "search fin""ished"',
              ].join('; '),
            },
            { text: 'searched' },
          ],
        });
        const { run } = await mention(h, 'look around');
        const log = await runLog(h, run.id);
        expect(run.status, `${run.failure ?? ''}\n${log.slice(-3000)}`).toBe('succeeded');
        // The search's output went back to the model as the tool's result.
        const results = JSON.stringify(p.requests.map((r) => r.body));
        expect(results).toContain('search finished');
        expect(results).toMatch(/FOUND canary: \/proc\/\d+\/environ/);
        expect(results.match(/FOUND secret: [^\\"]*/g) ?? []).toEqual([]);
      },
      agentTimeout,
    );

    it(
      'answers a question with a reply in the thread and no merge request',
      async () => {
        const { harness: h } = await start(cases[1] as AgentCase, loadScenario('answer-question'));
        const { run, discussionId } = await mention(h, 'what does greet() do?');
        expect(run.status, run.failure ?? '').toBe('succeeded');
        const replies = (await h.discussionNotes(discussionId)).slice(1);
        const answer = replies.at(-1)?.body ?? '';
        const scripted = loadScenario('answer-question').turns.at(-1);
        expect(scripted && 'text' in scripted ? answer : '').toContain(
          scripted && 'text' in scripted ? scripted.text.slice(0, 40) : 'missing',
        );
        const mrs = (await h.rest(
          'root',
          'GET',
          `/projects/${encodeURIComponent(projectPath)}/merge_requests?source_branch=workloads/${run.id}`,
        )) as unknown[];
        expect(mrs).toEqual([]);
      },
      agentTimeout,
    );

    it(
      'ends with one clear failure note when the provider fails',
      async () => {
        const { harness: h } = await start(cases[3] as AgentCase, loadScenario('provider-fails'));
        const { run, discussionId } = await mention(h, 'please add hello.txt');
        expect(run.status).toBe('failed');
        const replies = (await h.discussionNotes(discussionId)).slice(1);
        expect(replies).toHaveLength(1);
        expect(replies[0]?.body).toContain('❌ The run failed while running the agent');
      },
      agentTimeout,
    );
  },
  { engines: ['postgres'] },
);
