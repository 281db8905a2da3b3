import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { configFilePath, loadConfig } from '../config/load-config.ts';
import { migrateToLatest, migrationStatus } from '../db/migrate.ts';
import { openDatabase } from '../db/open-database.ts';
import { isAppError } from '../errors/app-error.ts';
import { flowTemplate, flowTemplates } from '../flows/flow-templates.ts';
import { validateFlowFile } from '../flows/validate-flow-file.ts';
import { runAdminCommand } from '../admin-api/admin-cli.ts';
import { createLogger } from '../logging/logger.ts';
import { startServer } from './server.ts';

const usage = `Usage: baton <command> [options]

Commands:
  start              Start Baton (embedded PGlite database unless DATABASE_URL is set)
  migrate            Apply database migrations and exit
  migrate --status   List migrations and when each was applied
  admin ...          Manage connections, service accounts, triggers, flags and the flow
                     catalog through the admin API (run 'baton admin help')
  flow validate FILE Check a flow file (GitLab format or Baton-native) and explain any error
  flow templates     List the built-in flows; \`flow templates NAME\` prints one as YAML
  version            Print the version
  help               Show this help

Configuration: environment variables (BATON_PORT, DATABASE_URL, ...) and an optional baton.yaml.
See README.md.`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

function printTemplates(name: string | undefined): number {
  if (name === undefined) {
    const width = Math.max(...flowTemplates.map((t) => t.name.length));
    for (const t of flowTemplates) console.log(`${t.name.padEnd(width)}  ${t.description}`);
    console.log(
      '\nPrint one with `baton flow templates NAME`; save it as .gitlab/duo/flows/NAME.yaml.',
    );
    return 0;
  }
  const template = flowTemplate(name);
  if (template === undefined) {
    console.error(
      `No template named ${name}; there are: ${flowTemplates.map((t) => t.name).join(', ')}`,
    );
    return 1;
  }
  process.stdout.write(template.yaml);
  return 0;
}

async function start(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.log.level });
  // The configuration file may hold provider keys: runs see it as empty.
  const server = await startServer(config, logger, { hiddenPaths: [configFilePath()] });
  console.log(
    `Baton ${version()} is running at ${server.url} (database: ${server.services.database.kind})`,
  );
  const stop = (signal: string): void => {
    logger.info({ signal }, 'shutting down');
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function migrate(status: boolean): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.log.level });
  const database = await openDatabase({ config, logger });
  try {
    if (status) {
      for (const row of await migrationStatus(database)) {
        console.log(
          `${row.appliedAt ? row.appliedAt.toISOString() : 'pending'.padEnd(24)}  ${row.name}`,
        );
      }
      return;
    }
    const { applied } = await migrateToLatest(database, logger);
    console.log(
      applied.length === 0 ? 'Database is up to date.' : `Applied: ${applied.join(', ')}`,
    );
  } finally {
    await database.close();
  }
}

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'admin') {
    // The admin command has flags of its own; it parses them itself.
    const config = loadConfig();
    const url = config.server.publicUrl ?? `http://${config.server.host}:${config.server.port}`;
    return runAdminCommand(
      argv.slice(1),
      { url, token: config.admin.token },
      {
        log: (s) => {
          console.log(s);
        },
        error: (s) => {
          console.error(s);
        },
      },
    );
  }
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { status: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  const [command = 'help'] = positionals;
  switch (command) {
    case 'start':
      await start();
      return -1;
    case 'migrate':
      await migrate(values.status === true);
      return 0;
    case 'flow': {
      const [, sub, file] = positionals;
      if (sub === 'templates') return printTemplates(file);
      if (sub !== 'validate' || file === undefined) {
        console.error(`Usage: baton flow validate FILE | baton flow templates [NAME]`);
        return 2;
      }
      const result = await validateFlowFile(file);
      (result.ok ? console.log : console.error)(result.report);
      return result.ok ? 0 : 1;
    }
    case 'version':
      console.log(version());
      return 0;
    case 'help':
      console.log(usage);
      return 0;
    default:
      console.error(`Unknown command: ${command}\n\n${usage}`);
      return 2;
  }
}

try {
  const code = await main(process.argv.slice(2));
  if (code >= 0) process.exit(code);
} catch (error) {
  if (isAppError(error)) {
    console.error(`baton: ${error.message} [${error.code}]`);
  } else {
    console.error(error);
  }
  process.exit(1);
}
