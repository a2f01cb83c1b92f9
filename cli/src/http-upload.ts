import { once } from 'node:events';
import http from 'node:http';
import https from 'node:https';

export interface HttpAnswer {
  status: number;
  contentType: string;
  text: string;
}

/**
 * POSTs a streamed body with node:http, not fetch: Node 20's fetch (undici) keeps every chunk of a
 * streamed request body until the request ends (nodejs/undici#4058, open). Measured uploading a 300 MB
 * report to a slow local server: fetch with `duplex: 'half'` peaked at 392 MB RSS with 306 MB of buffers
 * still held after a GC; this peaked at 111 MB (tsx and the server included) with 13 MB left. Writes
 * wait for 'drain', so a slow link slows the file reads down instead of filling memory.
 */
export function postStream(
  url: string,
  headers: Record<string, string>,
  body: ReadableStream<Uint8Array>,
): Promise<HttpAnswer> {
  return new Promise<HttpAnswer>((resolve, reject) => {
    const target = new URL(url);
    const request = (target.protocol === 'https:' ? https : http).request(target, {
      method: 'POST',
      headers,
    });
    const reader = body.getReader();
    let answered = false;
    let sentAll = false;
    request.on('response', (response) => {
      answered = true;
      // The server may answer before it has read everything (401 is checked before the body is read):
      // stop sending, and do not leave the half-written connection in the keep-alive pool.
      if (!sentAll) void reader.cancel().catch(() => {});
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        if (!sentAll) request.destroy();
        resolve({
          status: response.statusCode ?? 0,
          contentType: response.headers['content-type'] ?? '',
          text: Buffer.concat(chunks).toString('utf8'),
        });
      });
    });
    request.on('error', (error) => {
      if (!answered) reject(error);
    });
    void (async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          if (!request.write(value)) await once(request, 'drain');
        }
        sentAll = !answered;
        request.end();
      } catch (error) {
        if (answered) return;
        request.destroy();
        reject(error);
      }
    })();
  });
}
