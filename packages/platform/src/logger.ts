import { pino } from 'pino';

export type Logger = pino.Logger;

export function createLogger(level = 'info', name = 'q2h'): Logger {
  return pino({ name, level, base: { service: name } });
}
