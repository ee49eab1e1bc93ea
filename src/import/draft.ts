import type { Action, Effect } from './classify.js';
import type { VarDraft } from './placeholders.js';

export type StepSection = 'detection' | 'diagnosis' | 'resolution' | 'verification' | 'rollback';

/** A step as the importer made it, before it is written. */
export interface DraftStep {
  id: string;
  name: string;
  section: StepSection;
  action: Action;
  /** `env:` for `$NAME` the command reads. */
  env: Record<string, string>;
  /** Markdown lines the step came from; the first is its `source:`. */
  lines: number[];
  /** The command as written, when it was a command (for a step demoted to manual). */
  command?: string;
  /** The command with its placeholders replaced, and its env: a `run:` step to fall back on when
   * the adapter action does not validate. */
  fallback?: { run: string; env: Record<string, string> };
}

export interface EscalationDraft {
  to: string;
  after?: string;
  severity?: string;
  via?: string;
  contact?: string;
}

/** What a page gives every runbook made from it. */
export interface PageDraft {
  title: string;
  service?: string;
  owner?: string;
  tags?: string[];
  summary?: string;
  severityLevels: string[];
  /** The front matter's `severity_scheme:` (a page `runbook export` wrote). */
  severityScheme?: string;
  /** The table of variables of a page `runbook export` wrote, by name. */
  varTable?: Map<
    string,
    {
      description?: string;
      default?: string;
      env?: string;
      secret?: boolean;
      required?: boolean;
      choices?: string[];
      fromAlert?: string;
    }
  >;
  escalation: EscalationDraft[];
  communication: Array<{ key: string; template: string; line: number }>;
  checklist: string[];
}

export interface RunbookDraft {
  id: string;
  title: string;
  line: number;
  severity: string[];
  symptoms: string[];
  description?: string;
  steps: DraftStep[];
  vars: Map<string, VarDraft>;
}

/** A command line (or a note) a person must take care of, with its line. */
export interface LeftForPerson {
  line: number;
  text: string;
  why: string;
  /** The runbook whose manual step holds it, if one does. */
  runbook?: string;
}

export type { Effect };
