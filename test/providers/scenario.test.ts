import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  fillTemplate,
  loadScenario,
  parseScenario,
  scenariosDir,
  selectTurn,
  type Scenario,
} from './scenario.ts';

const scratch = mkdtempSync(path.join(tmpdir(), 'baton-scenarios-'));
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('scenarios', () => {
  it('loads every shipped scenario by name', () => {
    const names = readdirSync(scenariosDir).map((file) => path.parse(file).name);
    expect(names).toEqual(
      expect.arrayContaining(['write-hello', 'answer-question', 'provider-fails', 'demo']),
    );
    for (const name of names) expect(loadScenario(name).name).toBe(name);
  });

  it('loads a scenario from a JSON or YAML path', () => {
    const yamlFile = path.join(scratch, 'custom.yaml');
    writeFileSync(
      yamlFile,
      'name: custom\nusage: { input: 10, output: 2 }\nturns:\n  - shell: make\n  - text: built\n',
    );
    expect(loadScenario(yamlFile)).toEqual({
      name: 'custom',
      usage: { input: 10, output: 2 },
      turns: [{ shell: 'make' }, { text: 'built' }],
    });
    const jsonFile = path.join(scratch, 'custom.json');
    writeFileSync(jsonFile, JSON.stringify({ name: 'j', turns: [{ text: 'x' }] }));
    expect(loadScenario(jsonFile).name).toBe('j');
  });

  it('rejects a misspelt turn or a missing scenario with a readable error', () => {
    expect(() => parseScenario({ name: 'x', turns: [{ txt: 'hi' }] })).toThrow(
      /scenario is not a valid scenario/,
    );
    expect(() => parseScenario({ name: 'x', turns: [{ text: '' }] })).toThrow();
    expect(() => loadScenario('no-such-scenario')).toThrow(/No scenario no-such-scenario/);
  });

  it('picks turn n for n tool results and the last text past the end', () => {
    const scenario: Scenario = {
      name: 's',
      turns: [
        { shell: 'a' },
        { text: 'first answer' },
        { write: { path: 'f', content: '' } },
        { text: 'final answer' },
        { error: { status: 500, message: 'after the end' } },
      ],
    };
    expect(selectTurn(scenario, 0).turn).toEqual({ shell: 'a' });
    expect(selectTurn(scenario, 3).turn).toEqual({ text: 'final answer' });
    expect(selectTurn(scenario, 9).turn).toEqual({ text: 'final answer' });
    expect(selectTurn({ name: 'n', turns: [{ shell: 'x' }] }, 1).turn).toEqual({ text: 'done' });
  });

  it('adds up nested delays', () => {
    const scenario: Scenario = {
      name: 'd',
      turns: [{ delayMs: 5, then: { delayMs: 7, then: { text: 'x' } } }],
    };
    expect(selectTurn(scenario, 0)).toEqual({ delayMs: 12, turn: { text: 'x' } });
  });

  it('fills {{task}} and {{model}}', () => {
    expect(fillTemplate('{{task}} on {{ model }}', { task: 'Fix it', model: 'm' })).toBe(
      'Fix it on m',
    );
    expect(fillTemplate('{{task}}', { task: null, model: null })).toBe('(unknown)');
  });
});
