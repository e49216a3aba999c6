// The optimization view: a trainset (and devset) pasted or uploaded as JSONL, an optimizer with its parameters and a
// metric from the catalog, and a target program name. The panel shows the progress bar and score chart; at the end
// the new version can be promoted, and the program's versions are listed.
import { byId, errorMessage, h, time } from '../dom';
import type { Catalog, ProgramVersions } from '../types';
import { parseExamples, readParameters, renderParameters } from './fields';
import type { PanelContext } from './panel';
import { TaskPanel } from './panel';
import { fillSelect } from './run';

const OPT_TASK_KEY = 'dspy-suite.optimize-task';

export class OptimizeView {
  private catalog: Catalog | null = null;
  private readonly panel: TaskPanel;
  private readonly form = byId('optimize-form', HTMLFormElement);
  private readonly target = byId('opt-target', HTMLInputElement);
  private readonly base = byId('opt-base', HTMLSelectElement);
  private readonly signature = byId('opt-signature', HTMLInputElement);
  private readonly module = byId('opt-module', HTMLSelectElement);
  private readonly optimizer = byId('optimizer', HTMLSelectElement);
  private readonly metric = byId('metric', HTMLSelectElement);
  private readonly params = byId('optimizer-params');
  private readonly trainset = byId('trainset', HTMLTextAreaElement);
  private readonly devset = byId('devset', HTMLTextAreaElement);
  private readonly error = byId('optimize-form-error');
  private readonly submitButton = byId('opt-submit', HTMLButtonElement);
  private readonly outcome = byId('opt-outcome');
  private readonly promoteButton = byId('promote', HTMLButtonElement);
  private readonly promoteMessage = byId('promote-message');
  private created: { program: string; version: number } | null = null;

  /** A version was created or promoted: the run view's program list changes. */
  onProgramsChanged: () => void = () => {};

