import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import { ProblemError, problem } from './problem.ts';

export type ReadinessCheck = () => Promise<{ name: string; ok: boolean; detail?: string }>;

/** An express app with request ids, JSON logs, latency metrics, /healthz, /readyz and /metrics. */
export function createHttpApp(deps: {
  logger: Logger;
  metrics: Metrics;
  readiness: ReadinessCheck[];
}): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(
    pinoHttp({
      logger: deps.logger,
      genReqId: (req, res) => {
        const id = (req.headers['x-request-id'] as string | undefined) ?? randomUUID();
        res.setHeader('x-request-id', id);
        return id;
      },
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/metrics' },
    }),
  );
  app.use((req, res, next) => {
    const end = deps.metrics.httpDuration.startTimer({ method: req.method });
    res.on('finish', () => {
      end({
        route: req.route?.path ? `${req.baseUrl}${req.route.path}` : 'unmatched',
        status: res.statusCode,
      });
    });
    next();
  });
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const checks = await Promise.all(
      deps.readiness.map((check) =>
        check().catch((error: Error) => ({ name: 'check', ok: false, detail: error.message })),
      ),
    );
    const ready = checks.every((c) => c.ok);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  return app;
}

/** Last handlers of the app: 404 as a problem, and errors as problems without stack traces. */
/** Listens and resolves with the server and the port it got (Q2H_PORT=0 picks a free one). */
export async function listen(
  app: Express,
  port: number,
  host: string,
): Promise<{ server: Server; port: number }> {
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(port, host, () => resolve(s));
    s.on('error', reject);
  });
  // Multi-GB uploads: no request timeout; idle sockets still time out.
  server.requestTimeout = 0;
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : port };
}

export function problemHandlers(logger: Logger): [RequestHandler, ErrorRequestHandler] {
  const notFound: RequestHandler = (req, res) => {
    res
      .status(404)
      .type('application/problem+json')
      .json(problem(404, 'not-found', `No route for ${req.method} ${req.path}`));
  };
  const onError: ErrorRequestHandler = (error, req, res, _next) => {
    let body = error instanceof ProblemError ? error.problem : undefined;
    if (!body && typeof error?.status === 'number' && error.status >= 400 && error.status < 500) {
      // express' own body parsers: malformed JSON, payload too large, ...
      body = problem(error.status, error.type ?? 'bad-request', error.expose ? error.message : 'Bad request');
    }
    if (!body) {
      (req.log ?? logger).error({ err: error }, 'unhandled error');
      body = problem(
        500,
        'internal',
        'Something went wrong on our side; the request id is in the x-request-id header.',
      );
    }
    if (res.headersSent) return;
    res.status(body.status).type('application/problem+json').json(body);
  };
  return [notFound, onError];
}

/** Who is calling, set by the gateway's authentication on every /api request. */
export interface RequestPrincipal {
  userId: string;
  username: string;
  roles: string[];
  tenant: string;
}

declare global {
  // biome-ignore lint/suspicious/noRedeclare: express' own augmentation point
  namespace Express {
    interface Request {
      principal?: RequestPrincipal;
    }
  }
}
