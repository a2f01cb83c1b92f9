import { succeeded } from './file-outcome.ts';
import { parseImportOptions, USAGE } from './import-options.ts';
import { checkReadable, importFiles } from './import-run.ts';
import { ndjsonReporter } from './ndjson-reporter.ts';
import { Q2hClient } from './q2h-client.ts';
import { SetupError } from './setup-error.ts';
import { terminalReporter } from './terminal-reporter.ts';

/** q2h-import: read the command line and the environment, import, and say how it went (exit code). */
async function main(): Promise<number> {
  const parsed = parseImportOptions(process.argv.slice(2), process.env, process.stderr.isTTY === true);
  if (parsed.kind === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (parsed.kind === 'usage') {
    process.stderr.write(
      `q2h-import: ${parsed.problem}\n${USAGE.split('\n')[0]}\n(q2h-import --help for more)\n`,
    );
    return 2;
  }
  const { options } = parsed;
  const reporter = options.json
    ? ndjsonReporter(process.stdout)
    : terminalReporter(process.stderr, process.stdout);
  process.once('SIGINT', () => {
    reporter.clear();
    process.stderr.write('q2h-import: interrupted; imports the server already accepted go on there\n');
    process.exit(130);
  });
  try {
    const files = await checkReadable(options.files);
    const client =
      options.credentials.kind === 'token'
        ? Q2hClient.withToken(options.baseUrl, options.credentials.token)
        : await Q2hClient.login(options.baseUrl, options.credentials.username, options.credentials.password);
    const outcomes = await importFiles(files, { client, reporter }, options.wait);
    return outcomes.every((outcome) => succeeded(outcome, options.wait)) ? 0 : 1;
  } catch (error) {
    reporter.clear();
    if (error instanceof SetupError) {
      process.stderr.write(`q2h-import: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

// exitCode, not exit(): stdout may be a pipe still flushing the last NDJSON line.
process.exitCode = await main();
