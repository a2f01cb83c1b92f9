import { open } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The bytes of a file from `start`, chunk by chunk. With `finalSize`, the file may still be growing
 * (an upload being received): the reader waits for more bytes until the final size is known and read.
 */
export async function* fileChunks(
  path: string,
  options: { start: number; chunkBytes: number; finalSize?: () => number | undefined },
): AsyncGenerator<Buffer> {
  const handle = await open(path, 'r');
  try {
    let position = options.start;
    for (;;) {
      const buffer = Buffer.allocUnsafe(options.chunkBytes);
      const { bytesRead } = await handle.read(buffer, 0, options.chunkBytes, position);
      if (bytesRead > 0) {
        position += bytesRead;
        yield buffer.subarray(0, bytesRead);
        continue;
      }
      if (!options.finalSize) return;
      const size = options.finalSize();
      if (size !== undefined && position >= size) return;
      await sleep(5); // caught up with the upload: wait for the next bytes
    }
  } finally {
    await handle.close();
  }
}
