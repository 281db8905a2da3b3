import { z } from 'zod';
import {
  type AdminCommand,
  printResult,
  requiredOption,
  stringOption,
  UsageError,
} from './admin-cli-command.ts';
import { connectionView, serviceAccountView } from './admin-schemas.ts';
import { formatTable } from './format-table.ts';

const enc = encodeURIComponent;

function accountsTable(value: unknown): string {
  const accounts = z.array(serviceAccountView).parse(value);
  return formatTable(
    ['username', 'name', 'forge id', 'token'],
    accounts.map((a) => [
      a.username,
      a.name,
      String(a.forgeUserId),
      a.tokenEnding ? `…${a.tokenEnding}` : '',
    ]),
  );
}

/** `connections …` and `accounts …`. */
export const connectionCommands: AdminCommand[] = [
  {
    name: 'connections list',
    usage: 'connections list',
    positionals: 0,
    async run(ctx) {
      const value = await ctx.client.request('GET', '/connections');
      printResult(ctx, value, () =>
        formatTable(
          ['id', 'url', 'webhook url', 'accounts'],
          z
            .array(connectionView)
            .parse(value)
            .map((c) => [
              c.id,
              c.url,
              c.webhookUrl,
              c.serviceAccounts.map((a) => a.username).join(','),
            ]),
        ),
      );
    },
  },
  {
    name: 'connections show',
    usage: 'connections show ID',
    positionals: 1,
    async run(ctx, [id = '']) {
      printResult(ctx, await ctx.client.request('GET', `/connections/${enc(id)}`));
    },
  },
  {
    name: 'connections add',
    usage: 'connections add ID --url URL (--webhook-secret-env VAR | --webhook-secret SECRET)',
    positionals: 1,
    options: {
      url: { type: 'string' },
      'webhook-secret': { type: 'string' },
      'webhook-secret-env': { type: 'string' },
    },
    async run(ctx, [id = ''], values) {
      const fromEnv = stringOption(values, 'webhook-secret-env');
      const webhookSecret =
        fromEnv === undefined ? requiredOption(values, 'webhook-secret') : ctx.io.readEnv(fromEnv);
      if (webhookSecret === undefined || webhookSecret === '') {
        throw new UsageError(`The environment variable ${fromEnv ?? ''} is not set`);
      }
      const body = { url: requiredOption(values, 'url'), webhookSecret };
      printResult(ctx, await ctx.client.request('PUT', `/connections/${enc(id)}`, body));
    },
  },
  {
    name: 'connections remove',
    usage: 'connections remove ID',
    positionals: 1,
    async run(ctx, [id = '']) {
      await ctx.client.request('DELETE', `/connections/${enc(id)}`);
      ctx.out.log(`Removed connection ${id}`);
    },
  },
  {
    name: 'accounts list',
    usage: 'accounts list CONNECTION',
    positionals: 1,
    async run(ctx, [connection = '']) {
      const value = await ctx.client.request(
        'GET',
        `/connections/${enc(connection)}/service-accounts`,
      );
      printResult(ctx, value, () => accountsTable(value));
    },
  },
  {
    name: 'accounts add',
    usage:
      'accounts add CONNECTION [--token-env VAR]   (without --token-env: the token is read from stdin)',
    positionals: 1,
    options: { 'token-env': { type: 'string' } },
    async run(ctx, [connection = ''], values) {
      // Never a --token flag: a token on the command line lands in shell history and `ps`.
      const variable = stringOption(values, 'token-env');
      const token = (
        variable === undefined ? await ctx.io.readStdin() : ctx.io.readEnv(variable)
      )?.trim();
      if (token === undefined || token === '') {
        throw new UsageError(
          variable === undefined
            ? 'No token on stdin'
            : `The environment variable ${variable} is not set`,
        );
      }
      const path = `/connections/${enc(connection)}/service-accounts`;
      printResult(ctx, await ctx.client.request('POST', path, { token }));
    },
  },
  {
    name: 'accounts remove',
    usage: 'accounts remove CONNECTION USERNAME',
    positionals: 2,
    async run(ctx, [connection = '', username = '']) {
      await ctx.client.request(
        'DELETE',
        `/connections/${enc(connection)}/service-accounts/${enc(username)}`,
      );
      ctx.out.log(`Removed service account ${username} from ${connection}`);
    },
  },
];
