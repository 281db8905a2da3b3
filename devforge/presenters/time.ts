/** REST timestamps: ISO 8601 with milliseconds, as GitLab's API entities render them. */
export const isoTime = (ms: number): string => new Date(ms).toISOString();

export const isoTimeOrNull = (ms: number | null): string | null =>
  ms === null ? null : isoTime(ms);

/** Webhook timestamps: `YYYY-MM-DD HH:MM:SS UTC`, unlike the REST API. */
export function hookTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export const hookTimeOrNull = (ms: number | null): string | null =>
  ms === null ? null : hookTime(ms);
