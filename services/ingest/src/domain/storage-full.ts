/** errno codes of a write that failed for lack of room: the disk, the user's quota, the file size limit. */
const NO_ROOM = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);

/**
 * Why a write failed for lack of room, or undefined for any other error. A full disk is an outage of
 * the server, not a fault of the file: the upload is answered 507 and may be retried later.
 */
export function storageFullReason(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code && NO_ROOM.has(code) ? `the server has no room left to store the file (${code})` : undefined;
}
