/**
 * Child process for the durability test: `node --import tsx commit-and-hang.ts <dataDir> <value>`.
 * Commits `durability.committed = <value>` on the embedded database, then opens a second
 * transaction that writes `durability.uncommitted` and never ends, prints "committed", and waits
 * to be killed. Nothing is closed: the test proves what survives without a clean shutdown.
 */
import { configSchema } from '../../config/config-schema.ts';
import { createLogger } from '../../logging/logger.ts';
import { migrateToLatest } from '../migrate.ts';
import { openDatabase } from '../open-database.ts';
import { SettingsRepository } from '../settings-repository.ts';

const [dataDir, value] = process.argv.slice(2);
if (dataDir === undefined || value === undefined) {
  process.stderr.write('usage: commit-and-hang.ts <dataDir> <value>\n');
  process.exit(2);
}

const logger = createLogger({ level: 'silent' });
const database = await openDatabase({ config: configSchema.parse({ dataDir }), logger });
await migrateToLatest(database, logger);
await new SettingsRepository(database.db).set('durability.committed', value);

const open = await database.db.startTransaction().execute();
await new SettingsRepository(open).set('durability.uncommitted', value);

process.stdout.write('committed\n');
// Keeps the event loop alive until SIGKILL; the open transaction is never committed.
setInterval(() => undefined, 60_000);
