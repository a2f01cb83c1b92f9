import { pino } from 'pino';

export type Logger = pino.Logger;

/** JSON lines on stdout, or on `destination` (tests read what was logged). */
export function createLogger(level = 'info', name = 'q2h', destination?: pino.DestinationStream): Logger {
  return pino({ name, level, base: { service: name } }, destination);
}
