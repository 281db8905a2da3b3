import { StringDecoder } from 'node:string_decoder';

/** What a redacted value becomes, as GitLab shows masked variables in job logs. */
export const maskedText = '[MASKED]';

/**
 * Encoded forms are matched only for secrets at least this long: GitLab refuses to mask
 * shorter values, and short encoded fragments would match ordinary text.
 */
export const minEncodedSecretLength = 8;

/**
 * The base64 text that is certainly produced by `secret` when it sits at byte offset
 * `offset % 3` inside a longer encoded value (e.g. `Basic base64("oauth2:" + token)`): the
 * characters whose six bits all come from the secret.
 */
function embeddedBase64(secret: Buffer, offset: number, alphabet: 'base64' | 'base64url'): string {
  const encoded = Buffer.concat([Buffer.alloc(offset), secret])
    .toString(alphabet)
    .replace(/=+$/, '');
  const first = Math.ceil((8 * offset) / 6);
  const end = Math.floor((8 * (offset + secret.length)) / 6);
  return encoded.slice(first, end);
}

function encodedForms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const forms: string[] = [];
  for (const alphabet of ['base64', 'base64url'] as const) {
    forms.push(bytes.toString(alphabet));
    forms.push(bytes.toString(alphabet).replace(/=+$/, ''));
    for (const offset of [0, 1, 2]) forms.push(embeddedBase64(bytes, offset, alphabet));
  }
  const uriEncoded = encodeURIComponent(secret);
  forms.push(
    uriEncoded,
    uriEncoded.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()),
  );
  forms.push(JSON.stringify(secret).slice(1, -1));
  return forms.filter((form) => form.length >= minEncodedSecretLength);
}

/** Every string to replace for these secrets, longest first so a longer form wins. */
export function secretForms(secrets: readonly string[]): string[] {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret.trim() === '') continue;
    forms.add(secret);
    if (secret.length < minEncodedSecretLength) continue;
    for (const form of encodedForms(secret)) forms.add(form);
    // Multi-line values (credentials files) are often printed one line at a time.
    for (const line of secret.split(/\r?\n/)) {
      if (line.trim().length >= minEncodedSecretLength) forms.add(line.trim());
    }
  }
  return [...forms].sort((a, b) => b.length - a.length);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function formsPattern(forms: readonly string[]): RegExp | null {
  return forms.length === 0 ? null : new RegExp(forms.map(escapeRegExp).join('|'), 'g');
}

/** `text` with every occurrence of each secret (and its encoded forms) replaced by `[MASKED]`. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  const pattern = formsPattern(secretForms(secrets));
  return pattern === null ? text : text.replace(pattern, maskedText);
}

export interface Redactor {
  /** Redacted text that is safe to emit now; bytes are decoded as UTF-8 across chunks. */
  write(chunk: string | Buffer): string;
  /** Whatever was held back, redacted. */
  end(): string;
}

/**
 * A redactor for a stream of log chunks. A secret can be split across chunks, so it holds back
 * the last `longest form - 1` characters until more text (or the end) shows whether they start
 * a secret.
 */
export function createRedactor(secrets: readonly string[]): Redactor {
  const forms = secretForms(secrets);
  const pattern = formsPattern(forms);
  const holdBack = Math.max(0, (forms[0]?.length ?? 0) - 1);
  const decoder = new StringDecoder('utf8');
  let pending = '';

  const emit = (final: boolean): string => {
    if (pattern === null) {
      const out = pending;
      pending = '';
      return out;
    }
    let safeEnd = final ? pending.length : Math.max(0, pending.length - holdBack);
    let out = '';
    let cursor = 0;
    pattern.lastIndex = 0;
    for (let m = pattern.exec(pending); m !== null; m = pattern.exec(pending)) {
      // A match that starts in the held-back tail may still grow into a longer form.
      if (m.index >= safeEnd) break;
      out += pending.slice(cursor, m.index) + maskedText;
      cursor = m.index + m[0].length;
      safeEnd = Math.max(safeEnd, cursor);
    }
    out += pending.slice(cursor, safeEnd);
    pending = pending.slice(safeEnd);
    return out;
  };

  return {
    write(chunk) {
      pending += typeof chunk === 'string' ? chunk : decoder.write(chunk);
      return emit(false);
    },
    end() {
      pending += decoder.end();
      return emit(true);
    },
  };
}
