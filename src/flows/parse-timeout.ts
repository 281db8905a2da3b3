const unitSeconds: Record<string, number> = {
  h: 3600,
  hr: 3600,
  hour: 3600,
  hours: 3600,
  m: 60,
  min: 60,
  mins: 60,
  minute: 60,
  minutes: 60,
  s: 1,
  sec: 1,
  secs: 1,
  second: 1,
  seconds: 1,
};

/**
 * Reads a flow `timeout`: whole seconds as a number, or a duration in the style GitLab CI accepts
 * for job timeouts (`90s`, `30m`, `1h 30m`, `2 hours`). Returns undefined when it is neither.
 */
export function parseTimeout(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim().toLowerCase();
  if (/^\d+$/.test(text)) return Number(text);
  const part = /(\d+)\s*([a-z]+)\s*/gy;
  let total = 0;
  let consumed = 0;
  for (let match = part.exec(text); match; match = part.exec(text)) {
    const seconds = unitSeconds[match[2] ?? ''];
    if (seconds === undefined) return undefined;
    total += Number(match[1]) * seconds;
    consumed = part.lastIndex;
  }
  return consumed > 0 && consumed === text.length ? total : undefined;
}
