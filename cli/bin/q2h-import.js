#!/usr/bin/env node
// q2h runs its TypeScript through tsx (as `npm start` does); this shim lets `npx q2h-import` do the same.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
