import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/**
 * Every key that can carry a credential, wherever it sits in a logged object. Redaction is
 * central so that no call site has to remember it.
 */
const secretKeys = [
  'token',
  'accessToken',
  'access_token',
  'private_token',
  'privateToken',
  'password',
  'secret',
  'webhookSecret',
  'apiKey',
  'api_key',
  'adminToken',
  'key',
  'secretKey',
  'authorization',
  'private-token',
  'job-token',
  'x-gitlab-token',
  'x-api-key',
  'x-goog-api-key',
  'cookie',
  'set-cookie',
  'databaseUrl',
];

export const redactPaths: string[] = secretKeys.flatMap((key) => {
  const k = /^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`;
  const dot = k.startsWith('[') ? '' : '.';
  return [k, `*${dot}${k}`, `*.*${dot}${k}`, `*.*.*${dot}${k}`];
});

export interface LoggerSettings {
  level: LoggerOptions['level'];
  name?: string;
  destination?: DestinationStream;
}

export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? 'info',
    base: { name: settings.name ?? 'baton' },
    redact: { paths: redactPaths, censor: '[REDACTED]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return settings.destination ? pino(options, settings.destination) : pino(options);
}
