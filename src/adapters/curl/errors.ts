/** Why curl failed, for people: its exit code in words, then its own message. */
export function describeCurlExit(
  exitCode: number,
  status: number,
  target: string,
  timeout: string,
  message: string | undefined,
): string {
  const said = message ? `: ${message}` : '';
  switch (exitCode) {
    case 6:
      return `could not resolve host ${target} (curl exit 6): check the URL`;
    case 7:
      return `${target}: connection refused (curl exit 7): is the service running?`;
    case 22:
      return `HTTP ${status} from ${target} (curl --fail, exit 22)`;
    case 28:
      return `no answer from ${target} within ${timeout} (curl exit 28)`;
    case 35:
      return `${target}: TLS handshake failed (curl exit 35)${said}`;
    case 47:
      return `${target}: too many redirects (curl exit 47)`;
    case 52:
      return `${target}: the server closed the connection without answering (curl exit 52)`;
    case 56:
      return `${target}: the connection was reset (curl exit 56)${said}`;
    case 60:
      return `${target}: TLS certificate not trusted (curl exit 60; insecure: true skips the check)`;
    default:
      return `curl exit ${exitCode}${said}`;
  }
}

export function targetOf(url: string): string {
  try {
    return new URL(url).host || url;
  } catch {
    return url;
  }
}
