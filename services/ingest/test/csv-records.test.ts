import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { type CsvRecord, readCsvRecords, repeatedColumns } from '../src/domain/csv-records.ts';
import type { TextEncoding } from '../src/domain/text-encoding.ts';

const dir = mkdtempSync(join(tmpdir(), 'q2h-csv-records-'));
let files = 0;

async function read(
  bytes: Buffer | string,
  options: {
    chunkBytes?: number;
    encoding?: TextEncoding;
    repeated?: ReturnType<typeof repeatedColumns>;
  } = {},
) {
  const path = join(dir, `${files++}.csv`);
  writeFileSync(path, bytes);
  const records: CsvRecord[] = [];
  const result = await readCsvRecords(
    path,
    {
      encoding: options.encoding ?? 'utf-8',
      ...(options.chunkBytes ? { chunkBytes: options.chunkBytes } : {}),
      ...(options.repeated ? { repeated: () => options.repeated } : {}),
    },
    async (batch) => {
      records.push(...batch);
      return 'continue';
    },
  );
  return { result, records };
}

/** A pseudo-random CSV with quotes, delimiters, both line breaks and multi-byte text inside fields. */
function randomCsv(seed: number, newline: '\r\n' | '\n'): string {
  let state = seed;
  const random = (n: number) => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state % n;
  };
  const pieces = ['a', 'Zürich', '’', ',', '"', '\n', '\r\n', ' ', '12', ''];
  const rows: string[] = [];
  for (let r = 0; r < 40; r++) {
    const fields: string[] = [];
    for (let f = 0; f < 1 + random(5); f++) {
      let text = '';
      for (let i = random(6); i > 0; i--) text += pieces[random(pieces.length)];
      const quote = random(2) === 0 || /[",\r\n]/.test(text);
      fields.push(quote ? `"${text.replaceAll('"', '""')}"` : text);
    }
    rows.push(fields.join(','));
  }
  return rows.join(newline) + newline;
}

describe('readCsvRecords: CSV bytes to records with their lines', () => {
  it.each([
    [1, '\r\n'],
    [2, '\n'],
    [3, '\r\n'],
    [4, '\n'],
  ] as const)(
    'agrees with papaparse on a random CSV (seed %i, records end with %j), whatever the chunk size',
    async (seed, newline) => {
      const text = randomCsv(seed, newline);
      const expected = Papa.parse<string[]>(text, { delimiter: ',', newline }).data.filter(
        (record, i, all) => !(i === all.length - 1 && record.length === 1 && record[0] === ''),
      );
      for (const chunkBytes of [1, 2, 3, 7, 64, 1 << 20]) {
        const { result, records } = await read(text, { chunkBytes });
        expect(result).toMatchObject({ kind: 'ok', records: expected.length });
        expect(records.map((r) => r.fields)).toEqual(expected);
      }
    },
  );

  it('agrees with papaparse across many reads of the file (each read reuses one buffer)', async () => {
    const text = Array.from({ length: 3000 }, (_, i) => randomCsv(i + 10, '\r\n')).join('');
    expect(Buffer.byteLength(text)).toBeGreaterThan(2 * 2 ** 20);
    const expected = Papa.parse<string[]>(text, { delimiter: ',', newline: '\r\n' }).data.slice(0, -1);
    for (const chunkBytes of [7001, 1 << 20]) {
      const { result, records } = await read(text, { chunkBytes });
      expect(result).toMatchObject({ kind: 'ok', records: expected.length });
      expect(records.map((r) => r.fields)).toEqual(expected);
    }
  });

  it('gives each record the line it starts on, counting line breaks inside quoted fields', async () => {
    const { records } = await read('"a","multi\nline\ntext"\r\n"b","x"\r\n\r\n"c","y"', { chunkBytes: 4 });
    expect(records.map((r) => [r.fields[0], r.line])).toEqual([
      ['a', 1],
      ['b', 4],
      ['', 5],
      ['c', 6],
    ]);
  });

  it('keeps a lone LF as text in a file whose records end with CRLF, unquoted too, even read byte by byte', async () => {
    const { records } = await read('h1,h2\r\na,b\nc\r\nd,e\r\n', { chunkBytes: 1 });
    expect(records.map((r) => r.fields)).toEqual([
      ['h1', 'h2'],
      ['a', 'b\nc'],
      ['d', 'e'],
    ]);
  });

  it('undoes doubled quotes, also when a chunk ends between the two', async () => {
    const { records } = await read('"say ""hi""",""""\r\n', { chunkBytes: 5 });
    expect(records[0]?.fields).toEqual(['say "hi"', '"']);
  });

  it('fails a quoted field that is never closed (a truncated file), with the line it started on', async () => {
    const { result } = await read('"a","b"\r\n"c","unfinished\ntext');
    expect(result).toEqual({
      kind: 'failed',
      line: 2,
      reason: 'quoted field never closed (file truncated?)',
    });
  });

  it('fails text after a closing quote, with its line', async () => {
    const { result } = await read('"a","b"\r\n"c"x,"d"\r\n');
    expect(result).toMatchObject({
      kind: 'failed',
      line: 2,
      reason: expect.stringContaining('closing quote'),
    });
  });

  it('decodes Windows-1252 and UTF-16 files to the same fields', async () => {
    const text = '"Zürich","’quoted’"\r\n"b","c"\r\n';
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const cp1252 = Buffer.from(text.replace('’', '\x92').replace('’', '\x92'), 'latin1');
    const expected = [
      ['Zürich', '’quoted’'],
      ['b', 'c'],
    ];
    for (const [bytes, encoding] of [
      [utf16, 'utf-16le'],
      [cp1252, 'windows-1252'],
    ] as const) {
      const { records } = await read(bytes, { encoding, chunkBytes: 3 });
      expect(records.map((r) => r.fields)).toEqual(expected);
    }
  });

  it('decodes repeated columns only in the first record of each key value, unused ones never', async () => {
    const { records } = await read(
      '"1","long text A","r1","x"\r\n"2","long text B","r2","y"\r\n"1","long text A","r3","z"\r\n',
      { repeated: repeatedColumns(0, [1], [3]) },
    );
    expect(records.map((r) => r.fields)).toEqual([
      ['1', 'long text A', 'r1', ''],
      ['2', 'long text B', 'r2', ''],
      ['1', '', 'r3', ''],
    ]);
  });
});
