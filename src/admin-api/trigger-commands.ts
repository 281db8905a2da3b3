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
import { triggerView } from './admin-schemas.ts';
import { formatTable } from './format-table.ts';

const triggerOptions = {
  connection: { type: 'string' },
  account: { type: 'string' },
  scope: { type: 'string' },
  events: { type: 'string' },
  'config-path': { type: 'string' },
  'catalog-flow': { type: 'string' },
  description: { type: 'string' },
  active: { type: 'boolean' },
  inactive: { type: 'boolean' },
} as const;

/** The fields given on the command line, in the API's terms; absent options are left out. */
function triggerFields(values: OptionValues): Record<string, unknown> {
  const scope = stringOption(values, 'scope');
  const events = stringOption(values, 'events');
  const flow = stringOption(values, 'catalog-flow');
  if (values.active === true && values.inactive === true) {
    throw new UsageError('--active and --inactive exclude each other');
  }
  const fields: Record<string, unknown> = {
    description: stringOption(values, 'description'),
    eventTypes: events?.split(',').map((e) => e.trim()),
    connection: stringOption(values, 'connection'),
    serviceAccount: stringOption(values, 'account'),
    scope: scope === undefined ? undefined : parseScope(scope),
    configPath: stringOption(values, 'config-path'),
    catalogFlow: flow === undefined ? undefined : /^\d+$/.test(flow) ? Number(flow) : flow,
    active: values.active === true ? true : values.inactive === true ? false : undefined,
  };
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}

function flowLabel(trigger: z.output<typeof triggerView>): string {
  return trigger.configPath ?? (trigger.catalogFlow ? `catalog:${trigger.catalogFlow.name}` : '');
}

const triggerId = (id: string): string => {
  if (!/^\d+$/.test(id)) throw new UsageError(`A trigger id is a number, not ${id}`);
  return id;
};

/** `triggers …`. */
export const triggerCommands: AdminCommand[] = [
  {
    name: 'triggers list',
    usage: 'triggers list',
    positionals: 0,
    async run(ctx) {
      const value = await ctx.client.request('GET', '/triggers');
      printResult(ctx, value, () =>
        formatTable(
          ['id', 'active', 'events', 'connection', 'account', 'scope', 'flow', 'warnings'],
          z
            .array(triggerView)
            .parse(value)
            .map((t) => [
              String(t.id),
              t.active ? 'yes' : 'no',
              t.eventTypes.join(','),
              t.connection,
              t.serviceAccount,
              `${t.scope.type}:${t.scope.path}`,
              flowLabel(t),
              t.warnings.length > 0 ? 'shared account' : '',
            ]),
        ),
      );
    },
  },
  {
    name: 'triggers show',
    usage: 'triggers show ID',
    positionals: 1,
    async run(ctx, [id = '']) {
      printResult(ctx, await ctx.client.request('GET', `/triggers/${triggerId(id)}`));
    },
  },
  {
    name: 'triggers add',
    usage:
      'triggers add --connection C --account USERNAME --scope project:PATH|group:PATH --events mention,assign,assign_reviewer (--config-path .gitlab/duo/flows/NAME.yaml | --catalog-flow NAME) --description TEXT [--inactive]',
    positionals: 0,
    options: triggerOptions,
    async run(ctx, _positionals, values) {
      for (const name of ['connection', 'account', 'scope', 'events', 'description']) {
        requiredOption(values, name);
      }
      printResult(ctx, await ctx.client.request('POST', '/triggers', triggerFields(values)));
    },
  },
  {
    name: 'triggers update',
    usage: 'triggers update ID [any option of triggers add] [--active | --inactive]',
    positionals: 1,
    options: triggerOptions,
    async run(ctx, [id = ''], values) {
      const body = triggerFields(values);
      printResult(ctx, await ctx.client.request('PATCH', `/triggers/${triggerId(id)}`, body));
    },
  },
  {
    name: 'triggers remove',
    usage: 'triggers remove ID',
    positionals: 1,
    async run(ctx, [id = '']) {
      await ctx.client.request('DELETE', `/triggers/${triggerId(id)}`);
      ctx.out.log(`Removed trigger ${id}`);
    },
  },
];
