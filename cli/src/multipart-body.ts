import { randomBytes } from 'node:crypto';

export interface MultipartBody {
  contentType: string;
  /** Exact byte length, so the server knows the size up front (it estimates progress from it). */
  length: number;
  stream: ReadableStream<Uint8Array>;
  /** Why reading the file failed, once it has: tells a local read error from a network one. */
  readError(): Error | undefined;
}

/**
 * Quotes a file name for Content-Disposition as browsers do (UTF-8, with CR, LF and quote escaped), so the
 * server names a CLI upload exactly as it names the same file uploaded from the UI.
 */
function quotedFilename(filename: string): string {
  return `"${filename.replace(/[\r\n"]/g, (c) => encodeURIComponent(c))}"`;
}

/**
 * A multipart/form-data body with one field `file`, streamed from `content` (the file on disk): only
 * one chunk of the file is in memory at a time, whatever its size. `onSent` is told the file bytes
 * handed to the connection so far (the preamble and epilogue are a few hundred bytes and not counted).
 */
export function multipartFileBody(
  filename: string,
  content: ReadableStream<Uint8Array>,
  contentLength: number,
  onSent: (fileBytes: number) => void = () => {},
): MultipartBody {
  const boundary = `q2h-${randomBytes(12).toString('hex')}`;
  const encoder = new TextEncoder();
  const head = encoder.encode(
    `--${boundary}\r\n` +
      `Content-Disposition: form-data; name="file"; filename=${quotedFilename(filename)}\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
  const tail = encoder.encode(`\r\n--${boundary}--\r\n`);
  const reader = content.getReader();
  let sent = 0;
  let headSent = false;
  let readError: Error | undefined;
  // Cancelled by the consumer (the server answered early): the file reads end then, and that is no error.
  let cancelled = false;
  const fail = (controller: ReadableStreamDefaultController<Uint8Array>, error: Error) => {
    readError = error;
    controller.error(error);
  };
  const stream = new ReadableStream<Uint8Array>({
    // pull (not start) keeps backpressure: the next chunk is read from disk only when fetch wants it.
    async pull(controller) {
      if (!headSent) {
        headSent = true;
        controller.enqueue(head);
        return;
      }
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (error) {
        fail(controller, error as Error);
        return;
      }
      const { done, value } = chunk;
      if (cancelled) return;
      if (done) {
        if (sent !== contentLength) {
          fail(controller, new Error(`the file changed while uploading (${sent} of ${contentLength} bytes)`));
          return;
        }
        controller.enqueue(tail);
        controller.close();
        return;
      }
      sent += value.byteLength;
      if (sent > contentLength) {
        fail(controller, new Error(`the file grew while uploading (over ${contentLength} bytes)`));
        return;
      }
      controller.enqueue(value);
      onSent(sent);
    },
    async cancel(reason) {
      cancelled = true;
      await reader.cancel(reason);
    },
  });
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    length: head.byteLength + contentLength + tail.byteLength,
    stream,
    readError: () => readError,
  };
}
