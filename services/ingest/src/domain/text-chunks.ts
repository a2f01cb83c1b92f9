import { fileChunks } from './file-chunks.ts';
import type { ReportSource } from './formats/report-format.ts';
import { bomLength, decoderFor } from './text-encoding.ts';

/** 48 KiB: decoded chunks stay under V8's large-string threshold (see csv-records.ts). */
const CHUNK_BYTES = 48 * 1024;

/**
 * A report's text, decoded chunk by chunk (BOM skipped; a character cut by a chunk boundary is carried),
 * with the file bytes read so far. Follows a file still being uploaded. The last chunk may be ''.
 */
export async function* textChunks(source: ReportSource): AsyncGenerator<{ text: string; bytesDone: number }> {
  const decoder = decoderFor(source.encoding);
  let bytesDone = bomLength(source.encoding);
  for await (const chunk of fileChunks(source.path, {
    start: bytesDone,
    chunkBytes: CHUNK_BYTES,
    ...(source.finalSize ? { finalSize: source.finalSize } : {}),
  })) {
    bytesDone += chunk.length;
    yield { text: decoder.write(chunk), bytesDone };
  }
  yield { text: decoder.end(), bytesDone };
}
