import { ConsecutiveRepeats } from '../consecutive-repeats.ts';
import type { FindingsSink, ReadOutcome, ReportFormat, ReportSource } from '../report-format.ts';
import { JsonArrayElements, JsonLines, type JsonRecordSplitter, readJsonRecords } from './json-records.ts';
import { nucleiFinding } from './nuclei-result.ts';

/** Keys every Nuclei result has near its start (template-id since 2022, templateID before). */
const RESULT_KEYS = /"(?:template-id|templateID)"\s*:\s*"[^"]/;
const HAS_INFO = /"info"\s*:\s*\{/;

const isNucleiResult = (text: string) => RESULT_KEYS.test(text) && HAS_INFO.test(text);

/** `nuclei -jsonl` (or -json before v3): one result per line. */
export const nucleiJsonLines: ReportFormat = {
  dialect: 'nuclei-jsonl',
  label: 'Nuclei results (JSON Lines)',
  recognises: ({ text }) => /^\s*\{/.test(text) && isNucleiResult(text),
  read: (source, sink) => readNucleiResults(source, new JsonLines(), sink),
};

/** `nuclei -json-export`: one JSON array of results, pretty-printed (multiple_v3.json). */
export const nucleiJsonExport: ReportFormat = {
  dialect: 'nuclei-json-export',
  label: 'Nuclei results (JSON export)',
  recognises: ({ text }) => /^\s*\[\s*\{/.test(text) && isNucleiResult(text),
  read: (source, sink) => readNucleiResults(source, new JsonArrayElements(), sink),
};

/**
 * Nuclei writes one result per extracted value or matched path (tls-version once per TLS version in
 * multiple_v3.json), one after the other: such consecutive results on the same finding key make one
 * finding, their outputs joined.
 */
async function readNucleiResults(
  source: ReportSource,
  splitter: JsonRecordSplitter,
  sink: FindingsSink,
): Promise<ReadOutcome> {
  const repeats = new ConsecutiveRepeats(sink);
  return repeats.finish(await readJsonRecords(source, splitter, nucleiFinding, repeats));
}
