import { type FileHandle, open } from 'node:fs/promises';

/** 1 MiB reads: few enough syscalls for GB files, small enough that progress moves smoothly. */
const CHUNK_BYTES = 1024 * 1024;

/**
 * A file as a pull-based stream: a chunk is read only when the consumer asks for one, so a multi-GB
 * report never sits in memory and a slow connection slows the reads down (backpressure).
 */
export function readFileInChunks(path: string): ReadableStream<Uint8Array> {
  let handle: FileHandle | undefined;
  const close = async () => {
    const open = handle;
    handle = undefined;
    await open?.close();
  };
  return new ReadableStream<Uint8Array>(
    {
      async start() {
        handle = await open(path, 'r');
      },
      async pull(controller) {
        try {
          const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
          const { bytesRead } = await handle!.read(buffer, 0, CHUNK_BYTES, null);
          if (bytesRead === 0) {
            await close();
            controller.close();
            return;
          }
          controller.enqueue(buffer.subarray(0, bytesRead));
        } catch (error) {
          await close().catch(() => {});
          controller.error(error);
        }
      },
      async cancel() {
        await close();
      },
    },
    { highWaterMark: 0 },
  );
}
