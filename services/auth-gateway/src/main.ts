import { loadConfig } from '@q2h/platform';
import { startEmbedded } from './compose.ts';

// q2h's front door: `npm start` runs this with every target in one process (embedded mode).
const loaded = loadConfig();
if (loaded.kind === 'invalid') {
  console.error(`q2h cannot start: invalid configuration\n  ${loaded.problems.join('\n  ')}`);
  process.exit(2);
}
const { config } = loaded;
if (!config.targets.includes('all')) {
  console.error(
    `q2h: Q2H_TARGETS=${config.targets.join(',')} needs distributed mode, which is not available yet; use "all"`,
  );
  process.exit(2);
}

const q2h = await startEmbedded(config);
const login = config.adminPassword
  ? 'log in as "admin" with Q2H_ADMIN_PASSWORD'
  : q2h.generatedAdminPassword
    ? `first login: user "admin", password "${q2h.generatedAdminPassword}" (you will be asked to change it)`
    : 'log in as "admin" with the password you set';
console.log(`\nq2h is running (embedded mode, data in ${config.dataDir})\n  open ${q2h.url}\n  ${login}\n`);

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
