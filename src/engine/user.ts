import { userInfo } from 'node:os';

/** Who is running this, for the journal, approvals and locks. */
export function currentUser(env: Record<string, string | undefined> = process.env): string {
  try {
    return userInfo().username;
  } catch {
    return env.USER ?? 'unknown';
  }
}
