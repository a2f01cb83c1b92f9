import { ClickHouseContainer, type StartedClickHouseContainer } from '@testcontainers/clickhouse';
import { getContainerRuntimeClient } from 'testcontainers';
import { afterAll, it } from 'vitest';
import { openHttpAnalytics } from '../src/clickhouse-analytics.ts';
import { analyticsContract } from './analytics.contract.ts';

// The analytics contract on a real ClickHouse server over HTTP, the distributed adapter. It runs through
// testcontainers where a Docker engine is reachable; this machine kind has none (and no ClickHouse
// package recent enough), so here it is reported as skipped. The SQL itself is covered by chDB.
const IMAGE = 'clickhouse/clickhouse-server:26.3.17.4'; // the version docker-compose.yml runs
const docker = await getContainerRuntimeClient().then(
  () => true,
  () => false,
);

if (docker) {
  let server: Promise<StartedClickHouseContainer> | undefined;
  analyticsContract('ClickHouse server (HTTP)', async () => {
    server ??= new ClickHouseContainer(IMAGE).start();
    const started = await server;
    return openHttpAnalytics({
      url: started.getHttpUrl(),
      username: started.getUsername(),
      password: started.getPassword(),
    });
  });
  afterAll(async () => {
    await (await server)?.stop();
  });
} else {
  it.skip(`analytics contract on a ClickHouse server (${IMAGE}): no Docker engine reachable for testcontainers`, () => {});
}
