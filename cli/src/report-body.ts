export interface ReportBody {
  contentType: string;
  /** Exact byte length, so the server knows the size up front (it estimates progress from it). */
  length: number;
  stream: ReadableStream<Uint8Array>;
  /** Why reading the file failed, once it has: tells a local read error from a network one. */
  readError(): Error | undefined;
}

/**
 * The report as the request's body (the server's `curl -T` way in: no multipart for it to parse),
 * streamed from `content` (the file on disk): only one chunk of the file is in memory at a time,
 * whatever its size. `onSent` is told the bytes handed to the connection so far.
 */
export function reportBody(
  content: ReadableStream<Uint8Array>,
  contentLength: number,
  onSent: (fileBytes: number) => void = () => {},
): ReportBody {
  const reader = content.getReader();
  let sent = 0;
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
    contentType: 'application/octet-stream',
    length: contentLength,
    stream,
    readError: () => readError,
  };
}
