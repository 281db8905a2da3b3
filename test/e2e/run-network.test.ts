import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createSandbox } from '../../src/sandbox/create-sandbox.ts';
import { BatonHarness } from '../helpers/baton-harness.ts';
import { describeEachDatabase, silentLogger } from '../helpers/database.ts';

/** A flow command that asks the sandbox's proxy for a URL with nothing but bash. */
function fetchThroughProxy(host: string, port: number): string {
  return `'exec 3<>/dev/tcp/127.0.0.1/3128 && printf "GET http://${host}:${port}/ HTTP/1.0\\r\\nHost: ${host}:${port}\\r\\n\\r\\n" >&3 && cat <&3 || echo "no route to ${host}"'`;
}

describeEachDatabase('the network a flow gets', (getDatabase) => {
  let harness: BatonHarness;
  let server: Server;
  let port = 0;

  beforeEach(async () => {
    server = createServer((_req, res) => res.end('hello from the allowed host\n'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    harness = await BatonHarness.start(getDatabase(), {
      // Test names resolve to the loopback test server; production uses real DNS. Only the
      // policy's explicit allowance lets a name that resolves to loopback through.
      sandbox: (dataDir) =>
        createSandbox({
          kind: 'bubblewrap',
          runsRoot: path.join(dataDir, 'sandbox'),
          maskPaths: [dataDir],
          logger: silentLogger(),
          resolveHost: (host) => Promise.resolve(host.endsWith('.test') ? ['127.0.0.1'] : []),
        }),
    });
  });
  afterEach(async () => {
    await harness.close();
    await new Promise((resolve) => server.close(resolve));
  });

  async function runFlow(commands: string[]) {
    await harness.commitFile(
      '.gitlab/duo/flows/net.yaml',
      `image: x\ncommands:\n${commands.map((c) => `  - ${c}`).join('\n')}\n`,
    );
    await harness.addTrigger({ flow: { kind: 'config_path', path: '.gitlab/duo/flows/net.yaml' } });
    await harness.commentOnIssue('alice', '@claude-agent fetch');
    await harness.processed();
    const run = await harness.waitForRun((await harness.onlyRun()).id);
    return {
      run,
      log: (await harness.services.logs.read(run.id)).entries.map((e) => e.text).join(''),
    };
  }

  it('has no outbound network without a network policy', async () => {
    const { log } = await runFlow([fetchThroughProxy('allowed.test', port)]);
    expect(log).toContain('no route to allowed.test');
    expect(log).not.toContain('hello from the allowed host');
  });

  it('reaches only what .gitlab/duo/agent-config.yml allows', async () => {
    await harness.commitFile(
      '.gitlab/duo/agent-config.yml',
      `network_policy:\n  allowed_domains:\n    - allowed.test\n    - 127.0.0.1\n  denied_domains:\n    - denied.test\n`,
    );
    const { run, log } = await runFlow([
      fetchThroughProxy('allowed.test', port),
      fetchThroughProxy('denied.test', port),
    ]);
    expect(run.networkPolicy).toEqual({
      allowedDomains: ['allowed.test', '127.0.0.1'],
      deniedDomains: ['denied.test'],
    });
    expect(log).toContain('hello from the allowed host');
    expect(log).toMatch(/HTTP\/1\.[01] 403/);
  });

  it('says which key is wrong in a broken agent-config.yml', async () => {
    await harness.commitFile(
      '.gitlab/duo/agent-config.yml',
      'network_policy:\n  allowed_domains: "*"\n',
    );
    await harness.commitFile('.gitlab/duo/flows/net.yaml', 'image: x\ncommands:\n  - echo hi\n');
    await harness.addTrigger({ flow: { kind: 'config_path', path: '.gitlab/duo/flows/net.yaml' } });
    const { discussionId } = await harness.commentOnIssue('alice', '@claude-agent fetch');
    await harness.processed();
    expect((await harness.discussionNotes(discussionId))[1]?.body).toContain(
      '❌ Could not start the agent due to this error: invalid .gitlab/duo/agent-config.yml: value at `/network_policy/allowed_domains`',
    );
  });

  it('reaches Baton’s own API at BATON_API_URL and nothing else on the host', async () => {
    const { log } = await runFlow([
      `'echo "api at $BATON_API_URL"'`,
      `'exec 3<>/dev/tcp/127.0.0.1/17080 && printf "GET /healthz HTTP/1.0\\r\\n\\r\\n" >&3 && cat <&3'`,
      `'exec 4<>/dev/tcp/127.0.0.1/${port} || echo "host port closed"'`,
    ]);
    expect(log).toContain('api at http://127.0.0.1:17080');
    expect(log).toContain('{"status":"ok"}');
    expect(log).toContain('host port closed');
    expect(log).not.toContain('hello from the allowed host');
  });
});
