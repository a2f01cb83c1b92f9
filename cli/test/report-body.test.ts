import { describe, expect, it } from 'vitest';
import { reportBody } from '../src/report-body.ts';

function chunks(...parts: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const part of parts) controller.enqueue(encoder.encode(part));
      controller.close();
    },
  });
}

async function drain(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of stream) parts.push(part);
  return Buffer.concat(parts);
}

describe('report body', () => {
  it('given a file in chunks, then the body is the file, its length known up front', async () => {
    const sent: number[] = [];
    const body = reportBody(chunks('IP,QID\n', '10.0.0.1,6\n'), 18, (n) => sent.push(n));
    expect(body.contentType).toBe('application/octet-stream');
    const bytes = await drain(body.stream);
    expect(bytes.length).toBe(body.length);
    expect(bytes.toString()).toBe('IP,QID\n10.0.0.1,6\n');
    expect(sent).toEqual([7, 18]);
  });

  it('given a file that shrank since its size was taken, then the body fails and says why', async () => {
    const body = reportBody(chunks('short'), 100);
    await expect(drain(body.stream)).rejects.toThrow(/changed while uploading/);
    expect(body.readError()?.message).toMatch(/5 of 100 bytes/);
  });

  it('given a file that grew since its size was taken, then the body fails rather than send a wrong length', async () => {
    const body = reportBody(chunks('longer than four'), 4);
    await expect(drain(body.stream)).rejects.toThrow(/grew while uploading/);
  });

  it('given the consumer cancels while a file read is pending (the server answered early), then that is no read error', async () => {
    // A file whose next read waits: it only ends when the body is cancelled.
    const file = new ReadableStream<Uint8Array>({ pull: () => new Promise(() => {}) });
    const body = reportBody(file, 100);
    const reader = body.stream.getReader();
    const pending = reader.read();
    await new Promise((resolve) => setTimeout(resolve, 10)); // the body is now waiting on the file
    await reader.cancel();
    expect((await pending).done).toBe(true);
    expect(body.readError()).toBeUndefined();
  });
});
