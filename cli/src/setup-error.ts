/**
 * Nothing can be imported as things are set up: bad usage, missing or refused credentials, an unreadable
 * file, a server that cannot be reached. Exit code 2, unlike a report the server refused or failed (1).
 */
export class SetupError extends Error {
  override readonly name: string = 'SetupError';
}

/** The server did not answer at all (refused connection, unknown host, reset): worth a retry while polling. */
export class ServerUnreachableError extends SetupError {
  override readonly name: string = 'ServerUnreachableError';
}
