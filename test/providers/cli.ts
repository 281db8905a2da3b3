/**
 * Runs the scripted provider on its own, for the demo and the gateway benchmark:
 *
 *   node --import tsx test/providers/cli.ts --port 9100 --scenario demo \
 *     --anthropic-key K --openai-key K --google-key K
 *
 * Prints the URL on the first line of stdout once it listens; stops on SIGINT or SIGTERM.
 */
import { parseArgs } from 'node:util';
import { loadScenario, startScriptedProvider } from './scripted-provider.ts';

const usage =
  'usage: cli.ts [--port N] [--scenario NAME|PATH] [--anthropic-key K] [--openai-key K] [--google-key K]';

function parseOptions() {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      scenario: { type: 'string', default: 'demo' },
      'anthropic-key': { type: 'string' },
      'openai-key': { type: 'string' },
      'google-key': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help === true) {
    console.log(usage);
    process.exit(0);
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`--port must be a port number, got ${values.port}`);
  }
  return { ...values, port };
}

async function main(): Promise<void> {
  const options = parseOptions();
  const provider = await startScriptedProvider({
    port: options.port,
    scenario: loadScenario(options.scenario),
    keys: {
      anthropic: options['anthropic-key'],
      openai: options['openai-key'],
      google: options['google-key'],
    },
  });
  console.log(provider.url);
  const stop = () => {
    provider.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  console.error(usage);
  process.exit(2);
});
