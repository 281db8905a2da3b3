import type { MeteredUsage, ProviderName } from './gateway-provider.ts';

/** US dollars per million tokens. */
export interface ModelPrice {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

const price = (input: number, output: number, cacheRead: number, cacheWrite = input) => ({
  input,
  output,
  cacheRead,
  cacheWrite,
});

/**
 * List prices of well-known models, from the providers' pricing pages (late 2025), standard
 * tier, short context. A key matches a model named exactly so or followed by `-`, `@` or `:`
 * (a dated or tagged version); the longest matching key wins. A model not in the table has no
 * known cost (null), and is charged against budgets at its provider's highest prices here
 * (`chargeOf`): add it when a flow uses it.
 * Anthropic's cache writes are the 5-minute ones (1.25 × input); OpenAI and Gemini bill no
 * cache writes (Gemini's explicit cache storage is billed per hour, outside any call).
 */
const anthropicPrices: Readonly<Record<string, ModelPrice>> = {
  'claude-opus-4-6': price(5, 25, 0.5, 6.25),
  'claude-opus-4-5': price(5, 25, 0.5, 6.25),
  'claude-opus-4-1': price(15, 75, 1.5, 18.75),
  'claude-opus-4': price(15, 75, 1.5, 18.75),
  'claude-3-opus': price(15, 75, 1.5, 18.75),
  'claude-sonnet-4-6': price(3, 15, 0.3, 3.75),
  'claude-sonnet-4-5': price(3, 15, 0.3, 3.75),
  'claude-sonnet-4': price(3, 15, 0.3, 3.75),
  'claude-3-7-sonnet': price(3, 15, 0.3, 3.75),
  'claude-3-5-sonnet': price(3, 15, 0.3, 3.75),
  'claude-haiku-4-5': price(1, 5, 0.1, 1.25),
  'claude-3-5-haiku': price(0.8, 4, 0.08, 1),
  'claude-3-haiku': price(0.25, 1.25, 0.03, 0.3),
};

const openaiPrices: Readonly<Record<string, ModelPrice>> = {
  // The premium tiers first in mind: `gpt-5-pro` must not be priced as `gpt-5`.
  'gpt-5-pro': price(15, 120, 15, 0),
  'o1-pro': price(150, 600, 150, 0),
  'o3-pro': price(20, 80, 20, 0),
  o1: price(15, 60, 7.5, 0),
  'gpt-5.2': price(1.75, 14, 0.175, 0),
  'gpt-5.1-codex-mini': price(0.25, 2, 0.025, 0),
  'gpt-5.1-codex': price(1.25, 10, 0.125, 0),
  'gpt-5.1': price(1.25, 10, 0.125, 0),
  'gpt-5-codex': price(1.25, 10, 0.125, 0),
  'gpt-5-mini': price(0.25, 2, 0.025, 0),
  'gpt-5-nano': price(0.05, 0.4, 0.005, 0),
  'gpt-5': price(1.25, 10, 0.125, 0),
  'gpt-4.1-mini': price(0.4, 1.6, 0.1, 0),
  'gpt-4.1-nano': price(0.1, 0.4, 0.025, 0),
  'gpt-4.1': price(2, 8, 0.5, 0),
  'gpt-4o-mini': price(0.15, 0.6, 0.075, 0),
  'gpt-4o': price(2.5, 10, 1.25, 0),
  o3: price(2, 8, 0.5, 0),
  'o4-mini': price(1.1, 4.4, 0.275, 0),
  'codex-mini-latest': price(1.5, 6, 0.375, 0),
};

const googlePrices: Readonly<Record<string, ModelPrice>> = {
  'gemini-3-pro': price(2, 12, 0.2, 0),
  'gemini-2.5-pro': price(1.25, 10, 0.125, 0),
  'gemini-2.5-flash-lite': price(0.1, 0.4, 0.01, 0),
  'gemini-2.5-flash': price(0.3, 2.5, 0.03, 0),
  'gemini-2.0-flash-lite': price(0.075, 0.3, 0.01875, 0),
  'gemini-2.0-flash': price(0.1, 0.4, 0.025, 0),
};

export const priceTable: Readonly<Record<string, ModelPrice>> = {
  ...anthropicPrices,
  ...openaiPrices,
  ...googlePrices,
};

/** Field by field, the highest price of a provider's models: what an unpriced model is charged. */
function highest(prices: Readonly<Record<string, ModelPrice>>): ModelPrice {
  const all = Object.values(prices);
  const most = (field: keyof ModelPrice) => Math.max(...all.map((p) => p[field]));
  return price(most('input'), most('output'), most('cacheRead'), most('cacheWrite'));
}

export const fallbackPrices: Readonly<Record<ProviderName, ModelPrice>> = {
  anthropic: highest(anthropicPrices),
  openai: highest(openaiPrices),
  google: highest(googlePrices),
};

function dollars(usage: MeteredUsage, found: ModelPrice): number {
  return (
    (usage.inputTokens * found.input +
      usage.outputTokens * found.output +
      usage.cacheReadTokens * found.cacheRead +
      usage.cacheWriteTokens * found.cacheWrite) /
    1_000_000
  );
}

function tokensOf(usage: MeteredUsage): number {
  return usage.inputTokens + usage.outputTokens + usage.cacheReadTokens + usage.cacheWriteTokens;
}

/**
 * The prices a gateway works with: the table above, plus (and over) the ones an administrator
 * configured (`gateway.prices`) for models the table does not know. The fallback for a model
 * without a price stays the table's own, so that a configured price can only name a model.
 */
export class PriceList {
  readonly #prices: Readonly<Record<string, ModelPrice>>;
  readonly #keysLongestFirst: readonly string[];

