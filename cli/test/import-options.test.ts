import { describe, expect, it } from 'vitest';
import { parseImportOptions } from '../src/import-options.ts';

const token = { Q2H_TOKEN: 'tok' };

describe('import options', () => {
  it('given a token and files, then the defaults are localhost:8080, waiting, bars on a terminal', () => {
    expect(parseImportOptions(['a.csv', 'b.csv'], token, true)).toEqual({
      kind: 'ok',
      options: {
        baseUrl: 'http://localhost:8080',
        credentials: { kind: 'token', token: 'tok' },
        files: ['a.csv', 'b.csv'],
        json: false,
        wait: true,
      },
    });
  });

  it('given --url, then it wins over Q2H_URL and loses its trailing slash', () => {
    const parsed = parseImportOptions(
      ['--url', 'https://q2h.example/', 'a.csv'],
      { ...token, Q2H_URL: 'http://x' },
      true,
    );
    expect(parsed).toMatchObject({ kind: 'ok', options: { baseUrl: 'https://q2h.example' } });
    expect(parseImportOptions(['a.csv'], { ...token, Q2H_URL: 'http://q2h:8080' }, true)).toMatchObject({
      options: { baseUrl: 'http://q2h:8080' },
    });
  });

  it('given stderr is not a terminal, then output is NDJSON even without --json', () => {
    expect(parseImportOptions(['a.csv'], token, false)).toMatchObject({ options: { json: true } });
    expect(parseImportOptions(['--json', '--no-wait', 'a.csv'], token, true)).toMatchObject({
      options: { json: true, wait: false },
    });
  });

  it('given username and password but no token, then it logs in; a token wins over them', () => {
    const login = { Q2H_USERNAME: 'ci', Q2H_PASSWORD: 'secret' };
    expect(parseImportOptions(['a.csv'], login, true)).toMatchObject({
      options: { credentials: { kind: 'login', username: 'ci', password: 'secret' } },
    });
    expect(parseImportOptions(['a.csv'], { ...login, ...token }, true)).toMatchObject({
      options: { credentials: { kind: 'token', token: 'tok' } },
    });
  });

  it('given no credentials, or half of a login, then the usage problem names the variables', () => {
    expect(parseImportOptions(['a.csv'], {}, true)).toEqual({
      kind: 'usage',
      problem: expect.stringContaining('Q2H_TOKEN'),
    });
    expect(parseImportOptions(['a.csv'], { Q2H_USERNAME: 'ci' }, true)).toEqual({
      kind: 'usage',
      problem: 'Q2H_USERNAME is set but Q2H_PASSWORD is not',
    });
  });

  it('given no file, an unknown option or a bad URL, then it is a usage problem; -h is help', () => {
    expect(parseImportOptions([], token, true)).toMatchObject({ kind: 'usage', problem: 'no file given' });
    expect(parseImportOptions(['--bogus', 'a.csv'], token, true)).toMatchObject({ kind: 'usage' });
    expect(parseImportOptions(['--url', 'ftp://x', 'a.csv'], token, true)).toMatchObject({ kind: 'usage' });
    expect(parseImportOptions(['--url', 'not a url', 'a.csv'], token, true)).toMatchObject({ kind: 'usage' });
    expect(parseImportOptions(['-h'], {}, true)).toEqual({ kind: 'help' });
  });
});
