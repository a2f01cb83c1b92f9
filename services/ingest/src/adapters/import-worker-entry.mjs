// The server runs TypeScript through tsx; worker threads need the loader registered in their own thread.
import { register } from 'tsx/esm/api';

register();
await import('./import-worker.ts');
