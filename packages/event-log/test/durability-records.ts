import type { LogRecord } from '../src/event-log.ts';

/** Shared by the kill -9 test and its child publisher: record `seq` is fully determined by `seq`. */
export const DURABILITY_TOPIC = 'durability.v1';
export const DURABILITY_PARTITIONS = 4;

export function durabilityRecord(seq: number): LogRecord {
  const length = 1000 + ((seq * 7919) % 2000); // 1–3 KB
  const value = new Uint8Array(length);
  for (let i = 0; i < length; i++) value[i] = (seq * 31 + i * 7 + (i >> 8)) & 0xff;
  return { key: `tenant|10.0.${seq % 13}.${seq % 7}`, value, headers: { seq: String(seq) } };
}
