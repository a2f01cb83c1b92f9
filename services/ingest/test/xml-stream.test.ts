import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readXml } from '../src/domain/formats/xml-stream.ts';

const dir = mkdtempSync(join(tmpdir(), 'q2h-xml-'));
function file(name: string, text: string) {
  const path = join(dir, name);
  writeFileSync(path, text);
  return { path, encoding: 'utf-8' as const };
}

/** Counts <item> elements and collects their text, as a format's handlers would. */
async function readItems(source: { path: string; encoding: 'utf-8' }) {
  const texts: string[] = [];
  let current: string | undefined;
  const outcome = await readXml(
    source,
    () => ({
      open: (tag) => {
        if (tag.name === 'item') current = '';
      },
      text: (text) => {
        if (current !== undefined) current += text;
      },
      close: (name) => {
        if (name === 'item' && current !== undefined) texts.push(current);
        current = undefined;
      },
    }),
    { accept: async () => 'continue' },
  );
  return { outcome, texts };
}

describe('readXml', () => {
  it('streams elements with their text and CDATA', async () => {
    const { outcome, texts } = await readItems(
      file('ok.xml', '<?xml version="1.0"?>\n<r><item>a &amp; b</item>\n<item><![CDATA[<c>]]></item></r>'),
    );
    expect(outcome.kind).toBe('ok');
    expect(texts).toEqual(['a & b', '<c>']);
  });

  it('refuses a billion-laughs payload without expanding it', async () => {
    const lol = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<r><item>&lol3;</item></r>`;
    const { outcome, texts } = await readItems(file('lol.xml', lol));
    expect(outcome).toMatchObject({ kind: 'failed', reason: expect.stringMatching(/entities/) });
    expect(texts).toEqual([]);
  });

  it('refuses an external entity (XXE) and never reads the file it names', async () => {
    const xxe = `<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<r><item>&xxe;</item></r>`;
    const { outcome, texts } = await readItems(file('xxe.xml', xxe));
    expect(outcome).toMatchObject({ kind: 'failed', line: expect.any(Number) });
    expect(texts.join('')).not.toContain('root:');
  });

  it('fails a truncated document with its line', async () => {
    const { outcome } = await readItems(file('cut.xml', '<r>\n<item>a</item>\n<item>b'));
    expect(outcome).toMatchObject({ kind: 'failed', line: 3 });
  });
});
