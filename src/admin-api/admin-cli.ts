import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { AdminApiClient, AdminApiError } from './admin-api-client.ts';
import {
  type AdminCliIo,
  type AdminCommand,
  type CliOutput,
  type OptionValues,
  UsageError,
} from './admin-cli-command.ts';
import { catalogCommands } from './catalog-commands.ts';
import { connectionCommands } from './connection-commands.ts';
import { flagCommands } from './flag-commands.ts';
import { triggerCommands } from './trigger-commands.ts';

export type { AdminCliIo, CliOutput } from './admin-cli-command.ts';

const openApiCommand: AdminCommand = {
  name: 'openapi',
  usage: 'openapi',
  positionals: 0,
  async run(ctx) {
    ctx.out.log(JSON.stringify(await ctx.client.request('GET', '/openapi.json'), null, 2));
  },
};

const commands: AdminCommand[] = [
  ...connectionCommands,
  ...triggerCommands,
  ...flagCommands,
  ...catalogCommands,
  openApiCommand,
];

export const adminUsage = `Usage: baton admin <command> [--json]

Talks to a running Baton's admin API (BATON_URL, default http://127.0.0.1:8080) with the
admin token in BATON_ADMIN_TOKEN. Lists print as tables; --json prints the API's JSON.

Commands:
${commands.map((c) => `  ${c.usage}`).join('\n')}`;

async function readAll(stream: NodeJS.ReadStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks).toString('utf8');
}

const processIo = (out: CliOutput): AdminCliIo => ({
  readEnv: (name) => process.env[name],
  readStdin: () => {
    if (process.stdin.isTTY) out.error('Paste the token, then press Enter and Ctrl-D:');
    return readAll(process.stdin);
  },
  readFile: (path) => readFile(path, 'utf8'),
});

function findCommand(args: string[]): { command: AdminCommand; rest: string[] } | undefined {
  const [first, second] = args;
  const one = commands.find((c) => c.name === first);
  if (one) return { command: one, rest: args.slice(1) };
  const two = commands.find((c) => c.name === `${first ?? ''} ${second ?? ''}`);
  return two ? { command: two, rest: args.slice(2) } : undefined;
}

function parseCommandArgs(command: AdminCommand, rest: string[]) {
  const { positionals, values } = parseArgs({
    args: rest,
    allowPositionals: true,
    strict: true,
    options: { ...command.options, json: { type: 'boolean' } },
  });
  if (positionals.length !== command.positionals) {
    throw new UsageError(
      `Expected ${command.positionals} argument(s), got ${positionals.length}: ${positionals.join(' ')}`,
    );
  }
  return { positionals, values: values as OptionValues };
}

function isParseArgsError(error: unknown): error is TypeError {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    error instanceof TypeError && typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')
  );
}

/**
 * `baton admin …`: calls the admin API over HTTP. Exit codes: 0 done, 1 the API (or the
 * network) refused, 2 the command was called wrongly.
 */
export async function runAdminCommand(
  args: string[],
  env: { url: string; token: string | undefined },
  out: CliOutput,
  io: AdminCliIo = processIo(out),
): Promise<number> {
  if (args.length === 0 || args[0] === 'help' || args.includes('--help') || args.includes('-h')) {
    out.log(adminUsage);
    return args.length === 0 ? 2 : 0;
  }
  const found = findCommand(args);
  if (!found) {
    out.error(`Unknown admin command: ${args.slice(0, 2).join(' ')}\n\n${adminUsage}`);
    return 2;
  }
  const { command, rest } = found;
  try {
    const { positionals, values } = parseCommandArgs(command, rest);
    if (env.token === undefined || env.token === '') {
      out.error('baton admin: set BATON_ADMIN_TOKEN to the admin token of the Baton server');
      return 1;
    }
    const client = new AdminApiClient(env.url, env.token);
    await command.run({ client, out, io, json: values.json === true }, positionals, values);
    return 0;
  } catch (error) {
    if (error instanceof AdminApiError) {
      const status = error.status === 0 ? '' : `, HTTP ${error.status}`;
      out.error(`baton admin: ${error.message} [${error.code}${status}]`);
      return 1;
    }
    if (error instanceof UsageError || isParseArgsError(error)) {
      out.error(`baton admin: ${error.message}\nUsage: baton admin ${command.usage}`);
      return 2;
    }
    throw error;
  }
}
