export { type RunningQ2h, startEmbedded } from './compose.ts';
