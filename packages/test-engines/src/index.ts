export { APICURIO_VERSION, type ApicurioEngine, type ApicurioOptions, startApicurio } from './apicurio.ts';
export { findJava } from './java.ts';
export { KAFKA_VERSION, type KafkaEngine, type KafkaOptions, startKafka } from './kafka.ts';
export {
  KEYCLOAK_TEST_ADMIN,
  KEYCLOAK_VERSION,
  type KeycloakEngine,
  type KeycloakOptions,
  startKeycloak,
} from './keycloak.ts';
export { fetchMavenArtifacts, type MavenArtifact } from './maven.ts';
export { type EngineProcess, freePort, spawnEngine, tail, waitUntilReady } from './processes.ts';
