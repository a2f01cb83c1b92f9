import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import express, { type Router } from 'express';

const webDist = fileURLToPath(new URL('../../../../web/dist/', import.meta.url));

/** Serves the built SPA; unknown non-API paths get index.html (client-side routes). */
export function staticWeb(): Router {
  const router = express.Router();
  if (!existsSync(`${webDist}index.html`)) {
    router.get('/', (_req, res) => {
      res.type('text').send('The web UI is not built: run `npm run build -w @q2h/web` (npm start does it).');
    });
    return router;
  }
  router.use(express.static(webDist, { index: 'index.html', maxAge: '1h' }));
  router.get(/^\/(?!api\/|healthz|readyz|metrics).*/, (_req, res) => {
    res.sendFile('index.html', { root: webDist });
  });
  return router;
}
