import type { GatewayProvider } from './gateway-provider.ts';
import { decodeBody } from './usage-tap.ts';

/** The value of a header in a raw `[name, value, ...]` list with lower-case names. */
function headerValue(headers: readonly string[], name: string): string | undefined {
  for (let i = 0; i + 1 < headers.length; i += 2) {
    if (headers[i] === name) return headers[i + 1];
  }
  return undefined;
}

/**
 * A whole request body, held back for a route with `holdsBody`, as it goes upstream: decoded
 * (up to `maxBytes`) and passed through the provider's `prepareBody`. A changed body goes
 * uncompressed, with its own length; an unchanged one goes as the client sent it.
 */
export function prepareHeldBody(
  raw: Buffer,
  call: { headers: string[]; provider: GatewayProvider; path: string; maxBytes: number },
): { body: Buffer; headers: string[] } | { refusal: string } {
  const encoding = headerValue(call.headers, 'content-encoding')?.trim().toLowerCase();
  const plain = encoding === undefined || encoding === '' || encoding === 'identity';
  const decoded = plain ? raw : decodeBody(raw, encoding, call.maxBytes);
  if (decoded === null) {
    return {
      refusal: `a request body with content-encoding ${encoding ?? ''} it cannot read (send it uncompressed, or as gzip, deflate or br, up to ${call.maxBytes / (1024 * 1024)} MiB decoded)`,
    };
  }
  const prepared = call.provider.prepareBody?.(call.path, decoded) ?? null;
  if (prepared === null) return { body: raw, headers: call.headers };
  if ('refusal' in prepared) return prepared;
  const headers: string[] = [];
  for (let i = 0; i + 1 < call.headers.length; i += 2) {
    const name = call.headers[i] as string;
    if (name === 'content-length' || name === 'content-encoding') continue;
    headers.push(name, call.headers[i + 1] as string);
  }
  headers.push('content-length', String(prepared.body.length));
  return { body: prepared.body, headers };
}
