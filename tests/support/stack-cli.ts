/**
 * Starts q2h's distributed mode on this machine — real Kafka, Apicurio, Keycloak, PostgreSQL and the
 * q2h targets as separate processes — and keeps it running until Ctrl-C (see README, "Distributed mode").
 *   npm run stack:distributed [-- --port 8080]
 */
import { parseArgs } from 'node:util';
import { startDistributedStack, USERS } from './distributed-stack.ts';

const { values } = parseArgs({ options: { port: { type: 'string', default: '8080' } } });
console.log('starting Kafka, Apicurio, Keycloak, PostgreSQL, then the q2h targets (a minute or two)…');
const stack = await startDistributedStack({ gatewayPort: Number(values.port) });
console.log(`
q2h (distributed mode) is running
  open ${stack.url} and sign in with single sign-on, e.g. ${USERS.admin.username} / ${USERS.admin.password}
  Keycloak ${stack.keycloak.url} · Kafka ${stack.kafka.brokers.join(',')} · registry ${stack.registry.url}
  target logs: ${Object.values(stack.targets)
    .map((t) => t.logFile)
    .join(', ')}
Ctrl-C stops everything.`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log('stopping…');
    stack.stop().then(() => process.exit(0));
  });
}
