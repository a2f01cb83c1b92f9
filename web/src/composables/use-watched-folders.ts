import { onBeforeUnmount, onMounted, ref } from 'vue';
import { api, errorMessage, type WatchedFolder, type WatchedFolderRequest } from '../api/client';

/**
 * The watched folders (GET /api/watched-folders), refreshed every 5 s while the page is open: the
 * poller works in the background, so last scan, last error and new imports appear by themselves.
 */
export function useWatchedFolders(options: { pollMs?: number } = {}) {
  const pollMs = options.pollMs ?? 5000;
  const items = ref<WatchedFolder[]>([]);
  const loading = ref(false);
  const error = ref<string | null>(null);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  async function refresh(): Promise<void> {
    clearTimeout(timer);
    loading.value = true;
    try {
      items.value = (await api.listWatchedFolders()).items;
      error.value = null;
    } catch (e) {
      error.value = errorMessage(e);
    } finally {
      loading.value = false;
    }
    if (!stopped) timer = setTimeout(() => void refresh(), pollMs);
  }

  function replace(folder: WatchedFolder): void {
    const i = items.value.findIndex((f) => f.id === folder.id);
    if (i >= 0) items.value.splice(i, 1, folder);
    else items.value.push(folder);
  }

  /** Adds a folder; a refused path throws (ApiError with the server's reason). */
  async function add(request: WatchedFolderRequest): Promise<void> {
    replace(await api.addWatchedFolder(request));
  }

  async function setEnabled(folder: WatchedFolder, enabled: boolean): Promise<void> {
    replace(await api.changeWatchedFolder(folder.id, { enabled }));
  }

  async function remove(folder: WatchedFolder): Promise<void> {
    await api.removeWatchedFolder(folder.id);
    items.value = items.value.filter((f) => f.id !== folder.id);
  }

  onMounted(() => void refresh());
  onBeforeUnmount(() => {
    stopped = true;
    clearTimeout(timer);
  });

  return { items, loading, error, refresh, add, setEnabled, remove };
}
