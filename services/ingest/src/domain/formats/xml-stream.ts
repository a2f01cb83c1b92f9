import { SaxesParser, type SaxesTagPlain } from 'saxes';
import type { DeclaredTotals, EmittedFinding } from '../report-model.ts';
import { textChunks } from '../text-chunks.ts';
import type { FindingsSink, ReadOutcome, ReportSource } from './report-format.ts';

/** What a format's XML handlers can do while the document streams by. */
export interface XmlContext {
  emit(finding: EmittedFinding): void;
  /** Ends the read as failed at the current line. */
  fail(reason: string): void;
  /** 1-based line of the parser's position (the end of the tag or text just read). */
  line(): number;
}

/** Callbacks of one XML read; created per read so they can keep the state of the element being read. */
export interface XmlHandlers {
  open?(tag: SaxesTagPlain): void;
  /** Text and CDATA inside the current element (may arrive in pieces). */
  text?(text: string): void;
  close?(name: string): void;
  /** After the document: a reason to refuse it (e.g. not the expected root), or what it declared. */
  end?(): { refused: string } | { declared: DeclaredTotals | null };
}

export type { SaxesTagPlain };

/**
 * Streams an XML report through saxes. Entity declarations are refused before anything is expanded
 * (XXE, billion laughs): saxes never fetches external entities and fails on undeclared ones.
 */
export async function readXml(
  source: ReportSource,
  build: (context: XmlContext) => XmlHandlers,
  sink: FindingsSink,
): Promise<ReadOutcome> {
  const parser = new SaxesParser<{ xmlns: false; position: true }>({ xmlns: false, position: true });
  let batch: EmittedFinding[] = [];
  let failure: { line: number; reason: string } | undefined;
  const fail = (reason: string) => {
    failure ??= { line: parser.line, reason };
  };
  const handlers = build({ emit: (finding) => batch.push(finding), fail, line: () => parser.line });
  parser.on('doctype', (doctype) => {
    if (/<!ENTITY/i.test(doctype)) fail('the XML declares entities (DTD): refused, never expanded');
  });
  parser.on('error', (error) =>
    fail(`not well-formed XML: ${error.message.replace(/^(?:[^:]*:)?\d+:\d+: /, '')}`),
  );
  // After a failure the rest of the chunk is still parsed: the format's handlers see none of it.
  parser.on('opentag', (tag) => failure || handlers.open?.(tag));
  const onText = (text: string) => failure || handlers.text?.(text);
  parser.on('text', onText);
  parser.on('cdata', onText);
  parser.on('closetag', (tag) => failure || handlers.close?.(tag.name));

  let bytes = 0;
  for await (const { text, bytesDone } of textChunks(source)) {
    bytes = bytesDone;
    // saxes throws after an error event unless the error handler swallows it; stop at the first failure.
    parser.write(text);
    if (failure) return { kind: 'failed', ...failure };
    if (batch.length > 0) {
      const findings = batch;
      batch = [];
      if ((await sink.accept(findings, bytesDone)) === 'stop') return { kind: 'stopped' };
    }
  }
  parser.close();
  if (failure) return { kind: 'failed', ...failure };
  if (batch.length > 0 && (await sink.accept(batch, bytes)) === 'stop') return { kind: 'stopped' };
  const end = handlers.end?.() ?? { declared: null };
  if ('refused' in end) return { kind: 'failed', line: null, reason: end.refused };
  return { kind: 'ok', bytes, declared: end.declared };
}
