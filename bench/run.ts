/**
 * `npm run bench -- <name> [options]`: runs one benchmark. Each bench module exports
 * `main(args)`, resolving to the exit code (0 for any measurement, non-zero if something broke).
 */
const benches: Record<string, () => Promise<{ main: (args: string[]) => Promise<number> }>> = {
  gateway: () => import('./gateway.ts'),
  intake: () => import('./intake.ts'),
  'run-start': () => import('./run-start.ts'),
};

const [name, ...args] = process.argv.slice(2);
const load = name === undefined ? undefined : benches[name];
if (load === undefined) {
  console.error(`usage: npm run bench -- <${Object.keys(benches).join('|')}> [options]`);
  process.exitCode = 2;
} else {
  try {
    process.exitCode = await (await load()).main(args);
  } catch (error) {
    console.error(error);
    process.exitCode = 1;
  }
}
