import type { FindingObserved, ImportCompleted } from '../src/events.ts';

/** One realistic finding for serde and registry tests. */
export const sampleFinding: FindingObserved = {
  type: 'FindingObserved',
  eventId: 'imp1:0',
  tenant: 'default',
  importId: 'imp1',
  occurredAt: 1_763_000_000_000,
  ordinal: 0,
  line: 19,
  findingKey: 'default|10.0.0.1|qualys:91850|443|tcp',
  source: 'qualys',
  vulnKey: '91850',
  severity: 5,
  vulnType: 'vulnerability',
  ip: '10.0.0.1',
  dns: 'web01',
  netbios: 'WEB01',
  os: 'Windows',
  hostId: 'h1',
  trackingMethod: 'Agent',
  port: 443,
  protocol: 'tcp',
  fqdn: '',
  ssl: true,
  status: 'Active',
  firstDetected: null,
  lastDetected: 1_763_000_000_000,
  timesDetected: 12,
  scannedAt: 1_763_000_000_000,
  results: 'KB5049981 is not installed\n%windir%\\system32 — é',
};

/** One completed import for serde and registry tests. */
export const sampleCompleted: ImportCompleted = {
  type: 'ImportCompleted',
  eventId: 'imp1:completed',
  tenant: 'default',
  importId: 'imp1',
  occurredAt: 1,
  rowsDone: 11,
  bytesDone: 100,
  findings: 11,
  hosts: 4,
  scannedAt: null,
  declaredTotalVulns: 11,
  declaredActiveHosts: null,
};
