import { z } from 'zod';

const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

const httpUrl = z
  .url()
  .refine((value) => /^https?:\/\//.test(value), { message: 'must be an http(s) URL' });

const databaseUrl = z.string().refine((value) => /^postgres(ql)?:\/\//.test(value), {
  message: 'must be a postgres:// or postgresql:// URL',
});

/** One model provider the gateway forwards to. */
function providerSchema(baseUrl: string) {
  return z
    .object({
      baseUrl: httpUrl.default(baseUrl),
      /** The instance-managed key; never sent into a sandbox. */
      apiKey: z.string().min(1).optional(),
    })
    .strict()
    .default({ baseUrl });
}

/**
 * Variables of Baton's environment that say how to reach the npm registry, and so are passed to
 * npm when it installs agent CLIs (`agents.registryEnvironment`). Nothing else of Baton's
 * environment, secrets included, reaches npm.
 */
export const registryVariables = [
  'NODE_EXTRA_CA_CERTS',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'HTTPS_PROXY',
  'HTTP_PROXY',
  'NO_PROXY',
  'https_proxy',
  'http_proxy',
  'no_proxy',
] as const;

/** Baton's whole configuration. Strict: an unknown key is an error, not a silent no-op. */
export const configSchema = z
  .object({
    server: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.coerce.number().int().min(0).max(65_535).default(8080),
        /** The URL people and GitLab use to reach Baton; links in notes are built from it. */
        publicUrl: httpUrl.optional(),
        /** Largest accepted request body, bytes. GitLab caps webhook bodies at 25 MB. */
        bodyLimit: z.coerce.number().int().min(1024).max(26_214_400).default(26_214_400),
      })
      .strict()
      .default({ host: '127.0.0.1', port: 8080, bodyLimit: 26_214_400 }),
    /** Where the embedded database, mirrors, workspaces and run logs live. */
    dataDir: z.string().min(1).default('.baton-data'),
    database: z
      .object({
        /** A Postgres server. Without it Baton uses an embedded PGlite database in dataDir. */
        url: databaseUrl.optional(),
        poolSize: z.coerce.number().int().min(1).max(200).default(10),
      })
      .strict()
      .default({ poolSize: 10 }),
    log: z
      .object({ level: logLevel.default('info') })
      .strict()
      .default({ level: 'info' }),
    runs: z
      .object({
        /**
         * `bubblewrap` (default) isolates every run; `unsafe` runs flows directly on the host and
         * exists for development on machines without bubblewrap. Never chosen automatically.
         */
        sandbox: z.enum(['bubblewrap', 'unsafe']).default('bubblewrap'),
        /** Runs at once across every Baton process sharing the database. */
        maxConcurrent: z.coerce.number().int().min(1).max(256).default(4),
        maxConcurrentPerProject: z.coerce.number().int().min(1).max(256).default(2),
        /** GitLab's workload jobs stop after 2 hours. */
        timeoutMinutes: z.coerce
          .number()
          .int()
          .min(1)
          .max(24 * 60)
          .default(120),
        memoryMb: z.coerce
          .number()
          .int()
          .min(64)
          .max(1024 * 1024)
          .default(4096),
        maxProcesses: z.coerce.number().int().min(16).max(100_000).default(1024),
        /** Percent of one core: 200 = two cores. */
        cpuPercent: z.coerce.number().int().min(10).max(10_000).default(200),
        maxOutputMb: z.coerce.number().int().min(1).max(10_240).default(50),
      })
      .strict()
      .default({
        sandbox: 'bubblewrap',
        maxConcurrent: 4,
        maxConcurrentPerProject: 2,
        timeoutMinutes: 120,
        memoryMb: 4096,
        maxProcesses: 1024,
        cpuPercent: 200,
        maxOutputMb: 50,
      }),
    /**
     * The model gateway: the only way a sandbox reaches a model. Provider keys configured here
     * are instance-managed; a project's own `ANTHROPIC_API_KEY`, `OPENAI_API_KEY` or
     * `GEMINI_API_KEY` variable wins over them for its runs. Keys never enter a sandbox.
     */
    gateway: z
      .object({
        providers: z
          .object({
            anthropic: providerSchema('https://api.anthropic.com'),
            openai: providerSchema('https://api.openai.com'),
            google: providerSchema('https://generativelanguage.googleapis.com'),
          })
          .strict()
          .default({
            anthropic: { baseUrl: 'https://api.anthropic.com' },
            openai: { baseUrl: 'https://api.openai.com' },
            google: { baseUrl: 'https://generativelanguage.googleapis.com' },
          }),
        /** Connecting to a provider gives up after this long. */
        connectTimeoutMs: z.coerce.number().int().min(100).max(120_000).default(10_000),
        /** A provider that sends nothing (no header, no chunk) for this long is cut off. */
        idleTimeoutMs: z.coerce.number().int().min(1000).max(3_600_000).default(300_000),
        /** Spend limit of one run, US dollars; 0 = none. */
        runBudgetUsd: z.coerce.number().min(0).default(10),
        /** Spend limit of one project per UTC day, US dollars; 0 = none. */
        projectDailyBudgetUsd: z.coerce.number().min(0).default(100),
        /** Record request and response bodies of model calls (off: metadata only). */
        recordBodies: z.coerce.boolean().default(false),
        /**
         * US dollars per million tokens for models the built-in price table does not know (or
         * to correct it), keyed by model name; a model without a price is charged against
         * budgets at its provider's highest listed prices.
         */
        prices: z
          .record(
            z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/, 'must be a model name'),
            z
              .object({
                input: z.number().min(0),
                output: z.number().min(0),
                // Unless given, cached tokens cost what input tokens cost (cache reads cost less
                // everywhere; Anthropic's cache writes cost 1.25 × input: give `cacheWrite`).
                cacheRead: z.number().min(0).optional(),
                cacheWrite: z.number().min(0).optional(),
              })
              .strict()
              .transform((p) => ({
                input: p.input,
                output: p.output,
                cacheRead: p.cacheRead ?? p.input,
                cacheWrite: p.cacheWrite ?? p.input,
              })),
          )
          .default({}),
      })
      .strict()
      .default({
        providers: {
          anthropic: { baseUrl: 'https://api.anthropic.com' },
          openai: { baseUrl: 'https://api.openai.com' },
          google: { baseUrl: 'https://generativelanguage.googleapis.com' },
        },
        connectTimeoutMs: 10_000,
        idleTimeoutMs: 300_000,
        runBudgetUsd: 10,
        projectDailyBudgetUsd: 100,
        recordBodies: false,
        prices: {},
      }),
    /** Agent CLIs, installed from npm into a tool cache Baton manages. */
    agents: z
      .object({
        /** Where agent CLIs are installed; default `<dataDir>/tools`. Shared read-only with runs. */
        toolCacheDir: z.string().min(1).optional(),
        /**
         * How npm reaches the registry when it installs an agent CLI (a proxy, a private CA):
         * the only variables npm gets besides its own. Taken from Baton's environment.
         */
        registryEnvironment: z
          .partialRecord(z.enum(registryVariables), z.string().min(1))
          .default({}),
        /** Seconds between edits of a run's note in its thread (GitLab rate-limits note edits). */
        noteUpdateSeconds: z.coerce.number().int().min(2).max(3600).default(15),
      })
      .strict()
      .default({ noteUpdateSeconds: 15, registryEnvironment: {} }),
    secrets: z
      .object({
        /**
         * 32 random bytes, base64, that encrypt tokens and secrets at rest. Without it Baton
         * creates one in `<dataDir>/secret.key` (owner-only) on first start.
         */
        key: z
          .string()
          .refine((value) => Buffer.from(value, 'base64').length === 32, {
            message: 'must be 32 bytes, base64-encoded (openssl rand -base64 32)',
          })
          .optional(),
      })
      .strict()
      .default({}),
    admin: z
      .object({
        /** Bearer token for the admin API. Without it the admin API refuses every call. */
        token: z.string().min(24, 'must be at least 24 characters').optional(),
      })
      .strict()
      .default({}),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
