import { computed, onBeforeUnmount, ref } from 'vue';
import { api, errorMessage, type ImportView } from '../api/client';

export type UploadPhase = 'idle' | 'uploading' | 'processing' | 'done' | 'failed';

/**
 * Upload one file with upload percentage (XHR), then follow the import job by polling
 * GET /api/imports/{id} every `pollMs` until it is done or failed.
 */
export function useImportUpload(options: { pollMs?: number; onUpdate?: (v: ImportView) => void } = {}) {
  const pollMs = options.pollMs ?? 500;
  const phase = ref<UploadPhase>('idle');
  const uploadFraction = ref(0);
  const current = ref<ImportView | null>(null);
  const error = ref<string | null>(null);
  const rowsPerSecond = ref<number | null>(null);
  /** Estimated from the bytes read per second since the last poll. */
  const secondsLeft = ref<number | null>(null);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let disposed = false;
  let last: { at: number; rows: number; bytes: number } | null = null;

  const processFraction = computed(() => {
    const v = current.value;
    if (!v) return 0;
    if (v.status === 'done') return 1;
    return v.bytesTotal > 0 ? Math.min(1, v.bytesDone / v.bytesTotal) : 0;
  });

  const busy = computed(() => phase.value === 'uploading' || phase.value === 'processing');

  async function upload(file: File): Promise<void> {
    clearTimeout(timer);
    phase.value = 'uploading';
    uploadFraction.value = 0;
    current.value = null;
    error.value = null;
    rowsPerSecond.value = null;
    secondsLeft.value = null;
    last = null;
    try {
      const accepted = await api.uploadImport(file, (f) => {
        uploadFraction.value = f;
      });
      phase.value = 'processing';
      await poll(accepted.id);
    } catch (e) {
      phase.value = 'failed';
      error.value = errorMessage(e);
    }
  }

  async function poll(id: string): Promise<void> {
    if (disposed) return;
    try {
      const v = await api.getImport(id);
      const now = performance.now();
      if (last && now > last.at && v.rowsDone >= last.rows) {
        rowsPerSecond.value = ((v.rowsDone - last.rows) * 1000) / (now - last.at);
        const bytesPerSecond = ((v.bytesDone - last.bytes) * 1000) / (now - last.at);
        secondsLeft.value =
          bytesPerSecond > 0 && v.bytesTotal > v.bytesDone
            ? (v.bytesTotal - v.bytesDone) / bytesPerSecond
            : null;
      }
      last = { at: now, rows: v.rowsDone, bytes: v.bytesDone };
      current.value = v;
      options.onUpdate?.(v);
      if (v.status === 'done' || v.status === 'failed') {
        phase.value = v.status;
        return;
      }
    } catch (e) {
      // transient polling errors: show them but keep following the job
      error.value = errorMessage(e);
    }
    timer = setTimeout(() => void poll(id), pollMs);
  }

  function reset(): void {
    clearTimeout(timer);
    phase.value = 'idle';
    current.value = null;
    error.value = null;
    uploadFraction.value = 0;
  }

  onBeforeUnmount(() => {
    disposed = true;
    clearTimeout(timer);
  });

  return {
    phase,
    busy,
    uploadFraction,
    processFraction,
    rowsPerSecond,
    secondsLeft,
    current,
    error,
    upload,
    reset,
  };
}
