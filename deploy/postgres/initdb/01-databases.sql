-- Runs once, when the postgres volume is first initialised (docker-compose.yml).
-- q2h's own database (q2h) is created by POSTGRES_DB; these belong to the schema registry
-- (Apicurio's SQL storage) and Keycloak.
CREATE DATABASE apicurio OWNER q2h;
CREATE DATABASE keycloak OWNER q2h;
