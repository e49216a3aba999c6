// The gateway's browser app: wiring of the key, the WebSocket, and the views.
import { Api, ApiError, loadUiConfig } from './api';
import { byId, errorMessage } from './dom';
import { TaskFeed } from './feed';
import { TaskSocket, type ConnectionState } from './socket';
import { traceLink } from './trace';
import type { Catalog, ProgramEntry } from './types';
import { AdminView } from './views/admin';
import { HistoryView } from './views/history';
import { OptimizeView } from './views/optimize';
import type { PanelContext } from './views/panel';
import { RunView } from './views/run';

const KEY_STORAGE = 'dspy-suite.api-key';

const keyInput = byId('api-key', HTMLInputElement);
const keyMessage = byId('key-message');
const connection = byId('connection-status');
const adminTab = byId('views').querySelector<HTMLButtonElement>('[data-view="admin"]');

let traceTemplate = '';
let activeKey = '';

const api = new Api(() => activeKey);
const CONNECTION_LABELS: Record<ConnectionState, string> = {
  offline: 'offline', connecting: 'connecting…', connected: 'connected', reconnecting: 'reconnecting…',
};
const socket = new TaskSocket({
  state(state, detail) {
    connection.textContent = detail ? `${CONNECTION_LABELS[state]} (${detail})` : CONNECTION_LABELS[state];
    connection.dataset.state = state;
    if (state === 'reconnecting' || state === 'offline') {
      feed.closed();
    }
  },
  opened() {
    feed.opened();
  },
  frame(frame) {
    feed.frame(frame);
  },
});
const feed = new TaskFeed(socket);

const context: PanelContext = {
  api,
  feed,
  traceUrl: (traceId: string) => traceLink(traceTemplate, traceId),
};

const history = new HistoryView(api, feed, (taskId) => {
  showView('run');
  run.open(taskId);
}, (message) => { keyMessage.textContent = message; });
const run = new RunView(context, (taskId) => history.track(taskId));
const optimize = new OptimizeView(context, (taskId) => history.track(taskId));
const admin = new AdminView(api);

feed.onOtherError = (frame) => run.showError(`${frame.code}: ${frame.message}`);
optimize.onProgramsChanged = () => void loadPrograms();

function showView(name: string): void {
  document.querySelectorAll<HTMLElement>('main > .view').forEach((view) => {
    view.hidden = view.id !== `view-${name}`;
  });
  byId('views').querySelectorAll<HTMLButtonElement>('button[data-view]').forEach((button) => {
    if (button.dataset.view === name) {
      button.setAttribute('aria-current', 'page');
    } else {
      button.removeAttribute('aria-current');
    }
  });
  if (name === 'admin') {
    void admin.refresh();
  }
}

byId('views').querySelectorAll<HTMLButtonElement>('button[data-view]').forEach((button) => {
  button.addEventListener('click', () => showView(button.dataset.view ?? 'run'));
});

byId('key-form', HTMLFormElement).addEventListener('submit', (event) => {
  event.preventDefault();
  void connect(keyInput.value.trim());
});

/** Checks the key over REST (browsers hide why a WebSocket upgrade failed), then opens the socket and loads data. */
async function connect(key: string): Promise<void> {
  if (!key) {
    keyMessage.textContent = 'Enter the API key first.';
    return;
  }
  activeKey = key;
  sessionStorage.setItem(KEY_STORAGE, key);
  keyMessage.textContent = 'Checking the key…';
  try {
    await api.get('/api/v1/tasks?limit=1');
  } catch (e) {
    socket.stop();
    keyMessage.textContent = errorMessage(e);
    if (e instanceof ApiError && e.status === 401) {
      sessionStorage.removeItem(KEY_STORAGE);
    }
    return;
  }
  keyMessage.textContent = 'Key accepted. It is kept in this tab only (session storage).';
  socket.start(key);
  void history.start();
  run.restore();
  optimize.restore();
  void loadCatalog();
  const isAdmin = await admin.probe();
  if (adminTab) {
    adminTab.hidden = !isAdmin;
  }
  byId('views').dataset.admin = isAdmin ? 'yes' : 'no';
}

async function loadCatalog(): Promise<void> {
  try {
    const catalog = await api.get<Catalog>('/api/v1/catalog');
    run.setCatalog(catalog);
    optimize.setCatalog(catalog);
  } catch (e) {
    keyMessage.textContent = `The catalog is not available: ${errorMessage(e)}`;
  }
  await loadPrograms();
}

async function loadPrograms(): Promise<void> {
  try {
    const page = await api.get<{ programs?: ProgramEntry[] }>('/api/v1/programs');
    if (page.programs?.length) {
      run.setPrograms(page.programs);
    }
  } catch {
    // The catalog's programs stay listed; the tenant's own appear once the registry answers.
  }
}

void loadUiConfig().then((config) => { traceTemplate = config.trace_url_template; });
const storedKey = sessionStorage.getItem(KEY_STORAGE);
if (storedKey) {
  keyInput.value = storedKey;
  void connect(storedKey);
}
