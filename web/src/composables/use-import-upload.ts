import { computed, onBeforeUnmount, ref } from 'vue';
import { api, errorMessage, type ImportView } from '../api/client';
import { isActive } from './use-imports';

export type UploadPhase = 'idle' | 'uploading' | 'processing' | 'done' | 'failed' | 'retracted';

/**
 * Upload one file with upload percentage (XHR), then follow the import job by polling
 * GET /api/imports/{id} every `pollMs` until it is done, failed or retracted (cancelled).
 */
export function useImportUpload(options: { pollMs?: number; onUpdate?: (v: ImportView) => void } = {}) {
  const pollMs = options.pollMs ?? 500;
  const phase = ref<UploadPhase>('idle');
  const uploadFraction = ref(0);
  /** Bytes sent per second since the upload started, and the time the rest would take at that pace. */
  const uploadBytesPerSecond = ref<number | null>(null);
  const uploadSecondsLeft = ref<number | null>(null);
  const current = ref<ImportView | null>(null);
  const error = ref<string | null>(null);
  /** The upload was a report imported before: `current` is that earlier import. */
  const duplicate = ref(false);
  const rowsPerSecond = ref<number | null>(null);
  /** Estimated from the bytes read per second since processing was first seen. */
  const secondsLeft = ref<number | null>(null);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let disposed = false;
  // Rates are averaged from the first poll on: the server reports progress in steps, and rates
  // between two polls jumped between 0 and twice the real pace.
  let first: { at: number; rows: number; bytes: number } | null = null;

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
    uploadBytesPerSecond.value = null;
    uploadSecondsLeft.value = null;
    current.value = null;
    error.value = null;
    rowsPerSecond.value = null;
    secondsLeft.value = null;
    duplicate.value = false;
    first = null;
    try {
      // Paced from the first report on: a resumed upload's first one is already past 0.
      let start: { at: number; fraction: number } | null = null;
      const accepted = await api.uploadImport(file, (f) => {
        uploadFraction.value = f;
        const now = performance.now();
        start ??= { at: now, fraction: f };
        const seconds = (now - start.at) / 1000;
        if (seconds < 0.5 || f <= start.fraction) return;
        uploadBytesPerSecond.value = ((f - start.fraction) * file.size) / seconds;
        uploadSecondsLeft.value = ((1 - f) * file.size) / uploadBytesPerSecond.value;
      });
      duplicate.value = accepted.duplicate === true;
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
      first ??= { at: now, rows: v.rowsDone, bytes: v.bytesDone };
      if (now > first.at && v.rowsDone > first.rows) {
        const seconds = (now - first.at) / 1000;
        rowsPerSecond.value = (v.rowsDone - first.rows) / seconds;
        const bytesPerSecond = (v.bytesDone - first.bytes) / seconds;
        secondsLeft.value =
          bytesPerSecond > 0 && v.bytesTotal > v.bytesDone
            ? (v.bytesTotal - v.bytesDone) / bytesPerSecond
            : null;
      }
      current.value = v;
      options.onUpdate?.(v);
      if (!isActive(v)) {
        phase.value = v.status as 'done' | 'failed' | 'retracted';
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
    uploadBytesPerSecond,
    uploadSecondsLeft,
    processFraction,
    rowsPerSecond,
    secondsLeft,
    current,
    error,
    duplicate,
    upload,
    reset,
  };
}
