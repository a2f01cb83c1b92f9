import { closeSync, openSync, readSync } from 'node:fs';
import { formatOf } from '../src/domain/formats/index.ts';
import { type ParseOutcome, parseReport } from '../src/domain/parse-report.ts';
import { recogniseReport } from '../src/domain/recognise-report.ts';
import type { ParsedFinding, ParsedVulnerability } from '../src/domain/report-model.ts';
import type { TextEncoding } from '../src/domain/text-encoding.ts';

/** The first 64 KiB of a file: what the upload route recognises a report by. */
export function headOf(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(64 * 1024);
    return buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, 0));
  } finally {
    closeSync(fd);
  }
}

/** Recognises a report file as the upload route does, then reads all of it as an import does. */
export async function readReport(path: string, options: { encoding?: TextEncoding } = {}) {
  const recognised = recogniseReport(headOf(path));
  if (recognised.kind !== 'ok') throw new Error(`${recognised.slug}: ${recognised.reason}`);
  const format = formatOf(recognised.dialect);
  if (!format) throw new Error(`no format ${recognised.dialect}`);
  const encoding = options.encoding ?? recognised.encoding;
  const findings: ParsedFinding[] = [];
  const vulnerabilities: ParsedVulnerability[] = [];
  const outcome: ParseOutcome = await parseReport(
    format,
    { path, encoding },
    {
      accept: async (f, v) => {
        findings.push(...f);
        vulnerabilities.push(...v);
        return 'continue';
      },
    },
  );
  return { outcome, findings, vulnerabilities, dialect: recognised.dialect, encoding };
}
