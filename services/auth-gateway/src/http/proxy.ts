import type { Logger } from '@q2h/platform';
import { problem } from '@q2h/platform';
import type { Request, RequestHandler } from 'express';
import { createProxyMiddleware } from 'http-proxy-middleware';

/**
 * Forwards the request, as received (streamed body, Authorization header), to the target that serves
 * it; the target checks the token again. A target that cannot be reached gives a 502 problem body.
 */
export function proxyTo(target: string, logger: Logger): RequestHandler {
  return createProxyMiddleware<Request>({
    target,
    // Mounted under /api/…: forward the full original path, not the part below the mount point.
    pathRewrite: (_path, req) => req.originalUrl,
    proxyTimeout: 0,
    on: {
      error: (error, req, res) => {
        logger.warn({ target, url: req.originalUrl, error: error.message }, 'proxy: target unreachable');
        if (!('writeHead' in res) || res.headersSent) {
          res.destroy();
          return;
        }
        const body = problem(
          502,
          'target-unavailable',
          `the service behind ${req.originalUrl} is unreachable`,
        );
        res.writeHead(502, { 'content-type': 'application/problem+json' });
        res.end(JSON.stringify(body));
      },
    },
  });
}
