import { describe, expect, it } from 'vitest';
import { clusterId } from '../src/kafka.ts';

describe('kafka cluster id', () => {
  it('given many drawn, then none starts with "-" and each is 16 bytes of URL-safe base64', () => {
    // One in 64 random ids starts with "-": 2,000 draws hold ~31 of them unless they are drawn again.
    const ids = Array.from({ length: 2000 }, clusterId);
    expect(ids.filter((id) => id.startsWith('-'))).toEqual([]);
    for (const id of ids) expect(Buffer.from(id, 'base64url')).toHaveLength(16);
  });
});
