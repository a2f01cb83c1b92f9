/**
 * A real Apache Kafka broker (KRaft, one node that is both broker and controller) as a local JVM process.
 * The broker is `kafka.Kafka` from the Maven Central artifact `org.apache.kafka:kafka_2.13` with log4j 2
 * behind SLF4J; no distribution tarball, no Docker.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { findJava } from './java.ts';
import { fetchMavenArtifacts } from './maven.ts';
import { type EngineProcess, freePort, onExit, spawnEngine, tail, waitUntilReady } from './processes.ts';

export const KAFKA_VERSION = '4.4.0';
const LOG4J_VERSION = '2.26.1';
/** kafka_2.13 brings slf4j-api 1.7; the log4j 2 binding for SLF4J 2 needs the 2.x API. */
const SLF4J_VERSION = '2.0.17';

export interface KafkaEngine {
  /** `host:port` of the PLAINTEXT listener. */
  readonly brokers: string[];
  /** Graceful shutdown (SIGTERM, controlled shutdown), then the data directory is removed. */
  stop(): Promise<void>;
  /** SIGKILL: the broker dies as in a crash; its data stays for restart(). */
  kill(): Promise<void>;
  /** Starts the broker again on the same ports and data (stopping it gracefully first if it runs). */
  restart(): Promise<void>;
}

export interface KafkaOptions {
  /** JVM heap. Default 512m. */
  readonly heap?: string;
  /** Extra server.properties entries. */
  readonly properties?: Readonly<Record<string, string | number>>;
  /** How long to wait for the broker to serve metadata. Default 120 s. */
  readonly readyTimeoutMs?: number;
}

async function kafkaClasspath(): Promise<string> {
  const lib = await fetchMavenArtifacts(`kafka-${KAFKA_VERSION}-log4j-${LOG4J_VERSION}`, [
    { groupId: 'org.apache.kafka', artifactId: 'kafka_2.13', version: KAFKA_VERSION },
    { groupId: 'org.slf4j', artifactId: 'slf4j-api', version: SLF4J_VERSION },
    { groupId: 'org.apache.logging.log4j', artifactId: 'log4j-slf4j2-impl', version: LOG4J_VERSION },
    { groupId: 'org.apache.logging.log4j', artifactId: 'log4j-core', version: LOG4J_VERSION },
  ]);
  return readdirSync(lib)
    .filter((f) => f.endsWith('.jar'))
    .sort()
    .map((f) => join(lib, f))
    .join(delimiter);
}

/**
 * Kafka's cluster ids are 16 random bytes in URL-safe base64 without padding. One in 64 starts with
 * "-", which the storage tool's argument parser takes for an option ("--cluster-id: expected one
 * argument"): drawn again, as Kafka's own Uuid.randomUuid() does.
 */
export function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export async function startKafka(options: KafkaOptions = {}): Promise<KafkaEngine> {
  const classpath = await kafkaClasspath();
  const java = findJava(17);
  const dir = mkdtempSync(join(tmpdir(), 'q2h-kafka-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  const forgetCleanup = onExit(removeDir);
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir);
  const logFile = join(dir, 'kafka.log');
  const [brokerPort, controllerPort] = [await freePort(), await freePort()];
  const brokers = [`127.0.0.1:${brokerPort}`];

  const properties: Record<string, string | number> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${brokerPort},CONTROLLER://127.0.0.1:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${brokerPort}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': dataDir,
    'auto.create.topics.enable': 'false',
    'num.partitions': 1,
    'offsets.topic.replication.factor': 1,
    // Fewer internal partitions than the default 50: quicker to create and load on a 2-core machine.
    'offsets.topic.num.partitions': 4,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'transaction.state.log.num.partitions': 4,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    'group.initial.rebalance.delay.ms': 0,
    // Lets tests use short consumer session timeouts (a dead member is noticed quickly).
    'group.min.session.timeout.ms': 1000,
    // After kill() the restarted broker waits for its old registration's session to expire: keep it short.
    'broker.session.timeout.ms': 2000,
    'broker.heartbeat.interval.ms': 500,
    'num.network.threads': 2,
    'num.io.threads': 2,
    'background.threads': 2,
    'log.cleaner.enable': 'false',
    ...options.properties,
  };
  const serverProperties = join(dir, 'server.properties');
  writeFileSync(
    serverProperties,
    `${Object.entries(properties)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n')}\n`,
  );
  const log4j = join(dir, 'log4j2.properties');
  writeFileSync(
    log4j,
    [
      'status = warn',
      'appender.out.type = Console',
      'appender.out.name = out',
      'appender.out.layout.type = PatternLayout',
      'appender.out.layout.pattern = [%d] %p %m (%c)%n',
      process.env['Q2H_KAFKA_LOG_LEVEL']
        ? `rootLogger.level = ${process.env['Q2H_KAFKA_LOG_LEVEL']}`
        : 'rootLogger.level = WARN',
      'rootLogger.appenderRef.out.ref = out',
      'logger.kafka.name = kafka.server.KafkaRaftServer',
      'logger.kafka.level = INFO',
      '',
    ].join('\n'),
  );
  const jvm = [
    `-Xmx${options.heap ?? '512m'}`,
    '-Xss1m',
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${log4j}`,
    '-cp',
    classpath,
  ];

  const format = spawnEngine(
    java,
    [...jvm, 'kafka.tools.StorageTool', 'format', '-t', clusterId(), '-c', serverProperties],
    { logFile },
  );
  const formatted = await format.exited;
  if (formatted !== '0') {
    const log = tail(logFile);
    forgetCleanup();
    removeDir();
    throw new Error(`test-engines: kafka storage format failed (${formatted}):\n${log}`);
  }

  let broker: EngineProcess | undefined;
  const readyTimeoutMs = options.readyTimeoutMs ?? 120_000;

  async function launch(): Promise<void> {
    const started = spawnEngine(java, [...jvm, 'kafka.Kafka', serverProperties], { logFile, orphanDir: dir });
    broker = started;
    const admin = new Kafka({
      clientId: 'q2h-test-engines',
      brokers,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 1000,
      retry: { retries: 0 },
    }).admin();
    try {
      await waitUntilReady(
        `kafka ${KAFKA_VERSION}`,
        started,
        logFile,
        async () => {
          await admin.connect();
          await admin.listTopics();
          // The group coordinator too (this creates and loads __consumer_offsets): else the tests' first
          // consumer would crash with COORDINATOR_LOAD_IN_PROGRESS and restart.
          await admin.fetchOffsets({ groupId: 'q2h-test-engines-ready' });
          return true;
        },
        readyTimeoutMs,
      );
    } catch (error) {
      await started.kill();
      throw error;
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }

  try {
    await launch();
  } catch (error) {
    forgetCleanup();
    removeDir();
    throw error;
  }

  let stopped = false;
  return {
    brokers,
    async stop() {
      if (stopped) return;
      stopped = true;
      await broker?.terminate();
      forgetCleanup();
      removeDir();
    },
    async kill() {
      await broker?.kill();
    },
    async restart() {
      if (stopped) throw new Error('test-engines: kafka was stopped for good');
      await broker?.terminate();
      await launch();
    },
  };
}
