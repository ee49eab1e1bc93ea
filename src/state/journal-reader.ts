import { readFileSync } from 'node:fs';
import { tryParseJson } from '../common/json.js';
import { StateIoError } from '../common/state-files.js';
import type { EngineEvent } from '../engine/events.js';

/** A journal as read back: every whole event in it, and what could not be read. */
export interface JournalRead {
  path: string;
  events: EngineEvent[];
  /**
   * The last line was cut short: the process was killed (or the disk filled) while writing it. It
   * is left out; everything before it is whole.
   */
  torn: boolean;
  /** Whole lines that are not an event (a file edited by hand): how many were left out. */
  unreadable: number;
}

/**
 * Reads a run journal (JSON Lines, one event a line; src/state/journal.ts writes them). Never throws
 * for what is inside the file: a torn last line or a line that is not an event is counted and left
 * out, so a crashed run's journal still reads. Throws StateIoError when the file cannot be read.
 */
export function readJournal(path: string): JournalRead {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new StateIoError(`cannot read the run journal ${path}`, error);
  }
  return parseJournal(path, text);
}

/** The events of a journal's text (see readJournal). */
export function parseJournal(path: string, text: string): JournalRead {
  const events: EngineEvent[] = [];
  let unreadable = 0;
  let torn = false;
  const lines = text.split('\n');
  // A journal ends with a newline: the piece after the last one is a line being written or cut.
  const last = lines.pop() ?? '';
  if (last !== '') torn = true;
  for (const line of lines) {
    if (line === '') continue;
    const event = parseEvent(line);
    if (event) events.push(event);
    else unreadable++;
  }
  return { path, events, torn, unreadable };
}

function parseEvent(line: string): EngineEvent | undefined {
  const value = tryParseJson(line);
  if (
    value === null ||
    typeof value !== 'object' ||
    Array.isArray(value) ||
    typeof (value as { type?: unknown }).type !== 'string' ||
    typeof (value as { ts?: unknown }).ts !== 'string'
  )
    return undefined;
  return value as EngineEvent;
}
