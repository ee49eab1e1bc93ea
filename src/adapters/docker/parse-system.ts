import { parseJsonLines } from '../support/lines.js';
import { asRecord, numberOr, parseSize, snakeCase, text } from './values.js';

/** Parses `docker system df --format '{{json .}}'`: one row per kind (Images, Containers, …). */
export function parseSystemDf(stdout: string): Record<string, unknown> {
  const types = parseJsonLines(stdout).map((line) => {
    const row = asRecord(line);
    const reclaimable = /^(\S+)(?:\s+\((\d+(?:\.\d+)?)%\))?/.exec(text(row.Reclaimable));
    return {
      type: text(row.Type),
      total_count: numberOr(Number(text(row.TotalCount)), 0),
      active: numberOr(Number(text(row.Active)), 0),
      size_bytes: parseSize(text(row.Size)),
      reclaimable_bytes: reclaimable?.[1] === undefined ? null : parseSize(reclaimable[1]),
      reclaimable_percent: reclaimable?.[2] === undefined ? null : Number(reclaimable[2]),
    };
  });
  const outputs: Record<string, unknown> = {
    types,
    size_bytes: types.reduce((sum, type) => sum + (type.size_bytes ?? 0), 0),
    reclaimable_bytes: types.reduce((sum, type) => sum + (type.reclaimable_bytes ?? 0), 0),
  };
  for (const type of types) outputs[snakeCase(type.type)] = type;
  return outputs;
}

const PRUNE_SECTIONS: Record<string, string> = {
  'deleted containers': 'containers',
  'deleted networks': 'networks',
  'deleted volumes': 'volumes',
  'deleted images': 'images',
  'deleted build cache objects': 'build_cache',
};

/**
 * Parses what `docker system prune` prints (it has no machine-readable mode): the sections of
 * deleted objects, and the reclaimed space.
 */
export function parsePrune(stdout: string): Record<string, unknown> {
  const deleted: Record<string, string[]> = {
    containers: [],
    networks: [],
    volumes: [],
    images: [],
    build_cache: [],
  };
  let section: string[] | undefined;
  let reclaimed: string | null = null;
  for (const raw of stdout.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const total = /^Total reclaimed space:\s*(\S+)/i.exec(line);
    if (total) {
      reclaimed = total[1] ?? null;
      section = undefined;
      continue;
    }
    const heading = /^(.+):$/.exec(line);
    const key = heading ? PRUNE_SECTIONS[(heading[1] ?? '').toLowerCase()] : undefined;
    if (key !== undefined) {
      section = deleted[key];
      continue;
    }
    section?.push(line);
  }
  if (reclaimed === null) throw new Error('no "Total reclaimed space" line');
  return {
    deleted,
    deleted_count: Object.values(deleted).reduce((sum, list) => sum + list.length, 0),
    reclaimed,
    reclaimed_bytes: parseSize(reclaimed),
  };
}
