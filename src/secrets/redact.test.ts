import { describe, expect, it } from 'vitest';
import { createRedactor, maskedText, redactSecrets } from './redact.ts';

const token = 'glpat-s3cret-Value_0001';

function streamed(chunks: (string | Buffer)[], secrets: string[]): string {
  const redactor = createRedactor(secrets);
  return chunks.map((chunk) => redactor.write(chunk)).join('') + redactor.end();
}

describe('redactSecrets', () => {
  it('masks every occurrence of a secret', () => {
    expect(redactSecrets(`a ${token} b ${token}`, [token])).toBe(`a ${maskedText} b ${maskedText}`);
  });

  it('masks base64, base64url and URL-encoded forms of a secret', () => {
    const secret = 'p@ss/word+with?odd&chars~';
    const text = [
      Buffer.from(secret).toString('base64'),
      Buffer.from(secret).toString('base64url'),
      encodeURIComponent(secret),
    ].join(' ');
    expect(redactSecrets(text, [secret])).toBe([maskedText, maskedText, maskedText].join(' '));
  });

  it('masks a secret base64-encoded inside a longer value, at any byte alignment', () => {
    for (const prefix of ['oauth2:', 'oauth2::', 'x:']) {
      const header = `Authorization: Basic ${Buffer.from(prefix + token).toString('base64')}`;
      const redacted = redactSecrets(header, [token]);
      expect(redacted).toContain(maskedText);
      // What survives is only the characters that also encode the non-secret prefix.
      expect(redacted.length).toBeLessThan(header.length);
    }
  });

  it('masks a multi-line secret printed one line at a time', () => {
    const credentials = '{\n  "private_key": "-----BEGIN KEY-----abcdef"\n}';
    expect(redactSecrets('key: "private_key": "-----BEGIN KEY-----abcdef"', [credentials])).toBe(
      `key: ${maskedText}`,
    );
  });

  it('prefers the longest secret when one contains another', () => {
    expect(redactSecrets('abcdefgh-ijkl', ['abcdefgh', 'abcdefgh-ijkl'])).toBe(maskedText);
  });

  it('leaves text alone when there are no secrets or only blank ones', () => {
    expect(redactSecrets('nothing to hide', [])).toBe('nothing to hide');
    expect(redactSecrets('nothing to hide', ['', '  '])).toBe('nothing to hide');
  });

  it('does not mask short encoded fragments of short secrets', () => {
    // base64("abc") is "YWJj": matching it would mask ordinary words.
    expect(redactSecrets('YWJj abc', ['abc'])).toBe(`YWJj ${maskedText}`);
  });
});

describe('createRedactor', () => {
  it('masks a secret split across two chunks', () => {
    const out = streamed([`log line ${token.slice(0, 9)}`, `${token.slice(9)} done\n`], [token]);
    expect(out).toBe(`log line ${maskedText} done\n`);
    expect(out).not.toContain(token.slice(0, 9));
  });

  it('masks a secret delivered one character at a time', () => {
    expect(streamed(Array.from(`x${token}y`), [token])).toBe(`x${maskedText}y`);
  });

  it('emits text that cannot start a secret without waiting for the end', () => {
    const redactor = createRedactor([token]);
    const first = redactor.write('a'.repeat(100));
    // Held back: at most the longest encoded form of the token, less one character.
    expect(first.length).toBeGreaterThanOrEqual(100 - 2 * token.length);
    expect(first + redactor.end()).toBe('a'.repeat(100));
  });

  it('masks the longer of two overlapping secrets even when it completes in a later chunk', () => {
    expect(streamed(['abcdefgh', '-ijkl!'], ['abcdefgh', 'abcdefgh-ijkl'])).toBe(`${maskedText}!`);
  });

  it('decodes multi-byte characters split across byte chunks', () => {
    const bytes = Buffer.from(`é ${token} é`, 'utf8');
    expect(
      streamed([bytes.subarray(0, 1), bytes.subarray(1, 12), bytes.subarray(12)], [token]),
    ).toBe(`é ${maskedText} é`);
  });

  it('passes text through when there are no secrets', () => {
    expect(streamed(['a', 'b'], [])).toBe('ab');
  });
});
