import { z } from 'zod';
import {
  type AdminCommand,
  type OptionValues,
  parseScope,
  printResult,
  requiredOption,
  stringOption,
  UsageError,
} from './admin-cli-command.ts';
import { catalogFlowView, enablementView } from './admin-schemas.ts';
import { formatTable } from './format-table.ts';

const enc = encodeURIComponent;

function visibility(values: OptionValues): 'public' | 'private' | undefined {
  if (values.public === true && values.private === true) {
    throw new UsageError('--public and --private exclude each other');
  }
  return values.public === true ? 'public' : values.private === true ? 'private' : undefined;
}

const enablementOptions = { connection: { type: 'string' }, scope: { type: 'string' } } as const;

/** `catalog …`: flows and where they are enabled. */
export const catalogCommands: AdminCommand[] = [
  {
    name: 'catalog list',
    usage: 'catalog list',
    positionals: 0,
    async run(ctx) {
      const value = await ctx.client.request('GET', '/catalog-flows');
      printResult(ctx, value, () =>
        formatTable(
          ['id', 'name', 'visibility', 'description'],
          z
            .array(catalogFlowView)
            .parse(value)
            .map((f) => [String(f.id), f.name, f.visibility, f.description]),
        ),
      );
    },
  },
  {
    name: 'catalog show',
    usage: 'catalog show NAME',
    positionals: 1,
    async run(ctx, [name = '']) {
      printResult(ctx, await ctx.client.request('GET', `/catalog-flows/${enc(name)}`));
    },
  },
  {
    name: 'catalog add',
    usage: 'catalog add NAME --file FLOW.yaml [--description TEXT] [--public]',
    positionals: 1,
    options: {
      file: { type: 'string' },
      description: { type: 'string' },
      public: { type: 'boolean' },
    },
    async run(ctx, [name = ''], values) {
      const definition = await ctx.io.readFile(requiredOption(values, 'file'));
      const body = {
        name,
        definition,
        visibility: values.public === true ? 'public' : 'private',
        ...(values.description === undefined ? {} : { description: values.description }),
      };
      printResult(ctx, await ctx.client.request('POST', '/catalog-flows', body));
    },
  },
  {
    name: 'catalog update',
    usage:
      'catalog update NAME [--file FLOW.yaml] [--description TEXT] [--rename NEW] [--public | --private]',
    positionals: 1,
    options: {
      file: { type: 'string' },
      description: { type: 'string' },
      rename: { type: 'string' },
      public: { type: 'boolean' },
      private: { type: 'boolean' },
    },
    async run(ctx, [name = ''], values) {
      const file = stringOption(values, 'file');
      const fields = {
        name: stringOption(values, 'rename'),
        description: stringOption(values, 'description'),
        visibility: visibility(values),
        definition: file === undefined ? undefined : await ctx.io.readFile(file),
      };
      const body = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
      printResult(ctx, await ctx.client.request('PATCH', `/catalog-flows/${enc(name)}`, body));
    },
  },
  {
    name: 'catalog remove',
    usage: 'catalog remove NAME',
    positionals: 1,
    async run(ctx, [name = '']) {
      await ctx.client.request('DELETE', `/catalog-flows/${enc(name)}`);
      ctx.out.log(`Removed catalog flow ${name}`);
    },
  },
  {
    name: 'catalog enable',
    usage: 'catalog enable NAME --connection C --scope project:PATH|group:PATH',
    positionals: 1,
    options: enablementOptions,
    async run(ctx, [name = ''], values) {
      const body = {
        connection: requiredOption(values, 'connection'),
        scope: parseScope(requiredOption(values, 'scope')),
      };
      printResult(
        ctx,
        await ctx.client.request('POST', `/catalog-flows/${enc(name)}/enablements`, body),
      );
    },
  },
  {
    name: 'catalog disable',
    usage: 'catalog disable NAME --connection C --scope project:PATH|group:PATH',
    positionals: 1,
    options: enablementOptions,
    async run(ctx, [name = ''], values) {
      const scope = parseScope(requiredOption(values, 'scope'));
      const query = new URLSearchParams({
        connection: requiredOption(values, 'connection'),
        scopeType: scope.type,
        path: scope.path,
      });
      await ctx.client.request(
        'DELETE',
        `/catalog-flows/${enc(name)}/enablements?${query.toString()}`,
      );
      ctx.out.log(`Disabled ${name} for ${scope.type} ${scope.path}`);
    },
  },
  {
    name: 'catalog enablements',
    usage: 'catalog enablements NAME',
    positionals: 1,
    async run(ctx, [name = '']) {
      const value = await ctx.client.request('GET', `/catalog-flows/${enc(name)}/enablements`);
      printResult(ctx, value, () =>
        formatTable(
          ['connection', 'scope'],
          z
            .array(enablementView)
            .parse(value)
            .map((e) => [e.connection, `${e.scope.type}:${e.scope.path}`]),
        ),
      );
    },
  },
];
