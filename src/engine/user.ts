import { userInfo } from 'node:os';

/** The user's name from the system, once per process: it does not change while it runs, and
 * asking costs a passwd lookup (every event of a run names its user). */
let systemUser: string | null | undefined;

/** Who is running this, for the journal, approvals and locks. */
export function currentUser(env: Record<string, string | undefined> = process.env): string {
  if (systemUser === undefined) {
    try {
      systemUser = userInfo().username;
    } catch {
      systemUser = null;
    }
  }
  return systemUser ?? env.USER ?? 'unknown';
}