  constructor(private readonly context: PanelContext, private readonly onSubmitted: (taskId: string) => void) {
    this.panel = new TaskPanel(byId('opt-task'), context, { compactResult: true });
    this.panel.onResult = (outputs) => this.showOutcome(outputs);
    this.panel.onStatus = (taskId, status) => {
      if (['succeeded', 'failed', 'cancelled'].includes(status) && sessionStorage.getItem(OPT_TASK_KEY) === taskId) {
        sessionStorage.removeItem(OPT_TASK_KEY);
      }
    };
    this.target.value = `my-qa-${Math.random().toString(36).slice(2, 7)}`;
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.submit();
    });
    this.base.addEventListener('change', () => this.baseChanged());
    this.optimizer.addEventListener('change', () => this.optimizerChanged());
    byId('use-examples').addEventListener('click', () => this.useExamples());
    this.promoteButton.addEventListener('click', () => void this.promote());
    for (const [fileId, area] of [['trainset-file', this.trainset], ['devset-file', this.devset]] as const) {
      const input = byId(fileId, HTMLInputElement);
      input.addEventListener('change', () => {
        const file = input.files?.[0];
        if (file) {
          file.text().then((text) => { area.value = text; }, (e: unknown) => this.showError(errorMessage(e)));
        }
      });
    }
  }

  restore(): void {
    const taskId = sessionStorage.getItem(OPT_TASK_KEY);
    if (taskId) {
      this.panel.show(taskId);
    }
  }

  setCatalog(catalog: Catalog): void {
    this.catalog = catalog;
    this.base.replaceChildren(h('option', { value: '' }, 'a signature'),
      ...catalog.programs.map((p) => h('option', { value: p.name }, `program ${p.name}`)));
    fillSelect(this.module, catalog.modules.map((m) => m.name), this.module.value || 'predict');
    const optimizers = catalog.optimizers;
    this.optimizer.replaceChildren(...optimizers.map((o) => h('option', { value: o.name, disabled: o.available === false },
      o.available === false ? `${o.name} (unavailable)` : o.name)));
    const preferred = optimizers.find((o) => o.name === 'labeled_few_shot' && o.available !== false)
      ?? optimizers.find((o) => o.available !== false);
    this.optimizer.value = preferred?.name ?? '';
    fillSelect(this.metric, catalog.metrics.map((m) => m.name), 'exact_match');
    this.optimizerChanged();
    this.baseChanged();
  }

  private baseChanged(): void {
    byId('opt-signature-fields').hidden = this.base.value !== '';
    const program = this.catalog?.programs.find((p) => p.name === this.base.value);
    byId('use-examples').hidden = !program?.example_trainset?.length;
    if (program?.default_metric) {
      this.metric.value = program.default_metric;
    }
  }

  private optimizerChanged(): void {
    const optimizer = this.catalog?.optimizers.find((o) => o.name === this.optimizer.value);
    byId('optimizer-description').textContent = optimizer?.description ?? '';
    renderParameters(this.params, optimizer?.parameters ?? [], 'param');
  }

  private useExamples(): void {
    const program = this.catalog?.programs.find((p) => p.name === this.base.value);
    const lines = (rows: Record<string, unknown>[] | undefined) => (rows ?? []).map((r) => JSON.stringify(r)).join('\n');
    this.trainset.value = lines(program?.example_trainset);
    this.devset.value = lines(program?.example_devset);
  }

  private async submit(): Promise<void> {
    this.error.hidden = true;
    let trainset: Record<string, unknown>[];
    let devset: Record<string, unknown>[];
    try {
      trainset = parseExamples(this.trainset.value, 'Trainset');
      devset = parseExamples(this.devset.value, 'Devset');
    } catch (e) {
      this.showError(errorMessage(e));
      return;
    }
    if (!this.target.checkValidity()) {
      this.showError('New program name: letters, digits, "_", "." or "-" (at most 128), starting with a letter or digit.');
      return;
    }
    if (trainset.length === 0) {
      this.showError('The trainset is empty: paste JSONL (one example per line) or upload a file.');
      return;
    }
    const program = this.base.value ? { name: this.base.value }
      : { signature: this.signature.value.trim(), module: this.module.value };
    const task: Record<string, unknown> = {
      kind: 'optimize', program, optimizer: this.optimizer.value, params: readParameters(this.params),
      metric: this.metric.value, trainset, target_program: this.target.value.trim(),
    };
    if (devset.length > 0) {
      task.devset = devset;
    }
    this.submitButton.disabled = true;
    this.outcome.hidden = true;
    this.created = null;
    this.panel.reset();
    try {
      const taskId = await this.context.feed.submit(task, this.panel);
      this.panel.adopt(taskId);
      sessionStorage.setItem(OPT_TASK_KEY, taskId);
      this.onSubmitted(taskId);
    } catch (e) {
      this.showError(errorMessage(e));
    } finally {
      this.submitButton.disabled = false;
    }
  }

  private showOutcome(outputs: Record<string, unknown>): void {
    const program = typeof outputs.program === 'string' ? outputs.program : null;
    const version = Number(outputs.version);
    if (!program || !Number.isInteger(version)) {
      return;
    }
    this.created = { program, version };
    const scores = typeof outputs.score_before === 'number' && typeof outputs.score_after === 'number'
      ? ` · score ${outputs.score_before.toFixed(1)} → ${outputs.score_after.toFixed(1)}` : '';
    byId('opt-version-text').replaceChildren(h('strong', { className: 'new-version', 'data-program': program,
      'data-version': version }, `${program} v${version}`), scores);
    this.promoteButton.disabled = false;
    this.promoteMessage.textContent = '';
    this.outcome.hidden = false;
    void this.loadVersions(program);
    this.onProgramsChanged();
  }

  private async promote(): Promise<void> {
    if (!this.created) {
      return;
    }
    const { program, version } = this.created;
    this.promoteButton.disabled = true;
    try {
      await this.context.api.post(`/api/v1/programs/${encodeURIComponent(program)}/versions/${version}/promote`);
      this.promoteMessage.textContent = `Version ${version} of ${program} is now the promoted one.`;
      await this.loadVersions(program);
      this.onProgramsChanged();
    } catch (e) {
      this.promoteButton.disabled = false;
      this.promoteMessage.textContent = errorMessage(e);
    }
  }

  private async loadVersions(program: string): Promise<void> {
    const body = byId('opt-versions').querySelector('tbody');
    if (!body) {
      return;
    }
    try {
      const versions = await this.context.api.get<ProgramVersions>(
        `/api/v1/programs/${encodeURIComponent(program)}/versions`);
      body.replaceChildren(...versions.versions.map((v) => {
        const promoted = v.promoted ?? v.version === versions.promoted_version;
        const state = [promoted ? 'promoted' : '', v.version === versions.latest_version ? 'latest' : '']
          .filter(Boolean).join(', ');
        const meta = v.metadata ?? {};
        const score = typeof meta.score_after === 'number'
          ? `${typeof meta.score_before === 'number' ? `${meta.score_before.toFixed(1)} → ` : ''}${meta.score_after.toFixed(1)}`
          : '—';
        return h('tr', { 'data-version': v.version, 'data-promoted': promoted },
          h('td', {}, `v${v.version}`, v.created_at ? h('small', { className: 'muted' }, time(v.created_at)) : null),
          h('td', {}, meta.optimizer || (v.version === 1 ? 'as defined' : '—')), h('td', {}, score), h('td', {}, state));
      }));
    } catch (e) {
      body.replaceChildren(h('tr', {}, h('td', { colSpan: 4 }, errorMessage(e))));
    }
  }

  private showError(message: string): void {
    this.error.textContent = message;
    this.error.hidden = false;
  }
}
