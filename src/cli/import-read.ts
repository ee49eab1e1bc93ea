import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { MarkdownError } from '../import/index.js';

/**
 * A Markdown file's bytes: only a regular file, only up to `maxBytes` (its size is looked at first),
 * opened without blocking so a FIFO cannot hang the read. What cannot be read is a MarkdownError.
 */
export function readRegularFile(path: string, maxBytes: number): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new MarkdownError(
      code === 'EACCES'
        ? 'cannot be read (permission denied)'
        : code === 'ENOENT'
          ? 'does not exist'
          : `cannot be read (${code ?? (error as Error).message})`,
    );
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) throw new MarkdownError('is not a regular file');
    if (info.size > maxBytes)
      throw new MarkdownError(
        `is ${(info.size / (1024 * 1024)).toFixed(1)} MB; the importer reads Markdown files of up to ${(maxBytes / (1024 * 1024)).toFixed(1)} MB`,
      );
    const bytes = Buffer.alloc(info.size);
    let read = 0;
    while (read < info.size) {
      const n = readSync(fd, bytes, read, info.size - read, null);
      if (n === 0) break;
      read += n;
    }
    return bytes.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}
