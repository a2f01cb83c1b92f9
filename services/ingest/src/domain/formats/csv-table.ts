import { type RepeatedColumns, readCsvRecords } from '../csv-records.ts';
import type { DeclaredTotals, EmittedFinding, RowResult } from '../report-model.ts';
import type { FindingsSink, ReadOutcome, ReportSource } from './report-format.ts';

/**
 * How to read one CSV report: an optional preamble, then a header row and one finding (or none) per
 * detail row. Created per read, so a preamble can keep state.
 */
export interface CsvTable {
  isHeader(fields: readonly string[]): boolean;
  /** A record before the header; returns a reason when the record cannot be part of this report. */
  preamble?(fields: readonly string[], line: number): string | undefined;
  /** Builds the row mapper for the header: look column positions up once, not per row. */
  rows(header: readonly string[]): (fields: readonly string[], line: number) => RowResult;
  /** Columns the row mapper reads only for a vulnerability's first row, or never (see RepeatedColumns). */
  repeated?(header: readonly string[]): RepeatedColumns;
  /** What the report declares about itself, checked against its rows (Qualys Scan Report preamble). */
  declared?(): DeclaredTotals | null;
  /** Why the file is refused when no header row was found, e.g. "no Nessus header (Plugin ID, Host…)". */
  readonly missingHeader: string;
}

/** Streams a CSV report's detail rows as findings: the shared reader of every CSV format. */
export async function readCsvTable(
  source: ReportSource,
  table: CsvTable,
  sink: FindingsSink,
): Promise<ReadOutcome> {
  let mapRow: ReturnType<CsvTable['rows']> | undefined;
  let invalid: { line: number; reason: string } | undefined;
  let repeated: RepeatedColumns | undefined;

  const read = await readCsvRecords(
    source.path,
    {
      encoding: source.encoding,
      repeated: () => repeated,
      ...(source.finalSize ? { finalSize: source.finalSize } : {}),
    },
    async (records, bytesDone) => {
      const findings: EmittedFinding[] = [];
      for (const { fields, line } of records) {
        if (!mapRow) {
          if (table.isHeader(fields)) {
            mapRow = table.rows(fields);
            repeated = table.repeated?.(fields);
          } else {
            const refused = table.preamble ? table.preamble(fields, line) : undefined;
            if (refused) {
              invalid = { line, reason: refused };
              return 'stop';
            }
          }
          continue;
        }
        const row = mapRow(fields, line);
        if (row.kind === 'skip') continue;
        if (row.kind === 'invalid') {
          invalid = { line, reason: row.reason };
          return 'stop';
        }
        findings.push(row);
      }
      return findings.length === 0 ? 'continue' : sink.accept(findings, bytesDone);
    },
  );

  if (invalid) return { kind: 'failed', ...invalid };
  if (read.kind === 'failed') return read;
  if (read.kind === 'stopped') return { kind: 'stopped' };
  if (!mapRow) return { kind: 'failed', line: null, reason: table.missingHeader };
  return { kind: 'ok', bytes: read.bytes, declared: table.declared?.() ?? null };
}

/** True for a record that is a blank line. */
export const isBlank = (fields: readonly string[]) => fields.every((f) => f.trim() === '');

/**
 * A row's field at a header position looked up once, '' when the column is absent (-1). A module
 * function for every row mapper, not a closure made per row: see fieldText in csv-records.ts.
 */
export function cellAt(fields: readonly string[], at: number): string {
  return at >= 0 ? (fields[at] ?? '') : '';
}
