import { computed, onBeforeUnmount, onMounted, ref } from 'vue';
import {
  api,
  type CoherenceLevel,
  type CoherenceResult,
  errorMessage,
  type ImportStatus,
  type ImportView,
} from '../api/client';

const LEVEL_RANK: Record<CoherenceLevel, number> = { ok: 0, warning: 1, error: 2 };

/** Worst level of an import's coherence results, or null when there are none. */
export function worstCoherence(results: readonly CoherenceResult[] | undefined): CoherenceLevel | null {
  if (!results || results.length === 0) return null;
  let worst: CoherenceLevel = 'ok';
  for (const r of results) if (LEVEL_RANK[r.level] > LEVEL_RANK[worst]) worst = r.level;
  return worst;
}

/**
 * The level an import's coherence badge shows: null while it runs or when nothing was checked
 * (no declared totals in the file).
 */
export function importCoherence(v: ImportView): CoherenceLevel | null {
  if (v.status !== 'done' && v.status !== 'retracted') return null;
  if (v.coherence.length > 0) return worstCoherence(v.coherence);
  if (!v.declared && (v.coherenceLevel === undefined || v.coherenceLevel === 'ok')) return null;
  return v.coherenceLevel ?? null;
}

export function isActive(v: ImportView): boolean {
  return v.status === 'accepted' || v.status === 'processing';
}

/** A status as the user reads it: a retracted import is one they deleted (or cancelled). */
export function statusLabel(status: ImportStatus): string {
  return status === 'retracted' ? 'deleted' : status;
}

/** The import history (GET /api/imports), refreshed every 2 s while an import is still running. */
export function useImports(options: { pollMs?: number } = {}) {
  const pollMs = options.pollMs ?? 2000;
  const items = ref<ImportView[]>([]);
  const loading = ref(false);
  const error = ref<string | null>(null);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  const sorted = computed(() => [...items.value].sort((a, b) => b.createdAt.localeCompare(a.createdAt)));

  async function refresh(): Promise<void> {
    loading.value = true;
    try {
      const res = await api.listImports();
      items.value = res.items;
      error.value = null;
    } catch (e) {
      error.value = errorMessage(e);
    } finally {
      loading.value = false;
    }
    schedule();
  }

  function schedule(): void {
    clearTimeout(timer);
    if (stopped) return;
    if (items.value.some(isActive)) timer = setTimeout(() => void refresh(), pollMs);
  }

  /** Merge a fresher view of one import (from the upload poller) into the list. */
  function upsert(view: ImportView): void {
    const i = items.value.findIndex((x) => x.id === view.id);
    if (i >= 0) items.value.splice(i, 1, view);
    else items.value.push(view);
  }

  onMounted(() => void refresh());
  onBeforeUnmount(() => {
    stopped = true;
    clearTimeout(timer);
  });

  return { items: sorted, loading, error, refresh, upsert };
}
