import { loadConfig } from '@q2h/platform';
import { startEmbedded } from './compose.ts';
import { MissingSetting, startDistributed } from './compose-distributed.ts';

// q2h's front door: `npm start` runs this with every target in one process (embedded mode);
// Q2H_TARGETS=gateway,ingest,… runs those targets of distributed mode (see README).
const loaded = loadConfig();
if (loaded.kind === 'invalid') {
  console.error(`q2h cannot start: invalid configuration\n  ${loaded.problems.join('\n  ')}`);
  process.exit(2);
}
const { config } = loaded;
const embedded = config.targets.includes('all');
if (embedded && config.targets.length > 1) {
  console.error('q2h cannot start: Q2H_TARGETS=all runs every target; do not list others with it');
  process.exit(2);
}

const q2h = embedded ? await startEmbedded(config) : await startOrExplain(config);
if ('generatedAdminPassword' in q2h) {
  const login = config.adminPassword
    ? 'log in as "admin" with Q2H_ADMIN_PASSWORD'
    : q2h.generatedAdminPassword
      ? `first login: user "admin", password "${q2h.generatedAdminPassword}" (you will be asked to change it)`
      : 'log in as "admin" with the password you set';
  console.log(`\nq2h is running (embedded mode, data in ${config.dataDir})\n  open ${q2h.url}\n  ${login}\n`);
} else {
  console.log(`q2h ${q2h.targets.join(',')} is running (distributed mode) on ${q2h.url}`);
}

async function startOrExplain(c: typeof config) {
  try {
    return await startDistributed(c);
  } catch (error) {
    if (!(error instanceof MissingSetting)) throw error;
    console.error(`q2h cannot start: ${error.message}`);
    process.exit(2);
  }
}

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log('q2h: stopping…');
    q2h.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}
