import { type AdminCommand, printResult, stringOption, UsageError } from './admin-cli-command.ts';
import { flagsView } from './admin-schemas.ts';
import { formatTable } from './format-table.ts';

type FlagScope =
  { type: 'instance' } | { type: 'group' | 'project'; connection: string; path: string };

/** `instance`, or `group:CONNECTION:PATH` / `project:CONNECTION:PATH`. */
function parseFlagScope(value: string | undefined): FlagScope {
  if (value === undefined || value === 'instance') return { type: 'instance' };
  const match = /^(group|project):([^:]+):(.+)$/.exec(value);
  if (!match?.[1] || !match[2] || !match[3]) {
    throw new UsageError(
      `--scope must be instance, group:CONNECTION:PATH or project:CONNECTION:PATH, not ${value}`,
    );
  }
  return { type: match[1] as 'group' | 'project', connection: match[2], path: match[3] };
}

function scopeLabel(scope: FlagScope): string {
  return scope.type === 'instance' ? 'instance' : `${scope.type}:${scope.connection}:${scope.path}`;
}

const scopeOption = { scope: { type: 'string' } } as const;

/** `flags …`. */
export const flagCommands: AdminCommand[] = [
  {
    name: 'flags list',
    usage: 'flags list',
    positionals: 0,
    async run(ctx) {
      const value = await ctx.client.request('GET', '/flags');
      printResult(ctx, value, () => {
        const { flags, settings } = flagsView.parse(value);
        return formatTable(
          ['name', 'scope', 'enabled'],
          [
            ...flags.map((f) => [f.name, 'default', f.default ? 'on' : 'off']),
            ...settings.map((s) => [s.name, scopeLabel(s.scope), s.enabled ? 'on' : 'off']),
          ],
        );
      });
    },
  },
  {
    name: 'flags set',
    usage: 'flags set NAME on|off [--scope instance|group:CONNECTION:PATH|project:CONNECTION:PATH]',
    positionals: 2,
    options: scopeOption,
    async run(ctx, [name = '', state = ''], values) {
      if (state !== 'on' && state !== 'off') throw new UsageError(`Say on or off, not ${state}`);
      const body = {
        scope: parseFlagScope(stringOption(values, 'scope')),
        enabled: state === 'on',
      };
      printResult(ctx, await ctx.client.request('PUT', `/flags/${encodeURIComponent(name)}`, body));
    },
  },
  {
    name: 'flags unset',
    usage: 'flags unset NAME [--scope instance|group:CONNECTION:PATH|project:CONNECTION:PATH]',
    positionals: 1,
    options: scopeOption,
    async run(ctx, [name = ''], values) {
      const scope = parseFlagScope(stringOption(values, 'scope'));
      const query = new URLSearchParams(
        scope.type === 'instance'
          ? { scopeType: 'instance' }
          : { scopeType: scope.type, connection: scope.connection, path: scope.path },
      );
      await ctx.client.request('DELETE', `/flags/${encodeURIComponent(name)}?${query.toString()}`);
      ctx.out.log(`Unset ${name} for ${scopeLabel(scope)}`);
    },
  },
];
