/**
 * From a Markdown tree to runbook drafts (docs/import.md#structure): headings and bold labels
 * (`**Symptoms:**`) that name a section put what follows them in that section; a page with several
 * incidents ("Runbook: …", "Incident: …", "Scenario N: …" headings, or repeated symptom and
 * resolution blocks) gives a runbook each; what is left of the page gives one more when it has
 * steps. Severity and escalation tables and lists, communication templates and checklists belong to
 * the page, and go into each of its runbooks.
 */
import type {
  Code,
  List,
  ListItem,
  Nodes,
  Paragraph,
  PhrasingContent,
  Root,
  RootContent,
  Table,
} from 'mdast';
import { toText } from './text.js';

export type Target =
  | 'detection'
  | 'diagnosis'
  | 'resolution'
  | 'verification'
  | 'rollback'
  | 'escalation'
  | 'communication'
  | 'postmortem'
  | 'severity'
  | 'prevention'
  | 'contents'
  | 'auto';

/** A heading or a bold label, with what is under it. */
export interface Part {
  title: string;
  line: number;
  /** Heading depth; a label sits half a level under its heading. */
  depth: number;
  label: boolean;
  target: Target | undefined;
  /** Nodes directly under it, before its first sub-part. */
  nodes: RootContent[];
  children: Part[];
}

const SECTION_WORDS: Array<[RegExp, Target]> = [
  [/table of contents|^contents$|^toc$/, 'contents'],
  [/^when to\b|symptom|detection|^detect|^signs\b|^alerts?\b/, 'detection'],
  [
    /post[- ]?incident|post[- ]?mortem|checklist|lessons|follow[- ]?up|post[- ]rollback|post[- ]resolution|incident report/,
    'postmortem',
  ],
  [/rollback|roll back|revert/, 'rollback'],
  [/escalat|contact|on[- ]call/, 'escalation'],
  [/communicat|template|status update|announce/, 'communication'],
  [/severity|priority levels|classification|response times/, 'severity'],
  [/prevent/, 'prevention'],
  [/verif|validat|confirm|^monitor/, 'verification'],
  [/diagnos|investigat|troubleshoot|triage|identify|assess|^check|analy/, 'diagnosis'],
  [
    /resolution|resolve|mitigat|\bfix|remedia|recover|immediate|workaround|optimi|^steps$|restore|failover|self-healing|^actions?$/,
    'resolution',
  ],
];

/** The section a heading's words name, if any. */
export function targetOf(title: string): Target | undefined {
  const words = cleanTitle(title).toLowerCase();
  for (const [re, target] of SECTION_WORDS) if (re.test(words)) return target;
  return undefined;
}

/** A heading without numbering, emoji, "Runbook:" and severity marks. */
export function cleanTitle(title: string): string {
  return (
    title
      .replace(/[\p{Extended_Pictographic}\u{fe0f}\u{200d}]/gu, '')
      // What is left of an emoji that could not be repaired (docs/import.md#mojibake).
      .replace(/^[^\p{ASCII}]+\s+/u, '')
      .replace(/^\s*(?:step\s+)?\d+[.):]?\s+/i, '')
      .replace(/^\s*(?:runbook|incident|scenario)(?:\s+\d+)?\s*[:\-–—]\s*/i, '')
      .replace(/\s*\((?:P\d|SEV\s?\d)(?:\s*[/,-]\s*(?:P\d|SEV\s?\d))*\)\s*$/i, '')
      .replace(/\s*\([^)]*\)\s*$/, (m) => (/\d+\s*(?:min|hour|h\b)/i.test(m) ? '' : m))
      .replace(/[:\s]+$/, '')
      .trim()
  );
}

const INCIDENT_HEADING =
  /^\W*(?:runbook|incident|scenario)(?:\s+\d+)?\s*[:\-–—]\s*\S|^\W*scenario\s+\d+/i;

/** Is this part one incident of several: a heading that says so, or symptoms and a way out. */
export function isIncident(part: Part): boolean {
  if (part.label) return false;
  if (INCIDENT_HEADING.test(part.title)) return true;
  const targets = new Set(part.children.map((child) => child.target));
  return targets.has('detection') && (targets.has('resolution') || targets.has('diagnosis'));
}

/** The page as parts: the root holds what comes before the first heading. */
export function partsOf(tree: Root): Part {
  const root: Part = {
    title: '',
    line: 1,
    depth: 0,
    label: false,
    target: undefined,
    nodes: [],
    children: [],
  };
  const stack: Part[] = [root];
  const top = (): Part => stack[stack.length - 1] ?? root;
  let inToc = false;
  for (const node of tree.children) {
    if (node.type === 'html') {
      // DocToc and other generated tables of contents sit between two comments.
      if (/<!--\s*START\s+doctoc/i.test(node.value)) inToc = true;
      if (/<!--\s*END\s+doctoc/i.test(node.value)) inToc = false;
      continue;
    }
    if (inToc) continue;
    if (node.type === 'heading') {
      while (stack.length > 1 && top().depth >= node.depth) stack.pop();
      const title = toText(node);
      const part: Part = {
        title,
        line: node.position?.start.line ?? 1,
        depth: node.depth,
        label: false,
        target: targetOf(title),
        nodes: [],
        children: [],
      };
      top().children.push(part);
      stack.push(part);
      continue;
    }
    const label = node.type === 'paragraph' ? labelOf(node) : undefined;
    if (label) {
      while (stack.length > 1 && top().label) stack.pop();
      const part: Part = {
        title: label.title,
        line: node.position?.start.line ?? 1,
        depth: top().depth + 0.5,
        label: true,
        target: targetOf(label.title),
        nodes: label.rest ? [label.rest] : [],
        children: [],
      };
      top().children.push(part);
      stack.push(part);
      continue;
    }
    top().nodes.push(node);
  }
  return root;
}

/**
 * `**Symptoms:**`, `**Investigation**:` or `**Escalate to CTO:**` at the start of a paragraph: a
 * label, when it names a section or ends with a colon. What follows it in the paragraph is kept.
 */
function labelOf(paragraph: Paragraph): { title: string; rest: Paragraph | undefined } | undefined {
  const [first, second, ...others] = paragraph.children;
  if (first?.type !== 'strong') return undefined;
  const strong = toText(first).trim();
  const afterText = second?.type === 'text' ? second.value : '';
  const colon = strong.endsWith(':') || /^\s*:/.test(afterText);
  if (!colon) return undefined;
  const title = strong.replace(/:$/, '').trim();
  if (title === '' || title.length > 80) return undefined;
  const restChildren: PhrasingContent[] = [];
  if (second?.type === 'text') {
    const value = second.value.replace(/^\s*:?\s*/, '');
    if (value !== '') restChildren.push({ ...second, value });
  } else if (second) restChildren.push(second);
  restChildren.push(...others);
  const rest: Paragraph | undefined =
    restChildren.length > 0 && toText({ type: 'paragraph', children: restChildren }).trim() !== ''
      ? { ...paragraph, children: restChildren }
      : undefined;
  return { title, rest };
}

/** Every node under a part, in order, with the part each sits in. */
export function* walk(
  part: Part,
  parents: Part[] = [],
): Generator<{ node: RootContent; part: Part; parents: Part[] }> {
  for (const node of part.nodes) yield { node, part, parents };
  for (const child of part.children) yield* walk(child, [...parents, part]);
}

export type { Code, List, ListItem, Nodes, Table };
