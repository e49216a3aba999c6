// The run view: a named program from the catalog (its input fields become the form) or an ad-hoc signature with a
// module; Run submits over the WebSocket and the task panel follows it live.
import { byId, errorMessage, h } from '../dom';
import type { Catalog, FieldSpec, ProgramEntry } from '../types';
import { readInputs, renderInputs, signatureInputs } from './fields';
import type { PanelContext } from './panel';
import { TaskPanel } from './panel';

const RUN_TASK_KEY = 'dspy-suite.run-task';

export class RunView {
  readonly panel: TaskPanel;
  private catalog: Catalog | null = null;
  private programs: ProgramEntry[] = [];
  private readonly form = byId('task-form', HTMLFormElement);
  private readonly signature = byId('signature', HTMLInputElement);
  private readonly module = byId('module', HTMLSelectElement);
  private readonly program = byId('program', HTMLSelectElement);
  private readonly version = byId('program-version', HTMLSelectElement);
  private readonly model = byId('model', HTMLSelectElement);
  private readonly inputs = byId('input-fields');
  private readonly error = byId('task-form-error');
  private readonly submitButton = byId('submit', HTMLButtonElement);

  constructor(private readonly context: PanelContext, private readonly onSubmitted: (taskId: string) => void) {
    this.panel = new TaskPanel(byId('run-task'), context);
    this.panel.onStatus = (taskId, status) => {
      if (['succeeded', 'failed', 'cancelled'].includes(status) && sessionStorage.getItem(RUN_TASK_KEY) === taskId) {
        sessionStorage.removeItem(RUN_TASK_KEY);
      }
    };
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.submit();
    });
    this.form.querySelectorAll<HTMLInputElement>('input[name="program-source"]').forEach((radio) => {
      radio.addEventListener('change', () => this.sourceChanged());
    });
    this.signature.addEventListener('input', () => this.renderFields());
    this.program.addEventListener('change', () => {
      this.renderVersions();
      this.renderFields();
    });
    this.renderFields();
  }

  /** After a reload: the task this tab was watching comes back, replayed from its first event. */
  restore(): void {
    const taskId = sessionStorage.getItem(RUN_TASK_KEY);
    if (taskId) {
      this.panel.show(taskId);
    }
  }

  open(taskId: string): void {
    this.panel.show(taskId);
  }

  setCatalog(catalog: Catalog): void {
    this.catalog = catalog;
    fillSelect(this.module, catalog.modules.map((m) => m.name), this.module.value || 'predict');
    const models = catalog.models.map((m) => m.name);
    this.model.replaceChildren(h('option', { value: '' }, 'default'),
      ...models.map((name) => h('option', { value: name }, name)));
    if (this.programs.length === 0) {
      this.programs = catalog.programs.map((p) => ({ ...p, source: 'registered' }));
    }
    this.renderPrograms();
  }

  /** The tenant's programs (registered ones and those its optimizations created), with their versions. */
  setPrograms(programs: ProgramEntry[]): void {
    this.programs = programs;
    this.renderPrograms();
  }

  private renderPrograms(): void {
    const selected = this.program.value;
    this.program.replaceChildren(...this.programs.map((p) => h('option', { value: p.name },
      p.source === 'tenant' ? `${p.name} (yours)` : p.name)));
    const names = this.programs.map((p) => p.name);
    this.program.value = names.includes(selected) ? selected : names[0] ?? '';
    this.renderVersions();
    this.renderFields();
  }

  private renderVersions(): void {
    const entry = this.programs.find((p) => p.name === this.program.value);
    const selected = this.version.value;
    const numbers = Array.from({ length: entry?.latest_version ?? 1 }, (_, i) => String(i + 1));
    this.version.replaceChildren(
      h('option', { value: '' }, `promoted${entry?.promoted_version ? ` (v${entry.promoted_version})` : ''}`),
      h('option', { value: 'latest' }, 'latest'),
      ...numbers.map((n) => h('option', { value: n }, `v${n}`)));
    this.version.value = ['', 'latest', ...numbers].includes(selected) ? selected : '';
  }

  /** Input fields of a program: from the catalog for registered ones, from the stored signature for the tenant's. */
  private programInputs(name: string): FieldSpec[] {
    const entry = this.programs.find((p) => p.name === name);
    const registered = this.catalog?.programs.find((p) => p.name === name);
    if (registered?.inputs?.length) {
      return registered.inputs;
    }
    if (entry?.inputs?.length) {
      return entry.inputs;
    }
    const adHoc = entry?.program?.ad_hoc;
    if (adHoc?.structured_signature?.inputs?.length) {
      return adHoc.structured_signature.inputs;
    }
    return adHoc?.signature ? signatureInputs(adHoc.signature) : [];
  }

  private named(): boolean {
    return this.form.querySelector<HTMLInputElement>('input[name="program-source"]:checked')?.value === 'named';
  }

  private sourceChanged(): void {
    byId('signature-fields').hidden = this.named();
    byId('named-fields').hidden = !this.named();
    this.renderFields();
  }

  private renderFields(): void {
    let fields: FieldSpec[];
    if (this.named()) {
      const entry = this.programs.find((p) => p.name === this.program.value);
      fields = this.programInputs(this.program.value);
      const signature = entry?.program?.ad_hoc?.signature;
      byId('program-description').textContent = entry?.description || (signature ? `${signature} (${entry?.module ?? ''})` : '');
    } else {
      fields = signatureInputs(this.signature.value);
    }
    renderInputs(this.inputs, fields, 'input');
  }

  private async submit(): Promise<void> {
    this.error.hidden = true;
    const program: Record<string, unknown> = this.named()
      ? { name: this.program.value, ...(this.version.value ? { version: this.version.value === 'latest' ? 'latest'
        : Number(this.version.value) } : {}) }
      : { signature: this.signature.value.trim(), module: this.module.value };
    if (this.named() && !this.program.value) {
      this.showError('Choose a program (the catalog has not loaded yet?).');
      return;
    }
    const task: Record<string, unknown> = { kind: 'predict', program, inputs: readInputs(this.inputs) };
    if (this.model.value) {
      task.options = { model: this.model.value };
    }
    this.submitButton.disabled = true;
    this.panel.reset();
    try {
      const taskId = await this.context.feed.submit(task, this.panel);
      this.panel.adopt(taskId);
      sessionStorage.setItem(RUN_TASK_KEY, taskId);
      this.onSubmitted(taskId);
    } catch (e) {
      this.showError(errorMessage(e));
    } finally {
      this.submitButton.disabled = false;
    }
  }

  showError(message: string): void {
    this.error.textContent = message;
    this.error.hidden = false;
  }
}

export function fillSelect(select: HTMLSelectElement, values: string[], selected: string): void {
  if (values.length === 0) {
    return;
  }
  select.replaceChildren(...values.map((v) => h('option', { value: v }, v)));
  select.value = values.includes(selected) ? selected : values[0] ?? '';
}
