import { describe, expect, it } from 'vitest';
import { csvCell, csvLine } from '../src/domain/csv-cell.ts';

describe('CSV cells', () => {
  it('neutralises cells a spreadsheet would run as formulas (OWASP CSV injection)', () => {
    for (const formula of ['=cmd|/C calc!A0', '+1+1', '-2+3', '@SUM(A1)', '\tx', '\rx']) {
      expect(csvCell(formula).startsWith(`"'`)).toBe(true);
    }
    expect(csvCell('10.0.0.1')).toBe('"10.0.0.1"');
  });

  it('quotes every cell and doubles quotes, keeping newlines inside the cell', () => {
    expect(csvLine(['a "b"', 'line1\nline2', null, 5])).toBe('"a ""b""","line1\nline2","","5"\r\n');
  });
});
