import { describe, expect, it } from 'vitest';
import { bindSoql, soqlLiteral } from './soql.ts';

describe('SOQL parameters', () => {
  it('writes values as SOQL literals', () => {
    expect(soqlLiteral("it's \\ \"quoted\"\nnext")).toBe("'it\\'s \\\\ \\\"quoted\\\"\\nnext'");
    expect(soqlLiteral(42.5)).toBe('42.5');
    expect(soqlLiteral(true)).toBe('true');
    expect(soqlLiteral(null)).toBe('null');
    expect(soqlLiteral({ date: '2024-01-31' })).toBe('2024-01-31');
    expect(soqlLiteral({ datetime: '2024-01-31T09:00:00Z' })).toBe('2024-01-31T09:00:00Z');
    expect(soqlLiteral(['a', 1, { date: '2024-01-31' }])).toBe("('a', 1, 2024-01-31)");
    expect(() => soqlLiteral(Number.NaN)).toThrow(/finite/);
  });

  it('binds :name outside string literals only, leaving date literals like LAST_N_DAYS:30 alone', () => {
    const soql = "SELECT Id FROM Contact WHERE Email = :email AND Description != 'costs :price' AND CreatedDate = LAST_N_DAYS:30 AND Owner.Name IN :owners";
    expect(bindSoql(soql, { email: "x' OR Name != '", owners: ['A', 'B'] })).toBe(
      "SELECT Id FROM Contact WHERE Email = 'x\\' OR Name != \\'' AND Description != 'costs :price' AND CreatedDate = LAST_N_DAYS:30 AND Owner.Name IN ('A', 'B')",
    );
  });

  it('names every placeholder without a value', () => {
    expect(() => bindSoql('SELECT Id FROM Account WHERE Name = :name AND Industry = :industry', { name: 'x' })).toThrow('no value in params for :industry');
  });
});
