import { describe, expect, it } from 'vitest';
import { chargeOf, costOf, fallbackPrices, PriceList, priceOf, priceTable } from './price-table.ts';

const usage = (model: string | null, input: number, output = 0, cacheRead = 0, cacheWrite = 0) => ({
  model,
  inputTokens: input,
  outputTokens: output,
  cacheReadTokens: cacheRead,
  cacheWriteTokens: cacheWrite,
});

describe('price table', () => {
  it('matches dated and tagged versions by prefix, the longest key first', () => {
    expect(priceOf('claude-sonnet-4-5-20250929')).toBe(priceTable['claude-sonnet-4-5']);
    expect(priceOf('claude-opus-4-1-20250805')).toBe(priceTable['claude-opus-4-1']);
    expect(priceOf('claude-opus-4-20250514')).toBe(priceTable['claude-opus-4']);
    expect(priceOf('claude-opus-4-5@20251101')).toBe(priceTable['claude-opus-4-5']);
    expect(priceOf('gpt-5-mini-2025-08-07')).toBe(priceTable['gpt-5-mini']);
    expect(priceOf('gpt-5-2025-08-07')).toBe(priceTable['gpt-5']);
    expect(priceOf('models/gemini-2.5-flash-lite')).toBe(priceTable['gemini-2.5-flash-lite']);
    expect(priceOf('gemini-2.5-flash-preview-09-2025')).toBe(priceTable['gemini-2.5-flash']);
  });

  it('does not stretch a family to a model it does not know', () => {
    expect(priceOf('gpt-5.5')).toBeNull();
    expect(priceOf('gpt-50')).toBeNull();
    expect(priceOf('claude-sonnet-5')).toBeNull();
    expect(priceOf('gemini-3.8-flash')).toBeNull();
  });

  it('prices every kind of token, per million', () => {
    // 1M input at $3, 1M output at $15, 1M cache reads at $0.30, 1M cache writes at $3.75.
    expect(costOf(usage('claude-sonnet-4-5', 1e6, 1e6, 1e6, 1e6))).toBeCloseTo(22.05, 10);
    expect(costOf(usage('gpt-5', 2000, 1000, 8000))).toBeCloseTo(0.0135, 10);
  });

  it('costs nothing without tokens, and is unknown (null) for a model it cannot price', () => {
    expect(costOf(usage(null, 0))).toBe(0);
    expect(costOf(usage('unknown-model', 10))).toBeNull();
    expect(costOf(usage(null, 10))).toBeNull();
  });

  it('charges a priced model its cost, and an unpriced one at its provider’s highest prices', () => {
    expect(chargeOf(usage('claude-sonnet-4-5', 1e6), 'anthropic')).toBeCloseTo(3, 10);
    expect(fallbackPrices.anthropic).toEqual({
      input: 15,
      output: 75,
      cacheRead: 1.5,
      cacheWrite: 18.75,
    });
    expect(fallbackPrices.openai.output).toBe(600);
    expect(fallbackPrices.google.input).toBe(2);
    expect(chargeOf(usage('claude-future-9', 1e6, 1e6), 'anthropic')).toBeCloseTo(90, 10);
    expect(chargeOf(usage(null, 1e6), 'openai')).toBeCloseTo(fallbackPrices.openai.input, 10);
    expect(chargeOf(usage('my-local-model', 0), 'google')).toBe(0);
    for (const [provider, fallback] of Object.entries(fallbackPrices)) {
      for (const field of ['input', 'output', 'cacheRead', 'cacheWrite'] as const) {
        expect(fallback[field], `${provider} ${field}`).toBeGreaterThanOrEqual(0);
      }
    }
  });

  it('prices a premium tier as itself, not as the model it extends', () => {
    expect(priceOf('gpt-5-pro-2025-10-06')).toBe(priceTable['gpt-5-pro']);
    expect(priceOf('o3-pro')).toBe(priceTable['o3-pro']);
    expect(priceOf('o3-2025-04-16')).toBe(priceTable['o3']);
  });

  it('takes configured prices for models the table lacks, and over the table', () => {
    const prices = new PriceList({
      'Local-Coder': { input: 0.5, output: 1, cacheRead: 0.5, cacheWrite: 0.5 },
      'claude-sonnet-4-5': { input: 2, output: 10, cacheRead: 0.2, cacheWrite: 2.5 },
    });
    expect(prices.costOf(usage('local-coder-7b', 1e6, 1e6))).toBeCloseTo(1.5, 10);
    expect(prices.chargeOf(usage('local-coder-7b', 1e6), 'openai')).toBeCloseTo(0.5, 10);
    expect(prices.costOf(usage('claude-sonnet-4-5-20250929', 1e6))).toBeCloseTo(2, 10);
    // The built-in list is not changed by another's configuration.
    expect(costOf(usage('claude-sonnet-4-5-20250929', 1e6))).toBeCloseTo(3, 10);
    expect(costOf(usage('local-coder-7b', 1e6))).toBeNull();
  });
});
