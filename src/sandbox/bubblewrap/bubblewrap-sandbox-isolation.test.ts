import { createServer, type Server } from 'node:http';
import { chmod, mkdir, stat, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSandboxTestKit,
  requireWorkingSandbox,
  runToEnd,
  type SandboxTestKit,
} from './sandbox-test-kit.ts';

let kit: SandboxTestKit;
let server: Server | undefined;
let hostPort: number;

/** Fake names only: the proxy resolves them to the loopback test server, never to the internet. */
const fakeDns: Record<string, string[]> = {
  'allowed.test': ['127.0.0.1'],
  'denied.test': ['127.0.0.1'],
  'sneaky.test': ['127.0.0.1'],
};

beforeAll(async () => {
  kit = await createSandboxTestKit(220_000, (host) => Promise.resolve(fakeDns[host] ?? []));
  await requireWorkingSandbox(kit.sandbox);
  const listening = createServer((req, res) =>
    res.end(`host says ${req.method ?? ''} ${req.url ?? ''}`),
  );
  await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
  server = listening;
  hostPort = (listening.address() as AddressInfo).port;
});

afterAll(async () => {
  const listening = server;
  if (listening !== undefined) await new Promise((resolve) => listening.close(resolve));
  await kit.cleanUp();
});

describe('bubblewrap sandbox isolation', () => {
  it("cannot read Baton's data directory, even a world-readable file in it", async () => {
    await writeFile(join(kit.dataDir, 'baton.db'), 'database', { mode: 0o600 });
    await writeFile(join(kit.dataDir, 'config.json'), '{"secret":1}', { mode: 0o644 });
    const script = 'cat "$1/baton.db"; cat "$1/config.json"; ls -A "$1" | wc -l';
    const spec = await kit.spec('read-data', ['/bin/sh', '-c', script, 'sh', kit.dataDir]);
    const { text } = await runToEnd(await kit.sandbox.start(spec));
    expect(text).not.toContain('database');
    expect(text).not.toContain('secret');
    expect(text).toMatch(/No such file[\s\S]*No such file[\s\S]*^0$/m);
  });

  it("reads Baton's configuration file as empty, even when it is world-readable", async () => {
    const file = join(kit.dataDir, '..', 'baton.yaml');
    const spec = await kit.spec('read-config', [
      '/bin/sh',
      '-c',
      'cat "$1"; echo "[end]"',
      'sh',
      file,
    ]);
    const { text } = await runToEnd(await kit.sandbox.start(spec));
    expect(text).not.toContain('sk-config-secret');
    expect(text).toContain('[end]');
  });

  it('refuses a read-only path its uid cannot reach, naming the directory to fix', async () => {
    const hidden = join(kit.dataDir, '..', 'owner-only');
    await mkdir(join(hidden, 'tools'), { recursive: true, mode: 0o700 });
    await chmod(hidden, 0o700);
    const spec = await kit.spec('unreachable-tool', ['/bin/true']);
    await expect(
      kit.sandbox.start({ ...spec, readOnlyPaths: [join(hidden, 'tools')] }),
    ).rejects.toThrow(`chmod o+x ${hidden}`);
  });

  it("cannot see another run's workspace", async () => {
    const other = await kit.workspace('other-run');
    await writeFile(join(other, 'secret.txt'), 'other run secret', { mode: 0o644 });
    const spec = await kit.spec('nosy', [
      '/bin/sh',
      '-c',
      'cat "$1/secret.txt"; ls "$2"',
      'sh',
      other,
      kit.runsRoot,
    ]);
    const { text } = await runToEnd(await kit.sandbox.start(spec));
    expect(text).not.toContain('other run secret');
    expect(text).toContain('No such file');
    // The runs root shows only this run's own directory.
    expect(text).toMatch(/^nosy$/m);
    expect(text).not.toMatch(/^other-run$/m);
  });

  it('cannot write the system; writes land in the workspace, owned by the run uid', async () => {
    const script = 'touch /etc/baton-test || echo etc-refused; echo hi > out.txt; id -u';
    const spec = await kit.spec('writer', ['/bin/sh', '-c', script]);
    const { text, end } = await runToEnd(await kit.sandbox.start(spec));
    expect(end).toMatchObject({ reason: 'exited', code: 0 });
    expect(text).toContain('Read-only file system');
    expect(text).toContain('etc-refused');
    const owner = (await stat(join(spec.workspaceDir, 'out.txt'))).uid;
    expect(owner).toBeGreaterThanOrEqual(220_000);
    expect(text).toContain(String(owner));
    await expect(stat('/etc/baton-test')).rejects.toThrow();
  });

  it('sees only the environment the spec gave, plus HOME, PATH and PWD', async () => {
    process.env['BATON_TEST_SERVER_SECRET'] = 'must-not-leak';
    const spec = await kit.spec('env', ['/usr/bin/env'], {
      env: { FLOW_VAR: 'one', AI_FLOW_INPUT: 'two words' },
    });
    const { text } = await runToEnd(await kit.sandbox.start(spec));
    delete process.env['BATON_TEST_SERVER_SECRET'];
    const names = text
      .trim()
      .split('\n')
      .map((line) => line.split('=')[0]);
    expect(names.sort()).toEqual(['AI_FLOW_INPUT', 'FLOW_VAR', 'HOME', 'PATH', 'PWD']);
    expect(text).toContain('AI_FLOW_INPUT=two words');
  });

  it("reaches Baton's service through its forwarded port, but not the host's TCP port directly", async () => {
    const script =
      'curl -sS http://127.0.0.1:8080/through-socket; echo; curl -sS -m 5 http://127.0.0.1:$1/; echo "direct=$?"';
    const spec = await kit.spec('forward', ['/bin/sh', '-c', script, 'sh', String(hostPort)], {
      forwards: [{ name: 'api', port: 8080, target: { host: '127.0.0.1', port: hostPort } }],
    });
    const { text } = await runToEnd(await kit.sandbox.start(spec));
    expect(text).toContain('host says GET /through-socket');
    expect(text).toContain('direct=7');
  });

  it('lets an allowed domain through the policy proxy and refuses denied and internal ones', async () => {
    await mkdir(join(kit.runsRoot, 'proxy'), { recursive: true });
    const script = [
      'curl -sS http://allowed.test:$1/via-proxy; echo',
      'curl -s -o /dev/null -w "denied=%{http_code}\\n" http://denied.test:$1/',
      'curl -s -o /dev/null -w "sneaky=%{http_code}\\n" http://sneaky.test:$1/',
      'curl -sS https://denied.test/ 2>&1; echo "tls=$?"',
      'curl -sS -m 5 --noproxy "*" http://allowed.test:$1/ 2>&1; echo "bypass=$?"',
    ].join('\n');
    const spec = await kit.spec('proxy', ['/bin/sh', '-c', script, 'sh', String(hostPort)], {
      network: {
        allowedDomains: [
          'allowed.test',
          '*.denied.test',
          'denied.test',
          'sneaky.test',
          '127.0.0.1',
        ],
        deniedDomains: ['denied.test'],
      },
    });
    const { text } = await runToEnd(await kit.sandbox.start(spec));
    expect(text).toContain('host says GET /via-proxy');
    expect(text).toContain('denied=403');
    expect(text).toContain('CONNECT tunnel failed, response 403');
    expect(text).toMatch(/bypass=[67]/);
    const decisions = kit.logLines
      .filter((line) => line.includes('network policy decision'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(decisions).toContainEqual(
      expect.objectContaining({ host: 'allowed.test', decision: 'allowed' }),
    );
    expect(decisions).toContainEqual(
      expect.objectContaining({
        host: 'denied.test',
        decision: 'denied',
        rule: 'denied_domains: denied.test',
      }),
    );
  });
});