  constructor(configured: Readonly<Record<string, ModelPrice>> = {}) {
    const lowered = Object.entries(configured).map(([model, p]) => [model.toLowerCase(), p]);
    this.#prices = {
      ...priceTable,
      ...(Object.fromEntries(lowered) as Record<string, ModelPrice>),
    };
    this.#keysLongestFirst = Object.keys(this.#prices).sort((a, b) => b.length - a.length);
  }

  /**
   * The price of a model (`models/…` and `vendor/…` prefixes ignored), or null. A key matches a
   * model named exactly so or followed by `-`, `@` or `:`; the longest key wins.
   */
  priceOf(model: string): ModelPrice | null {
    const name = model.slice(model.lastIndexOf('/') + 1).toLowerCase();
    for (const key of this.#keysLongestFirst) {
      if (!name.startsWith(key)) continue;
      const next = name.charAt(key.length);
      if (next === '' || next === '-' || next === '@' || next === ':') {
        return this.#prices[key] ?? null;
      }
    }
    return null;
  }

  /** The cost of one call in US dollars; 0 without tokens; null when the model has no price. */
  costOf(usage: MeteredUsage): number | null {
    if (tokensOf(usage) === 0) return 0;
    const found = usage.model === null ? null : this.priceOf(usage.model);
    return found === null ? null : dollars(usage, found);
  }

  /**
   * What one call counts against budgets: its cost, or for a model without a price its cost at
   * the provider's highest prices in the table, so that no model (a new one, a misspelt one, a
   * self-hosted one behind a custom base URL) runs outside a budget.
   */
  chargeOf(usage: MeteredUsage, provider: ProviderName): number {
    if (tokensOf(usage) === 0) return 0;
    return this.costOf(usage) ?? dollars(usage, fallbackPrices[provider]);
  }

  /**
   * A finished call's cost (null when unknown) and what it counts against budgets. A call
   * whose reply should have reported usage and did not (a stream cut off before its last
   * event, or a provider that does not report it) has an unknown cost and is charged by size,
   * a token per `bytesPerToken` bytes each way.
   */
  callCharge(
    provider: ProviderName,
    call: {
      metered: MeteredUsage | null;
      expectedUsage: boolean;
      model: string | null;
      requestBytes: number;
      replyBytes: number;
    },
  ): { cost: number | null; charged: number } {
    if (call.metered !== null) {
      return { cost: this.costOf(call.metered), charged: this.chargeOf(call.metered, provider) };
    }
    if (!call.expectedUsage) return { cost: 0, charged: 0 };
    const bySize = {
      model: call.model,
      inputTokens: Math.ceil(call.requestBytes / bytesPerToken),
      outputTokens: Math.ceil(call.replyBytes / bytesPerToken),
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
    };
    return { cost: null, charged: this.chargeOf(bySize, provider) };
  }
}

/**
 * For charging a reply without usage by its size: English text runs at about 4 bytes a token,
 * and a stream's JSON framing only adds bytes, so this errs on the expensive side.
 */
const bytesPerToken = 4;

const builtIn = new PriceList();

/** `PriceList.priceOf` over the built-in table. */
export function priceOf(model: string): ModelPrice | null {
  return builtIn.priceOf(model);
}

/** `PriceList.costOf` over the built-in table. */
export function costOf(usage: MeteredUsage): number | null {
  return builtIn.costOf(usage);
}

/** `PriceList.chargeOf` over the built-in table. */
export function chargeOf(usage: MeteredUsage, provider: ProviderName): number {
  return builtIn.chargeOf(usage, provider);
}
