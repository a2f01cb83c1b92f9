import { type Ref, ref, watch } from 'vue';
import { api, errorMessage, type Overview } from '../api/client';

/** Level-0 overview data, re-fetched whenever the filters change. */
export function useOverview(filters: { severities: Ref<readonly number[]>; report: Ref<string | null> }) {
  const data = ref<Overview | null>(null);
  const loading = ref(false);
  const error = ref<string | null>(null);
  let controller: AbortController | null = null;

  async function load(): Promise<void> {
    controller?.abort();
    const ctrl = new AbortController();
    controller = ctrl;
    loading.value = true;
    try {
      data.value = await api.overview(
        { severities: filters.severities.value, report: filters.report.value },
        ctrl.signal,
      );
      error.value = null;
    } catch (e) {
      if (ctrl.signal.aborted) return;
      error.value = errorMessage(e);
    } finally {
      if (controller === ctrl) loading.value = false;
    }
  }

  watch(
    () => [filters.severities.value.join(','), filters.report.value],
    () => void load(),
    { immediate: true },
  );

  return { data, loading, error, reload: load };
}
