/** Where text goes: a terminal, a pipe or a file (process.stdout), or a buffer in tests. */
export interface OutStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}
