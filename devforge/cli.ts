import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { createDevForge, loadDefaultFixture } from './create-dev-forge.ts';
import { fixtureSchema } from './fixture-schema.ts';

/** `npm run devforge [-- --port 3000 --repos-dir .baton-data/devforge-repos --public-url …]` */
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '3000' },
    host: { type: 'string', default: '127.0.0.1' },
    'repos-dir': { type: 'string', default: '.baton-data/devforge-repos' },
    'public-url': { type: 'string' },
    verbose: { type: 'boolean', default: false },
  },
});

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be a TCP port, got ${values.port}`);
  process.exit(2);
}
const reposDir = resolve(values['repos-dir']);
await mkdir(reposDir, { recursive: true });
const fixture = fixtureSchema.parse(await loadDefaultFixture());
const forge = await createDevForge({
  reposDir,
  fixture,
  logger: pino({ level: values.verbose ? 'info' : 'warn' }),
  ...(values['public-url'] === undefined ? {} : { publicUrl: values['public-url'] }),
});
const { url } = await forge.listen({ host: values.host, port });

console.log(`devforge (GitLab-compatible development forge) listening on ${url}`);
console.log(`  REST API:   ${url}/api/v4`);
console.log(`  git clone:  ${url}/demo/app.git  (user: any, password: a token)`);
console.log(`  repositories in ${reposDir}\n`);
console.log('Seeded users and tokens:');
for (const user of fixture.users) {
  const role = user.admin === true ? 'admin' : user.bot === true ? 'bot' : 'human';
  for (const token of user.tokens) {
    console.log(
      `  ${user.username.padEnd(14)} ${role.padEnd(6)} ${token.token}  [${token.scopes.join(', ')}]`,
    );
  }
}
console.log(
  `\nAdmin reset: curl -X POST -H 'PRIVATE-TOKEN: ${fixture.admin_token}' ${url}/-/devforge/reset`,
);

const stop = () => {
  forge.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
