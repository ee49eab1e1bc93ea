import { StateIoError } from '../common/state-files.js';
import type { EngineEvent, ItemTag, RunMode } from './events.js';
import type { EventSink } from './ports.js';
import type { Redactor } from './redact.js';

/** Sends the engine's events to the sink, redacted here for journal and view alike. */
export class Emitter {
  readonly #redactor: Redactor;
  readonly #sink: EventSink | undefined;
  readonly #mode: RunMode;
  #journalError: string | undefined;

  constructor(
    redactor: Redactor,
    sink: EventSink | undefined,
    mode: RunMode,
    of?: { parent: Emitter; item: ItemTag },
  ) {
    this.#redactor = redactor;
    this.#sink = sink;
    this.#mode = mode;
    this.#parent = of?.parent;
    this.#item = of?.item;
  }

  /** For one item of a for_each: step: the emitter its events go through, tagged. */
  readonly #parent: Emitter | undefined;
  readonly #item: ItemTag | undefined;

  /** An emitter for one item of a for_each: step (loop.ts): the events about the step are
   * tagged with the item; everything else is this emitter's. */
  forItem(item: ItemTag): Emitter {
    return new Emitter(this.#redactor, this.#sink, this.#mode, { parent: this, item });
  }

  readonly emit = (event: EngineEvent): void => {
    if (this.#parent) {
      this.#parent.emit(
        TAGGED.has(event.type) ? ({ ...event, item: this.#item } as EngineEvent) : event,
      );
      return;
    }
    const redacted = this.#redactor.redactDeep(event);
    if (event.type === 'step.end' && redacted.type === 'step.end' && redacted !== event) {
      // Outputs that held a secret are hidden: say which, for `runbook resume` cannot restore them.
      const hidden = Object.keys(event.outputs).filter(
        (name) =>
          JSON.stringify(event.outputs[name]) !==
          JSON.stringify(this.#redactor.redactDeep(event.outputs[name])),
      );
      if (hidden.length > 0)
        redacted.redacted_outputs = hidden.map((name) => this.#redactor.redact(name));
    }
    if (this.#journalError === undefined) {
      try {
        this.#sink?.journal?.write(redacted);
      } catch (error) {
        if (!(error instanceof StateIoError)) throw error;
        // What cannot be recorded must not be done: no step starts from here on (a plan goes on,
        // as it does nothing). The view still gets every event.
        this.#journalError = error.message;
      }
    }
    this.#sink?.show(redacted);
  };

  get journalPath(): string | undefined {
    return this.#sink?.journal?.path;
  }

  /** Why the journal could not be written, once it could not. */
  get journalError(): string | undefined {
    return this.#parent ? this.#parent.journalError : this.#journalError;
  }

  /** A real run stops once its journal cannot be written. */
  get stopped(): boolean {
    return this.journalError !== undefined && this.#mode !== 'dry-run';
  }
}

/** The events about a step that an item's emitter tags with the item. */
const TAGGED = new Set<EngineEvent['type']>([
  'step.start',
  'step.process',
  'step.retry',
  'step.confirm',
  'step.answer',
]);

export function now(): string {
  return new Date().toISOString();
}
