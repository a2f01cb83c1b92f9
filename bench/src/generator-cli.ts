import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseSize } from './generate-scan-report.ts';

type Generate = (path: string, bytes: number, seed?: number) => Promise<{ findings: number; hosts: number }>;

/**
 * The command line of a scanner-report generator, when its module is the one node was started with:
 * `--size 200MB --out <file> [--seed 1]`, then one line with what it wrote.
 */
export function runGeneratorCli(moduleUrl: string, example: string, generate: Generate): void {
  if (!process.argv[1] || resolve(process.argv[1]) !== fileURLToPath(moduleUrl)) return;
  const { values } = parseArgs({
    options: { size: { type: 'string' }, out: { type: 'string' }, seed: { type: 'string', default: '1' } },
  });
  if (!values.size || !values.out) {
    console.error(`usage: node --import tsx ${example} [--seed 1]`);
    process.exit(2);
  }
  const { out } = values;
  const started = performance.now();
  generate(out, parseSize(values.size), Number(values.seed)).then(
    ({ findings, hosts }) => {
      const seconds = (performance.now() - started) / 1000;
      console.log(`${out}: ${findings} findings on ${hosts} hosts in ${seconds.toFixed(1)} s`);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
